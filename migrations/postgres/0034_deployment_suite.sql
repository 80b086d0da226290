-- Issue 18 §1: a deployment chooses its cipher suite once (`sealdraw keys init --suite`). The
-- database remembers it, so a server started with a key file of the other suite refuses to
-- start instead of appending SM3 leaves to a SHA-256 tree (or the reverse). One row; written
-- by the first start after this migration, from the key file of that start.
CREATE TABLE deployment (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    suite TEXT NOT NULL CHECK (suite IN ('intl2024', 'gm2024')),
    recorded_at BIGINT NOT NULL
);
