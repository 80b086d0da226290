-- Issue 21 §2: a draw refused because too few experts were eligible is counted for the supply
-- report (which specialties need recruiting). Nothing was drawn and nothing was logged: this
-- row holds counts only — the strata's specialties, k, m and eligible-set sizes — and where the
-- project belongs, for supervisors' jurisdictions.
CREATE TABLE draw_refusals (
    id              TEXT PRIMARY KEY,
    center_id       TEXT NOT NULL REFERENCES accounts (id),
    refused_at      BIGINT NOT NULL,
    region          TEXT,
    industry        TEXT,
    strata          TEXT NOT NULL,
    refused_stratum INTEGER NOT NULL
);
CREATE INDEX draw_refusals_by_time ON draw_refusals (refused_at);
