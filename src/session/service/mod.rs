//! The session's operations over the store and the audit log. Each runs in one transaction
//! that holds the session's lock, writes its numbered events and its audit entries, and only
//! then wakes the hub, which reads the events back from the table and fans them out.

mod access;
mod acts;
mod create;
mod holds;
mod phases;
mod ratings;
mod rejections;
mod representatives;
mod seats;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::events::{Audience, SessionEvent};
use super::protocol::{ClientFrame, Outcome, Request, ServerFrame};
use super::rules::{self, Criterion, Phase, ScoreSheet, SeatFacts, SessionFacts, Signature};
use super::slots::ConnectionSlots;
use super::{
    Hub, Member, SeatState, SessionError, SessionRole, SessionSeatView, SessionView, SheetState,
    SignatureKind, VenueView, corrupt, invalid, seat_label,
};
use crate::audit::{self, AuditEntry};
use crate::auth::{Principal, Role};
use crate::clock::{Millis, SharedClock, to_rfc3339};
use crate::config::SessionSettings;
use crate::crypto::{KeyRing, Rng};
use crate::deps::Deps;
use crate::draw::service::{DrawService, PendingReplacement};
use crate::draw::{CandidateState, VacancyReason};
use crate::notify::invitations::expert_tag;
use crate::store::sessions::{
    ExtensionRow, RejectionRow, RejectionVoteRow, RepresentativeRow, SeatRow, SessionRow, VenueRow,
};
use crate::store::{Store, Tx};

/// Seats a venue may have.
const MAX_VENUE_SEATS: u32 = 50;
const MAX_VENUES: usize = 20;
const MAX_SUPERVISORS: usize = 10;

pub(crate) struct SessionService {
    store: Store,
    clock: SharedClock,
    rng: Rng,
    keys: Arc<KeyRing>,
    draws: Arc<DrawService>,
    hub: Arc<Hub>,
    slots: ConnectionSlots,
    settings: SessionSettings,
    /// The CAs that vouch for members' certificate keys, checked again at every signature.
    certificate_authorities: Arc<crate::crypto::member_certificate::MemberCertificateAuthorities>,
}

/// A request's answer as kept for its retries: bound to the request it answered.
#[derive(Serialize, Deserialize)]
struct StoredReply<R> {
    request_sha256: String,
    result: R,
}

/// What [`SessionService::events_after`] read.
pub(crate) struct EventsAfter {
    pub(crate) events: Vec<super::StoredEvent>,
    /// The number of the last event read, seen by the member or not.
    pub(crate) last: i64,
    /// The last event read vacated the member's seat.
    pub(crate) vacated: bool,
}

/// A session with everything a decision needs, read under its lock.
struct Loaded {
    row: SessionRow,
    phase: Phase,
    venues: Vec<VenueRow>,
    supervisors: Vec<String>,
    seats: Vec<SeatRow>,
    /// The draw family's seat states by (draw id, token).
    family: HashMap<(String, Vec<u8>), CandidateState>,
    bidders: Vec<String>,
    criteria: Vec<Criterion>,
    committee_size: usize,
    /// Live sheets by seat.
    sheets: BTreeMap<i32, Vec<ScoreSheet>>,
    /// Entropy contributions received for a random seat assignment.
    contributions: usize,
    /// The end of the draw's evaluation window, before any extension.
    scheduled_end: Millis,
    /// The tender the session evaluates, as everyone in it already knows it (the invitation
    /// named it): shown instead of ids.
    tender_reference: String,
    tender_name: String,
    extensions: Vec<ExtensionRow>,
    /// Seats that declared the time insufficient toward the next extension.
    time_declared: Vec<i32>,
    /// Proposals to reject a bid (实施条例 §51), and every vote cast on them.
    rejections: Vec<RejectionRow>,
    rejection_votes: Vec<RejectionVoteRow>,
    /// The tenderer's representatives the host named, by seat (招标投标法 §37).
    representatives: Vec<RepresentativeRow>,
    /// How many representatives the draw's request planned: members of the committee who are
    /// not drawn experts (0 when it planned none).
    planned_representatives: usize,
    /// The evaluation's hold (suspended, cancelled), kept on the session's root draw.
    hold: Option<crate::draw::DrawHold>,
}

