-- Draws (docs/DRAW-SPEC.md, DESIGN §5). A draw row is written with its intent and never
-- deleted; its status only moves forward (awaiting_entropy → drawn). Nothing here names an
-- expert in clear except expert_selections, which the frequency cap needs (see SECURITY.md).
CREATE TABLE draws (
    id                    TEXT PRIMARY KEY,
    center_id             TEXT NOT NULL REFERENCES accounts (id),
    parent_draw_id        TEXT REFERENCES draws (id),
    parent_stratum        INTEGER,
    link_reason           TEXT,
    tender_reference      TEXT NOT NULL,
    tender_name           TEXT NOT NULL,
    venue                 TEXT,
    mode                  TEXT NOT NULL CHECK (mode IN ('on_site', 'cross_site', 'distributed')),
    evaluation_start      BIGINT NOT NULL,
    evaluation_minutes    INTEGER NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('awaiting_entropy', 'drawn')),
    filter_json           TEXT NOT NULL,
    exclusions_json       TEXT NOT NULL,
    intent_json           TEXT NOT NULL,
    intent_hash           BYTEA NOT NULL,
    intent_index          BIGINT NOT NULL,
    sealed_secret         BYTEA NOT NULL,
    contribution_deadline BIGINT NOT NULL,
    secret                BYTEA,
    seed                  BYTEA,
    result_index          BIGINT,
    created_at            BIGINT NOT NULL,
    executed_at           BIGINT
);
CREATE INDEX draws_by_center ON draws (center_id, created_at);
CREATE INDEX draws_awaiting ON draws (status, contribution_deadline);
CREATE INDEX draws_by_parent ON draws (parent_draw_id);

-- Random bytes sent after the intent, in the order they are fed into the seed.
CREATE TABLE draw_contributions (
    draw_id        TEXT NOT NULL REFERENCES draws (id),
    position       INTEGER NOT NULL,
    contributor_id TEXT NOT NULL REFERENCES accounts (id),
    role           TEXT NOT NULL,
    bytes          BYTEA NOT NULL,
    received_at    BIGINT NOT NULL,
    PRIMARY KEY (draw_id, position),
    UNIQUE (draw_id, contributor_id)
);

-- Per stratum: the committed shape, the sorted eligible tokens (32 bytes each, concatenated),
-- and the expert ids behind them in the same order, sealed as one value.
CREATE TABLE draw_strata (
    draw_id        TEXT NOT NULL REFERENCES draws (id),
    stratum        INTEGER NOT NULL,
    prefixes       TEXT NOT NULL,
    k              INTEGER NOT NULL,
    m              INTEGER NOT NULL,
    eligible_count BIGINT NOT NULL,
    eligible_root  BYTEA NOT NULL,
    tokens         BYTEA NOT NULL,
    sealed_members BYTEA NOT NULL,
    PRIMARY KEY (draw_id, stratum)
);

-- Drawn experts and ordered reserves after the result: rank 0..k-1 are drawn, k.. reserves.
-- The expert id is sealed (context names the draw and token); the token is the public name.
CREATE TABLE draw_candidates (
    draw_id        TEXT NOT NULL REFERENCES draws (id),
    stratum        INTEGER NOT NULL,
    rank           INTEGER NOT NULL,
    token          BYTEA NOT NULL,
    sealed_expert  BYTEA NOT NULL,
    state          TEXT NOT NULL
                   CHECK (state IN ('seated', 'confirmed', 'replaced', 'reserve')),
    replaced_reason TEXT,
    replaced_at    BIGINT,
    replaced_index BIGINT,
    -- A vacated seat with no reserve left: a linked draw is pending, started, or was refused.
    link_state     TEXT CHECK (link_state IN ('pending', 'started', 'refused')),
    linked_draw_id TEXT,
    seated_at      BIGINT,
    PRIMARY KEY (draw_id, stratum, rank),
    UNIQUE (draw_id, token)
);

-- Who was seated when, for the frequency cap and the supervisor's frequency report. Day
-- resolution only: enough for a rolling window, too coarse to pair a row with one tender.
CREATE TABLE expert_selections (
    expert_id TEXT NOT NULL REFERENCES experts (id),
    day       BIGINT NOT NULL
);
CREATE INDEX draw_candidates_link_pending ON draw_candidates (link_state);

CREATE INDEX expert_selections_by_day ON expert_selections (day, expert_id);

-- Penalties on record (违规记录): a penalty in force at the evaluation start excludes the expert.
CREATE TABLE expert_penalties (
    id          TEXT PRIMARY KEY,
    expert_id   TEXT NOT NULL REFERENCES experts (id),
    reason_code TEXT NOT NULL,
    imposed_at  BIGINT NOT NULL,
    until_at    BIGINT
);
CREATE INDEX expert_penalties_by_expert ON expert_penalties (expert_id);
