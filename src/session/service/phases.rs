//! Phase moves and what each produces: the seat assignment at check-in, the revealed sheets and
//! their summary, the report to sign, and the signed report the closing entry commits to.

use serde_json::{Value, json};

use super::{Loaded, SessionService, Writer, is_session_id, load, secret_context};
use crate::audit::{Actor, AuditEntry};
use crate::auth::Principal;
use crate::clock::to_rfc3339;
use crate::session::events::{Audience, Placement, SessionEvent};
use crate::session::protocol::Outcome;
use crate::session::rules::{self, Phase, ScoreSheet};
use crate::session::{
    Assignment, Member, SeatState, SessionError, SessionMode, SignatureKind, corrupt,
};
use crate::store::pool::ExpertCounter;
use crate::store::sessions::{ClarificationListRow, SeatAct};

/// The report's format: v2 adds the committee, rejected bids, ranking, candidates,
/// clarifications and extensions to v1 (docs/PROTOCOL.md §10).
const REPORT_FORMAT: &str = "sealdraw-session-report-v2";
use crate::venue::{BookingState, Holder, bookings};

impl SessionService {
    pub(super) async fn advance(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        to: Phase,
    ) -> Result<Outcome, SessionError> {
        let mut facts = loaded.facts();
        facts.signing_deadline_passed = loaded
            .row
            .signing_deadline
            .is_some_and(|deadline| writer.now >= deadline);
        if to == Phase::CheckIn && loaded.row.assignment == Assignment::Random {
            facts.assignment_needs_entropy = writer
                .tx
                .session_contributions(&loaded.row.id)
                .await?
                .is_empty();
        }
        if to == Phase::CheckIn {
            facts.venues_without_consent =
                bookings::consent_outstanding(writer.tx, &Holder::session(&loaded.row.id))
                    .await?
                    .iter()
                    .map(ToString::to_string)
                    .collect();
        }
        let mut missing = rules::check_move(&facts, to).map_err(|e| SessionError::WrongPhase {
            phase: loaded.phase.as_str(),
            detail: e.to_string(),
        })?;
        if !missing.is_empty() {
            loaded.label_missing(&mut missing);
            return Err(SessionError::Preconditions {
                to: to.as_str(),
                missing,
            });
        }
        let from = loaded.phase;
        let mut report_sha256 = None;
        match to {
            Phase::CheckIn => self.assign_seats(writer, loaded).await?,
            Phase::Summary => {
                let summary = self.summary(loaded);
                let audience = loaded.committee_audience();
                writer
                    .event(&audience, SessionEvent::SheetsRevealed { bidders: summary })
                    .await?;
            }
            Phase::Signing => {
                let clarifications = writer.tx.session_clarifications(&loaded.row.id).await?;
                let report = self.report(loaded, &clarifications, false);
                let bytes = crate::audit::entry::canonical_json(&report).map_err(corrupt)?;
                let digest = rules::report_digest(self.keys.suite(), &bytes);
                let text = String::from_utf8(bytes).map_err(corrupt)?;
                writer
                    .tx
                    .set_session_report(&loaded.row.id, &text, &digest, None)
                    .await?;
                loaded.row.report_sha256 = Some(digest.to_vec());
                let deadline = writer.now + i64::from(self.settings.signing_minutes) * 60_000;
                writer
                    .tx
                    .set_signing_deadline(&loaded.row.id, Some(deadline))
                    .await?;
                loaded.row.signing_deadline = Some(deadline);
                let audience = loaded.committee_audience();
                writer
                    .event(
                        &audience,
                        SessionEvent::ReportReady {
                            report_sha256: hex::encode(digest),
                            suite: self.keys.suite(),
                            report,
                            signing_deadline: Some(to_rfc3339(deadline)),
                        },
                    )
                    .await?;
                report_sha256 = Some(hex::encode(digest));
            }
            Phase::Closed => {
                // Before any log entry of this move, in the order every writer takes pool
                // rows and the log's head.
                self.count_attendances(writer, loaded).await?;
                self.deem_agreement(writer, loaded).await?;
                let clarifications = writer.tx.session_clarifications(&loaded.row.id).await?;
                let report = self.report(loaded, &clarifications, true);
                let bytes = crate::audit::entry::canonical_json(&report).map_err(corrupt)?;
                let digest = rules::report_digest(self.keys.suite(), &bytes);
                let text = String::from_utf8(bytes).map_err(corrupt)?;
                let draft = loaded
                    .row
                    .report_sha256
                    .as_ref()
                    .map(hex::encode)
                    .unwrap_or_default();
                writer
                    .tx
                    .set_session_report(&loaded.row.id, &text, &digest, Some(writer.now))
                    .await?;
                writer
                    .event(
                        &Audience::all(),
                        SessionEvent::Closed {
                            report_sha256: hex::encode(digest),
                            signed_report_of: draft.clone(),
                        },
                    )
                    .await?;
                writer
                    .audit(
                        AuditEntry::new("session.closed", writer.now, member.actor())
                            .reference("draw", &loaded.row.draw_id)
                            .data(
                                &self.keys.suite().digest_field("report"),
                                hex::encode(digest),
                            )
                            .data(&self.keys.suite().digest_field("draft"), draft),
                    )
                    .await?;
                // The rooms are free for others once the evaluation is over, even if it ends
                // before the window it booked.
                bookings::release(
                    writer.tx,
                    member.actor(),
                    &Holder::session(&loaded.row.id),
                    BookingState::Released,
                    writer.now,
                )
                .await?;
                // A draw bound to venues holds them itself (the session took them from it).
                bookings::release(
                    writer.tx,
                    member.actor(),
                    &Holder::draw(&loaded.row.draw_id),
                    BookingState::Released,
                    writer.now,
                )
                .await?;
                report_sha256 = Some(hex::encode(digest));
            }
            _ => {}
        }
        writer.tx.set_session_phase(&loaded.row.id, to).await?;
        loaded.phase = to;
        writer
            .event(
                &Audience::all(),
                SessionEvent::PhaseChanged {
                    from,
                    to,
                    reason: None,
                },
            )
            .await?;
        writer
            .audit(
                AuditEntry::new("session.phase", writer.now, member.actor())
                    .data("from", from.as_str())
                    .data("to", to.as_str()),
            )
            .await?;
        Ok(Outcome::Advanced {
            from,
            to,
            report_sha256,
        })
    }

