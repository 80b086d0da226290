-- Issue 21 §1: what a root draw's request says about its project, for supervision's
-- statistics: the kind of procurement (works, goods, services), whether government money pays
-- for it, its estimated value band, and its national transaction code. Draws made before, and
-- requests that say nothing of it, have no row.
CREATE TABLE draw_projects (
    draw_id             TEXT PRIMARY KEY REFERENCES draws (id),
    category            TEXT,
    government_invested BOOLEAN,
    value_band          TEXT,
    transaction_code    TEXT
);
