-- Issue 16 §4: a postponement names the evaluation's new start (and length, if it changes).
ALTER TABLE draw_interruptions ADD COLUMN new_start BIGINT;
ALTER TABLE draw_interruptions ADD COLUMN new_minutes INTEGER;
