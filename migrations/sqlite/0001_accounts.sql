-- Accounts, bearer tokens and login throttling. Times are Unix milliseconds (UTC).
CREATE TABLE accounts (
    id                 TEXT PRIMARY KEY,
    username           TEXT NOT NULL UNIQUE,
    role               TEXT NOT NULL CHECK (role IN ('admin', 'center', 'supervisor', 'expert')),
    password_hash      TEXT NOT NULL,
    totp_sealed        BLOB,
    totp_last_step     BIGINT NOT NULL DEFAULT 0,
    center_name        TEXT,
    region_code        TEXT,
    client_cert_sha256 TEXT UNIQUE,
    disabled           BOOLEAN NOT NULL DEFAULT FALSE,
    created_at         BIGINT NOT NULL
);

-- Only the SHA-256 of a token is stored: a database reader cannot replay a session.
CREATE TABLE auth_tokens (
    token_hash   BLOB PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX auth_tokens_by_account ON auth_tokens (account_id);

-- Keyed by a hash of the attempted username, whether or not such an account exists, so that
-- throttling does not reveal which accounts exist.
CREATE TABLE login_throttle (
    subject           TEXT PRIMARY KEY,
    failures          INTEGER NOT NULL,
    window_started_at BIGINT NOT NULL
);
