-- Issue 16 §2: the evaluation method decides how the report ranks the bids (comprehensive
-- scoring by total; lowest evaluated price by price among compliant bids).
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'comprehensive';

-- 实施条例 §51: a member proposes rejecting a bid on one of the statute's grounds, with
-- written reasons; the committee decides by a majority of its active members. The tally is
-- kept as it stood when the proposal was decided.
CREATE TABLE session_rejections (
    session_id    TEXT NOT NULL REFERENCES sessions (id),
    number        INTEGER NOT NULL,
    bidder        TEXT NOT NULL,
    ground        TEXT NOT NULL,
    reasons       TEXT NOT NULL,
    proposer_seat INTEGER NOT NULL,
    state         TEXT NOT NULL,
    votes_for     INTEGER,
    votes_against INTEGER,
    members       INTEGER,
    proposed_at   BIGINT NOT NULL,
    decided_at    BIGINT,
    PRIMARY KEY (session_id, number)
);

CREATE TABLE session_rejection_votes (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    number     INTEGER NOT NULL,
    seat       INTEGER NOT NULL,
    reject     BOOLEAN NOT NULL,
    voted_at   BIGINT NOT NULL,
    PRIMARY KEY (session_id, number, seat)
);
