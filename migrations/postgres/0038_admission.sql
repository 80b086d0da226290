-- Issue 22 §1: experts join the pool by application as well as by import, for a term. A term is
-- a pair of dates (YYYY-MM-DD); NULL on records imported before terms existed (grandfathered
-- until an admin sets one).
ALTER TABLE experts ADD COLUMN term_start TEXT;
ALTER TABLE experts ADD COLUMN term_end TEXT;

-- An application to join the pool. What identifies the person (identity, contact, employer,
-- ties, evidence, a supplement's answer) is sealed under the data key of the record it would
-- become (`expert_id`, decided on arrival), so approving it writes that record without
-- re-sealing through another key. In the clear: what a reviewer lists by and draws would filter
-- on (specialty codes, region), the state, and the blind index of the ID number that finds a
-- duplicate. The applicant follows it with a one-time access code, kept as its digest only.
CREATE TABLE expert_applications (
    id                 TEXT PRIMARY KEY,
    status             TEXT NOT NULL CHECK (status IN ('submitted', 'under_review',
                           'more_requested', 'approved', 'refused', 'withdrawn')),
    expert_id          TEXT NOT NULL UNIQUE,
    id_number_index    BYTEA NOT NULL,
    data_key           BYTEA NOT NULL,
    sealed_application BYTEA NOT NULL,
    sealed_supplement  BYTEA,
    access_code_digest BYTEA NOT NULL,
    specialties        TEXT NOT NULL,
    region_code        TEXT NOT NULL,
    nominated_by       TEXT REFERENCES accounts (id),
    recruiting_call_id TEXT,
    question           TEXT,
    decision_reason    TEXT,
    term_years         INTEGER,
    decided_by         TEXT REFERENCES accounts (id),
    decided_at         BIGINT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
-- One open application per person: a second would be reviewed against the same record.
CREATE UNIQUE INDEX expert_applications_one_open ON expert_applications (id_number_index)
    WHERE status IN ('submitted', 'under_review', 'more_requested');
CREATE INDEX expert_applications_by_status ON expert_applications (status, created_at);

-- An admin's call for applications in scarce specialties (issue 22 §1, recruiting).
CREATE TABLE recruiting_calls (
    id          TEXT PRIMARY KEY,
    specialties TEXT NOT NULL,
    regions     TEXT NOT NULL,
    until_date  TEXT NOT NULL,
    note        TEXT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES accounts (id),
    created_at  BIGINT NOT NULL,
    closed_at   BIGINT
);

-- An expert's request to renew their term, before it ends; an admin approves (a new term from
-- the old one's end) or refuses it with a reason.
CREATE TABLE expert_renewals (
    id              TEXT PRIMARY KEY,
    expert_id       TEXT NOT NULL REFERENCES experts (id),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'refused')),
    term_end        TEXT NOT NULL,
    new_term_end    TEXT,
    decision_reason TEXT,
    decided_by      TEXT REFERENCES accounts (id),
    decided_at      BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX expert_renewals_one_pending ON expert_renewals (expert_id)
    WHERE status = 'pending';
CREATE INDEX expert_renewals_by_status ON expert_renewals (status, created_at);
