//! Rejected bids (否决投标, 实施条例 §51): a member proposes rejecting a bid on one of the
//! statute's grounds with written reasons, the members vote, and a majority of the active
//! members decides. A rejected bid is out of the scoring, the summary and the ranking; every
//! proposal, vote and decision is an event, an audit entry and a line of the report.

use super::{Loaded, SessionService, Writer, wrong_phase};
use crate::audit::{Actor, AuditEntry};
use crate::session::events::{Audience, SessionEvent};
use crate::session::protocol::Outcome;
use crate::session::rules::{self, Phase};
use crate::session::{Member, RejectionGround, RejectionState, SessionError, invalid};
use crate::store::sessions::{RejectionRow, RejectionVoteRow};

impl SessionService {
    #[expect(
        clippy::too_many_arguments,
        reason = "one request's fields, passed as they were parsed"
    )]
    pub(super) async fn propose_rejection(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        seat: u32,
        bidder: &str,
        ground: &str,
        reasons: &str,
    ) -> Result<Outcome, SessionError> {
        self.may_vote_on_rejections(loaded, seat)?;
        if !loaded.bidders.iter().any(|b| b == bidder) {
            return Err(invalid(
                "bidder",
                format!(
                    "not a bidder of this session (one of: {})",
                    loaded.bidders.join(", ")
                ),
            ));
        }
        let Some(ground) = RejectionGround::parse(ground) else {
            return Err(invalid(
                "ground",
                format!(
                    "must be one of the grounds of 实施条例 §51: {}",
                    RejectionGround::NAMES.join(", ")
                ),
            ));
        };
        rules::check_text("reasons", reasons, rules::MAX_TEXT_CHARS)
            .map_err(|(f, p)| invalid(f, p))?;
        let reasons = reasons.trim();
        if reasons.chars().count() < rules::MIN_DISSENT_CHARS {
            return Err(invalid(
                "reasons",
                format!(
                    "must be at least {} characters: a rejection needs written reasons",
                    rules::MIN_DISSENT_CHARS
                ),
            ));
        }
        if loaded.rejected(bidder) {
            return Err(SessionError::Conflict(format!(
                "the committee has already rejected {bidder}'s bid"
            )));
        }
        if let Some(open) = loaded
            .rejections
            .iter()
            .find(|r| r.bidder == bidder && r.state == RejectionState::Open)
        {
            return Err(SessionError::Conflict(format!(
                "proposal {} to reject {bidder}'s bid is still open; vote on it",
                open.number
            )));
        }
        let number = loaded.rejections.len() as i32 + 1;
        let row = RejectionRow {
            number,
            bidder: bidder.to_owned(),
            ground,
            reasons: reasons.to_owned(),
            proposer_seat: seat as i32,
            state: RejectionState::Open,
            votes_for: None,
            votes_against: None,
            members: None,
            proposed_at: writer.now,
            decided_at: None,
        };
        writer.tx.insert_rejection(&loaded.row.id, &row).await?;
        loaded.rejections.push(row);
        let members = loaded.active_seats().count() as u32;
        writer
            .event(
                &Audience::all(),
                SessionEvent::RejectionProposed {
                    proposal: number as u32,
                    seat,
                    bidder: bidder.to_owned(),
                    ground,
                    reasons: reasons.to_owned(),
                    members,
                },
            )
            .await?;
        writer
            .audit(
                AuditEntry::new("session.rejection_proposed", writer.now, member.actor())
                    .data("proposal", number)
                    .data("seat", seat)
                    .data("bidder", bidder)
                    .data("ground", ground.as_str())
                    .data(
                        &self.keys.suite().digest_field("reasons"),
                        self.keys.suite().hex_hash(reasons.as_bytes()),
                    ),
            )
            .await?;
        // Proposing is voting to reject: the proposer is not asked again.
        self.record_rejection_vote(writer, loaded, member, seat, number, true)
            .await
    }

    pub(super) async fn vote_rejection(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        seat: u32,
        proposal: u32,
        reject: bool,
    ) -> Result<Outcome, SessionError> {
        self.may_vote_on_rejections(loaded, seat)?;
        let Some(row) = loaded
            .rejections
            .iter()
            .find(|r| r.number as u32 == proposal)
        else {
            return Err(invalid("proposal", "no such rejection proposal"));
        };
        if row.state != RejectionState::Open {
            return Err(SessionError::Conflict(format!(
                "proposal {proposal} has already been decided ({})",
                row.state
            )));
        }
        if loaded
            .rejection_votes
            .iter()
            .any(|v| v.number as u32 == proposal && v.seat as u32 == seat)
        {
            return Err(SessionError::Conflict(format!(
                "{} has already voted on proposal {proposal}",
                loaded.label(seat)
            )));
        }
        self.record_rejection_vote(writer, loaded, member, seat, proposal as i32, reject)
            .await
    }

    /// Who may propose and vote: an active member who has declared no conflict, during the
    /// evaluation (the summary waits for every proposal's decision).
    fn may_vote_on_rejections(&self, loaded: &Loaded, seat: u32) -> Result<(), SessionError> {
        if loaded.phase != Phase::Evaluation {
            return Err(wrong_phase(
                loaded.phase,
                "bids are rejected during the evaluation",
            ));
        }
        let row = self.active_seat(loaded, seat)?;
        if row.declared_at.is_none() {
            return Err(SessionError::Conflict(
                "declare (no conflict of interest) before deciding on bids".into(),
            ));
        }
        Ok(())
    }

    /// Records a vote, and decides the proposal once a majority of the active members has
    /// rejected the bid or can no longer do so. Only the active members' votes count: a
    /// replaced member's conclusions are void.
    async fn record_rejection_vote(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        seat: u32,
        number: i32,
        reject: bool,
    ) -> Result<Outcome, SessionError> {
        writer
            .tx
            .insert_rejection_vote(&loaded.row.id, number, seat as i32, reject, writer.now)
            .await?;
        loaded.rejection_votes.push(RejectionVoteRow {
            number,
            seat: seat as i32,
            reject,
        });
        writer
            .event(
                &Audience::all(),
                SessionEvent::RejectionVoted {
                    proposal: number as u32,
                    seat,
                    reject,
                },
            )
            .await?;
        writer
            .audit(
                AuditEntry::new("session.rejection_vote", writer.now, member.actor())
                    .data("proposal", number)
                    .data("seat", seat)
                    .data("reject", reject),
            )
            .await?;
        let active: Vec<i32> = loaded.active_seats().map(|s| s.seat).collect();
        let counted = |wanted: bool| {
            loaded
                .rejection_votes
                .iter()
                .filter(|v| v.number == number && v.reject == wanted && active.contains(&v.seat))
                .count()
        };
        let (votes_for, votes_against, members) = (counted(true), counted(false), active.len());
        let state = rules::rejection_outcome(votes_for, votes_against, members);
        let row = loaded
            .rejections
            .iter_mut()
            .find(|r| r.number == number)
            .ok_or_else(|| crate::session::corrupt("a vote on a proposal not loaded"))?;
        if state != RejectionState::Open {
            row.state = state;
            row.votes_for = Some(votes_for as i32);
            row.votes_against = Some(votes_against as i32);
            row.members = Some(members as i32);
            row.decided_at = Some(writer.now);
            let row = row.clone();
            writer.tx.decide_rejection(&loaded.row.id, &row).await?;
            writer
                .event(
                    &Audience::all(),
                    SessionEvent::RejectionDecided {
                        proposal: number as u32,
                        bidder: row.bidder.clone(),
                        ground: row.ground,
                        state,
                        votes_for: votes_for as u32,
                        votes_against: votes_against as u32,
                        members: members as u32,
                    },
                )
                .await?;
            writer
                .audit(
                    AuditEntry::new("session.rejection_decided", writer.now, Actor::System)
                        .data("proposal", number)
                        .data("bidder", &row.bidder)
                        .data("ground", row.ground.as_str())
                        .data("state", state.as_str())
                        .data("for", votes_for)
                        .data("against", votes_against)
                        .data("members", members),
                )
                .await?;
        }
        let bidder = loaded
            .rejections
            .iter()
            .find(|r| r.number == number)
            .map(|r| r.bidder.clone())
            .unwrap_or_default();
        Ok(Outcome::Rejection {
            proposal: number as u32,
            bidder,
            state,
            votes_for: votes_for as u32,
            votes_against: votes_against as u32,
            members: members as u32,
        })
    }
}
