-- Issue 22 §4: experts' fees (docs/FEES.md). Every fee standard the server has run under, by
-- the digest of its canonical JSON, and from when: a settlement is computed under the one in
-- force when its session started.
CREATE TABLE fee_standards (
    digest TEXT PRIMARY KEY,
    body   TEXT NOT NULL
);

CREATE TABLE fee_standard_periods (
    digest        TEXT NOT NULL REFERENCES fee_standards (digest),
    in_force_from BIGINT NOT NULL,
    PRIMARY KEY (in_force_from, digest)
);

-- One record per member per evaluation, never updated: a change (travel added, a correction
-- after approval) is a new record naming the one it supersedes, with its reason. The current
-- record of a seat is the one nothing supersedes; the unique indexes keep the chain a line.
-- The payee is the expert's stable pseudonym, never an identity.
CREATE TABLE fee_settlements (
    id                TEXT PRIMARY KEY,
    session_id        TEXT NOT NULL REFERENCES sessions (id),
    seat              INTEGER NOT NULL,
    payee             TEXT NOT NULL,
    seat_kind         TEXT NOT NULL CHECK (seat_kind IN ('main_venue', 'sub_venue', 'distributed')),
    rate_region       TEXT NOT NULL,
    started_at        BIGINT NOT NULL,
    ended_at          BIGINT NOT NULL,
    end_reason        TEXT NOT NULL,
    half_days         BIGINT NOT NULL CHECK (half_days > 0),
    fee_fen           BIGINT NOT NULL CHECK (fee_fen >= 0),
    transport_fen     BIGINT NOT NULL CHECK (transport_fen >= 0),
    nights            BIGINT NOT NULL CHECK (nights >= 0),
    accommodation_fen BIGINT NOT NULL CHECK (accommodation_fen >= 0),
    total_fen         BIGINT NOT NULL,
    standard_digest   TEXT NOT NULL REFERENCES fee_standards (digest),
    supersedes        TEXT UNIQUE REFERENCES fee_settlements (id),
    reason            TEXT NOT NULL,
    created_by        TEXT NOT NULL REFERENCES accounts (id),
    created_at        BIGINT NOT NULL,
    CHECK (total_fen = fee_fen + transport_fen + accommodation_fen)
);
CREATE UNIQUE INDEX fee_settlements_first_per_seat ON fee_settlements (session_id, seat) WHERE supersedes IS NULL;
CREATE INDEX fee_settlements_by_session ON fee_settlements (session_id, seat, created_at);
CREATE INDEX fee_settlements_by_payee ON fee_settlements (payee, created_at);

-- The center's approval of a record, once; a record superseded later keeps its approval.
CREATE TABLE fee_settlement_approvals (
    settlement_id TEXT PRIMARY KEY REFERENCES fee_settlements (id),
    approved_by   TEXT NOT NULL REFERENCES accounts (id),
    approved_at   BIGINT NOT NULL
);
