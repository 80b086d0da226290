-- Evaluation sessions (docs/SESSIONS.md, docs/PROTOCOL.md): one per completed root draw. Seats
-- are "Expert n" and a draw token; nothing here names an expert in clear.
CREATE TABLE sessions (
    id                 TEXT PRIMARY KEY,
    draw_id            TEXT NOT NULL UNIQUE REFERENCES draws (id),
    center_id          TEXT NOT NULL REFERENCES accounts (id),
    mode               TEXT NOT NULL CHECK (mode IN ('cross_site', 'distributed')),
    phase              TEXT NOT NULL,
    assignment         TEXT NOT NULL CHECK (assignment IN ('random', 'in_order', 'none')),
    sealed_secret      BYTEA,
    secret_commitment  BYTEA,
    bidders_json       TEXT NOT NULL,
    criteria_json      TEXT NOT NULL,
    deviation_percent  INTEGER NOT NULL,
    chair_seat         INTEGER,
    report_json        TEXT,
    report_sha256      BYTEA,
    next_seq           BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    closed_at          BIGINT
);

CREATE TABLE session_venues (
    session_id  TEXT NOT NULL REFERENCES sessions (id),
    venue       INTEGER NOT NULL,
    name        TEXT NOT NULL,
    operator_id TEXT NOT NULL REFERENCES accounts (id),
    seats       INTEGER NOT NULL,
    PRIMARY KEY (session_id, venue)
);
CREATE INDEX session_venues_by_operator ON session_venues (operator_id);

CREATE TABLE session_supervisors (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (session_id, account_id)
);

CREATE TABLE session_contributions (
    session_id     TEXT NOT NULL REFERENCES sessions (id),
    position       INTEGER NOT NULL,
    contributor_id TEXT NOT NULL REFERENCES accounts (id),
    role           TEXT NOT NULL,
    bytes          BYTEA NOT NULL,
    received_at    BIGINT NOT NULL,
    PRIMARY KEY (session_id, position),
    UNIQUE (session_id, contributor_id)
);

CREATE TABLE session_seats (
    session_id      TEXT NOT NULL REFERENCES sessions (id),
    seat            INTEGER NOT NULL,
    draw_id         TEXT NOT NULL REFERENCES draws (id),
    token           BYTEA NOT NULL,
    venue           INTEGER,
    state           TEXT NOT NULL CHECK (state IN ('active', 'void')),
    void_reason     TEXT,
    voided_at       BIGINT,
    checked_in_at   BIGINT,
    declared_at     BIGINT,
    vote            INTEGER,
    signature       TEXT,
    dissent_reasons TEXT,
    signed_at       BIGINT,
    added_at        BIGINT NOT NULL,
    PRIMARY KEY (session_id, seat),
    UNIQUE (session_id, draw_id, token)
);

CREATE TABLE session_sheets (
    session_id   TEXT NOT NULL REFERENCES sessions (id),
    seat         INTEGER NOT NULL,
    bidder       TEXT NOT NULL,
    sheet_json   TEXT NOT NULL,
    total_centi  BIGINT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('live', 'void')),
    submitted_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, seat, bidder)
);

CREATE TABLE session_clarifications (
    session_id  TEXT NOT NULL REFERENCES sessions (id),
    number      INTEGER NOT NULL,
    seat        INTEGER NOT NULL,
    bidder      TEXT NOT NULL,
    question    TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'refused')),
    decided_by  TEXT REFERENCES accounts (id),
    decided_at  BIGINT,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (session_id, number)
);

-- Every session event, numbered per session, written before it is sent: reconnecting clients
-- resume from the table and other instances fan out from it.
CREATE TABLE session_events (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    seq        BIGINT NOT NULL,
    audience   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    body       TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (session_id, seq)
);

-- A client request's answer, kept so that a retried request (same client id) is answered
-- again instead of applied twice.
CREATE TABLE session_requests (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    request_id TEXT NOT NULL,
    reply      TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (session_id, account_id, request_id)
);

-- Single-use websocket tickets; only their SHA-256 is kept.
CREATE TABLE session_tickets (
    ticket_hash BYTEA PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions (id),
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    role        TEXT NOT NULL,
    seat        INTEGER,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX session_tickets_by_expiry ON session_tickets (expires_at);

CREATE TABLE session_ratings (
    session_id  TEXT NOT NULL REFERENCES sessions (id),
    seat        INTEGER NOT NULL,
    rater_id    TEXT NOT NULL REFERENCES accounts (id),
    punctuality INTEGER NOT NULL,
    diligence   INTEGER NOT NULL,
    discipline  INTEGER NOT NULL,
    rated_at    BIGINT NOT NULL,
    PRIMARY KEY (session_id, seat, rater_id)
);

-- Conduct points per expert (0-100), the input of the credit score. Like expert_selections it
-- names the expert but not the session, so the table does not link experts to tenders.
CREATE TABLE expert_conduct (
    expert_id TEXT NOT NULL REFERENCES experts (id),
    points    BIGINT NOT NULL,
    rated_at  BIGINT NOT NULL
);
CREATE INDEX expert_conduct_by_expert ON expert_conduct (expert_id, rated_at);