impl Loaded {
    /// When the evaluation is due to end, with every extension.
    fn ends_at(&self) -> Millis {
        self.scheduled_end
            + self
                .extensions
                .iter()
                .map(|e| i64::from(e.minutes) * 60_000)
                .sum::<i64>()
    }

    /// The extension the next declarations count toward (1 = the first).
    fn time_round(&self) -> i32 {
        self.extensions.len() as i32 + 1
    }

    /// Bidders the committee has rejected: out of the scoring, the summary and the ranking.
    fn rejected(&self, bidder: &str) -> bool {
        self.rejections
            .iter()
            .any(|r| r.bidder == bidder && r.state == super::RejectionState::Rejected)
    }

    /// The bidders that are scored: every bidder but the rejected ones, in the listed order.
    fn scored_bidders(&self) -> Vec<String> {
        self.bidders
            .iter()
            .filter(|bidder| !self.rejected(bidder))
            .cloned()
            .collect()
    }

    /// The open proposals, each with the active seats that have voted on it.
    fn undecided_rejections(&self) -> Vec<rules::UndecidedRejection> {
        self.rejections
            .iter()
            .filter(|r| r.state == super::RejectionState::Open)
            .map(|r| rules::UndecidedRejection {
                proposal: r.number as u32,
                voted: self
                    .rejection_votes
                    .iter()
                    .filter(|v| v.number == r.number)
                    .map(|v| v.seat as u32)
                    .collect(),
            })
            .collect()
    }

    fn seat(&self, seat: u32) -> Option<&SeatRow> {
        self.seats.iter().find(|s| s.seat as u32 == seat)
    }

    fn active_seats(&self) -> impl Iterator<Item = &SeatRow> {
        self.seats.iter().filter(|s| s.state == SeatState::Active)
    }

    /// Whether the seat's member is confirmed: by the draw for a drawn expert; a
    /// representative is a member from being named.
    fn confirmed(&self, seat: &SeatRow) -> bool {
        self.is_representative(seat.seat as u32)
            || self
                .family
                .get(&(seat.draw_id.clone(), seat.token.clone()))
                .is_some_and(|state| *state == CandidateState::Confirmed)
    }

    /// Whether a seat is a tenderer's representative's (named, not drawn).
    fn is_representative(&self, seat: u32) -> bool {
        self.representatives.iter().any(|r| r.seat as u32 == seat)
    }

    /// How the session shows a seat: "Expert n", or "Representative n" for a representative.
    fn label(&self, seat: u32) -> String {
        if self.is_representative(seat) {
            super::representative_label(seat)
        } else {
            seat_label(seat)
        }
    }

    /// Labels the seats a refusal names, so that its text names representatives as such.
    fn label_missing(&self, missing: &mut [rules::Missing]) {
        for item in missing {
            item.labels = item.seats.iter().map(|seat| self.label(*seat)).collect();
        }
    }

    fn facts(&self) -> SessionFacts {
        SessionFacts {
            phase: self.phase,
            committee_size: self.committee_size,
            non_expert_members: self.planned_representatives,
            seats: self
                .seats
                .iter()
                .map(|seat| SeatFacts {
                    seat: seat.seat as u32,
                    active: seat.state == SeatState::Active,
                    confirmed: self.confirmed(seat),
                    checked_in: seat.checked_in_at.is_some(),
                    declared_no_conflict: seat.declared_at.is_some(),
                    vote: seat.vote.map(|v| v as u32),
                    sheets: self
                        .sheets
                        .get(&seat.seat)
                        .map(|sheets| sheets.iter().map(|s| s.bidder.clone()).collect())
                        .unwrap_or_default(),
                    signature: match (seat.signature, &seat.dissent_reasons) {
                        (Some(SignatureKind::Agree | SignatureKind::DeemedAgree), _) => {
                            Some(Signature::Agree)
                        }
                        (Some(SignatureKind::Dissent), Some(reasons)) => Some(Signature::Dissent {
                            reasons: reasons.clone(),
                        }),
                        _ => None,
                    },
                })
                .collect(),
            chair: self.row.chair_seat.map(|c| c as u32),
            bidders: self.scored_bidders(),
            undecided_rejections: self.undecided_rejections(),
            assignment_needs_entropy: false,
            signing_deadline_passed: false,
            venues_without_consent: Vec::new(),
        }
    }

