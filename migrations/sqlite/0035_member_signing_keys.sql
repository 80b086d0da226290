-- Issue 19 §1: committee members sign the evaluation report with a key only they hold. The
-- server keeps the public half: a key's kind says where the private half lives (a browser's
-- non-extractable WebCrypto key, a key file of `sealdraw client`, a PKCS#11 token, a
-- certificate of an outside CA, which also fills `certificate`). A member's first key is in
-- force at once; a further key waits for an admin (a lost device is revoked, not deleted:
-- signatures made before `revoked_at` stay valid).
CREATE TABLE member_signing_keys (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    kind        TEXT NOT NULL CHECK (kind IN ('webcrypto', 'key_file', 'pkcs11', 'certificate')),
    algorithm   TEXT NOT NULL,
    public_key  BLOB NOT NULL,
    certificate BLOB,
    fingerprint TEXT NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'active', 'revoked')),
    enrolled_at BIGINT NOT NULL,
    approved_by TEXT REFERENCES accounts (id),
    approved_at BIGINT,
    revoked_by  TEXT REFERENCES accounts (id),
    revoked_at  BIGINT
);

CREATE INDEX member_signing_keys_account ON member_signing_keys (account_id, enrolled_at);

-- A member's signature of one draft report (by its digest) with their decision. A vacancy
-- during signing clears the seat's decision and produces a new draft; the signature of the
-- old draft stays here, as what the member did sign.
CREATE TABLE session_member_signatures (
    session_id      TEXT NOT NULL REFERENCES sessions (id),
    seat            INTEGER NOT NULL,
    report_sha256   BLOB NOT NULL,
    key_id          TEXT NOT NULL REFERENCES member_signing_keys (id),
    key_fingerprint TEXT NOT NULL,
    signature       BLOB NOT NULL,
    signed_sha256   BLOB NOT NULL,
    signed_at       BIGINT NOT NULL,
    PRIMARY KEY (session_id, seat, report_sha256)
);
