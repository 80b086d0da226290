//! A tenderer's representative named in place of one who left (招标投标法 §37: the tenderer's
//! representatives are its own to name, so no reserve or linked draw fills their seat): the
//! host names the successor, who gets a new seat, a login and a join code like the first.

use super::create::check_person;
use super::{SessionService, Writer, staff_role_of};
use crate::audit::AuditEntry;
use crate::auth::Principal;
use crate::auth::service::PreparedLogin;
use crate::clock::to_rfc3339;
use crate::session::events::{Audience, SessionEvent};
use crate::session::rules::Phase;
use crate::session::{
    NewRepresentative, RepresentativeLogin, SessionError, SessionMode, SessionRole,
    representative_label,
};

impl SessionService {
    /// The host names a representative in place of one whose seat is void, while the session
    /// is open; `login` is theirs (`AuthService::prepare_logins`). Refused while every
    /// representative the draw planned holds an active seat.
    pub(crate) async fn name_representative(
        &self,
        host: &Principal,
        session_id: &str,
        person: &NewRepresentative,
        login: &PreparedLogin,
    ) -> Result<RepresentativeLogin, SessionError> {
        let person = check_person(person, "")?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let loaded = self.locked(&mut tx, session_id).await?;
        if staff_role_of(&mut tx, &loaded, host).await? != SessionRole::Host {
            return Err(SessionError::Forbidden(
                "only the host names the tenderer's representatives".into(),
            ));
        }
        if loaded.phase == Phase::Closed {
            return Err(super::wrong_phase(loaded.phase, "the session is closed"));
        }
        let active = loaded
            .active_seats()
            .filter(|seat| loaded.is_representative(seat.seat as u32))
            .count();
        if active >= loaded.planned_representatives {
            return Err(SessionError::Conflict(format!(
                "the committee has its {} tenderer's representatives: a successor is named only \
                 in place of one whose seat is void",
                loaded.planned_representatives
            )));
        }
        let seat = loaded.seats.iter().map(|s| s.seat).max().unwrap_or(0) + 1;
        let (join_code, account_entry) = self
            .seat_representative(
                &mut tx,
                session_id,
                &loaded.row.draw_id,
                seat as u32,
                &person,
                login,
                host,
                now,
            )
            .await?;
        // At the main venue once seats are placed, as the representatives before.
        let venue = (loaded.phase != Phase::Scheduled && loaded.row.mode == SessionMode::CrossSite)
            .then_some(0);
        if let Some(venue) = venue {
            tx.set_seat_venue(session_id, seat, venue).await?;
        }
        let mut writer = Writer::new(&mut tx, session_id, now);
        writer
            .event(
                &Audience::all(),
                SessionEvent::SeatAdded {
                    seat,
                    label: representative_label(seat as u32),
                    venue,
                    representative: true,
                },
            )
            .await?;
        writer
            .audit(
                AuditEntry::new("session.seat_added", now, crate::audit::Actor::of(host))
                    .data("seat", seat)
                    .data("representative", true)
                    .data("account", &login.account_id),
            )
            .await?;
        writer.audit(account_entry).await?;
        tx.commit().await?;
        self.hub.publish(session_id).await;
        Ok(RepresentativeLogin {
            seat: seat as u32,
            label: representative_label(seat as u32),
            name: person.name,
            username: login.username.clone(),
            activation_code: login.code.clone(),
            activation_expires_at: to_rfc3339(login.expires_at),
            join_code,
        })
    }
}