    /// Who may see events meant for the committee as it is now: staff and the active seats.
    fn committee_audience(&self) -> Audience {
        Audience::staff_and(self.active_seats().map(|seat| seat.seat as u32))
    }
}

/// Writes a session's events and audit entries inside its transaction.
struct Writer<'a> {
    tx: &'a mut Tx,
    session_id: String,
    now: Millis,
    wrote_events: bool,
}

impl<'a> Writer<'a> {
    fn new(tx: &'a mut Tx, session_id: &str, now: Millis) -> Self {
        Self {
            tx,
            session_id: session_id.to_owned(),
            now,
            wrote_events: false,
        }
    }

    async fn event(
        &mut self,
        audience: &Audience,
        event: SessionEvent,
    ) -> Result<i64, SessionError> {
        let body = event.data_json().map_err(corrupt)?;
        let seq = self
            .tx
            .append_session_event(&self.session_id, audience, event.kind(), &body, self.now)
            .await?;
        self.wrote_events = true;
        Ok(seq)
    }

    async fn audit(&mut self, entry: AuditEntry) -> Result<(), SessionError> {
        audit::append(self.tx, &entry.reference("session", &self.session_id)).await?;
        Ok(())
    }
}

impl SessionService {
    pub(crate) fn new(
        deps: &Deps,
        draws: Arc<DrawService>,
        hub: Arc<Hub>,
        settings: SessionSettings,
    ) -> Self {
        let Deps {
            store,
            clock,
            rng,
            keys,
        } = deps.clone();
        Self {
            store,
            clock,
            rng,
            keys,
            draws,
            hub,
            slots: ConnectionSlots::new(settings.max_connections_per_account),
            settings,
            certificate_authorities: Arc::default(),
        }
    }

    /// The CAs of members' certificate keys (`signing_keys.trusted_cas`); none unless given,
    /// when a certificate key signs nothing.
    pub(crate) fn with_certificate_authorities(
        mut self,
        authorities: Arc<crate::crypto::member_certificate::MemberCertificateAuthorities>,
    ) -> Self {
        self.certificate_authorities = authorities;
        self
    }

    pub(crate) fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    pub(crate) fn settings(&self) -> &SessionSettings {
        &self.settings
    }

    /// The session as the caller may see it.
    pub(crate) async fn view(
        &self,
        who: &Principal,
        session_id: &str,
    ) -> Result<SessionView, SessionError> {
        let mut tx = self.store.read().await?;
        if !is_session_id(session_id) {
            return Err(SessionError::NotFound);
        }
        let loaded = load(&mut tx, session_id).await?;
        let role = self.role_of(&mut tx, &loaded, who).await?;
        let rated = if loaded.phase == Phase::Closed
            && matches!(role, SessionRole::Host | SessionRole::Supervisor)
        {
            tx.seats_rated_by(session_id, &who.account_id).await?
        } else {
            Vec::new()
        };
        tx.rollback().await?;
        let mut view = self.view_of(&loaded, role);
        view.rated_by_you = rated.into_iter().map(|seat| seat as u32).collect();
        Ok(view)
    }

    /// Sessions the caller takes part in, newest first.
    /// Whether a login is a tenderer's representative's (named for a session, no pool record).
    pub(crate) async fn is_representative(&self, who: &Principal) -> Result<bool, SessionError> {
        let mut tx = self.store.read().await?;
        let session = tx.session_of_representative(&who.account_id).await?;
        tx.rollback().await?;
        Ok(session.is_some())
    }

