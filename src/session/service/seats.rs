//! Seats that change hands: a recusal or departure vacates a seat through the draw's
//! replacement rule, voids the member's conclusions, and seats the successor.

use std::collections::BTreeSet;

use super::{Loaded, SessionService, Writer, family_states};
use crate::audit::{Actor, AuditEntry};
use crate::draw::service::PendingReplacement;
use crate::draw::{CandidateState, DrawToken, VacancyReason};
use crate::session::events::{Audience, EventKind, SessionEvent};
use crate::session::protocol::Vacancy;
use crate::session::rules::Phase;
use crate::session::{SeatState, SessionError, SessionMode, VoidReason, corrupt, seat_label};
use crate::store::sessions::SeatRow;

impl SessionService {
    /// Vacates a seat (recusal or departure): the draw seats the next reserve (or starts a
    /// linked draw), the member's sheets, vote and signature are void, and a session past the
    /// evaluation returns to it so the successor evaluates afresh.
    pub(super) async fn vacate(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        actor: Actor,
        seat: u32,
        reason: VacancyReason,
        pending: &mut Vec<PendingReplacement>,
    ) -> Result<Vacancy, SessionError> {
        let row = self.active_seat(loaded, seat)?.clone();
        if loaded.is_representative(seat) {
            // Named, not drawn: no reserve takes the seat. The host names the tenderer's new
            // representative (`POST /api/v1/sessions/{id}/representatives`).
            self.void_seat(writer, loaded, seat, reason.into(), actor)
                .await?;
            return Ok(Vacancy {
                vacated: seat,
                successor_seat: None,
            });
        }
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
        self.void_seat(writer, loaded, seat, reason.into(), actor)
            .await?;
        // The successor (if the stratum had a reserve) joins as a new seat; with none left a
        // linked draw is started after commit, and its member joins when seated.
        let before = loaded.seats.len();
        self.sync_seats(writer, loaded).await?;
        let added = loaded.seats.get(before).map(|s| s.seat as u32);

        Ok(Vacancy {
            vacated: seat,
            successor_seat: added,
        })
    }

    pub(super) async fn void_seat(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        seat: u32,
        reason: VoidReason,
        actor: Actor,
    ) -> Result<(), SessionError> {
        if !writer
            .tx
            .void_session_seat(&loaded.row.id, seat as i32, reason, writer.now)
            .await?
        {
            return Ok(());
        }
        let token = (!loaded.is_representative(seat)).then(|| {
            loaded
                .seat(seat)
                .map(|s| hex::encode(&s.token))
                .unwrap_or_default()
        });
        if let Some(row) = loaded.seats.iter_mut().find(|s| s.seat as u32 == seat) {
            row.state = SeatState::Void;
            row.void_reason = Some(reason);
        }
        let voided_sheets = loaded.sheets.remove(&(seat as i32)).map_or(0, |s| s.len());
        writer
            .event(
                &Audience::all(),
                SessionEvent::SeatVacated {
                    seat,
                    label: loaded.label(seat),
                    reason,
                    voided_sheets,
                },
            )
            .await?;
        let entry = AuditEntry::new("session.seat_vacated", writer.now, actor).data("seat", seat);
        let entry = match token {
            Some(token) => entry.data("token", token),
            None => entry.data("representative", true),
        };
        writer
            .audit(
                entry
                    .data("reason", reason.as_str())
                    .data("voided_sheets", voided_sheets),
            )
            .await?;
        if loaded.row.chair_seat == Some(seat as i32) {
            writer.tx.set_session_chair(&loaded.row.id, None).await?;
            loaded.row.chair_seat = None;
            writer
                .event(&Audience::all(), SessionEvent::ChairVacated { seat })
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
            // A new report will get a new deadline.
            writer.tx.set_signing_deadline(&loaded.row.id, None).await?;
            loaded.row.signing_deadline = None;
            writer
                .tx
                .set_session_phase(&loaded.row.id, Phase::Evaluation)
                .await?;
            loaded.phase = Phase::Evaluation;
            writer
                .event(
                    &Audience::all(),
                    SessionEvent::PhaseChanged {
                        from,
                        to: Phase::Evaluation,
                        reason: Some(format!(
                            "{} was replaced; the successor evaluates afresh",
                            loaded.label(seat)
                        )),
                    },
                )
                .await?;
            writer
                .audit(
                    AuditEntry::new("session.phase", writer.now, Actor::System)
                        .data("from", from.as_str())
                        .data("to", Phase::Evaluation.as_str())
                        .data("reason", EventKind::SeatVacated.as_str()),
                )
                .await?;
        }
        Ok(())
    }

    /// Brings the session's seats in line with the draw: a member the draw replaced (through
    /// any path) is void here, and a newly seated successor gets the next seat number.
    pub(super) async fn sync_seats(
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
                    .is_some_and(|state| *state == CandidateState::Replaced)
            })
            .map(|s| s.seat as u32)
            .collect();
        for seat in replaced {
            self.void_seat(writer, loaded, seat, VoidReason::Replaced, Actor::System)
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
            .filter(|(key, state)| **state != CandidateState::Replaced && !known.contains(*key))
            .map(|(key, _)| key.clone())
            .collect();
        newcomers.sort();
        let places = if newcomers.is_empty() {
            Default::default()
        } else {
            super::phases::bound_places(writer.tx, loaded).await?
        };
        for (draw_id, token) in newcomers {
            let seat = loaded.seats.iter().map(|s| s.seat).max().unwrap_or(0) + 1;
            let venue = if loaded.phase == Phase::Scheduled
                || loaded.row.mode == SessionMode::Distributed
            {
                None
            } else if let Some(venue) = places.get(&(draw_id.clone(), token.clone())) {
                // A successor in a stratum bound to a venue sits where their stratum sits.
                Some(*venue)
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
                state: SeatState::Active,
                void_reason: None,
                checked_in_at: None,
                declared_at: None,
                vote: None,
                signature: None,
                dissent_reasons: None,
            });
            writer
                .event(
                    &Audience::all(),
                    SessionEvent::SeatAdded {
                        seat,
                        label: seat_label(seat as u32),
                        venue,
                        representative: false,
                    },
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
    pub(super) fn roomiest_venue(&self, loaded: &Loaded) -> i32 {
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
}
