-- The audit transparency log (C2SP tlog formats, RFC 6962 hashing).
-- Entries and every complete Merkle node are stored, so proofs and tiles are served from stored
-- hashes and nothing is recomputed per request.
CREATE TABLE audit_entries (
    idx        BIGINT PRIMARY KEY,
    entry      BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE audit_nodes (
    level INTEGER NOT NULL,
    idx   BIGINT NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
);

-- One row: the right edge of the tree (size and complete-subtree roots). Appenders lock it, which
-- serialises appends across instances.
CREATE TABLE audit_head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    frontier BLOB NOT NULL
);
INSERT INTO audit_head (id, frontier) VALUES (1, X'0000000000000000');

-- Every checkpoint the log signed. The server never signs one inconsistent with the latest.
CREATE TABLE audit_checkpoints (
    size      BIGINT PRIMARY KEY,
    root      BLOB NOT NULL,
    note      TEXT NOT NULL,
    signed_at BIGINT NOT NULL
);

-- Used only by `sealdraw witness`: the latest checkpoint it cosigned per log origin.
CREATE TABLE witness_state (
    origin TEXT PRIMARY KEY,
    size   BIGINT NOT NULL,
    root   BLOB NOT NULL,
    note   TEXT NOT NULL
);
