-- A stratum whose sub-venue the server chooses at random (issue 15, DRAW-SPEC §7a): at the
-- result, the candidates whose centers accepted and the venue chosen among them by the seed.
-- The verification record is rebuilt from this row, and seats and invitations follow it.
CREATE TABLE draw_venue_choices (
    draw_id TEXT NOT NULL REFERENCES draws (id),
    stratum INTEGER NOT NULL,
    venue_id TEXT NOT NULL,
    accepted_json TEXT NOT NULL,
    chosen_at BIGINT NOT NULL,
    PRIMARY KEY (draw_id, stratum)
);
