//! Opening a session for a completed draw: its venues, supervisors, bidders and criteria, and
//! the commitment of a random seat assignment, with the contributions taken before check-in.

use std::collections::BTreeSet;

use serde_json::json;

use super::{
    MAX_SUPERVISORS, MAX_VENUE_SEATS, MAX_VENUES, SessionService, Writer, load, secret_context,
    staff_role_of,
};
use crate::audit::{Actor, AuditEntry};
use crate::auth::service::PreparedLogin;
use crate::auth::{Principal, Role};
use crate::clock::{Millis, to_rfc3339};
use crate::draw::CandidateState;
use crate::draw::service::committee_complete;
use crate::session::events::{Audience, SessionEvent, VenueSeats};
use crate::session::rules::{self, Criterion, Phase};
use crate::session::{
    Assignment, CreatedSession, EvaluationMethod, NewRepresentative, NewSession,
    RepresentativeLogin, SessionError, SessionMode, SessionRole, corrupt, invalid,
};
use crate::store::sessions::{RepresentativeRow, SessionRow, VenueRow};
use crate::store::{StoreError, Tx};
use crate::text::{BoundedText, Lines};
use crate::venue::bookings::{self, Claim};
use crate::venue::{Holder, Window};
use zeroize::Zeroizing;

impl SessionService {
    /// A center opens a session for its completed draw, naming the tenderer's representatives
    /// the draw planned; `logins` are theirs, one per representative in the request's order
    /// ([`Self::check_representatives`] first, then `AuthService::prepare_logins`).
    pub(crate) async fn create(
        &self,
        host: &Principal,
        request: NewSession,
        logins: Vec<PreparedLogin>,
    ) -> Result<CreatedSession, SessionError> {
        let named = Self::check_representatives(&request)?;
        if logins.len() != named.len() {
            return Err(corrupt("a login is needed for each representative"));
        }
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        if !crate::draw::service::is_draw_id(&request.draw_id) {
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
        crate::draw::service::refuse_if_held(&mut tx, &draw).await?;
        let Some(mode) = SessionMode::of(draw.mode) else {
            return Err(invalid(
                "draw_id",
                "the draw is for an on-site evaluation; sessions coordinate remote (cross_site or \
                 distributed) evaluations",
            ));
        };
        let experts: usize = tx
            .draw_strata(&draw.id)
            .await?
            .iter()
            .map(|s| s.k.max(0) as usize)
            .sum();
        // The tenderer's representatives, as many as the draw's request planned (招标投标法
        // §37): the committee is the drawn experts and them.
        let planned = tx
            .draw_committee(&draw.id)
            .await?
            .map_or(0, |(_, representatives)| representatives.max(0) as usize);
        let committee_size = experts + planned;
        rules::committee_composition(committee_size, planned)
            .map_err(|problem| invalid("draw_id", problem))?;
        if named.len() != planned {
            return Err(invalid(
                "representatives",
                format!(
                    "name the {planned} tenderer's representatives the draw's request planned \
                     (committee.representatives); {} named",
                    named.len()
                ),
            ));
        }

        let (bidders, criteria) = validate_subject(&request.bidders, &request.criteria)?;
        let credit_codes = validate_credit_codes(&bidders, &request.bidder_credit_codes)?;
        let deviation_percent = request
            .deviation_percent
            .unwrap_or(self.settings.deviation_percent);
        if !(1..=100).contains(&deviation_percent) {
            return Err(invalid("deviation_percent", "must be from 1 to 100"));
        }
        let assignment = match (mode, request.assignment) {
            (SessionMode::Distributed, None | Some(Assignment::None)) => Assignment::None,
            (SessionMode::Distributed, Some(_)) => {
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
        let bound = crate::draw::service::stratum_venues(&mut tx, &draw).await?;
        let (venues, claims) = if bound.iter().any(Option::is_some) {
            if !request.venues.is_empty() {
                return Err(invalid(
                    "venues",
                    "the draw's strata are bound to venues: the session's venues are the \
                     draw's (it holds their workstations already); omit venues",
                ));
            }
            if assignment == Assignment::Random && request.assignment.is_some() {
                return Err(invalid(
                    "assignment",
                    "the draw's strata are bound to venues: each expert sits at their \
                     stratum's venue and nothing is placed at random",
                ));
            }
            let mut venues = venues_of_draw(&mut tx, host, &draw, &bound).await?;
            // The representatives sit at the main venue, the host's own, besides the experts
            // its strata seat there.
            if let Some(main) = venues.first_mut() {
                main.seats += planned as i32;
            }
            (venues, Vec::new())
        } else {
            let (venues, claims) = self
                .validate_venues(&mut tx, host, mode, &request.venues, committee_size)
                .await?;
            if mode == SessionMode::CrossSite
                && venues
                    .first()
                    .is_some_and(|main| (main.seats as usize) < planned)
            {
                return Err(invalid(
                    "venues[0].seats",
                    format!(
                        "the tenderer's {planned} representatives sit at the main venue: it \
                         needs at least {planned} seats"
                    ),
                ));
            }
            (venues, claims)
        };
        // A draw bound to venues places every seat by its stratum: no randomness to commit.
        let assignment = if claims.is_empty() && bound.iter().any(Option::is_some) {
            Assignment::InOrder
        } else {
            assignment
        };
        let supervisors =
            validate_supervisors(&mut tx, &request.supervisors, draw.root_id()).await?;

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
            let commitment = rules::assignment_commitment(self.keys.suite(), &id, &secret);
            let sealed = self.keys.seal(&self.rng, &secret_context(&id), &secret)?;
            (Some(sealed), Some(commitment.to_vec()))
        } else {
            (None, None)
        };
        let row = SessionRow {
            id: id.clone(),
            draw_id: draw.id.clone(),
            center_id: host.account_id.clone(),
            mode,
            phase: Phase::Scheduled,
            assignment,
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
            signing_deadline: None,
            method: request.method.unwrap_or(EvaluationMethod::Comprehensive),
        };
        tx.insert_session(&row).await?;
        for (label, code) in bidders.iter().zip(&credit_codes) {
            tx.insert_session_bidder(&id, label, code).await?;
        }
        tx.insert_session_venues(&id, &venues).await?;
        if !claims.is_empty() {
            // The catalogue venues' workstations are held for the draw's evaluation window;
            // a full or closed venue refuses the whole session.
            let window = Window::new(
                draw.evaluation_start,
                draw.evaluation_start
                    .saturating_add(i64::from(draw.evaluation_minutes).saturating_mul(60_000)),
            )
            .ok_or_else(|| corrupt("the draw's evaluation window has no length"))?;
            bookings::hold(&mut tx, host, &Holder::session(&id), window, &claims, now).await?;
        }
        for supervisor in &supervisors {
            tx.insert_session_supervisor(&id, supervisor).await?;
        }
        // Seats are numbered in token order: tokens are pseudorandom, so "Expert n" says
        // nothing about stratum or rank.
        let mut members: Vec<(String, Vec<u8>)> = tx
            .family_seats(&draw.id)
            .await?
            .into_iter()
            .filter(|(_, _, state, _)| *state == CandidateState::Confirmed)
            .map(|(draw_id, token, _, _)| (draw_id, token))
            .collect();
        members.sort_by(|a, b| a.1.cmp(&b.1));
        for (number, (draw_id, token)) in members.iter().enumerate() {
            tx.insert_session_seat(&id, number as i32 + 1, draw_id, token, None, now)
                .await?;
        }
        // The representatives' seats follow the experts', in the order the host named them.
        let mut issued = Vec::with_capacity(named.len());
        let mut account_entries = Vec::with_capacity(named.len());
        for (index, (person, login)) in named.iter().zip(&logins).enumerate() {
            let seat = (members.len() + index + 1) as u32;
            let (join_code, entry) = self
                .seat_representative(&mut tx, &id, &draw.id, seat, person, login, host, now)
                .await?;
            account_entries.push(entry);
            issued.push(RepresentativeLogin {
                seat,
                label: crate::session::representative_label(seat),
                name: person.name.clone(),
                username: login.username.clone(),
                activation_code: login.code.clone(),
                activation_expires_at: to_rfc3339(login.expires_at),
                join_code,
            });
        }
        let representative_seats: Vec<u32> = issued.iter().map(|r| r.seat).collect();
        let seat_count = members.len() + issued.len();
        let mut writer = Writer::new(&mut tx, &id, now);
        let venue_seats: Vec<VenueSeats> = venues
            .iter()
            .filter(|v| v.seats > 0)
            .map(|v| VenueSeats {
                venue: v.venue,
                name: v.name.clone(),
                seats: v.seats,
            })
            .collect();
        writer
            .event(
                &Audience::all(),
                SessionEvent::SessionCreated {
                    mode,
                    seats: seat_count,
                    venues: venue_seats,
                    bidders: bidders.clone(),
                    criteria: criteria.clone(),
                    assignment,
                    representatives: representative_seats.clone(),
                },
            )
            .await?;
        let mut entry = AuditEntry::new("session.created", now, Actor::of(host))
            .reference("draw", &draw.id)
            .data("mode", mode.as_str())
            .data("seats", seat_count)
            .data(
                "tokens",
                members.iter().map(|(_, t)| hex::encode(t)).collect::<Vec<_>>(),
            )
            .data(
                "venues",
                venues
                    .iter()
                    .filter(|v| v.seats > 0)
                    .map(|v| {
                        let mut venue = json!({"venue": v.venue, "name": v.name, "operator": v.operator_id, "seats": v.seats});
                        if let Some(venue_id) = &v.venue_id {
                            venue["venue_id"] = json!(venue_id);
                        }
                        venue
                    })
                    .collect::<Vec<_>>(),
            )
            .data("supervisors", &supervisors)
            .data("bidders", &bidders)
            .data("criteria", &criteria)
            .data("deviation_percent", deviation_percent)
            .data("assignment", assignment.as_str())
            .data("method", row.method.as_str());
        if !credit_codes.is_empty() {
            entry = entry.data("bidder_credit_codes", &credit_codes);
        }
        if let Some(commitment) = &commitment {
            entry = entry.data("assignment_commitment", hex::encode(commitment));
        }
        if !named.is_empty() {
            // Seats and logins only: who they are stays sealed (DESIGN §4).
            entry = entry.data(
                "representatives",
                issued
                    .iter()
                    .zip(&logins)
                    .map(|(r, login)| json!({"seat": r.seat, "account": login.account_id}))
                    .collect::<Vec<_>>(),
            );
        }
        writer.audit(entry).await?;
        for entry in account_entries {
            writer.audit(entry).await?;
        }
        let loaded = load(&mut tx, &id).await?;
        let view = self.view_of(&loaded, SessionRole::Host);
        tx.commit().await?;
        self.hub.publish(&id).await;
        Ok(CreatedSession {
            view,
            representatives: issued,
        })
    }

    /// The representatives a request names, each checked (招标投标法 §37: the tenderer's
    /// representatives on the committee): a name of 1 to 50 characters, an employer of 1 to 100
    /// and a title of 1 to 50 if given, each one line; at most
    /// [`MAX_REPRESENTATIVES`](crate::draw::committee::MAX_REPRESENTATIVES). Whether their
    /// number is the draw's plan is checked with the draw.
    pub(crate) fn check_representatives(
        request: &NewSession,
    ) -> Result<Vec<Representative>, SessionError> {
        let max = crate::draw::committee::MAX_REPRESENTATIVES as usize;
        if request.representatives.len() > max {
            return Err(invalid(
                "representatives",
                format!("at most {max} representatives"),
            ));
        }
        request
            .representatives
            .iter()
            .enumerate()
            .map(|(i, person)| check_person(person, &format!("representatives[{i}].")))
            .collect()
    }

    /// One representative named on their own (a successor), checked as at creation.
    pub(crate) fn check_representative(person: &NewRepresentative) -> Result<(), SessionError> {
        check_person(person, "").map(drop)
    }

    /// Seats a representative: their login (from `login`, with its pending activation), the
    /// seat, their sealed identity and a join code, sealed too and returned once. The seat
    /// names the session's draw and, for want of a draw token, `representative:<seat>`.
    /// Returns the join code and the login's `account.created` entry, to append with the
    /// session's.
    #[expect(
        clippy::too_many_arguments,
        reason = "one seat's parts, each from a different source"
    )]
    pub(super) async fn seat_representative(
        &self,
        tx: &mut Tx,
        session_id: &str,
        draw_id: &str,
        seat: u32,
        person: &Representative,
        login: &PreparedLogin,
        host: &Principal,
        now: Millis,
    ) -> Result<(Zeroizing<String>, AuditEntry), SessionError> {
        let entry = crate::auth::service::record_prepared_login(tx, login, Actor::of(host), now)
            .await?
            .data("representative_seat", seat);
        tx.insert_session_seat(
            session_id,
            seat as i32,
            draw_id,
            representative_token(seat).as_bytes(),
            None,
            now,
        )
        .await?;
        let join_code = Zeroizing::new(hex::encode(
            self.rng
                .bytes::<5>()
                .map_err(|_| SessionError::Randomness)?,
        ));
        let identity = Zeroizing::new(serde_json::to_vec(person).map_err(corrupt)?);
        tx.insert_session_representative(
            session_id,
            &RepresentativeRow {
                seat: seat as i32,
                account_id: login.account_id.clone(),
                sealed_identity: self.keys.seal(
                    &self.rng,
                    &representative_identity_context(session_id, seat),
                    &identity,
                )?,
                sealed_join_code: self.keys.seal(
                    &self.rng,
                    &representative_join_code_context(session_id, seat),
                    join_code.as_bytes(),
                )?,
                named_at: now,
            },
        )
        .await?;
        Ok((join_code, entry))
    }

