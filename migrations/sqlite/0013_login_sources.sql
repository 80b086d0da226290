-- Login throttling per username and client address: failures from one address make only that
-- address wait (doubling waits), so a guesser cannot lock the owner out from elsewhere; a
-- successful login marks the address as known to the account. The subject is a keyed blind
-- index of the lower-cased username and the address (an IPv6 /64): the table reveals neither.
-- `blocked_until` also holds an attempt while its password is checked, so one address has one
-- guess in flight at a time.
CREATE TABLE login_sources (
    subject         TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at BIGINT NOT NULL,
    blocked_until   BIGINT NOT NULL,
    last_success_at BIGINT NOT NULL
);

-- The per-username counts are now keyed by the same kind of blind index instead of a plain
-- SHA-256 of the name (which anyone can compute); the old rows would never match again.
DELETE FROM login_throttle;