    /// 实施条例 §53 ¶2: at closing, past the signing deadline (the move is refused before it),
    /// every active member who has neither signed nor dissented is recorded as agreeing, each
    /// with its event and audit entry, before the signed report is made.
    /// Every drawn expert who sat through the evaluation attended it: the seats still active
    /// at closing, all checked in (the session moved past check-in only once they were). A
    /// tenderer's representative has no pool record to count on.
    async fn count_attendances(
        &self,
        writer: &mut Writer<'_>,
        loaded: &Loaded,
    ) -> Result<(), SessionError> {
        let mut experts = Vec::new();
        for row in loaded.active_seats() {
            if row.checked_in_at.is_none() || loaded.is_representative(row.seat as u32) {
                continue;
            }
            let candidate = writer
                .tx
                .draw_seat(&row.draw_id, &row.token)
                .await?
                .ok_or_else(|| corrupt("a session seat without its draw seat"))?;
            experts.push(self.draws.open_seat_expert(&row.draw_id, &candidate)?);
        }
        writer
            .tx
            .count_expert_event(&experts, ExpertCounter::Attendances, writer.now)
            .await?;
        Ok(())
    }

    async fn deem_agreement(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
    ) -> Result<(), SessionError> {
        let unsigned: Vec<u32> = loaded
            .active_seats()
            .filter(|seat| seat.signature.is_none())
            .map(|seat| seat.seat as u32)
            .collect();
        let draft = loaded
            .row
            .report_sha256
            .as_ref()
            .map(hex::encode)
            .unwrap_or_default();
        let deadline = loaded
            .row
            .signing_deadline
            .map(to_rfc3339)
            .unwrap_or_default();
        for seat in unsigned {
            writer
                .tx
                .set_seat_act(
                    &loaded.row.id,
                    seat as i32,
                    SeatAct::Signed {
                        signature: SignatureKind::DeemedAgree,
                        reasons: None,
                    },
                    writer.now,
                )
                .await?;
            if let Some(row) = loaded.seats.iter_mut().find(|s| s.seat as u32 == seat) {
                row.signature = Some(SignatureKind::DeemedAgree);
            }
            writer
                .event(
                    &Audience::all(),
                    SessionEvent::Signed {
                        seat,
                        signature: SignatureKind::DeemedAgree,
                        reasons: None,
                        signing_key: None,
                    },
                )
                .await?;
            writer
                .audit(
                    AuditEntry::new("session.deemed_agreement", writer.now, Actor::System)
                        .data("seat", seat)
                        .data(&self.keys.suite().digest_field("report"), &draft)
                        .data("signing_deadline", &deadline),
                )
                .await?;
        }
        writer.tx.set_signing_deadline(&loaded.row.id, None).await?;
        loaded.row.signing_deadline = None;
        Ok(())
    }