    pub(crate) async fn list(&self, who: &Principal) -> Result<Vec<SessionView>, SessionError> {
        let mut tx = self.store.read().await?;
        let ids: Vec<String> = if who.role == Role::Expert {
            let Some(expert_id) = tx.expert_of_account(&who.account_id).await? else {
                // A tenderer's representative's login serves the one session it was issued for.
                let ids: Vec<String> = tx
                    .session_of_representative(&who.account_id)
                    .await?
                    .into_iter()
                    .collect();
                let mut views = Vec::new();
                for id in ids {
                    let loaded = load(&mut tx, &id).await?;
                    if let Ok(role) = self.role_of(&mut tx, &loaded, who).await {
                        views.push(self.view_of(&loaded, role));
                    }
                }
                tx.rollback().await?;
                return Ok(views);
            };
            let tag = expert_tag(&self.keys, &expert_id);
            let mut ids = Vec::new();
            for root in tx.accepted_root_draws(&tag, 50).await? {
                if let Some(id) = tx.session_of_draw(&root).await?
                    && !ids.contains(&id)
                {
                    ids.push(id);
                }
            }
            ids
        } else {
            tx.sessions_of_account(&who.account_id, 50)
                .await?
                .into_iter()
                .map(|row| row.id)
                .collect()
        };
        let mut views = Vec::new();
        for id in ids {
            let loaded = load(&mut tx, &id).await?;
            if let Ok(role) = self.role_of(&mut tx, &loaded, who).await {
                views.push(self.view_of(&loaded, role));
            }
        }
        tx.rollback().await?;
        Ok(views)
    }

    fn view_of(&self, loaded: &Loaded, role: SessionRole) -> SessionView {
        SessionView {
            session_id: loaded.row.id.clone(),
            draw_id: loaded.row.draw_id.clone(),
            tender_reference: loaded.tender_reference.clone(),
            tender_name: loaded.tender_name.clone(),
            mode: loaded.row.mode,
            phase: loaded.phase,
            assignment: loaded.row.assignment,
            assignment_commitment: loaded.row.secret_commitment.as_ref().map(hex::encode),
            contributions: loaded.contributions as u32,
            venues: loaded
                .venues
                .iter()
                .filter(|v| v.seats > 0)
                .map(|v| VenueView {
                    venue: v.venue as u32,
                    name: v.name.clone(),
                    seats: v.seats as u32,
                    main: v.venue == 0,
                    venue_id: v.venue_id.clone(),
                })
                .collect(),
            supervisors: loaded.supervisors.len() as u32,
            committee_size: loaded.committee_size as u32,
            seats: loaded
                .seats
                .iter()
                .map(|seat| SessionSeatView {
                    representative: loaded.is_representative(seat.seat as u32),
                    seat: seat.seat as u32,
                    label: loaded.label(seat.seat as u32),
                    venue: seat.venue.map(|v| v as u32),
                    state: seat.state,
                    void_reason: seat.void_reason,
                    confirmed: loaded.confirmed(seat),
                    checked_in: seat.checked_in_at.is_some(),
                    declared: seat.declared_at.is_some(),
                    signed: seat.signature,
                })
                .collect(),
            chair: loaded.row.chair_seat.map(|c| c as u32),
            bidders: loaded.bidders.clone(),
            criteria: loaded.criteria.clone(),
            deviation_percent: loaded.row.deviation_percent as u32,
            method: loaded.row.method,
            report_sha256: loaded.row.report_sha256.as_ref().map(hex::encode),
            ends_at: to_rfc3339(loaded.ends_at()),
            extensions: loaded.extensions.len() as u32,
            signing_deadline: loaded.row.signing_deadline.map(to_rfc3339),
            member_signatures_required: self.settings.require_member_signatures,
            your_role: role.name(),
            your_seat: role.seat(),
            last_seq: loaded.row.next_seq - 1,
            rated_by_you: Vec::new(),
            hold: loaded.hold,
        }
    }

