//! The session's operations over the store and the audit log. Each runs in one transaction
//! that holds the session's lock, writes its numbered events and its audit entries, and only
//! then wakes the hub, which reads the events back from the table and fans them out.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::{Value, json};

use super::protocol::{ClientFrame, Request, ServerFrame};
use super::rules::{
    self, Criterion, Phase, Rating, ScoreSheet, SeatFacts, SessionFacts, Signature,
};
use super::{
    Assignment, Hub, IssuedTicket, Member, NewSession, SessionError, SessionRole, SessionSeatView,
    SessionView, VenueView, corrupt, invalid, seat_label,
};
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::{Principal, Role};
use crate::clock::{Millis, SharedClock, to_rfc3339};
use crate::config::SessionSettings;
use crate::crypto::{KeyRing, Rng, constant_time_eq, sha256};
use crate::draw::DrawToken;
use crate::draw::service::{DrawService, PendingReplacement, committee_complete};
use crate::notify::invitations::expert_tag;
use crate::store::sessions::{SeatAct, SeatRow, SessionRow, TicketRow, VenueRow};
use crate::store::{Store, StoreError, Tx};

/// Seats a venue may have.
const MAX_VENUE_SEATS: u32 = 50;
const MAX_VENUES: usize = 20;
const MAX_SUPERVISORS: usize = 10;
/// Why a host may vacate a seat mid-session.
pub const HOST_REPLACEMENT_REASONS: [&str; 2] = ["recused", "withdrew"];

pub struct SessionService {
    store: Store,
    clock: SharedClock,
    rng: Rng,
    keys: Arc<KeyRing>,
    draws: Arc<DrawService>,
    hub: Arc<Hub>,
    settings: SessionSettings,
}

/// A session with everything a decision needs, read under its lock.
struct Loaded {
    row: SessionRow,
    phase: Phase,
    venues: Vec<VenueRow>,
    supervisors: Vec<String>,
    seats: Vec<SeatRow>,
    /// The draw family's seat states by (draw id, token).
    family: HashMap<(String, Vec<u8>), String>,
    bidders: Vec<String>,
    criteria: Vec<Criterion>,
    committee_size: usize,
    /// Live sheets by seat.
    sheets: BTreeMap<i32, Vec<ScoreSheet>>,
    /// Entropy contributions received for a random seat assignment.
    contributions: usize,
}

impl Loaded {
    fn seat(&self, seat: u32) -> Option<&SeatRow> {
        self.seats.iter().find(|s| s.seat as u32 == seat)
    }

    fn active_seats(&self) -> impl Iterator<Item = &SeatRow> {
        self.seats.iter().filter(|s| s.state == "active")
    }

    fn confirmed(&self, seat: &SeatRow) -> bool {
        self.family
            .get(&(seat.draw_id.clone(), seat.token.clone()))
            .is_some_and(|state| state == "confirmed")
    }

    fn facts(&self) -> SessionFacts {
        SessionFacts {
            phase: self.phase,
            committee_size: self.committee_size,
            non_expert_members: 0,
            seats: self
                .seats
                .iter()
                .map(|seat| SeatFacts {
                    seat: seat.seat as u32,
                    active: seat.state == "active",
                    confirmed: self.confirmed(seat),
                    checked_in: seat.checked_in_at.is_some(),
                    declared_no_conflict: seat.declared_at.is_some(),
                    vote: seat.vote.map(|v| v as u32),
                    sheets: self
                        .sheets
                        .get(&seat.seat)
                        .map(|sheets| sheets.iter().map(|s| s.bidder.clone()).collect())
                        .unwrap_or_default(),
                    signature: match (seat.signature.as_deref(), &seat.dissent_reasons) {
                        (Some("agree"), _) => Some(Signature::Agree),
                        (Some(_), Some(reasons)) => Some(Signature::Dissent {
                            reasons: reasons.clone(),
                        }),
                        _ => None,
                    },
                })
                .collect(),
            chair: self.row.chair_seat.map(|c| c as u32),
            bidders: self.bidders.clone(),
            assignment_needs_entropy: false,
        }
    }

    /// Who may see events meant for the committee as it is now: staff and the active seats.
    fn committee_audience(&self) -> String {
        let mut audience = String::from("staff");
        for seat in self.active_seats() {
            audience.push_str(&format!(",seat:{}", seat.seat));
        }
        audience
    }
}

/// Writes a session's events and audit entries inside its transaction.
struct Writer<'a> {
    tx: &'a mut Tx,
    session_id: String,
    now: Millis,
    wrote_events: bool,
}