    /// Check-in opens: seats are placed in venues (random: the committed secret is revealed and
    /// mixed with the contributions; the entry carries everything needed to recompute it).
    pub(super) async fn assign_seats(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
    ) -> Result<(), SessionError> {
        if loaded.row.mode == SessionMode::Distributed {
            return Ok(());
        }
        // The tenderer's representatives sit at the main venue, the host's (PROTOCOL.md §9):
        // the drawn experts are placed in the seats left.
        let (representatives, active): (Vec<u32>, Vec<u32>) = loaded
            .active_seats()
            .map(|s| s.seat as u32)
            .partition(|seat| loaded.is_representative(*seat));
        let mut capacities: Vec<u32> = loaded.venues.iter().map(|v| v.seats as u32).collect();
        if let Some(main) = capacities.first_mut() {
            *main = main.saturating_sub(representatives.len() as u32);
        }
        let mut entry = AuditEntry::new("session.seats_assigned", writer.now, Actor::System)
            .data("assignment", loaded.row.assignment.as_str());
        let places = bound_places(writer.tx, loaded).await?;
        let placement = if !places.is_empty() {
            // A draw bound to venues: each member sits at their stratum's venue.
            entry = entry.data("placed_by", "stratum_venue");
            loaded
                .active_seats()
                .filter(|s| !loaded.is_representative(s.seat as u32))
                .map(|s| {
                    places
                        .get(&(s.draw_id.clone(), s.token.clone()))
                        .map(|venue| *venue as u32)
                })
                .collect::<Option<Vec<u32>>>()
        } else if loaded.row.assignment == Assignment::Random {
            let sealed = loaded
                .row
                .sealed_secret
                .as_ref()
                .ok_or_else(|| corrupt("a random assignment without its secret"))?;
            let secret = self.keys.open(&secret_context(&loaded.row.id), sealed)?;
            let contributions: Vec<Vec<u8>> = writer
                .tx
                .session_contributions(&loaded.row.id)
                .await?
                .into_iter()
                .map(|(_, _, bytes)| bytes)
                .collect();
            let seed =
                rules::assignment_seed(self.keys.suite(), &loaded.row.id, &secret, &contributions);
            entry = entry
                .data("secret", hex::encode(secret.as_slice()))
                .data(
                    "contributions",
                    contributions.iter().map(hex::encode).collect::<Vec<_>>(),
                )
                .data("seed", hex::encode(seed));
            rules::assign_venues(self.keys.suite(), &seed, active.len(), &capacities)
        } else {
            rules::assign_in_order(active.len(), &capacities)
        }
        .ok_or_else(|| corrupt("the venues seat fewer than the committee"))?;
        let mut assigned = Vec::new();
        let at_main = vec![0u32; representatives.len()];
        for (seat, venue) in active
            .iter()
            .zip(&placement)
            .chain(representatives.iter().zip(&at_main))
        {
            writer
                .tx
                .set_seat_venue(&loaded.row.id, *seat as i32, *venue as i32)
                .await?;
            if let Some(row) = loaded.seats.iter_mut().find(|s| s.seat as u32 == *seat) {
                row.venue = Some(*venue as i32);
            }
            assigned.push(Placement {
                seat: *seat,
                venue: *venue,
            });
        }
        let entry = entry.data("placement", &assigned);
        writer
            .event(
                &Audience::all(),
                SessionEvent::SeatsAssigned { seats: assigned },
            )
            .await?;
        writer.audit(entry).await?;
        Ok(())
    }