    /// The caller's role in a session; experts by their seat's token. Anyone else: not found.
    async fn role_of(
        &self,
        tx: &mut Tx,
        loaded: &Loaded,
        who: &Principal,
    ) -> Result<SessionRole, SessionError> {
        if who.role == Role::Expert {
            let Some(expert_id) = tx.expert_of_account(&who.account_id).await? else {
                // A login without a pool record: a tenderer's representative, at their seat
                // while it is active.
                return loaded
                    .representatives
                    .iter()
                    .filter(|r| r.account_id == who.account_id)
                    .filter_map(|r| loaded.seat(r.seat as u32))
                    .find(|seat| seat.state == SeatState::Active)
                    .map(|seat| SessionRole::Expert(seat.seat as u32))
                    .ok_or(SessionError::NotFound);
            };
            // The newest active seat whose token is this expert's in its draw.
            return loaded
                .active_seats()
                .filter(|seat| {
                    crate::draw::service::is_experts_token(
                        &self.keys,
                        &loaded.row.draw_id,
                        &seat.draw_id,
                        &expert_id,
                        &seat.token,
                    )
                })
                .map(|seat| SessionRole::Expert(seat.seat as u32))
                .last()
                .ok_or(SessionError::NotFound);
        }
        staff_role_of(tx, loaded, who).await
    }

    /// Handles one request from a connected participant and returns the reply frame. A request
    /// id already answered gets the stored answer again: retries never apply twice.
    pub(crate) async fn handle(&self, member: &Member, frame: ClientFrame) -> ServerFrame {
        let id = frame.id.clone();
        match self.apply(member, frame).await {
            Ok(result) => ServerFrame::Reply {
                v: super::protocol::PROTOCOL_VERSION,
                id,
                ok: true,
                result: Some(result),
                error: None,
            },
            Err(error) => {
                if error.is_internal() {
                    tracing::error!(error = %error, session = %member.session_id, "session request failed");
                }
                let detail = if error.is_internal() {
                    "the server could not complete the request; retry with the same id".into()
                } else {
                    error.to_string()
                };
                let missing = match &error {
                    SessionError::Preconditions { missing, .. } => {
                        serde_json::to_value(missing).ok()
                    }
                    _ => None,
                };
                ServerFrame::Reply {
                    v: super::protocol::PROTOCOL_VERSION,
                    id,
                    ok: false,
                    result: None,
                    error: Some(super::protocol::ReplyError {
                        code: error.code().into(),
                        detail,
                        field: error.field(),
                        missing,
                    }),
                }
            }
        }
    }

    async fn apply(&self, member: &Member, frame: ClientFrame) -> Result<Value, SessionError> {
        let now = self.clock.now_millis();
        // A retry repeats the same request; the same id with another request is a client bug
        // that must not be answered as if it had been applied.
        let request_digest = hex::encode(
            self.keys.suite().hash(
                Value::Object(frame.request.to_wire())
                    .to_string()
                    .as_bytes(),
            ),
        );
        let mut tx = self.store.write().await?;
        tx.lock_session(&member.session_id).await?;
        if let Some(reply) = tx
            .session_request_reply(&member.session_id, &member.account_id, &frame.id)
            .await?
        {
            tx.rollback().await?;
            let stored: StoredReply<Value> = serde_json::from_str(&reply).map_err(corrupt)?;
            if stored.request_sha256 != request_digest {
                return Err(SessionError::Conflict(format!(
                    "request id {} was already used for a different request; use a new id",
                    frame.id
                )));
            }
            return Ok(stored.result);
        }
        let mut loaded = load(&mut tx, &member.session_id).await?;
        // A supervisor connected before an admin narrowed their jurisdiction past the draw
        // acts no more, as for a session that does not exist (see `staff_role_of`).
        if member.role == SessionRole::Supervisor
            && !crate::auth::jurisdiction::scope_of_supervisor(&mut tx, &member.account_id)
                .await?
                .covers_draw(&mut tx, &loaded.row.draw_id)
                .await?
        {
            return Err(SessionError::NotFound);
        }
        let mut writer = Writer::new(&mut tx, &member.session_id, now);
        self.sync_seats(&mut writer, &mut loaded).await?;
        let mut pending = Vec::new();
        let result = self
            .dispatch(
                &mut writer,
                &mut loaded,
                member,
                frame.request,
                &mut pending,
            )
            .await;
        let result = match result.and_then(|outcome| serde_json::to_value(outcome).map_err(corrupt))
        {
            Ok(result) => result,
            Err(error) => {
                // Nothing the refused request wrote may remain (the seat sync is redone by the
                // next request that succeeds).
                tx.rollback().await?;
                return Err(error);
            }
        };
        let reply = serde_json::to_string(&StoredReply {
            request_sha256: request_digest,
            result: &result,
        })
        .map_err(corrupt)?;
        tx.insert_session_request(
            &member.session_id,
            &member.account_id,
            &frame.id,
            &reply,
            now,
        )
        .await?;
        tx.commit().await?;
        self.hub.publish(&member.session_id).await;
        for replacement in pending {
            // Reserves ran out: a linked draw fills the seat (its failure is logged by the draw
            // service and shown in the draw's view; the session waits for the seat).
            if let Err(error) = self.draws.after_replacement(replacement).await {
                tracing::warn!(error = %error, "linked draw for a session seat could not start");
            }
        }
        Ok(result)
    }

