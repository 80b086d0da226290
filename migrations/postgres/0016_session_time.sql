-- 实施条例 §48: when more than a third of the committee declares the evaluation time
-- insufficient, the evaluation is extended. A declaration counts toward the next extension
-- only (round = extensions so far + 1), so a second extension needs a new third.
CREATE TABLE session_time_declarations (
    session_id  TEXT NOT NULL REFERENCES sessions (id),
    round       INTEGER NOT NULL,
    seat        INTEGER NOT NULL,
    declared_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, round, seat)
);

CREATE TABLE session_extensions (
    session_id  TEXT NOT NULL REFERENCES sessions (id),
    number      INTEGER NOT NULL,
    minutes     INTEGER NOT NULL,
    declared    INTEGER NOT NULL,
    members     INTEGER NOT NULL,
    extended_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, number)
);

-- 实施条例 §53 ¶2: a member who neither signs nor dissents in writing by the signing deadline
-- is deemed to agree. Set when the session enters signing; NULL outside it.
ALTER TABLE sessions ADD COLUMN signing_deadline BIGINT;
