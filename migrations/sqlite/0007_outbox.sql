-- The notification outbox (docs/NOTIFY.md). A row is written in the same transaction as the
-- action that causes the message (a seat in a draw, a replacement); the delivery worker sends
-- it and records the outcome. The row's id is the idempotency key the gateway sees.
-- Nothing here names an expert in clear: the recipient's expert id and the template parameters
-- (which include the one-time confirmation code) are sealed under the master sealing key.
CREATE TABLE outbox (
    id               TEXT PRIMARY KEY,
    sealed_recipient BLOB NOT NULL,
    template         TEXT NOT NULL,
    sealed_params    BLOB NOT NULL,
    subject_kind     TEXT NOT NULL,
    subject_id       TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    -- A worker's claim on the row while it sends; a crashed worker's claim simply expires.
    lease_until      BIGINT,
    -- A short reason for the latest failed attempt, without secrets.
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_by_subject ON outbox (subject_kind, subject_id);