    async fn dispatch(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        request: Request,
        pending: &mut Vec<PendingReplacement>,
    ) -> Result<Outcome, SessionError> {
        let phase = loaded.phase;
        if phase == Phase::Closed {
            return Err(wrong_phase(phase, "the session is closed"));
        }
        // A suspended evaluation takes only its supervisors' acts (warnings, clarification
        // decisions); a cancelled one takes none.
        if let Some(hold) = loaded.hold
            && (hold == crate::draw::DrawHold::Cancelled || member.role != SessionRole::Supervisor)
        {
            return Err(SessionError::Draw(
                crate::draw::service::DrawServiceError::Held(hold),
            ));
        }
        match (request, member.role) {
            (Request::CheckIn { join_code }, SessionRole::Expert(seat)) => {
                self.check_in(writer, loaded, member, seat, join_code.expose())
                    .await
            }
            (Request::Declare { conflict }, SessionRole::Expert(seat)) => {
                self.declare(writer, loaded, member, seat, conflict, pending)
                    .await
            }
            (Request::DeclareTimeInsufficient {}, SessionRole::Expert(seat)) => {
                self.declare_time_insufficient(writer, loaded, member, seat)
                    .await
            }
            (Request::Vote { seat: choice }, SessionRole::Expert(seat)) => {
                self.vote(writer, loaded, member, seat, choice).await
            }
            (
                Request::SubmitSheet {
                    bidder,
                    scores,
                    comment,
                    evaluated_price,
                },
                SessionRole::Expert(seat),
            ) => {
                self.submit_sheet(
                    writer,
                    loaded,
                    member,
                    seat,
                    &bidder,
                    &scores,
                    comment.as_deref(),
                    evaluated_price.as_ref(),
                )
                .await
            }
            (
                Request::ProposeRejection {
                    bidder,
                    ground,
                    reasons,
                },
                SessionRole::Expert(seat),
            ) => {
                self.propose_rejection(writer, loaded, member, seat, &bidder, &ground, &reasons)
                    .await
            }
            (Request::VoteRejection { proposal, reject }, SessionRole::Expert(seat)) => {
                self.vote_rejection(writer, loaded, member, seat, proposal, reject)
                    .await
            }
            (Request::RequestClarification { bidder, question }, SessionRole::Expert(seat)) => {
                self.request_clarification(writer, loaded, member, seat, &bidder, &question)
                    .await
            }
            (Request::DecideClarification { number, approve }, SessionRole::Supervisor) => {
                self.decide_clarification(writer, loaded, member, number, approve)
                    .await
            }
            (Request::Warn { text }, SessionRole::Supervisor) => {
                rules::check_text("text", &text, rules::MAX_TEXT_CHARS)
                    .map_err(|(f, p)| invalid(f, p))?;
                let text = text.trim().to_owned();
                let text_digest = self.keys.suite().hex_hash(text.as_bytes());
                writer
                    .event(&Audience::all(), SessionEvent::Warning { text })
                    .await?;
                writer
                    .audit(
                        AuditEntry::new("session.warning", writer.now, member.actor())
                            .data(&self.keys.suite().digest_field(""), text_digest),
                    )
                    .await?;
                Ok(Outcome::Warned {})
            }
            (Request::Advance { to }, SessionRole::Host) => {
                self.advance(writer, loaded, member, to).await
            }
            (Request::Replace { seat, reason }, SessionRole::Host) => {
                let Some(reason) = VacancyReason::recorded_by_staff(&reason) else {
                    return Err(invalid(
                        "reason",
                        format!("must be one of {}", VacancyReason::staff_names(", ")),
                    ));
                };
                if phase == Phase::Scheduled {
                    return Err(wrong_phase(
                        phase,
                        "before check-in, vacate a seat through the draw",
                    ));
                }
                self.vacate(writer, loaded, member.actor(), seat, reason, pending)
                    .await
                    .map(Outcome::Replaced)
            }
            (
                Request::Sign {
                    report_sha256,
                    agree,
                    reasons,
                    signature,
                },
                SessionRole::Expert(seat),
            ) => {
                self.sign(
                    writer,
                    loaded,
                    member,
                    seat,
                    acts::Decision {
                        report_sha256: &report_sha256,
                        agree,
                        reasons: reasons.as_deref(),
                        signature: signature.as_ref(),
                    },
                )
                .await
            }
            (request, role) => Err(SessionError::Forbidden(format!(
                "a session's {} cannot {}",
                role.name(),
                request.kind().replace('_', " ")
            ))),
        }
    }

