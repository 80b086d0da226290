-- Supervisors within their jurisdiction (issue 16 §5, 实施条例 §46 ¶4). A supervisor without a
-- row is province-wide (every supervisor made before this); a row narrows them to regions
-- (GB/T 2260 prefixes) and/or industry departments, an empty list meaning "any".
CREATE TABLE supervisor_scopes (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    regions_json TEXT NOT NULL,
    industries_json TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- What places a root draw in a jurisdiction: the project's region (or, without one, the
-- requesting center's), its industry department, and whether the project must be tendered by
-- law (then a supervisor's contribution is awaited). Draws made before have no row: only
-- province-wide supervisors see them. Linked draws follow their root's row.
CREATE TABLE draw_jurisdictions (
    draw_id TEXT PRIMARY KEY REFERENCES draws (id),
    region TEXT,
    industry TEXT,
    statutory_tender BOOLEAN NOT NULL DEFAULT FALSE
);
