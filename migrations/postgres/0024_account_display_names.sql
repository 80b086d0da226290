-- The name a supervisor's or admin's account is shown and picked by (issue 24 §2), e.g.
-- "张伟（襄阳市住建局）": others pick supervisors from a list instead of typing usernames. A
-- center's name stays its center_name; experts' accounts have none (they stay anonymous).
ALTER TABLE accounts ADD COLUMN display_name TEXT;
