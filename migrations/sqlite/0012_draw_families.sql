-- No re-roll, no double seat, records that prove their whole history (issue 17,
-- docs/DRAW-SPEC.md §5 and §9b).
--
-- spec_version: 1 for draws made before this migration (intent sealdraw-draw-v1), 2 after.
-- tender_key: hex of the intent's tender commitment (reference and lot, normalised); NULL for
-- v1 rows, which the service still compares by reference. One root draw per tender: the
-- unique index makes a second one fail even when two requests race on two instances.
-- lot: the 标段 the draw is for ('' when the tender has one).
-- family_excluded: a v2 linked draw's excluded family tokens, 32 bytes each, sorted.
ALTER TABLE draws ADD COLUMN spec_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE draws ADD COLUMN lot TEXT NOT NULL DEFAULT '';
ALTER TABLE draws ADD COLUMN tender_key TEXT;
ALTER TABLE draws ADD COLUMN family_excluded BLOB;
CREATE UNIQUE INDEX draws_one_root_per_tender ON draws (tender_key)
    WHERE parent_draw_id IS NULL AND tender_key IS NOT NULL;
CREATE INDEX draws_by_tender_reference ON draws (tender_reference);

-- Every audit entry of a v2 draw family (the root draw and its linked draws), numbered in log
-- order: entry seq names the leaf hash of entry seq-1 in its data.family.prev, and the
-- published record lists them all, so a verifier detects a gap or a missing tail.
CREATE TABLE draw_family_entries (
    root_draw_id TEXT NOT NULL REFERENCES draws (id),
    seq          BIGINT NOT NULL,
    draw_id      TEXT NOT NULL REFERENCES draws (id),
    kind         TEXT NOT NULL,
    log_index    BIGINT NOT NULL,
    leaf         BLOB NOT NULL,
    PRIMARY KEY (root_draw_id, seq)
);
