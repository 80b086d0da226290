-- Issue 16 §1 (招标投标法 §37): the committee a draw's request planned, its drawn experts and
-- the tenderer's representatives (招标人代表), checked before drawing and logged with the
-- intent. A root draw asked for without a plan has no row: its committee is its experts alone.
CREATE TABLE draw_committees (
    draw_id         TEXT PRIMARY KEY REFERENCES draws (id),
    experts         INTEGER NOT NULL,
    representatives INTEGER NOT NULL
);

-- The tenderer's representatives the host named when opening a session. Each holds a seat of
-- the committee (its session_seats row names the session's draw and, instead of a draw token,
-- the bytes 'representative:<seat>', which no 32-byte token equals) and an expert-role login
-- activated with a one-time code, without any pool record. Their identity (name, employer,
-- title) and the join code they check in with are sealed.
CREATE TABLE session_representatives (
    session_id       TEXT NOT NULL REFERENCES sessions (id),
    seat             INTEGER NOT NULL,
    account_id       TEXT NOT NULL UNIQUE REFERENCES accounts (id),
    sealed_identity  BLOB NOT NULL,
    sealed_join_code BLOB NOT NULL,
    named_at         BIGINT NOT NULL,
    PRIMARY KEY (session_id, seat)
);
