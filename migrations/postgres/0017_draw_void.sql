-- A root draw bound to venues whose sub-venue refused before it executed is void (issue 15):
-- it never executed, so no result or secret was revealed, and its tender may get a new root
-- draw, which the one-root index now lets in. Only an unexecuted draw is ever void; its status
-- stays awaiting_entropy and nothing executes it.
ALTER TABLE draws ADD COLUMN void_reason TEXT;
ALTER TABLE draws ADD COLUMN voided_at BIGINT;
DROP INDEX draws_one_root_per_tender;
CREATE UNIQUE INDEX draws_one_root_per_tender ON draws (tender_key)
    WHERE parent_draw_id IS NULL AND tender_key IS NOT NULL AND voided_at IS NULL;
-- A new root draw for a tender looks for its void predecessors (to name the newest).
CREATE INDEX draws_void_by_tender ON draws (tender_key) WHERE voided_at IS NOT NULL;
