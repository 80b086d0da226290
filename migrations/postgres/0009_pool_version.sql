-- A counter bumped by every change to what a draw's filter reads from experts and their
-- specialties, so each server instance can keep those rows in memory and know, with one cheap
-- read inside a draw's snapshot, whether its copy is still the pool's state.
CREATE TABLE pool_state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO pool_state (id, version) VALUES (1, 0);
