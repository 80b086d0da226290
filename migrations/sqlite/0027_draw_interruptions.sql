-- Issue 16 §4 (实施条例 §54, §62; a tender terminated): a tender's draw and its session can be
-- suspended (e.g. a complaint under review), resumed, or cancelled. The center asks with a
-- reason; a supervisor whose jurisdiction covers the draw approves or refuses. At most one
-- request of a draw is open at a time.
CREATE TABLE draw_interruptions (
    id              TEXT PRIMARY KEY,
    draw_id         TEXT NOT NULL REFERENCES draws (id),
    kind            TEXT NOT NULL,
    state           TEXT NOT NULL,
    reason          TEXT NOT NULL,
    requested_by    TEXT NOT NULL REFERENCES accounts (id),
    requested_at    BIGINT NOT NULL,
    decided_by      TEXT REFERENCES accounts (id),
    decided_at      BIGINT,
    decision_reason TEXT,
    -- A cancellation approved as a re-tender frees the tender for one new root draw.
    retender        BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX draw_interruptions_one_open ON draw_interruptions (draw_id)
    WHERE state = 'requested';
CREATE INDEX draw_interruptions_by_state ON draw_interruptions (state, requested_at);

-- A root draw's hold: NULL, 'suspended' or 'cancelled' (final). Its linked draws and its session
-- follow it.
ALTER TABLE draws ADD COLUMN hold TEXT;
