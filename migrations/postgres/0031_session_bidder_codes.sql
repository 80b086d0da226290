-- Issue 21 §1: a bidder is named in a session by its label and, when the center gives it, its
-- unified social credit code (GB 32100, checked on entry), so that supervision's statistics
-- follow one company across projects. Sessions opened before, or without codes, have no rows.
CREATE TABLE session_bidders (
    session_id  TEXT NOT NULL REFERENCES sessions (id),
    label       TEXT NOT NULL,
    credit_code TEXT NOT NULL,
    PRIMARY KEY (session_id, label),
    UNIQUE (session_id, credit_code)
);
CREATE INDEX session_bidders_by_code ON session_bidders (credit_code);
