-- The expert pool. Identities live only in expert_sealed_fields, sealed under a per-record data
-- key that is itself sealed under the master key from the key file (never in this database).
-- Clear columns are what draws filter on. Blind indexes (HMAC under the index key) let imports
-- and avoidance rules match ID numbers, phones and organisations without decrypting.
CREATE TABLE experts (
    id              TEXT PRIMARY KEY,
    id_number_index BLOB NOT NULL UNIQUE,
    phone_index     BLOB NOT NULL,
    data_key        BLOB NOT NULL,
    region_code     TEXT NOT NULL,
    title_level     INTEGER NOT NULL CHECK (title_level BETWEEN 1 AND 3),
    years_in_field  INTEGER NOT NULL CHECK (years_in_field >= 0),
    birth_year      INTEGER NOT NULL,
    tier            INTEGER NOT NULL DEFAULT 1,
    status          TEXT NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'suspended', 'retired', 'removed')),
    suspended_until BIGINT,
    credit_score    INTEGER NOT NULL DEFAULT 100,
    draws           INTEGER NOT NULL DEFAULT 0,
    attendances     INTEGER NOT NULL DEFAULT 0,
    declines        INTEGER NOT NULL DEFAULT 0,
    no_shows        INTEGER NOT NULL DEFAULT 0,
    account_id      TEXT UNIQUE REFERENCES accounts (id),
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX experts_by_region ON experts (region_code);
CREATE INDEX experts_by_phone ON experts (phone_index);

CREATE TABLE expert_specialties (
    expert_id TEXT NOT NULL REFERENCES experts (id),
    code      TEXT NOT NULL,
    PRIMARY KEY (expert_id, code)
);
CREATE INDEX expert_specialties_by_code ON expert_specialties (code);

CREATE TABLE expert_sealed_fields (
    expert_id  TEXT NOT NULL REFERENCES experts (id),
    field      TEXT NOT NULL,
    ciphertext BLOB NOT NULL,
    PRIMARY KEY (expert_id, field)
);

-- Organisations an expert is tied to (current and past employers, declared relatives'
-- employers), by blind index of the credit code, with the period of the tie (ISO dates).
CREATE TABLE expert_organisations (
    expert_id TEXT NOT NULL REFERENCES experts (id),
    org_index BLOB NOT NULL,
    relation  TEXT NOT NULL CHECK (relation IN ('employer', 'past_employer', 'relative')),
    from_date TEXT,
    to_date   TEXT
);
CREATE INDEX expert_organisations_by_org ON expert_organisations (org_index);
CREATE INDEX expert_organisations_by_expert ON expert_organisations (expert_id);

CREATE TABLE expert_leave (
    expert_id TEXT NOT NULL REFERENCES experts (id),
    from_at   BIGINT NOT NULL,
    to_at     BIGINT NOT NULL
);
CREATE INDEX expert_leave_by_expert ON expert_leave (expert_id);

-- The specialty classification draws and imports check codes against. Seeded with a bundled
-- SAMPLE (official = false) until `sealdraw pool codes FILE` loads the official table.
CREATE TABLE specialty_codes (
    code     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    official BOOLEAN NOT NULL
);
