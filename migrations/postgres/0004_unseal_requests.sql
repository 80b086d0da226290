-- Dual control over sealed fields: a request, approved by a second, different supervisor,
-- lets its requester read the named fields of the named experts until the window closes.
CREATE TABLE unseal_requests (
    id             TEXT PRIMARY KEY,
    requester_id   TEXT NOT NULL REFERENCES accounts (id),
    reason         TEXT NOT NULL,
    expert_ids     TEXT NOT NULL,
    fields         TEXT NOT NULL,
    valid_minutes  INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'refused')),
    decided_by     TEXT REFERENCES accounts (id),
    decided_at     BIGINT,
    valid_until    BIGINT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX unseal_requests_by_status ON unseal_requests (status, created_at);