    fn active_seat<'a>(&self, loaded: &'a Loaded, seat: u32) -> Result<&'a SeatRow, SessionError> {
        loaded
            .seat(seat)
            .filter(|s| s.state == SeatState::Active)
            .ok_or_else(|| {
                SessionError::Forbidden(format!(
                    "{} has been replaced; its conclusions are void",
                    loaded.label(seat)
                ))
            })
    }

    /// Events after `after` that `member` may see, in order, from at most `limit` rows, and
    /// the number of the last row read. The rows end at the event that vacates the member's
    /// seat, if there is one: that is the last event the member receives.
    pub(crate) async fn events_after(
        &self,
        member: &Member,
        after: i64,
        limit: i64,
    ) -> Result<EventsAfter, SessionError> {
        let mut tx = self.store.read().await?;
        let mut rows = tx
            .session_events_after(&member.session_id, after, limit)
            .await?;
        tx.rollback().await?;
        let vacating = rows.iter().position(|row| {
            member.role.seat().is_some() && super::hub::vacated_seat(row) == member.role.seat()
        });
        if let Some(vacating) = vacating {
            rows.truncate(vacating + 1);
        }
        let last = rows.last().map_or(after, |r| r.seq);
        Ok(EventsAfter {
            events: rows
                .into_iter()
                .filter(|row| member.role.sees(&row.audience))
                .map(super::hub::stored_event)
                .collect(),
            last,
            vacated: vacating.is_some(),
        })
    }

    /// Loads a session for a write, under its lock.
    async fn locked(&self, tx: &mut Tx, session_id: &str) -> Result<Loaded, SessionError> {
        if !is_session_id(session_id) {
            return Err(SessionError::NotFound);
        }
        tx.lock_session(session_id).await?;
        load(tx, session_id).await
    }
}