    pub(super) fn summary(&self, loaded: &Loaded) -> Vec<rules::BidderSummary> {
        let sheets: Vec<(u32, ScoreSheet)> = loaded
            .sheets
            .iter()
            .filter(|(seat, _)| {
                loaded
                    .seat(**seat as u32)
                    .is_some_and(|s| s.state == SeatState::Active)
            })
            .flat_map(|(seat, sheets)| sheets.iter().map(move |s| (*seat as u32, s.clone())))
            .collect();
        // A rejected bid is out of the scoring: its sheets stay on record but not here.
        rules::summarise(
            &loaded.scored_bidders(),
            &sheets,
            loaded.row.deviation_percent as u32,
        )
    }

    /// The evaluation report (docs/PROTOCOL.md §10): the committee, every seat, the rejected
    /// bids and the proposals that failed with each member's vote, the summary of the bids
    /// still scored, their ranking and the recommended candidates, the clarifications and the
    /// extensions; with `signed`, every member's signature or dissent and the draft it signed.
    pub(super) fn report(
        &self,
        loaded: &Loaded,
        clarifications: &[ClarificationListRow],
        signed: bool,
    ) -> Value {
        let seats: Vec<Value> = loaded
            .seats
            .iter()
            .map(|s| {
                let mut seat = json!({
                    "seat": s.seat,
                    "label": loaded.label(s.seat as u32),
                    "venue": s.venue,
                    "state": s.state,
                });
                // A representative has no draw token; their seat says what it is instead.
                if loaded.is_representative(s.seat as u32) {
                    seat["representative"] = json!(true);
                } else {
                    seat["token"] = json!(hex::encode(&s.token));
                }
                if s.state == SeatState::Void {
                    seat["void_reason"] = json!(s.void_reason);
                }
                if signed && s.state == SeatState::Active {
                    seat["signature"] = json!(s.signature);
                    if let Some(reasons) = &s.dissent_reasons {
                        seat["dissent_reasons"] = json!(reasons);
                    }
                }
                seat
            })
            .collect();
        // Seat labels only: the report goes to the center too, and experts stay anonymous.
        let committee: Vec<Value> = loaded
            .active_seats()
            .map(|s| {
                json!({
                    "seat": s.seat,
                    "label": loaded.label(s.seat as u32),
                    "role": if loaded.is_representative(s.seat as u32) { "representative" } else { "expert" },
                    "chair": loaded.row.chair_seat == Some(s.seat),
                })
            })
            .collect();
        let rejections: Vec<Value> = loaded
            .rejections
            .iter()
            .map(|r| {
                let votes: Vec<Value> = loaded
                    .rejection_votes
                    .iter()
                    .filter(|v| v.number == r.number)
                    .map(|v| json!({"seat": v.seat, "reject": v.reject}))
                    .collect();
                json!({
                    "proposal": r.number,
                    "bidder": r.bidder,
                    "ground": r.ground,
                    "ground_item": r.ground.item(),
                    "ground_text": r.ground.wording(),
                    "reasons": r.reasons,
                    "proposed_by": r.proposer_seat,
                    "state": r.state,
                    "votes": votes,
                    "votes_for": r.votes_for,
                    "votes_against": r.votes_against,
                    "members": r.members,
                })
            })
            .collect();
        let summary = self.summary(loaded);
        let ranking = rules::rank_bids(loaded.row.method, &summary);
        let candidates = rules::candidates(&ranking);
        let clarifications: Vec<Value> = clarifications
            .iter()
            .map(|c| {
                json!({
                    "number": c.number,
                    "seat": c.seat,
                    "bidder": c.bidder,
                    "question": c.question,
                    "state": c.state,
                })
            })
            .collect();
        let extensions: Vec<Value> = loaded
            .extensions
            .iter()
            .map(|e| {
                json!({
                    "number": e.number,
                    "minutes": e.minutes,
                    "declared": e.declared,
                    "members": e.members,
                    "extended_at": to_rfc3339(e.extended_at),
                })
            })
            .collect();
        let mut report = json!({
            "format": REPORT_FORMAT,
            "session_id": loaded.row.id,
            "draw_id": loaded.row.draw_id,
            "mode": loaded.row.mode,
            "method": loaded.row.method,
            "venues": loaded.venues.iter().filter(|v| v.seats > 0).map(|v| json!({"venue": v.venue, "name": v.name})).collect::<Vec<_>>(),
            "chair": loaded.row.chair_seat,
            "committee": committee,
            "bidders": loaded.bidders,
            "criteria": loaded.criteria,
            "deviation_percent": loaded.row.deviation_percent,
            "seats": seats,
            "rejections": rejections,
            "summary": summary,
            "ranking": ranking,
            "candidates": candidates,
            "clarifications": clarifications,
            "extensions": extensions,
            "ends_at": to_rfc3339(loaded.ends_at()),
        });
        if signed {
            report["draft_sha256"] = json!(loaded.row.report_sha256.as_ref().map(hex::encode));
        }
        report
    }

