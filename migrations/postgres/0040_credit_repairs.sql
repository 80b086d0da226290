-- Credit repair (信用修复, issue 22 §2): an expert asks that a negative item of their credit
-- file stop counting, with a statement and a reference to their evidence; a supervisor within
-- their jurisdiction grants or refuses it. The item is named as the credit file names it
-- (`rating:<id>`), so the table links an expert to their own rating, never to a tender.
-- One open request per item; a supervisor who decided one request for an item decides no later
-- one for it (the rule is the server's: it reads the earlier decisions).
CREATE TABLE credit_repairs (
    id              TEXT PRIMARY KEY,
    expert_id       TEXT NOT NULL REFERENCES experts (id),
    item            TEXT NOT NULL,
    statement       TEXT NOT NULL,
    evidence_ref    TEXT,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'granted', 'refused')),
    requested_by    TEXT NOT NULL REFERENCES accounts (id),
    requested_at    BIGINT NOT NULL,
    decided_by      TEXT REFERENCES accounts (id),
    decision_reason TEXT,
    decided_at      BIGINT
);
CREATE UNIQUE INDEX credit_repairs_one_open ON credit_repairs (item) WHERE status = 'pending';
CREATE INDEX credit_repairs_by_expert ON credit_repairs (expert_id, requested_at);
CREATE INDEX credit_repairs_by_status ON credit_repairs (status, requested_at);

-- A repaired rating stays on record (and on the credit file, marked repaired) but leaves the
-- credit score from the moment of the grant, as a rating withdrawn on appeal does.
ALTER TABLE expert_conduct ADD COLUMN repaired_at BIGINT;