async fn load(tx: &mut Tx, session_id: &str) -> Result<Loaded, SessionError> {
    let row = tx
        .session(session_id)
        .await?
        .ok_or(SessionError::NotFound)?;
    let phase = row.phase;
    let venues = tx.session_venues(session_id).await?;
    let supervisors = tx.session_supervisors(session_id).await?;
    let seats = tx.session_seats(session_id).await?;
    let family = family_states(tx, &row.draw_id).await?;
    let planned_representatives = tx
        .draw_committee(&row.draw_id)
        .await?
        .map_or(0, |(_, representatives)| representatives.max(0) as usize);
    let committee_size = tx
        .draw_strata(&row.draw_id)
        .await?
        .iter()
        .map(|s| s.k.max(0) as usize)
        .sum::<usize>()
        + planned_representatives;
    let representatives = tx.session_representatives(session_id).await?;
    let hold = tx.draw_hold(&row.draw_id).await?;
    let mut sheets: BTreeMap<i32, Vec<ScoreSheet>> = BTreeMap::new();
    for sheet in tx.session_sheets(session_id).await? {
        if sheet.state == SheetState::Live {
            sheets
                .entry(sheet.seat)
                .or_default()
                .push(serde_json::from_str(&sheet.sheet_json).map_err(corrupt)?);
        }
    }
    let contributions = tx.session_contributions(session_id).await?.len();
    let draw = tx
        .draw(&row.draw_id)
        .await?
        .ok_or_else(|| corrupt("a session without its draw"))?;
    let scheduled_end = draw.evaluation_end();
    let extensions = tx.session_extensions(session_id).await?;
    let time_declared = tx
        .time_declarations(session_id, extensions.len() as i32 + 1)
        .await?;
    let rejections = tx.session_rejections(session_id).await?;
    let rejection_votes = tx.session_rejection_votes(session_id).await?;
    Ok(Loaded {
        hold,
        representatives,
        planned_representatives,
        rejections,
        rejection_votes,
        scheduled_end,
        tender_reference: draw.tender_reference,
        tender_name: draw.tender_name,
        extensions,
        time_declared,
        contributions,
        bidders: serde_json::from_str(&row.bidders_json).map_err(corrupt)?,
        criteria: serde_json::from_str(&row.criteria_json).map_err(corrupt)?,
        row,
        phase,
        venues,
        supervisors,
        seats,
        family,
        committee_size,
        sheets,
    })
}

/// The draw family's seat states by (draw id, token).
async fn family_states(
    tx: &mut Tx,
    root_id: &str,
) -> Result<HashMap<(String, Vec<u8>), CandidateState>, SessionError> {
    Ok(tx
        .family_seats(root_id)
        .await?
        .into_iter()
        .map(|(draw_id, token, state, _)| ((draw_id, token), state))
        .collect())
}

/// A sheet as its audit entry commits to it: canonical JSON (RFC 8785), as reports are.
fn sheet_digest_input(sheet: &ScoreSheet) -> Result<Vec<u8>, SessionError> {
    let value = serde_json::to_value(sheet).map_err(corrupt)?;
    crate::audit::entry::canonical_json(&value).map_err(corrupt)
}

fn wrong_phase(phase: Phase, detail: &str) -> SessionError {
    SessionError::WrongPhase {
        phase: phase.as_str(),
        detail: detail.into(),
    }
}

/// The role of a non-expert account: host, a sub-venue's operator, or an attached supervisor.
fn staff_role(loaded: &Loaded, who: &Principal) -> Option<SessionRole> {
    match who.role {
        Role::Center if who.account_id == loaded.row.center_id => Some(SessionRole::Host),
        Role::Center => loaded
            .venues
            .iter()
            .find(|v| v.venue > 0 && v.operator_id == who.account_id)
            .map(|v| SessionRole::Operator(v.venue as u32)),
        Role::Supervisor if loaded.supervisors.contains(&who.account_id) => {
            Some(SessionRole::Supervisor)
        }
        _ => None,
    }
}

/// [`staff_role`], for a supervisor only within the jurisdiction of the session's draw: one
/// attached before an admin narrowed their scope past it (实施条例 §46 ¶4) no longer sees or
/// acts on the session, which reads as one that does not exist.
async fn staff_role_of(
    tx: &mut Tx,
    loaded: &Loaded,
    who: &Principal,
) -> Result<SessionRole, SessionError> {
    let role = staff_role(loaded, who).ok_or(SessionError::NotFound)?;
    // A session's draw is a root draw.
    if role == SessionRole::Supervisor
        && !crate::auth::jurisdiction::within_jurisdiction(tx, who, &loaded.row.draw_id).await?
    {
        return Err(SessionError::NotFound);
    }
    Ok(role)
}

fn is_session_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && !text.chars().any(char::is_control)
}

fn secret_context(session_id: &str) -> String {
    format!("session-assignment-secret:{session_id}")
}
