-- Ties beyond employment that 政府采购法实施条例 §9 counts as interests: director, supervisor
-- (监事), shareholder and actual controller of an organisation, by the blind index of its credit
-- code like every other tie. The relations are a CHECK, which SQLite cannot change in place, so
-- the table is rebuilt with the longer list, its rows and indexes as they were.
CREATE TABLE expert_organisations_rebuilt (
    expert_id TEXT NOT NULL REFERENCES experts (id),
    org_index BLOB NOT NULL,
    relation  TEXT NOT NULL CHECK (relation IN ('employer', 'past_employer', 'relative',
                   'director', 'supervisor', 'shareholder', 'actual_controller')),
    from_date TEXT,
    to_date   TEXT
);
INSERT INTO expert_organisations_rebuilt (expert_id, org_index, relation, from_date, to_date)
    SELECT expert_id, org_index, relation, from_date, to_date FROM expert_organisations;
DROP TABLE expert_organisations;
ALTER TABLE expert_organisations_rebuilt RENAME TO expert_organisations;
CREATE INDEX expert_organisations_by_org ON expert_organisations (org_index);
CREATE INDEX expert_organisations_by_expert ON expert_organisations (expert_id);

-- An expert's request to change their current employer or their ties. The requested values are
-- sealed under the record's data key; `parts` says, without values, what would change. Draws
-- read only the record, which changes when an admin approves; a refusal carries its reason.
CREATE TABLE expert_change_requests (
    id              TEXT PRIMARY KEY,
    expert_id       TEXT NOT NULL REFERENCES experts (id),
    requested_by    TEXT NOT NULL REFERENCES accounts (id),
    parts           TEXT NOT NULL,
    sealed_values   BLOB NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'refused', 'withdrawn')),
    decided_by      TEXT REFERENCES accounts (id),
    decided_at      BIGINT,
    decision_reason TEXT,
    created_at      BIGINT NOT NULL
);
-- One pending request per expert: a second would be decided against a record the first changes.
CREATE UNIQUE INDEX expert_change_requests_one_pending ON expert_change_requests (expert_id)
    WHERE status = 'pending';
CREATE INDEX expert_change_requests_by_status ON expert_change_requests (status, created_at);
