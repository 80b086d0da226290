-- Issue 21 §3: alert rules, the signal runs, the alerts they raise and the cases supervisors
-- open on them (docs/ANALYTICS.md §4–§5). Nothing here names an expert: an alert shows its
-- experts by labels of its own, and keeps the pool ids behind them sealed, for the unseal
-- request a case may file under dual control.
CREATE TABLE alert_rules (
    id           TEXT PRIMARY KEY,
    signal       TEXT NOT NULL,
    -- The largest q-value (Benjamini–Hochberg) that fires, in millionths.
    max_q_ppm    BIGINT NOT NULL,
    -- JSON list of region prefixes the rule watches; empty for the whole province.
    regions      TEXT NOT NULL,
    created_by   TEXT NOT NULL REFERENCES accounts (id),
    created_at   BIGINT NOT NULL,
    retired_by   TEXT REFERENCES accounts (id),
    retired_at   BIGINT
);

CREATE TABLE signal_runs (
    id           TEXT PRIMARY KEY,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    window_from  BIGINT NOT NULL,
    window_until BIGINT NOT NULL,
    committees   BIGINT,
    findings     BIGINT,
    alerts       BIGINT
);
CREATE INDEX signal_runs_by_start ON signal_runs (started_at);

CREATE TABLE alerts (
    id            TEXT PRIMARY KEY,
    rule_id       TEXT NOT NULL REFERENCES alert_rules (id),
    run_id        TEXT NOT NULL REFERENCES signal_runs (id),
    signal        TEXT NOT NULL,
    -- What the alert is about, stable across runs: one alert per rule and subject.
    fingerprint   BYTEA NOT NULL,
    -- JSON: the subject as shown (labels, a center's username, a credit code) and the
    -- evidence (counts, expectation, p, q, committees with their region and industry).
    subject       TEXT NOT NULL,
    evidence      TEXT NOT NULL,
    -- The pool ids of the experts behind the labels, sealed; NULL when none.
    sealed_experts BYTEA,
    raised_at     BIGINT NOT NULL,
    UNIQUE (rule_id, fingerprint)
);
CREATE INDEX alerts_by_time ON alerts (raised_at);

CREATE TABLE alert_cases (
    id                TEXT PRIMARY KEY,
    alert_id          TEXT NOT NULL UNIQUE REFERENCES alerts (id),
    state             TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    opened_by         TEXT NOT NULL REFERENCES accounts (id),
    opened_at         BIGINT NOT NULL,
    unseal_request_id TEXT REFERENCES unseal_requests (id),
    conclusion        TEXT,
    closed_by         TEXT REFERENCES accounts (id),
    closed_at         BIGINT
);

CREATE TABLE alert_case_notes (
    case_id   TEXT NOT NULL REFERENCES alert_cases (id),
    number    INTEGER NOT NULL,
    author_id TEXT NOT NULL REFERENCES accounts (id),
    text      TEXT NOT NULL,
    added_at  BIGINT NOT NULL,
    PRIMARY KEY (case_id, number)
);