    /// The report, to the committee, the host, operators and supervisors, once it exists.
    pub(crate) async fn report_of(
        &self,
        who: &Principal,
        session_id: &str,
    ) -> Result<Value, SessionError> {
        if !is_session_id(session_id) {
            return Err(SessionError::NotFound);
        }
        let mut tx = self.store.read().await?;
        let loaded = load(&mut tx, session_id).await?;
        self.role_of(&mut tx, &loaded, who).await?;
        tx.rollback().await?;
        let text = loaded.row.report_json.clone().ok_or_else(|| {
            SessionError::Conflict("the report is made when the session reaches signing".into())
        })?;
        let report: Value = serde_json::from_str(&text).map_err(corrupt)?;
        Ok(json!({
            "phase": loaded.phase,
            "report_sha256": loaded.row.report_sha256.as_ref().map(hex::encode),
            "suite": self.keys.suite(),
            "final": loaded.phase == Phase::Closed,
            "report": report,
        }))
    }
}

/// Where each member of a draw bound to venues sits: the session's venue number by (draw id,
/// token), from the venue of the member's stratum (a linked draw's, its root's). Empty when the
/// draw binds no stratum (seats are then placed as the session's assignment says).
pub(super) async fn bound_places(
    tx: &mut crate::store::Tx,
    loaded: &Loaded,
) -> Result<std::collections::HashMap<(String, Vec<u8>), i32>, SessionError> {
    let mut places = std::collections::HashMap::new();
    let draw = tx
        .draw(&loaded.row.draw_id)
        .await?
        .ok_or_else(|| corrupt("a session without its draw"))?;
    let venues = crate::draw::service::stratum_venues(tx, &draw).await?;
    if venues.iter().all(Option::is_none) {
        return Ok(places);
    }
    for (draw_id, token, _, stratum) in tx.family_seats(&loaded.row.draw_id).await? {
        let Some(Some(venue_id)) = usize::try_from(stratum).ok().and_then(|i| venues.get(i)) else {
            continue;
        };
        if let Some(venue) = loaded
            .venues
            .iter()
            .find(|v| v.venue_id.as_deref() == Some(venue_id.as_str()))
        {
            places.insert((draw_id, token), venue.venue);
        }
    }
    Ok(places)
}