impl Writer<'_> {
    async fn event(
        &mut self,
        audience: &str,
        kind: &str,
        data: Value,
    ) -> Result<i64, SessionError> {
        let body = serde_json::to_string(&data).map_err(corrupt)?;
        let seq = self
            .tx
            .append_session_event(&self.session_id, audience, kind, &body, self.now)
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
    pub fn new(
        store: Store,
        clock: SharedClock,
        rng: Rng,
        keys: Arc<KeyRing>,
        draws: Arc<DrawService>,
        hub: Arc<Hub>,
        settings: SessionSettings,
    ) -> Self {
        Self {
            store,
            clock,
            rng,
            keys,
            draws,
            hub,
            settings,
        }
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    pub fn settings(&self) -> &SessionSettings {
        &self.settings
    }

    /// A center opens a session for its completed draw.
    pub async fn create(
        &self,
        host: &Principal,
        request: NewSession,
    ) -> Result<SessionView, SessionError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        if request.draw_id.is_empty()
            || request.draw_id.len() > crate::draw::MAX_DRAW_ID_LEN
            || request.draw_id.chars().any(char::is_control)
        {
            return Err(SessionError::NoSuchDraw);
        }
        tx.lock_draw(&request.draw_id).await?;
        let draw = tx
            .draw(&request.draw_id)
            .await?
            .filter(|d| d.center_id == host.account_id)
            .ok_or(SessionError::NoSuchDraw)?;
        if draw.parent_draw_id.is_some() {
            return Err(invalid(
                "draw_id",
                "name the draw the center asked for; its linked draws are part of it",
            ));
        }
        let mode = draw.mode.clone();
        if mode == "on_site" {
            return Err(invalid(
                "draw_id",
                "the draw is for an on-site evaluation; sessions coordinate remote (cross_site or \
                 distributed) evaluations",
            ));
        }
        let committee_size: usize = tx
            .draw_strata(&draw.id)
            .await?
            .iter()
            .map(|s| s.k.max(0) as usize)
            .sum();
        rules::committee_composition(committee_size, 0)
            .map_err(|problem| invalid("draw_id", problem))?;

        let (bidders, criteria) = validate_subject(&request.bidders, &request.criteria)?;
        let deviation_percent = request
            .deviation_percent
            .unwrap_or(self.settings.deviation_percent);
        if !(1..=100).contains(&deviation_percent) {
            return Err(invalid("deviation_percent", "must be from 1 to 100"));
        }
        let assignment = match (mode.as_str(), request.assignment) {
            ("distributed", None | Some(Assignment::None)) => Assignment::None,
            ("distributed", Some(_)) => {
                return Err(invalid(
                    "assignment",
                    "a distributed session has no venues to assign",
                ));
            }
            (_, None) => Assignment::Random,
            (_, Some(Assignment::None)) => {
                return Err(invalid(
                    "assignment",
                    "a cross-site session assigns seats: random or in_order",
                ));
            }
            (_, Some(other)) => other,
        };
        let venues = self
            .validate_venues(&mut tx, host, &mode, &request.venues, committee_size)
            .await?;
        let supervisors = validate_supervisors(&mut tx, &request.supervisors).await?;

        if !committee_complete(&mut tx, &draw).await? {
            return Err(SessionError::Conflict(
                "the committee is not complete: every seat must be confirmed first".into(),
            ));
        }
        if tx.session_of_draw(&draw.id).await?.is_some() {
            return Err(SessionError::Conflict(
                "the draw already has a session".into(),
            ));
        }

        let id = uuid::Uuid::now_v7().to_string();
        let (sealed_secret, commitment) = if assignment == Assignment::Random {
            let secret = self
                .rng
                .bytes::<32>()
                .map_err(|_| SessionError::Randomness)?;
            let commitment = rules::assignment_commitment(&id, &secret);
            let sealed = self.keys.seal(&self.rng, &secret_context(&id), &secret)?;
            (Some(sealed), Some(commitment.to_vec()))
        } else {
            (None, None)
        };
        let row = SessionRow {
            id: id.clone(),
            draw_id: draw.id.clone(),
            center_id: host.account_id.clone(),
            mode: mode.clone(),
            phase: Phase::Scheduled.as_str().into(),
            assignment: assignment.as_str().into(),
            sealed_secret,
            secret_commitment: commitment.clone(),
            bidders_json: serde_json::to_string(&bidders).map_err(corrupt)?,
            criteria_json: serde_json::to_string(&criteria).map_err(corrupt)?,
            deviation_percent: deviation_percent as i32,
            chair_seat: None,
            report_json: None,
            report_sha256: None,
            next_seq: 1,
            created_at: now,
            closed_at: None,
        };
        tx.insert_session(&row).await?;
        tx.insert_session_venues(&id, &venues).await?;
        for supervisor in &supervisors {
            tx.insert_session_supervisor(&id, supervisor).await?;
        }
        // Seats are numbered in token order: tokens are pseudorandom, so "Expert n" says
        // nothing about stratum or rank.
        let mut members: Vec<(String, Vec<u8>)> = tx
            .family_seats(&draw.id)
            .await?
            .into_iter()
            .filter(|(_, _, state, _)| state == "confirmed")
            .map(|(draw_id, token, _, _)| (draw_id, token))
            .collect();
        members.sort_by(|a, b| a.1.cmp(&b.1));
        for (number, (draw_id, token)) in members.iter().enumerate() {
            tx.insert_session_seat(&id, number as i32 + 1, draw_id, token, None, now)
                .await?;
        }
        let mut writer = Writer {
            tx: &mut tx,
            session_id: id.clone(),
            now,
            wrote_events: false,
        };
        let venue_data: Vec<Value> = venues
            .iter()
            .filter(|v| v.seats > 0)
            .map(|v| json!({"venue": v.venue, "name": v.name, "seats": v.seats}))
            .collect();
        writer
            .event(
                "all",
                "session_created",
                json!({
                    "mode": mode,
                    "seats": members.len(),
                    "venues": venue_data,
                    "bidders": bidders,
                    "criteria": criteria,
                    "assignment": assignment.as_str(),
                }),
            )
            .await?;
        let mut entry = AuditEntry::new("session.created", now, Actor::of(host))
            .reference("draw", &draw.id)
            .data("mode", &mode)
            .data("seats", members.len())
            .data(
                "tokens",
                members.iter().map(|(_, t)| hex::encode(t)).collect::<Vec<_>>(),
            )
            .data(
                "venues",
                venues
                    .iter()
                    .filter(|v| v.seats > 0)
                    .map(|v| json!({"venue": v.venue, "name": v.name, "operator": v.operator_id, "seats": v.seats}))
                    .collect::<Vec<_>>(),
            )
            .data("supervisors", &supervisors)
            .data("bidders", &bidders)
            .data("criteria", &criteria)
            .data("deviation_percent", deviation_percent)
            .data("assignment", assignment.as_str());
        if let Some(commitment) = &commitment {
            entry = entry.data("assignment_commitment", hex::encode(commitment));
        }
        writer.audit(entry).await?;
        let loaded = load(&mut tx, &id).await?;
        let view = self.view_of(&loaded, SessionRole::Host);
        tx.commit().await?;
        self.hub.publish(&id).await;
        Ok(view)
    }

    async fn validate_venues(
        &self,
        tx: &mut Tx,
        host: &Principal,
        mode: &str,
        venues: &[super::NewVenue],
        committee_size: usize,
    ) -> Result<Vec<VenueRow>, SessionError> {
        if mode == "distributed" {
            if !venues.is_empty() {
                return Err(invalid(
                    "venues",
                    "a distributed session has no venues: every expert is at their own seat",
                ));
            }
            return Ok(vec![VenueRow {
                venue: 0,
                name: "host".into(),
                operator_id: host.account_id.clone(),
                seats: 0,
            }]);
        }
        if venues.len() < 2 || venues.len() > MAX_VENUES {
            return Err(invalid(
                "venues",
                format!(
                    "a cross-site session has a main venue and 1 to {} sub-venues",
                    MAX_VENUES - 1
                ),
            ));
        }
        let mut rows = Vec::with_capacity(venues.len());
        let mut operators = BTreeSet::new();
        let mut names = BTreeSet::new();
        for (index, venue) in venues.iter().enumerate() {
            let field = |name: &str| format!("venues[{index}].{name}");
            rules::check_text(&field("name"), &venue.name, rules::MAX_LABEL_CHARS)
                .map_err(|(f, p)| invalid(f, p))?;
            if !names.insert(venue.name.trim().to_owned()) {
                return Err(invalid(field("name"), "venue names must differ"));
            }
            if !(1..=MAX_VENUE_SEATS).contains(&venue.seats) {
                return Err(invalid(
                    field("seats"),
                    format!("must be from 1 to {MAX_VENUE_SEATS}"),
                ));
            }
            let operator_id = match (index, venue.operator.as_deref()) {
                (0, None) => host.account_id.clone(),
                (_, None) => {
                    return Err(invalid(
                        field("operator"),
                        "a sub-venue names the trading center that operates it",
                    ));
                }
                (_, Some(username)) => {
                    let account = tx
                        .account_by_username(username)
                        .await?
                        .filter(|a| a.role == Role::Center.as_str() && !a.disabled)
                        .ok_or_else(|| {
                            invalid(
                                field("operator"),
                                "no active trading-center account has this username",
                            )
                        })?;
                    if index == 0 && account.id != host.account_id {
                        return Err(invalid(
                            field("operator"),
                            "the main venue is operated by the host (the draw's center)",
                        ));
                    }
                    account.id
                }
            };
            if index > 0
                && (operator_id == host.account_id || !operators.insert(operator_id.clone()))
            {
                return Err(invalid(
                    field("operator"),
                    "each sub-venue is operated by a different center than the host's",
                ));
            }
            rows.push(VenueRow {
                venue: index as i32,
                name: venue.name.trim().to_owned(),
                operator_id,
                seats: venue.seats as i32,
            });
        }
        let capacity: u32 = venues.iter().map(|v| v.seats).sum();
        if (capacity as usize) < committee_size {
            return Err(invalid(
                "venues",
                format!("the venues seat {capacity}; the committee has {committee_size} members"),
            ));
        }
        Ok(rows)
    }

    /// The host or an attached supervisor adds entropy to a random seat assignment, before
    /// check-in reveals it.
    pub async fn contribute(
        &self,
        who: &Principal,
        session_id: &str,
        bytes: &[u8],
    ) -> Result<u32, SessionError> {
        if !(crate::draw::service::MIN_CONTRIBUTION_LEN..=crate::draw::MAX_CONTRIBUTION_LEN)
            .contains(&bytes.len())
        {
            return Err(invalid(
                "bytes",
                format!(
                    "must be {} to {} bytes",
                    crate::draw::service::MIN_CONTRIBUTION_LEN,
                    crate::draw::MAX_CONTRIBUTION_LEN
                ),
            ));
        }
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let loaded = self.locked(&mut tx, session_id).await?;
        let role = staff_role(&loaded, who).ok_or(SessionError::NotFound)?;
        if !matches!(role, SessionRole::Host | SessionRole::Supervisor) {
            return Err(SessionError::Forbidden(
                "only the host and the session's supervisors contribute".into(),
            ));
        }
        if loaded.row.assignment != "random" {
            return Err(SessionError::Conflict(
                "the session's seats are not assigned at random".into(),
            ));
        }
        if loaded.phase != Phase::Scheduled {
            return Err(SessionError::WrongPhase {
                phase: loaded.phase.as_str(),
                detail: "contributions close when check-in opens".into(),
            });
        }
        let position = tx
            .insert_session_contribution(session_id, &who.account_id, role.name(), bytes, now)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    SessionError::Conflict("this account has already contributed".into())
                }
                other => other.into(),
            })?;
        let mut writer = Writer {
            tx: &mut tx,
            session_id: session_id.into(),
            now,
            wrote_events: false,
        };
        writer
            .event(
                "all",
                "contribution",
                json!({"position": position, "role": role.name()}),
            )
            .await?;
        writer
            .audit(
                AuditEntry::new("session.contribution", now, Actor::of(who))
                    .data("position", position)
                    .data("role", role.name())
                    .data("sha256", hex::encode(sha256(bytes))),
            )
            .await?;
        tx.commit().await?;
        self.hub.publish(session_id).await;
        Ok(position as u32)
    }

    /// The session as the caller may see it.
    pub async fn view(
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
        tx.rollback().await?;
        Ok(self.view_of(&loaded, role))
    }

    /// Sessions the caller takes part in, newest first.
    pub async fn list(&self, who: &Principal) -> Result<Vec<SessionView>, SessionError> {
        let mut tx = self.store.read().await?;
        let ids: Vec<String> = if who.role == Role::Expert {
            let Some(expert_id) = tx.expert_of_account(&who.account_id).await? else {
                return Ok(Vec::new());
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
            mode: loaded.row.mode.clone(),
            phase: loaded.phase,
            assignment: loaded.row.assignment.clone(),
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
                })
                .collect(),
            supervisors: loaded.supervisors.len() as u32,
            committee_size: loaded.committee_size as u32,
            seats: loaded
                .seats
                .iter()
                .map(|seat| SessionSeatView {
                    seat: seat.seat as u32,
                    label: seat_label(seat.seat as u32),
                    venue: seat.venue.map(|v| v as u32),
                    state: seat.state.clone(),
                    void_reason: seat.void_reason.clone(),
                    confirmed: loaded.confirmed(seat),
                    checked_in: seat.checked_in_at.is_some(),
                    declared: seat.declared_at.is_some(),
                    signed: seat.signature.clone(),
                })
                .collect(),
            chair: loaded.row.chair_seat.map(|c| c as u32),
            bidders: loaded.bidders.clone(),
            criteria: loaded.criteria.clone(),
            deviation_percent: loaded.row.deviation_percent as u32,
            report_sha256: loaded.row.report_sha256.as_ref().map(hex::encode),
            your_role: role.name().into(),
            your_seat: role.seat(),
            last_seq: loaded.row.next_seq - 1,
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
            let expert_id = tx
                .expert_of_account(&who.account_id)
                .await?
                .ok_or(SessionError::NotFound)?;
            // The newest active seat whose token is this expert's in its draw.
            return loaded
                .active_seats()
                .filter(|seat| {
                    DrawToken::derive_with_keys(&self.keys, &seat.draw_id, &expert_id).as_bytes()
                        == seat.token.as_slice()
                })
                .map(|seat| SessionRole::Expert(seat.seat as u32))
                .last()
                .ok_or(SessionError::NotFound);
        }
        staff_role(loaded, who).ok_or(SessionError::NotFound)
    }

    /// Mints a single-use websocket ticket for a participant.
    pub async fn ticket(
        &self,
        who: &Principal,
        session_id: &str,
    ) -> Result<IssuedTicket, SessionError> {
        if !is_session_id(session_id) {
            return Err(SessionError::NotFound);
        }
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        tx.lock_session(session_id).await?;
        let mut loaded = load(&mut tx, session_id).await?;
        let mut writer = Writer {
            tx: &mut tx,
            session_id: session_id.into(),
            now,
            wrote_events: false,
        };
        // A successor seated since the last act joins the session now, so it can connect.
        self.sync_seats(&mut writer, &mut loaded).await?;
        let wrote = writer.wrote_events;
        let role = self.role_of(&mut tx, &loaded, who).await?;
        if let SessionRole::Expert(seat) = role
            && loaded.seat(seat).is_some_and(|s| !loaded.confirmed(s))
        {
            return Err(SessionError::Forbidden(
                "accept the invitation before joining the session".into(),
            ));
        }
        let ticket = self
            .rng
            .bytes::<32>()
            .map_err(|_| SessionError::Randomness)?;
        let ticket = zeroize::Zeroizing::new(ticket);
        let text = zeroize::Zeroizing::new(base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            ticket.as_slice(),
        ));
        tx.insert_session_ticket(
            &sha256(text.as_bytes()),
            &TicketRow {
                session_id: session_id.into(),
                account_id: who.account_id.clone(),
                role: role.name().into(),
                seat: match role {
                    SessionRole::Expert(seat) | SessionRole::Operator(seat) => Some(seat as i32),
                    _ => None,
                },
                expires_at: now + self.settings.ticket_secs * 1000,
                used_at: None,
            },
        )
        .await?;
        // Spent tickets are worth nothing; keep the table small.
        tx.delete_expired_tickets(now - 3_600_000).await?;
        tx.commit().await?;
        if wrote {
            self.hub.publish(session_id).await;
        }
        Ok(IssuedTicket {
            ticket: text,
            expires_in: self.settings.ticket_secs,
            role: role.name().into(),
            seat: role.seat(),
            path: format!("/api/v1/sessions/{session_id}/ws"),
        })
    }

    /// Redeems a ticket for the websocket of `session_id`: once, before it expires.
    pub async fn redeem(&self, session_id: &str, ticket: &str) -> Result<Member, SessionError> {
        if ticket.is_empty() || ticket.len() > 64 {
            return Err(SessionError::BadTicket("the ticket is not valid"));
        }
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let row = tx
            .use_session_ticket(&sha256(ticket.as_bytes()), now)
            .await?
            .filter(|row| row.session_id == session_id)
            .ok_or(SessionError::BadTicket("the ticket is not valid"))?;
        if row.used_at.is_some() {
            return Err(SessionError::BadTicket("the ticket has already been used"));
        }
        if now >= row.expires_at {
            tx.commit().await?;
            return Err(SessionError::BadTicket("the ticket has expired"));
        }
        let seat = row.seat.map(|s| s as u32).unwrap_or_default();
        // A seat vacated since the ticket was minted no longer joins.
        if row.role == "expert"
            && !tx
                .session_seats(session_id)
                .await?
                .iter()
                .any(|s| s.seat as u32 == seat && s.state == "active")
        {
            tx.commit().await?;
            return Err(SessionError::Forbidden(
                "the seat has been vacated; a replaced member does not rejoin".into(),
            ));
        }
        tx.commit().await?;
        let role = match row.role.as_str() {
            "host" => SessionRole::Host,
            "operator" => SessionRole::Operator(seat),
            "supervisor" => SessionRole::Supervisor,
            "expert" => SessionRole::Expert(seat),
            other => return Err(corrupt(format!("ticket role {other}"))),
        };
        Ok(Member {
            session_id: session_id.into(),
            account_id: row.account_id,
            role,
        })
    }

    /// The phase and newest event number, for a connection's welcome.
    pub async fn welcome(&self, member: &Member) -> Result<(Phase, i64), SessionError> {
        let mut tx = self.store.read().await?;
        let row = tx
            .session(&member.session_id)
            .await?
            .ok_or(SessionError::NotFound)?;
        tx.rollback().await?;
        Ok((parse_phase(&row.phase)?, row.next_seq - 1))
    }

    /// Records that a participant connected or left, for the host and supervisors.
    pub async fn presence(&self, member: &Member, connected: bool) -> Result<(), SessionError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        tx.lock_session(&member.session_id).await?;
        let mut writer = Writer {
            tx: &mut tx,
            session_id: member.session_id.clone(),
            now,
            wrote_events: false,
        };
        writer
            .event(
                "staff",
                "presence",
                json!({"who": member.role.label(), "role": member.role.name(),
                       "seat": member.role.seat(), "connected": connected}),
            )
            .await?;
        tx.commit().await?;
        self.hub.publish(&member.session_id).await;
        Ok(())
    }

    /// Handles one request from a connected participant and returns the reply frame. A request
    /// id already answered gets the stored answer again: retries never apply twice.
    pub async fn handle(&self, member: &Member, frame: ClientFrame) -> ServerFrame {
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
        let request_digest = hex::encode(sha256(
            Value::Object(frame.request.to_wire())
                .to_string()
                .as_bytes(),
        ));
        let mut tx = self.store.write().await?;
        tx.lock_session(&member.session_id).await?;
        if let Some(reply) = tx
            .session_request_reply(&member.session_id, &member.account_id, &frame.id)
            .await?
        {
            tx.rollback().await?;
            let stored: Value = serde_json::from_str(&reply).map_err(corrupt)?;
            if stored["request_sha256"] != request_digest.as_str() {
                return Err(SessionError::Conflict(format!(
                    "request id {} was already used for a different request; use a new id",
                    frame.id
                )));
            }
            return Ok(stored["result"].clone());
        }
        let mut loaded = load(&mut tx, &member.session_id).await?;
        let mut writer = Writer {
            tx: &mut tx,
            session_id: member.session_id.clone(),
            now,
            wrote_events: false,
        };
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
        let result = match result {
            Ok(result) => result,
            Err(error) => {
                // Nothing the refused request wrote may remain (the seat sync is redone by the
                // next request that succeeds).
                tx.rollback().await?;
                return Err(error);
            }
        };
        let reply =
            serde_json::to_string(&json!({"request_sha256": request_digest, "result": result}))
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
    ) -> Result<Value, SessionError> {
        let phase = loaded.phase;
        if phase == Phase::Closed {
            return Err(wrong_phase(phase, "the session is closed"));
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
            (Request::Vote { seat: choice }, SessionRole::Expert(seat)) => {
                self.vote(writer, loaded, member, seat, choice).await
            }
            (
                Request::SubmitSheet {
                    bidder,
                    scores,
                    comment,
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
                )
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
                writer
                    .event("all", "warning", json!({"text": text}))
                    .await?;
                writer
                    .audit(
                        AuditEntry::new("session.warning", writer.now, member.actor())
                            .data("sha256", hex::encode(sha256(text.as_bytes()))),
                    )
                    .await?;
                Ok(json!({}))
            }
            (Request::Advance { to }, SessionRole::Host) => {
                self.advance(writer, loaded, member, to).await
            }
            (Request::Replace { seat, reason }, SessionRole::Host) => {
                if !HOST_REPLACEMENT_REASONS.contains(&reason.as_str()) {
                    return Err(invalid(
                        "reason",
                        format!("must be one of {}", HOST_REPLACEMENT_REASONS.join(", ")),
                    ));
                }
                if phase == Phase::Scheduled {
                    return Err(wrong_phase(
                        phase,
                        "before check-in, vacate a seat through the draw",
                    ));
                }
                self.vacate(writer, loaded, member.actor(), seat, &reason, pending)
                    .await
            }
            (
                Request::Sign {
                    report_sha256,
                    agree,
                    reasons,
                },
                SessionRole::Expert(seat),
            ) => {
                self.sign(
                    writer,
                    loaded,
                    member,
                    seat,
                    &report_sha256,
                    agree,
                    reasons.as_deref(),
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
            .filter(|s| s.state == "active")
            .ok_or_else(|| {
                SessionError::Forbidden(format!(
                    "{} has been replaced; its conclusions are void",
                    seat_label(seat)
                ))
            })
    }

    async fn check_in(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        seat: u32,
        join_code: &str,
    ) -> Result<Value, SessionError> {
        if loaded.phase == Phase::Scheduled {
            return Err(wrong_phase(loaded.phase, "check-in has not opened yet"));
        }
        let row = self.active_seat(loaded, seat)?.clone();
        let (invitation_id, sealed) = writer
            .tx
            .accepted_invitation(&row.draw_id, &row.token)
            .await?
            .ok_or_else(|| {
                SessionError::Forbidden("the seat's invitation is not accepted".into())
            })?;
        let sealed = sealed.ok_or_else(|| corrupt("an accepted remote seat has no join code"))?;
        let expected = self.keys.open(
            &crate::notify::invitations::join_code_context(&invitation_id),
            &sealed,
        )?;
        if join_code.len() > 64
            || !constant_time_eq(expected.as_slice(), join_code.trim().as_bytes())
        {
            return Err(SessionError::WrongJoinCode);
        }
        if row.checked_in_at.is_some() {
            return Ok(json!({"seat": seat, "already_checked_in": true}));
        }
        writer
            .tx
            .set_seat_act(&loaded.row.id, seat as i32, SeatAct::CheckedIn, writer.now)
            .await?;
        let venue = row.venue;
        writer
            .event(
                "all",
                "checked_in",
                json!({"seat": seat, "label": seat_label(seat), "venue": venue}),
            )
            .await?;
        writer
            .audit(
                AuditEntry::new("session.checked_in", writer.now, member.actor())
                    .data("seat", seat)
                    .data("token", hex::encode(&row.token)),
            )
            .await?;
        Ok(json!({"seat": seat}))
    }

    async fn declare(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        seat: u32,
        conflict: bool,
        pending: &mut Vec<PendingReplacement>,
    ) -> Result<Value, SessionError> {
        if loaded.phase < Phase::Recusal {
            return Err(wrong_phase(
                loaded.phase,
                "declarations open after check-in",
            ));
        }
        let row = self.active_seat(loaded, seat)?.clone();
        if row.checked_in_at.is_none() {
            return Err(SessionError::Conflict("check in first".into()));
        }
        if row.declared_at.is_some() {
            return Err(SessionError::Conflict(
                "this seat has already declared".into(),
            ));
        }
        if conflict {
            writer
                .audit(
                    AuditEntry::new("session.declared", writer.now, member.actor())
                        .data("seat", seat)
                        .data("conflict", true),
                )
                .await?;
            let result = self
                .vacate(writer, loaded, member.actor(), seat, "recused", pending)
                .await?;
            return Ok(json!({"recused": true, "replacement": result}));
        }
        writer
            .tx
            .set_seat_act(&loaded.row.id, seat as i32, SeatAct::Declared, writer.now)
            .await?;
        writer
            .event("all", "declared", json!({"seat": seat, "conflict": false}))
            .await?;
        writer
            .audit(
                AuditEntry::new("session.declared", writer.now, member.actor())
                    .data("seat", seat)
                    .data("conflict", false),
            )
            .await?;
        Ok(json!({"recused": false}))
    }

    async fn vote(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        seat: u32,
        choice: u32,
    ) -> Result<Value, SessionError> {
        if loaded.phase < Phase::ChairElection || loaded.phase > Phase::Evaluation {
            return Err(wrong_phase(
                loaded.phase,
                "votes are cast in the chair election",
            ));
        }
        let row = self.active_seat(loaded, seat)?.clone();
        // Votes may change until a member has a majority; after that a late vote is recorded
        // but decides nothing.
        if loaded.row.chair_seat.is_some() && row.vote.is_some() {
            return Err(SessionError::Conflict("a chair has been elected".into()));
        }
        if row.declared_at.is_none() {
            return Err(SessionError::Conflict(
                "declare (no conflict of interest) before voting".into(),
            ));
        }
        if !loaded
            .seat(choice)
            .is_some_and(|s| s.state == "active" && loaded.confirmed(s))
        {
            return Err(invalid(
                "seat",
                "vote for an active member of the committee",
            ));
        }
        writer
            .tx
            .set_seat_act(
                &loaded.row.id,
                seat as i32,
                SeatAct::Vote(choice as i32),
                writer.now,
            )
            .await?;
        if let Some(s) = loaded.seats.iter_mut().find(|s| s.seat as u32 == seat) {
            s.vote = Some(choice as i32);
        }
        // The ballot stays secret: others learn that a vote was cast, and the tally once a
        // member has a majority.
        writer
            .event("all", "vote_cast", json!({"seat": seat}))
            .await?;
        writer
            .audit(
                AuditEntry::new("session.vote", writer.now, member.actor())
                    .data("seat", seat)
                    .data("for", choice),
            )
            .await?;
        let (chair, cast) = rules::elect_chair(&loaded.facts().seats);
        if let Some(chair) = chair.filter(|_| loaded.row.chair_seat.is_none()) {
            writer
                .tx
                .set_session_chair(&loaded.row.id, Some(chair as i32))
                .await?;
            loaded.row.chair_seat = Some(chair as i32);
            let votes = loaded
                .active_seats()
                .filter(|s| s.vote == Some(chair as i32))
                .count();
            writer
                .event(
                    "all",
                    "chair_elected",
                    json!({"seat": chair, "label": seat_label(chair), "votes": votes, "cast": cast}),
                )
                .await?;
            writer
                .audit(
                    AuditEntry::new("session.chair_elected", writer.now, Actor::System)
                        .data("seat", chair)
                        .data("votes", votes)
                        .data("cast", cast),
                )
                .await?;
        }
        Ok(json!({"chair": loaded.row.chair_seat}))
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one request's fields, passed as they were parsed"
    )]
    async fn submit_sheet(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        seat: u32,
        bidder: &str,
        scores: &BTreeMap<String, serde_json::Number>,
        comment: Option<&str>,
    ) -> Result<Value, SessionError> {
        if loaded.phase != Phase::Evaluation {
            return Err(wrong_phase(
                loaded.phase,
                "score sheets are submitted during the evaluation",
            ));
        }
        let row = self.active_seat(loaded, seat)?.clone();
        if row.declared_at.is_none() {
            return Err(SessionError::Conflict(
                "declare (no conflict of interest) before scoring".into(),
            ));
        }
        let sheet =
            rules::validate_sheet(&loaded.bidders, &loaded.criteria, bidder, scores, comment)
                .map_err(|(f, p)| invalid(f, p))?;
        let sheet_json = serde_json::to_string(&sheet).map_err(corrupt)?;
        writer
            .tx
            .upsert_sheet(
                &loaded.row.id,
                seat as i32,
                &sheet.bidder,
                &sheet_json,
                sheet.total_centi,
                writer.now,
            )
            .await?;
        // Others learn only that the sheet is in; its content goes to its author alone until
        // the evaluation closes.
        writer
            .event(
                "all",
                "sheet_submitted",
                json!({"seat": seat, "bidder": sheet.bidder}),
            )
            .await?;
        writer
            .event(
                &format!("seat:{seat}"),
                "sheet_recorded",
                json!({"seat": seat, "sheet": sheet}),
            )
            .await?;
        writer
            .audit(
                AuditEntry::new("session.sheet", writer.now, member.actor())
                    .data("seat", seat)
                    .data("bidder", &sheet.bidder)
                    .data("sha256", hex::encode(sha256(&sheet_digest_input(&sheet)?))),
            )
            .await?;
        Ok(json!({"bidder": sheet.bidder, "total_centi": sheet.total_centi}))
    }

    async fn request_clarification(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        seat: u32,
        bidder: &str,
        question: &str,
    ) -> Result<Value, SessionError> {
        if loaded.phase != Phase::Evaluation {
            return Err(wrong_phase(
                loaded.phase,
                "clarifications are asked during the evaluation",
            ));
        }
        self.active_seat(loaded, seat)?;
        if !loaded.bidders.iter().any(|b| b == bidder) {
            return Err(invalid("bidder", "not a bidder of this session"));
        }
        rules::check_text("question", question, rules::MAX_TEXT_CHARS)
            .map_err(|(f, p)| invalid(f, p))?;
        let question = question.trim();
        let number = writer
            .tx
            .insert_clarification(&loaded.row.id, seat as i32, bidder, question, writer.now)
            .await?;
        writer
            .event(
                &format!("staff,seat:{seat}"),
                "clarification_requested",
                json!({"number": number, "seat": seat, "bidder": bidder, "question": question}),
            )
            .await?;
        writer
            .audit(
                AuditEntry::new(
                    "session.clarification_requested",
                    writer.now,
                    member.actor(),
                )
                .data("number", number)
                .data("seat", seat)
                .data("bidder", bidder)
                .data("sha256", hex::encode(sha256(question.as_bytes()))),
            )
            .await?;
        Ok(json!({"number": number, "state": "pending"}))
    }

    async fn decide_clarification(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        number: u32,
        approve: bool,
    ) -> Result<Value, SessionError> {
        if loaded.phase != Phase::Evaluation {
            return Err(wrong_phase(
                loaded.phase,
                "clarifications are decided during the evaluation",
            ));
        }
        let Some(request) = writer
            .tx
            .clarification(&loaded.row.id, number as i32)
            .await?
        else {
            return Err(invalid("number", "no such clarification request"));
        };
        let state = if approve { "approved" } else { "refused" };
        if !writer
            .tx
            .decide_clarification(
                &loaded.row.id,
                number as i32,
                state,
                &member.account_id,
                writer.now,
            )
            .await?
        {
            return Err(SessionError::Conflict(format!(
                "clarification {number} has already been decided ({})",
                request.state
            )));
        }
        // An approved request goes out: everyone sees it (the host relays it to the bidder).
        let audience = if approve {
            "all".to_owned()
        } else {
            format!("staff,seat:{}", request.seat)
        };
        writer
            .event(
                &audience,
                "clarification_decided",
                json!({"number": number, "state": state, "seat": request.seat,
                       "bidder": request.bidder, "question": request.question}),
            )
            .await?;
        writer
            .audit(
                AuditEntry::new("session.clarification_decided", writer.now, member.actor())
                    .data("number", number)
                    .data("state", state),
            )
            .await?;
        Ok(json!({"number": number, "state": state}))
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one request's fields, passed as they were parsed"
    )]
    async fn sign(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        seat: u32,
        report_sha256: &str,
        agree: bool,
        reasons: Option<&str>,
    ) -> Result<Value, SessionError> {
        if loaded.phase != Phase::Signing {
            return Err(wrong_phase(
                loaded.phase,
                "the report is signed in the signing phase",
            ));
        }
        let row = self.active_seat(loaded, seat)?.clone();
        let current = loaded
            .row
            .report_sha256
            .as_ref()
            .map(hex::encode)
            .ok_or_else(|| corrupt("signing without a report"))?;
        if report_sha256 != current {
            return Err(invalid(
                "report_sha256",
                format!("is not the report's SHA-256 ({current}); sign the report you were sent"),
            ));
        }
        if row.signature.is_some() {
            return Err(SessionError::Conflict(
                "this seat has already signed".into(),
            ));
        }
        let reasons = reasons.map(str::trim).filter(|r| !r.is_empty());
        let (signature, reasons) = match (agree, reasons) {
            (true, None) => ("agree", None),
            (true, Some(_)) => {
                return Err(invalid("reasons", "only a dissent gives reasons"));
            }
            (false, None) => {
                return Err(invalid("reasons", "a dissent needs written reasons"));
            }
            (false, Some(reasons)) => {
                rules::check_text("reasons", reasons, rules::MAX_TEXT_CHARS)
                    .map_err(|(f, p)| invalid(f, p))?;
                if reasons.chars().count() < rules::MIN_DISSENT_CHARS {
                    return Err(invalid(
                        "reasons",
                        format!("must be at least {} characters", rules::MIN_DISSENT_CHARS),
                    ));
                }
                ("dissent", Some(reasons))
            }
        };
        writer
            .tx
            .set_seat_act(
                &loaded.row.id,
                seat as i32,
                SeatAct::Signed { signature, reasons },
                writer.now,
            )
            .await?;
        writer
            .event(
                "all",
                "signed",
                json!({"seat": seat, "signature": signature, "reasons": reasons}),
            )
            .await?;
        let mut entry = AuditEntry::new("session.signature", writer.now, member.actor())
            .data("seat", seat)
            .data("report_sha256", &current)
            .data("signature", signature);
        if let Some(reasons) = reasons {
            entry = entry.data("reasons_sha256", hex::encode(sha256(reasons.as_bytes())));
        }
        writer.audit(entry).await?;
        Ok(json!({"signature": signature}))
    }

    async fn advance(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        to: Phase,
    ) -> Result<Value, SessionError> {
        let mut facts = loaded.facts();
        if to == Phase::CheckIn && loaded.row.assignment == "random" {
            facts.assignment_needs_entropy = writer
                .tx
                .session_contributions(&loaded.row.id)
                .await?
                .is_empty();
        }
        let missing = rules::check_move(&facts, to).map_err(|e| SessionError::WrongPhase {
            phase: loaded.phase.as_str(),
            detail: e.to_string(),
        })?;
        if !missing.is_empty() {
            return Err(SessionError::Preconditions {
                to: to.as_str(),
                missing,
            });
        }
        let from = loaded.phase;
        let mut result = json!({"from": from.as_str(), "to": to.as_str()});
        match to {
            Phase::CheckIn => self.assign_seats(writer, loaded).await?,
            Phase::Summary => {
                let summary = self.summary(loaded);
                let audience = loaded.committee_audience();
                writer
                    .event(&audience, "sheets_revealed", json!({"bidders": summary}))
                    .await?;
            }
            Phase::Signing => {
                let report = self.report(loaded, false);
                let bytes = crate::audit::entry::canonical_json(&report).map_err(corrupt)?;
                let digest = rules::report_digest(&bytes);
                let text = String::from_utf8(bytes).map_err(corrupt)?;
                writer
                    .tx
                    .set_session_report(&loaded.row.id, &text, &digest, None)
                    .await?;
                loaded.row.report_sha256 = Some(digest.to_vec());
                let audience = loaded.committee_audience();
                writer
                    .event(
                        &audience,
                        "report_ready",
                        json!({"report_sha256": hex::encode(digest), "report": report}),
                    )
                    .await?;
                result["report_sha256"] = json!(hex::encode(digest));
            }
            Phase::Closed => {
                let report = self.report(loaded, true);
                let bytes = crate::audit::entry::canonical_json(&report).map_err(corrupt)?;
                let digest = rules::report_digest(&bytes);
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
                        "all",
                        "closed",
                        json!({"report_sha256": hex::encode(digest), "signed_report_of": draft}),
                    )
                    .await?;
                writer
                    .audit(
                        AuditEntry::new("session.closed", writer.now, member.actor())
                            .reference("draw", &loaded.row.draw_id)
                            .data("report_sha256", hex::encode(digest))
                            .data("draft_sha256", draft),
                    )
                    .await?;
                result["report_sha256"] = json!(hex::encode(digest));
            }
            _ => {}
        }
        writer
            .tx
            .set_session_phase(&loaded.row.id, to.as_str())
            .await?;
        loaded.phase = to;
        writer
            .event(
                "all",
                "phase_changed",
                json!({"from": from.as_str(), "to": to.as_str()}),
            )
            .await?;
        writer
            .audit(
                AuditEntry::new("session.phase", writer.now, member.actor())
                    .data("from", from.as_str())
                    .data("to", to.as_str()),
            )
            .await?;
        Ok(result)
    }

    /// Check-in opens: seats are placed in venues (random: the committed secret is revealed and
    /// mixed with the contributions; the entry carries everything needed to recompute it).
    async fn assign_seats(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
    ) -> Result<(), SessionError> {
        if loaded.row.mode == "distributed" {
            return Ok(());
        }
        let active: Vec<u32> = loaded.active_seats().map(|s| s.seat as u32).collect();
        let capacities: Vec<u32> = loaded.venues.iter().map(|v| v.seats as u32).collect();
        let mut entry = AuditEntry::new("session.seats_assigned", writer.now, Actor::System)
            .data("assignment", &loaded.row.assignment);
        let placement = if loaded.row.assignment == "random" {
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
            let seed = rules::assignment_seed(&loaded.row.id, &secret, &contributions);
            entry = entry
                .data("secret", hex::encode(secret.as_slice()))
                .data(
                    "contributions",
                    contributions.iter().map(hex::encode).collect::<Vec<_>>(),
                )
                .data("seed", hex::encode(seed));
            rules::assign_venues(&seed, active.len(), &capacities)
        } else {
            rules::assign_in_order(active.len(), &capacities)
        }
        .ok_or_else(|| corrupt("the venues seat fewer than the committee"))?;
        let mut assigned = Vec::new();
        for (seat, venue) in active.iter().zip(&placement) {
            writer
                .tx
                .set_seat_venue(&loaded.row.id, *seat as i32, *venue as i32)
                .await?;
            if let Some(row) = loaded.seats.iter_mut().find(|s| s.seat as u32 == *seat) {
                row.venue = Some(*venue as i32);
            }
            assigned.push(json!({"seat": seat, "venue": venue}));
        }
        writer
            .event("all", "seats_assigned", json!({"seats": assigned}))
            .await?;
        writer.audit(entry.data("placement", &assigned)).await?;
        Ok(())
    }

    /// Vacates a seat (recusal or departure): the draw seats the next reserve (or starts a
    /// linked draw), the member's sheets, vote and signature are void, and a session past the
    /// evaluation returns to it so the successor evaluates afresh.
    async fn vacate(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        actor: Actor,
        seat: u32,
        reason: &str,
        pending: &mut Vec<PendingReplacement>,
    ) -> Result<Value, SessionError> {
        let row = self.active_seat(loaded, seat)?.clone();
        writer.tx.lock_draw(&row.draw_id).await?;
        let draw = writer
            .tx
            .draw(&row.draw_id)
            .await?
            .ok_or_else(|| corrupt("a seat without its draw"))?;
        let token = DrawToken::from_slice(&row.token).ok_or_else(|| corrupt("a stored token"))?;
        let replacement = self
            .draws
            .replace_in(writer.tx, &draw, token, reason, actor.clone())
            .await?;
        pending.push(replacement);
        // The draw has vacated the seat and seated its successor: read the family anew.
        loaded.family = family_states(writer.tx, &loaded.row.draw_id).await?;
        self.void_seat(writer, loaded, seat, reason, actor).await?;
        // The successor (if the stratum had a reserve) joins as a new seat; with none left a
        // linked draw is started after commit, and its member joins when seated.
        let before = loaded.seats.len();
        self.sync_seats(writer, loaded).await?;
        let added = loaded.seats.get(before).map(|s| s.seat as u32);

        Ok(json!({"vacated": seat, "successor_seat": added}))
    }

    async fn void_seat(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        seat: u32,
        reason: &str,
        actor: Actor,
    ) -> Result<(), SessionError> {
        if !writer
            .tx
            .void_session_seat(&loaded.row.id, seat as i32, reason, writer.now)
            .await?
        {
            return Ok(());
        }
        let token = loaded
            .seat(seat)
            .map(|s| hex::encode(&s.token))
            .unwrap_or_default();
        if let Some(row) = loaded.seats.iter_mut().find(|s| s.seat as u32 == seat) {
            row.state = "void".into();
            row.void_reason = Some(reason.into());
        }
        let voided_sheets = loaded.sheets.remove(&(seat as i32)).map_or(0, |s| s.len());
        writer
            .event(
                "all",
                "seat_vacated",
                json!({"seat": seat, "label": seat_label(seat), "reason": reason, "voided_sheets": voided_sheets}),
            )
            .await?;
        writer
            .audit(
                AuditEntry::new("session.seat_vacated", writer.now, actor)
                    .data("seat", seat)
                    .data("token", token)
                    .data("reason", reason)
                    .data("voided_sheets", voided_sheets),
            )
            .await?;
        if loaded.row.chair_seat == Some(seat as i32) {
            writer.tx.set_session_chair(&loaded.row.id, None).await?;
            loaded.row.chair_seat = None;
            writer
                .event("all", "chair_vacated", json!({"seat": seat}))
                .await?;
        }
        if loaded.phase >= Phase::Summary && loaded.phase < Phase::Closed {
            let from = loaded.phase;
            // Signatures were given to a report that no longer stands.
            for other in loaded.seats.iter_mut().filter(|s| s.signature.is_some()) {
                other.signature = None;
                other.dissent_reasons = None;
            }
            writer.tx.clear_session_signatures(&loaded.row.id).await?;
            writer
                .tx
                .set_session_phase(&loaded.row.id, Phase::Evaluation.as_str())
                .await?;
            loaded.phase = Phase::Evaluation;
            writer
                .event(
                    "all",
                    "phase_changed",
                    json!({"from": from.as_str(), "to": "evaluation",
                           "reason": format!("{} was replaced; the successor evaluates afresh", seat_label(seat))}),
                )
                .await?;
            writer
                .audit(
                    AuditEntry::new("session.phase", writer.now, Actor::System)
                        .data("from", from.as_str())
                        .data("to", "evaluation")
                        .data("reason", "seat_vacated"),
                )
                .await?;
        }
        Ok(())
    }

    /// Brings the session's seats in line with the draw: a member the draw replaced (through
    /// any path) is void here, and a newly seated successor gets the next seat number.
    async fn sync_seats(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
    ) -> Result<(), SessionError> {
        if loaded.phase == Phase::Closed {
            return Ok(());
        }
        let replaced: Vec<u32> = loaded
            .active_seats()
            .filter(|s| {
                loaded
                    .family
                    .get(&(s.draw_id.clone(), s.token.clone()))
                    .is_some_and(|state| state == "replaced")
            })
            .map(|s| s.seat as u32)
            .collect();
        for seat in replaced {
            self.void_seat(writer, loaded, seat, "replaced", Actor::System)
                .await?;
        }
        let known: BTreeSet<(String, Vec<u8>)> = loaded
            .seats
            .iter()
            .map(|s| (s.draw_id.clone(), s.token.clone()))
            .collect();
        let mut newcomers: Vec<(String, Vec<u8>)> = loaded
            .family
            .iter()
            .filter(|(key, state)| state.as_str() != "replaced" && !known.contains(*key))
            .map(|(key, _)| key.clone())
            .collect();
        newcomers.sort();
        for (draw_id, token) in newcomers {
            let seat = loaded.seats.iter().map(|s| s.seat).max().unwrap_or(0) + 1;
            let venue = if loaded.phase == Phase::Scheduled || loaded.row.mode == "distributed" {
                None
            } else {
                Some(self.roomiest_venue(loaded))
            };
            writer
                .tx
                .insert_session_seat(&loaded.row.id, seat, &draw_id, &token, venue, writer.now)
                .await?;
            loaded.seats.push(SeatRow {
                seat,
                draw_id: draw_id.clone(),
                token: token.clone(),
                venue,
                state: "active".into(),
                void_reason: None,
                checked_in_at: None,
                declared_at: None,
                vote: None,
                signature: None,
                dissent_reasons: None,
                signed_at: None,
            });
            writer
                .event(
                    "all",
                    "seat_added",
                    json!({"seat": seat, "label": seat_label(seat as u32), "venue": venue}),
                )
                .await?;
            writer
                .audit(
                    AuditEntry::new("session.seat_added", writer.now, Actor::System)
                        .reference("draw", &draw_id)
                        .data("seat", seat)
                        .data("token", hex::encode(&token)),
                )
                .await?;
        }
        Ok(())
    }

    /// The venue with the most free seats (the lowest number on a tie): where a successor sits.
    fn roomiest_venue(&self, loaded: &Loaded) -> i32 {
        loaded
            .venues
            .iter()
            .map(|v| {
                let taken = loaded
                    .active_seats()
                    .filter(|s| s.venue == Some(v.venue))
                    .count() as i32;
                (v.seats - taken, -v.venue)
            })
            .max()
            .map_or(0, |(_, venue)| -venue)
    }

    fn summary(&self, loaded: &Loaded) -> Vec<rules::BidderSummary> {
        let sheets: Vec<(u32, ScoreSheet)> = loaded
            .sheets
            .iter()
            .filter(|(seat, _)| {
                loaded
                    .seat(**seat as u32)
                    .is_some_and(|s| s.state == "active")
            })
            .flat_map(|(seat, sheets)| sheets.iter().map(move |s| (*seat as u32, s.clone())))
            .collect();
        rules::summarise(
            &loaded.bidders,
            &sheets,
            loaded.row.deviation_percent as u32,
        )
    }

    /// The evaluation report: committee, chair, every live sheet with the summary, void seats;
    /// with `signed`, every member's signature or dissent and the draft it signed.
    fn report(&self, loaded: &Loaded, signed: bool) -> Value {
        let seats: Vec<Value> = loaded
            .seats
            .iter()
            .map(|s| {
                let mut seat = json!({
                    "seat": s.seat,
                    "label": seat_label(s.seat as u32),
                    "token": hex::encode(&s.token),
                    "venue": s.venue,
                    "state": s.state,
                });
                if s.state == "void" {
                    seat["void_reason"] = json!(s.void_reason);
                }
                if signed && s.state == "active" {
                    seat["signature"] = json!(s.signature);
                    if let Some(reasons) = &s.dissent_reasons {
                        seat["dissent_reasons"] = json!(reasons);
                    }
                }
                seat
            })
            .collect();
        let mut report = json!({
            "format": "sealdraw-session-report-v1",
            "session_id": loaded.row.id,
            "draw_id": loaded.row.draw_id,
            "mode": loaded.row.mode,
            "venues": loaded.venues.iter().filter(|v| v.seats > 0).map(|v| json!({"venue": v.venue, "name": v.name})).collect::<Vec<_>>(),
            "chair": loaded.row.chair_seat,
            "bidders": loaded.bidders,
            "criteria": loaded.criteria,
            "deviation_percent": loaded.row.deviation_percent,
            "seats": seats,
            "summary": self.summary(loaded),
        });
        if signed {
            report["draft_sha256"] = json!(loaded.row.report_sha256.as_ref().map(hex::encode));
        }
        report
    }

    /// The report, to the committee, the host, operators and supervisors, once it exists.
    pub async fn report_of(
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
            "final": loaded.phase == Phase::Closed,
            "report": report,
        }))
    }

    /// Events after `after` that `member` may see, in order, at most `limit`.
    pub async fn events_after(
        &self,
        member: &Member,
        after: i64,
        limit: i64,
    ) -> Result<(Vec<super::StoredEvent>, i64), SessionError> {
        let mut tx = self.store.read().await?;
        let rows = tx
            .session_events_after(&member.session_id, after, limit)
            .await?;
        tx.rollback().await?;
        let last = rows.last().map_or(after, |r| r.seq);
        Ok((
            rows.into_iter()
                .filter(|row| member.role.sees(&row.audience))
                .map(super::hub::stored_event)
                .collect(),
            last,
        ))
    }

    /// After closing, the host and the session's supervisors rate a member's conduct once
    /// each. Ratings feed the expert's credit score; a score below the configured threshold
    /// suspends the expert from draws (a penalty the pool rules apply).
    pub async fn rate(
        &self,
        who: &Principal,
        session_id: &str,
        seat: u32,
        rating: Rating,
    ) -> Result<Value, SessionError> {
        rating.validate().map_err(|(f, p)| invalid(f, p))?;
        if !is_session_id(session_id) {
            return Err(SessionError::NotFound);
        }
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let loaded = self.locked(&mut tx, session_id).await?;
        let role = staff_role(&loaded, who).ok_or(SessionError::NotFound)?;
        if !matches!(role, SessionRole::Host | SessionRole::Supervisor) {
            return Err(SessionError::Forbidden(
                "the host and the session's supervisors rate members".into(),
            ));
        }
        if loaded.phase != Phase::Closed {
            return Err(wrong_phase(
                loaded.phase,
                "members are rated after the session closes",
            ));
        }
        let row = loaded
            .seat(seat)
            .filter(|s| s.checked_in_at.is_some())
            .ok_or_else(|| invalid("seat", "no member served in this seat"))?
            .clone();
        tx.insert_rating(
            session_id,
            seat as i32,
            &who.account_id,
            [
                i32::from(rating.punctuality),
                i32::from(rating.diligence),
                i32::from(rating.discipline),
            ],
            now,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                SessionError::Conflict("you have already rated this seat".into())
            }
            other => other.into(),
        })?;
        let candidate = tx
            .draw_seat(&row.draw_id, &row.token)
            .await?
            .ok_or_else(|| corrupt("a session seat without its draw seat"))?;
        let expert_id = self.draws.open_seat_expert(&row.draw_id, &candidate)?;
        tx.insert_conduct(&expert_id, rating.points(), now).await?;
        let recent = tx
            .recent_conduct(&expert_id, self.settings.credit_window)
            .await?;
        let credit = rules::credit_score(&recent, self.settings.credit_minimum_ratings);
        let mut writer = Writer {
            tx: &mut tx,
            session_id: session_id.into(),
            now,
            wrote_events: false,
        };
        writer
            .audit(
                AuditEntry::new("session.rating", now, Actor::of(who))
                    .data("seat", seat)
                    .data("punctuality", rating.punctuality)
                    .data("diligence", rating.diligence)
                    .data("discipline", rating.discipline),
            )
            .await?;
        let suspended = match credit {
            // One running suspension at a time: further low ratings do not stack penalties.
            Some(score)
                if score < self.settings.credit_suspend_below
                    && !writer
                        .tx
                        .has_running_penalty(&expert_id, "low_credit", now)
                        .await? =>
            {
                let until = now + self.settings.credit_suspension_days * 86_400_000;
                let penalty_id = uuid::Uuid::now_v7().to_string();
                writer
                    .tx
                    .insert_penalty(&penalty_id, &expert_id, "low_credit", now, Some(until))
                    .await?;
                writer.tx.bump_pool_version().await?;
                audit::append(
                    writer.tx,
                    &AuditEntry::new("expert.penalty", now, Actor::System)
                        .reference("penalty", &penalty_id)
                        .data("expert", self.keys.expert_pseudonym(&expert_id))
                        .data("reason_code", "low_credit")
                        .data("credit_score", score)
                        .data("until", to_rfc3339(until)),
                )
                .await?;
                true
            }
            _ => false,
        };
        tx.commit().await?;
        Ok(json!({"seat": seat, "points": rating.points(), "suspended": suspended}))
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
    let phase = parse_phase(&row.phase)?;
    let venues = tx.session_venues(session_id).await?;
    let supervisors = tx.session_supervisors(session_id).await?;
    let seats = tx.session_seats(session_id).await?;
    let family = family_states(tx, &row.draw_id).await?;
    let committee_size = tx
        .draw_strata(&row.draw_id)
        .await?
        .iter()
        .map(|s| s.k.max(0) as usize)
        .sum();
    let mut sheets: BTreeMap<i32, Vec<ScoreSheet>> = BTreeMap::new();
    for sheet in tx.session_sheets(session_id).await? {
        if sheet.state == "live" {
            sheets
                .entry(sheet.seat)
                .or_default()
                .push(serde_json::from_str(&sheet.sheet_json).map_err(corrupt)?);
        }
    }
    let contributions = tx.session_contributions(session_id).await?.len();
    Ok(Loaded {
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
) -> Result<HashMap<(String, Vec<u8>), String>, SessionError> {
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

fn parse_phase(text: &str) -> Result<Phase, SessionError> {
    Phase::parse(text).ok_or_else(|| corrupt(format!("unknown phase {text}")))
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

fn is_session_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && !text.chars().any(char::is_control)
}

fn secret_context(session_id: &str) -> String {
    format!("session-assignment-secret:{session_id}")
}

fn validate_subject(
    bidders: &[String],
    criteria: &[Criterion],
) -> Result<(Vec<String>, Vec<Criterion>), SessionError> {
    if bidders.is_empty() || bidders.len() > rules::MAX_BIDDERS {
        return Err(invalid(
            "bidders",
            format!("name 1 to {} bidders", rules::MAX_BIDDERS),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut clean_bidders = Vec::new();
    for (index, bidder) in bidders.iter().enumerate() {
        rules::check_text(&format!("bidders[{index}]"), bidder, rules::MAX_LABEL_CHARS)
            .map_err(|(f, p)| invalid(f, p))?;
        if !seen.insert(bidder.trim().to_owned()) {
            return Err(invalid(format!("bidders[{index}]"), "bidders must differ"));
        }
        clean_bidders.push(bidder.trim().to_owned());
    }
    if criteria.is_empty() || criteria.len() > rules::MAX_CRITERIA {
        return Err(invalid(
            "criteria",
            format!("name 1 to {} criteria", rules::MAX_CRITERIA),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut clean_criteria = Vec::new();
    for (index, criterion) in criteria.iter().enumerate() {
        let field = format!("criteria[{index}].name");
        rules::check_text(&field, &criterion.name, rules::MAX_LABEL_CHARS)
            .map_err(|(f, p)| invalid(f, p))?;
        let name = criterion.name.trim().to_owned();
        if name.contains('.') {
            return Err(invalid(field, "must not contain '.'"));
        }
        if !seen.insert(name.clone()) {
            return Err(invalid(field, "criteria must differ"));
        }
        if !(1..=rules::MAX_CRITERION_POINTS).contains(&criterion.max_points) {
            return Err(invalid(
                format!("criteria[{index}].max_points"),
                format!("must be from 1 to {}", rules::MAX_CRITERION_POINTS),
            ));
        }
        clean_criteria.push(Criterion {
            name,
            max_points: criterion.max_points,
        });
    }
    Ok((clean_bidders, clean_criteria))
}

async fn validate_supervisors(
    tx: &mut Tx,
    usernames: &[String],
) -> Result<Vec<String>, SessionError> {
    if usernames.is_empty() || usernames.len() > MAX_SUPERVISORS {
        return Err(invalid(
            "supervisors",
            format!("attach 1 to {MAX_SUPERVISORS} supervisors"),
        ));
    }
    let mut ids = Vec::new();
    for (index, username) in usernames.iter().enumerate() {
        let account = tx
            .account_by_username(username)
            .await?
            .filter(|a| a.role == Role::Supervisor.as_str() && !a.disabled)
            .ok_or_else(|| {
                invalid(
                    format!("supervisors[{index}]"),
                    "no active supervisor account has this username",
                )
            })?;
        if ids.contains(&account.id) {
            return Err(invalid(format!("supervisors[{index}]"), "named twice"));
        }
        ids.push(account.id);
    }
    Ok(ids)
}
