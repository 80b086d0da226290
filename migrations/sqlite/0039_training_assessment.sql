-- Issue 22 §2: training records, the annual assessment (年度考核) and tiers (分级管理).
-- docs/POOL.md, "Training, assessment and tiers".

-- A tier is A, B or C. The integer column held 1 for everyone and nothing derived it, so 1 meant
-- "not assessed yet", which is now B: an expert nobody has assessed neither passes a stratum
-- that requires A nor fails one that requires B. Only a confirmed assessment changes a tier.
ALTER TABLE experts ADD COLUMN assessed_tier TEXT NOT NULL DEFAULT 'B'
    CHECK (assessed_tier IN ('A', 'B', 'C'));
UPDATE experts SET assessed_tier = 'B';
ALTER TABLE experts DROP COLUMN tier;
ALTER TABLE experts RENAME COLUMN assessed_tier TO tier;

-- Training completed (培训), in half hours. A record is never edited: a correction is a new
-- record that voids the old one, with the reason; a voided record counts nowhere.
CREATE TABLE expert_training (
    id              TEXT PRIMARY KEY,
    expert_id       TEXT NOT NULL REFERENCES experts (id),
    course          TEXT NOT NULL,
    half_hours      INTEGER NOT NULL CHECK (half_hours BETWEEN 1 AND 400),
    completed_on    TEXT NOT NULL,
    certificate_ref TEXT NOT NULL,
    recorded_by     TEXT NOT NULL REFERENCES accounts (id),
    recorded_at     BIGINT NOT NULL,
    corrects        TEXT REFERENCES expert_training (id),
    voided_at       BIGINT,
    voided_by       TEXT REFERENCES accounts (id),
    void_reason     TEXT
);
CREATE INDEX expert_training_by_expert ON expert_training (expert_id, completed_on);
CREATE INDEX expert_training_by_day ON expert_training (completed_on);

-- The dated events behind the lifetime counters (attendances, declines, no-shows), written
-- with them, so that a year can be counted. Day resolution, no tender named: like
-- expert_selections, the table does not link an expert to a tender.
CREATE TABLE expert_counted_events (
    expert_id TEXT NOT NULL REFERENCES experts (id),
    kind      TEXT NOT NULL CHECK (kind IN ('attendance', 'decline', 'no_show')),
    day       BIGINT NOT NULL
);
CREATE INDEX expert_counted_events_by_day ON expert_counted_events (day, expert_id);

-- One annual assessment per year: computed (and recomputable) until an admin confirms it;
-- confirmed, it is final and its tiers are the experts' tiers.
CREATE TABLE assessments (
    year         INTEGER PRIMARY KEY,
    status       TEXT NOT NULL CHECK (status IN ('computed', 'confirmed')),
    formula      TEXT NOT NULL,
    experts      BIGINT NOT NULL,
    computed_at  BIGINT NOT NULL,
    computed_by  TEXT NOT NULL REFERENCES accounts (id),
    confirmed_at BIGINT,
    confirmed_by TEXT REFERENCES accounts (id)
);

-- Each expert's inputs, score (in hundredths of a point) and tiers for one year.
CREATE TABLE assessment_results (
    year               INTEGER NOT NULL REFERENCES assessments (year),
    expert_id          TEXT NOT NULL REFERENCES experts (id),
    ratings            INTEGER NOT NULL,
    rating_points      BIGINT NOT NULL,
    attendances        INTEGER NOT NULL,
    declines           INTEGER NOT NULL,
    no_shows           INTEGER NOT NULL,
    penalties          INTEGER NOT NULL,
    training_half_hours INTEGER NOT NULL,
    score_centi        BIGINT NOT NULL,
    proposed_tier      TEXT NOT NULL CHECK (proposed_tier IN ('A', 'B', 'C')),
    tier               TEXT NOT NULL CHECK (tier IN ('A', 'B', 'C')),
    adjust_reason      TEXT,
    adjusted_by        TEXT REFERENCES accounts (id),
    adjusted_at        BIGINT,
    PRIMARY KEY (year, expert_id)
);
