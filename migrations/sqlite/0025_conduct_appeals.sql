-- Ratings from everyone the statute names, on-site evaluations too, and appeals (issue 16 §6).
--
-- expert_conduct gains an id (what the expert sees and appeals), who rated in which capacity
-- (host / supervisor / center), the three marks, and withdrawn_at: a rating withdrawn on appeal
-- stays on record but leaves the credit score. It still names no session or draw, so the table
-- does not link experts to tenders. Rows written before this migration have no id and cannot
-- be appealed (they were never shown to experts).
ALTER TABLE expert_conduct ADD COLUMN id TEXT;
ALTER TABLE expert_conduct ADD COLUMN rater_role TEXT;
ALTER TABLE expert_conduct ADD COLUMN punctuality INTEGER;
ALTER TABLE expert_conduct ADD COLUMN diligence INTEGER;
ALTER TABLE expert_conduct ADD COLUMN discipline INTEGER;
ALTER TABLE expert_conduct ADD COLUMN withdrawn_at BIGINT;
CREATE UNIQUE INDEX expert_conduct_by_id ON expert_conduct (id) WHERE id IS NOT NULL;

-- An on-site evaluation's ratings (a draw without a session), by seat token: one per rater
-- per seat, after the evaluation window has ended.
CREATE TABLE draw_ratings (
    draw_id     TEXT NOT NULL REFERENCES draws (id),
    token       TEXT NOT NULL,
    rater_id    TEXT NOT NULL REFERENCES accounts (id),
    punctuality INTEGER NOT NULL,
    diligence   INTEGER NOT NULL,
    discipline  INTEGER NOT NULL,
    rated_at    BIGINT NOT NULL,
    PRIMARY KEY (draw_id, token, rater_id)
);

-- An expert's appeal of one rating, decided by a supervisor: upheld (the rating stands) or
-- granted (the rating is withdrawn from the credit score).
CREATE TABLE rating_appeals (
    id              TEXT PRIMARY KEY,
    conduct_id      TEXT NOT NULL UNIQUE,
    expert_id       TEXT NOT NULL REFERENCES experts (id),
    reason          TEXT NOT NULL,
    filed_at        BIGINT NOT NULL,
    status          TEXT NOT NULL,
    decided_by      TEXT REFERENCES accounts (id),
    decision_reason TEXT,
    decided_at      BIGINT
);
CREATE INDEX rating_appeals_by_status ON rating_appeals (status, filed_at);