    pub(super) async fn validate_venues(
        &self,
        tx: &mut Tx,
        host: &Principal,
        mode: SessionMode,
        venues: &[crate::session::NewVenue],
        committee_size: usize,
    ) -> Result<(Vec<VenueRow>, Vec<Claim>), SessionError> {
        if mode == SessionMode::Distributed {
            if !venues.is_empty() {
                return Err(invalid(
                    "venues",
                    "a distributed session has no venues: every expert is at their own seat",
                ));
            }
            return Ok((
                vec![VenueRow {
                    venue: 0,
                    name: "host".into(),
                    operator_id: host.account_id.clone(),
                    seats: 0,
                    venue_id: None,
                }],
                Vec::new(),
            ));
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
        let mut claims = Vec::new();
        let mut operators = BTreeSet::new();
        let mut names = BTreeSet::new();
        for (index, venue) in venues.iter().enumerate() {
            let field = |name: &str| format!("venues[{index}].{name}");
            // A venue named by its label is checked in the order it always was; a catalogue
            // venue's label (its own, by default) once the venue is read.
            let mut check_name = |name: &str| -> Result<(), SessionError> {
                rules::check_text(&field("name"), name, rules::MAX_LABEL_CHARS)
                    .map_err(|(f, p)| invalid(f, p))?;
                if !names.insert(name.trim().to_owned()) {
                    return Err(invalid(field("name"), "venue names must differ"));
                }
                Ok(())
            };
            if venue.venue_id.is_none() {
                check_name(&venue.name)?;
            }
            if !(1..=MAX_VENUE_SEATS).contains(&venue.seats) {
                return Err(invalid(
                    field("seats"),
                    format!("must be from 1 to {MAX_VENUE_SEATS}"),
                ));
            }
            let (name, operator_id, venue_id) = match venue.venue_id.as_deref() {
                Some(venue_id) => {
                    let claim = Claim {
                        venue_id: venue_id.to_owned(),
                        workstations: venue.seats,
                        main: index == 0,
                        remote: true,
                        venue_field: field("venue_id"),
                        count_field: field("seats"),
                    };
                    let catalogued = bookings::resolve(tx, host, &claim).await?;
                    if venue
                        .operator
                        .as_deref()
                        .is_some_and(|operator| operator.trim() != catalogued.center_username)
                    {
                        return Err(invalid(
                            field("operator"),
                            format!(
                                "a catalogue venue is operated by its center, {}; omit operator",
                                catalogued.center_username
                            ),
                        ));
                    }
                    let name = if venue.name.trim().is_empty() {
                        catalogued.name.clone()
                    } else {
                        venue.name.clone()
                    };
                    check_name(&name)?;
                    claims.push(claim);
                    (name, catalogued.center_id, Some(catalogued.id))
                }
                None => {
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
                                .filter(|a| a.role == Role::Center && !a.disabled)
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
                    (venue.name.clone(), operator_id, None)
                }
            };
            if index > 0
                && (operator_id == host.account_id || !operators.insert(operator_id.clone()))
            {
                let at = if venue_id.is_some() {
                    "venue_id"
                } else {
                    "operator"
                };
                return Err(invalid(
                    field(at),
                    "each sub-venue is operated by a different center than the host's",
                ));
            }
            rows.push(VenueRow {
                venue: index as i32,
                name: name.trim().to_owned(),
                operator_id,
                seats: venue.seats as i32,
                venue_id,
            });
        }
        let capacity: u32 = venues.iter().map(|v| v.seats).sum();
        if (capacity as usize) < committee_size {
            return Err(invalid(
                "venues",
                format!("the venues seat {capacity}; the committee has {committee_size} members"),
            ));
        }
        Ok((rows, claims))
    }

    /// The host or an attached supervisor adds entropy to a random seat assignment, before
    /// check-in reveals it.
    pub(crate) async fn contribute(
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
        let role = staff_role_of(&mut tx, &loaded, who).await?;
        if !matches!(role, SessionRole::Host | SessionRole::Supervisor) {
            return Err(SessionError::Forbidden(
                "only the host and the session's supervisors contribute".into(),
            ));
        }
        if loaded.row.assignment != Assignment::Random {
            return Err(SessionError::Conflict(
                "the session's seats are not assigned at random".into(),
            ));
        }
        if let Some(hold) = loaded.hold
            && (hold == crate::draw::DrawHold::Cancelled || role != SessionRole::Supervisor)
        {
            return Err(SessionError::Draw(
                crate::draw::service::DrawServiceError::Held(hold),
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
        let mut writer = Writer::new(&mut tx, session_id, now);
        writer
            .event(
                &Audience::all(),
                SessionEvent::Contribution {
                    position,
                    role: role.name(),
                },
            )
            .await?;
        writer
            .audit(
                AuditEntry::new("session.contribution", now, Actor::of(who))
                    .data("position", position)
                    .data("role", role.name().as_str())
                    .data(
                        &self.keys.suite().digest_field(""),
                        self.keys.suite().hex_hash(bytes),
                    ),
            )
            .await?;
        tx.commit().await?;
        self.hub.publish(session_id).await;
        Ok(position as u32)
    }
}

/// A session's venues from its draw's bound strata (docs/SESSIONS.md): the host's own venue
/// first (the main venue), then the others in stratum order, each seating its strata's `k`.
/// The draw holds their workstations for the window and its sub-venues have consented (it
/// executed), so the session books nothing again.
async fn venues_of_draw(
    tx: &mut Tx,
    host: &Principal,
    draw: &crate::store::draws::DrawRow,
    bound: &[Option<String>],
) -> Result<Vec<VenueRow>, SessionError> {
    let strata = tx.draw_strata(&draw.id).await?;
    let mut seats: Vec<(String, i32)> = Vec::new();
    for (stratum, venue_id) in strata.iter().zip(bound) {
        let Some(venue_id) = venue_id else {
            continue;
        };
        match seats.iter_mut().find(|(id, _)| id == venue_id) {
            Some((_, n)) => *n += stratum.k,
            None => seats.push((venue_id.clone(), stratum.k)),
        }
    }
    let mut rows = Vec::with_capacity(seats.len());
    for (venue_id, seats) in seats {
        let venue = tx
            .venue(&venue_id)
            .await?
            .ok_or_else(|| corrupt("a bound stratum's venue is not in the catalogue"))?;
        rows.push(VenueRow {
            venue: 0,
            name: venue.name.trim().to_owned(),
            operator_id: venue.center_id,
            seats,
            venue_id: Some(venue.id),
        });
    }
    // The main venue is the host's own; the draw was refused without one.
    rows.sort_by_key(|row| row.operator_id != host.account_id);
    if rows.len() < 2 {
        return Err(invalid(
            "draw_id",
            "the draw's strata are all bound to one venue: a cross-site session has a main \
             venue and at least one sub-venue",
        ));
    }
    for (number, row) in rows.iter_mut().enumerate() {
        row.venue = number as i32;
    }
    Ok(rows)
}

/// A representative as checked, before sealing: what the host named. No `Debug`.
#[derive(Clone, serde::Serialize)]
pub(crate) struct Representative {
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) employer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<String>,
}

/// One representative as the host names them, each field checked and named under `prefix`.
pub(crate) fn check_person(
    person: &NewRepresentative,
    prefix: &str,
) -> Result<Representative, SessionError> {
    let text = |name: &str, value: &str, max: usize| {
        BoundedText::parse(value, Lines::One, 1..=max)
            .map(BoundedText::into_string)
            .map_err(|problem| invalid(format!("{prefix}{name}"), problem))
    };
    let optional = |name: &str, value: &Option<String>, max: usize| match value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(value) => text(name, value, max).map(Some),
        None => Ok(None),
    };
    Ok(Representative {
        name: text("name", &person.name, 50)?,
        employer: optional("employer", &person.employer, 100)?,
        title: optional("title", &person.title, 50)?,
    })
}

/// What a representative's seat holds instead of a draw token: never 32 bytes, so never a
/// token.
fn representative_token(seat: u32) -> String {
    format!("representative:{seat}")
}

/// The sealing context of a representative's identity (name, employer, title).
pub(crate) fn representative_identity_context(session_id: &str, seat: u32) -> String {
    format!("session-representative:{session_id}:{seat}")
}

/// The sealing context of the join code a representative checks in with.
pub(crate) fn representative_join_code_context(session_id: &str, seat: u32) -> String {
    format!("session-representative-join-code:{session_id}:{seat}")
}

/// The bidders' credit codes: none, or one valid and distinct code per bidder.
fn validate_credit_codes(
    bidders: &[String],
    codes: &[String],
) -> Result<Vec<String>, SessionError> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    if codes.len() != bidders.len() {
        return Err(invalid(
            "bidder_credit_codes",
            format!(
                "give one code per bidder, in the order of bidders ({} bidders, {} codes)",
                bidders.len(),
                codes.len()
            ),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut clean = Vec::with_capacity(codes.len());
    for (index, code) in codes.iter().enumerate() {
        let field = format!("bidder_credit_codes[{index}]");
        let code = crate::pool::validate::CreditCode::parse(code)
            .map_err(|problem| invalid(field.clone(), problem))?
            .as_str()
            .to_owned();
        if !seen.insert(code.clone()) {
            return Err(invalid(field, "two bidders cannot share a credit code"));
        }
        clean.push(code);
    }
    Ok(clean)
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
    root_draw_id: &str,
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
            .filter(|a| a.role == Role::Supervisor && !a.disabled)
            .ok_or_else(|| {
                invalid(
                    format!("supervisors[{index}]"),
                    "no active supervisor account has this username",
                )
            })?;
        if ids.contains(&account.id) {
            return Err(invalid(format!("supervisors[{index}]"), "named twice"));
        }
        // 实施条例 §46 ¶4: a session is supervised from within its draw's jurisdiction.
        let scope = crate::auth::jurisdiction::scope_of_supervisor(tx, &account.id).await?;
        if !scope.covers_draw(tx, root_draw_id).await? {
            return Err(invalid(
                format!("supervisors[{index}]"),
                "this supervisor's jurisdiction does not cover the draw's region and industry",
            ));
        }
        ids.push(account.id);
    }
    Ok(ids)
}
