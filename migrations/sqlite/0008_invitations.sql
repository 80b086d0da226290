-- Invitations: one per seated candidate of a draw, answered by the expert (in the app or by
-- keypad through the gateway) before a deadline. Nothing here names the expert in clear: the
-- expert tag is an HMAC under the token key, so only the server can find an expert's own
-- invitations, and a stolen database cannot join them to the pool.
CREATE TABLE invitations (
    id                  TEXT PRIMARY KEY,
    draw_id             TEXT NOT NULL REFERENCES draws (id),
    token               BLOB NOT NULL,
    expert_tag          BLOB NOT NULL,
    state               TEXT NOT NULL
                        CHECK (state IN ('pending', 'accepted', 'declined', 'expired', 'withdrawn')),
    code_index          BLOB NOT NULL,
    deadline            BIGINT NOT NULL,
    answered_at         BIGINT,
    channel             TEXT,
    decline_reason      TEXT,
    sealed_relationship BLOB,
    sealed_join_code    BLOB,
    created_at          BIGINT NOT NULL,
    UNIQUE (draw_id, token)
);
CREATE INDEX invitations_by_expert ON invitations (expert_tag, created_at);
CREATE INDEX invitations_due ON invitations (state, deadline);
-- A one-time code is unique among open invitations; old codes may recur over the years.
CREATE UNIQUE INDEX invitations_open_code ON invitations (code_index) WHERE state = 'pending';
CREATE INDEX invitations_by_code ON invitations (code_index);

-- The committee list stays sealed until a supervisor approves its publication.
CREATE TABLE draw_publications (
    draw_id      TEXT PRIMARY KEY REFERENCES draws (id),
    requested_by TEXT NOT NULL REFERENCES accounts (id),
    requested_at BIGINT NOT NULL,
    reason       TEXT NOT NULL,
    approved_by  TEXT REFERENCES accounts (id),
    approved_at  BIGINT
);
