-- The venue catalogue (docs/VENUES.md): each trading center's evaluation rooms, the
-- workstations sessions and draws hold in them for an evaluation window, and the consent a
-- center gives before another center uses its room as a sub-venue. Rows are never deleted: a
-- booking and a consent only move to a final state.
CREATE TABLE venues (
    id             TEXT PRIMARY KEY,
    center_id      TEXT NOT NULL REFERENCES accounts (id),
    name           TEXT NOT NULL,
    address        TEXT NOT NULL,
    -- A county-level division of Hubei (GB/T 2260), from the bundled list.
    region_code    TEXT NOT NULL,
    workstations   INTEGER NOT NULL CHECK (workstations > 0),
    remote_capable BOOLEAN NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'closed_for_maintenance')),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (center_id, name)
);
CREATE INDEX venues_by_region ON venues (region_code);

-- Workstations held for a holder (a session or a draw) over [starts_at, ends_at), Unix ms.
-- Only held rows count against a venue's workstations; a writer locks the venue first.
CREATE TABLE venue_bookings (
    id           TEXT PRIMARY KEY,
    venue_id     TEXT NOT NULL REFERENCES venues (id),
    center_id    TEXT NOT NULL REFERENCES accounts (id),
    holder_kind  TEXT NOT NULL CHECK (holder_kind IN ('session', 'draw')),
    holder_id    TEXT NOT NULL,
    starts_at    BIGINT NOT NULL,
    ends_at      BIGINT NOT NULL,
    workstations INTEGER NOT NULL CHECK (workstations > 0),
    state        TEXT NOT NULL CHECK (state IN ('held', 'released', 'cancelled', 'refused')),
    created_at   BIGINT NOT NULL,
    released_at  BIGINT,
    CHECK (starts_at < ends_at)
);
CREATE INDEX venue_bookings_by_venue ON venue_bookings (venue_id, state, ends_at);
CREATE INDEX venue_bookings_by_holder ON venue_bookings (holder_kind, holder_id);
CREATE UNIQUE INDEX venue_bookings_one_per_holder ON venue_bookings (venue_id, holder_kind, holder_id) WHERE state = 'held';

-- A center's request to use another center's venue as a sub-venue, answered once by the
-- venue's center; a refusal releases the booking. Withdrawn: the booking was cancelled first.
CREATE TABLE venue_consents (
    id           TEXT PRIMARY KEY,
    booking_id   TEXT NOT NULL UNIQUE REFERENCES venue_bookings (id),
    venue_id     TEXT NOT NULL REFERENCES venues (id),
    requester_id TEXT NOT NULL REFERENCES accounts (id),
    holder_kind  TEXT NOT NULL CHECK (holder_kind IN ('session', 'draw')),
    holder_id    TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('requested', 'accepted', 'refused', 'withdrawn')),
    reason       TEXT,
    answered_by  TEXT REFERENCES accounts (id),
    answered_at  BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX venue_consents_by_venue ON venue_consents (venue_id, state);
CREATE INDEX venue_consents_by_holder ON venue_consents (holder_kind, holder_id);
CREATE INDEX venue_consents_by_requester ON venue_consents (requester_id, created_at);

-- A session's venue may be one of the catalogue's, whose workstations it then holds.
ALTER TABLE session_venues ADD COLUMN venue_id TEXT REFERENCES venues (id);
