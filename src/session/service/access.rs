//! Who may connect, and how: single-use tickets, their redemption at the websocket, the
//! welcome, and presence for the host and supervisors.

use super::{SessionService, Writer, is_session_id, load};
use crate::auth::Principal;
use crate::session::events::{Audience, SessionEvent};
use crate::session::rules::Phase;
use crate::session::slots::ConnectionSlot;
use crate::session::{IssuedTicket, Member, RoleName, SeatState, SessionError, SessionRole};
use crate::store::sessions::TicketRow;

impl SessionService {
    /// Mints a single-use websocket ticket for a participant.
    pub(crate) async fn ticket(
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
        let mut writer = Writer::new(&mut tx, session_id, now);
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
            &self.keys.suite().hash(text.as_bytes()),
            &TicketRow {
                session_id: session_id.into(),
                account_id: who.account_id.clone(),
                role: role.name(),
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
            role: role.name(),
            seat: role.seat(),
            path: format!("/api/v1/sessions/{session_id}/ws"),
        })
    }

    /// Redeems a ticket for the websocket of `session_id`: once, before it expires, and only
    /// while its account holds fewer than `max_connections_per_account` connections here. The
    /// slot it returns is the connection's; a ticket refused for want of a slot is not spent.
    pub(crate) async fn redeem(
        &self,
        session_id: &str,
        ticket: &str,
    ) -> Result<(Member, ConnectionSlot), SessionError> {
        if ticket.is_empty() || ticket.len() > 64 {
            return Err(SessionError::BadTicket("the ticket is not valid"));
        }
        let hash = self.keys.suite().hash(ticket.as_bytes());
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let row = tx
            .session_ticket(&hash)
            .await?
            .filter(|row| row.session_id == session_id)
            .ok_or(SessionError::BadTicket("the ticket is not valid"))?;
        if row.used_at.is_some() {
            return Err(SessionError::BadTicket("the ticket has already been used"));
        }
        if now >= row.expires_at {
            tx.spend_session_ticket(&hash, now).await?;
            tx.commit().await?;
            return Err(SessionError::BadTicket("the ticket has expired"));
        }
        let seat = row.seat.map(|s| s as u32).unwrap_or_default();
        let role = match row.role {
            RoleName::Host => SessionRole::Host,
            RoleName::Operator => SessionRole::Operator(seat),
            RoleName::Supervisor => SessionRole::Supervisor,
            RoleName::Expert => SessionRole::Expert(seat),
        };
        // A seat vacated since the ticket was minted no longer joins.
        if role == SessionRole::Expert(seat)
            && !tx
                .session_seats(session_id)
                .await?
                .iter()
                .any(|s| s.seat as u32 == seat && s.state == SeatState::Active)
        {
            tx.spend_session_ticket(&hash, now).await?;
            tx.commit().await?;
            return Err(SessionError::Forbidden(
                "the seat has been vacated; a replaced member does not rejoin".into(),
            ));
        }
        // Taken before the ticket is spent, and given back (dropped) if spending fails.
        let slot = self.slots.take(&row.account_id).ok_or_else(|| {
            metrics::counter!("session_connections_refused_over_cap_total").increment(1);
            SessionError::TooManyConnections {
                per_account: self.slots.per_account(),
            }
        })?;
        if !tx.spend_session_ticket(&hash, now).await? {
            return Err(SessionError::BadTicket("the ticket has already been used"));
        }
        tx.commit().await?;
        let member = Member {
            session_id: session_id.into(),
            account_id: row.account_id,
            role,
        };
        Ok((member, slot))
    }

    /// The phase and newest event number, for a connection's welcome.
    pub(crate) async fn welcome(&self, member: &Member) -> Result<(Phase, i64), SessionError> {
        let mut tx = self.store.read().await?;
        let row = tx
            .session(&member.session_id)
            .await?
            .ok_or(SessionError::NotFound)?;
        tx.rollback().await?;
        Ok((row.phase, row.next_seq - 1))
    }

    /// Records that a participant connected or left, for the host and supervisors.
    pub(crate) async fn presence(
        &self,
        member: &Member,
        connected: bool,
    ) -> Result<(), SessionError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        tx.lock_session(&member.session_id).await?;
        // A representative's seat is named as such ("Representative n").
        let who = match member.role.seat() {
            Some(seat)
                if tx
                    .session_representatives(&member.session_id)
                    .await?
                    .iter()
                    .any(|r| r.seat as u32 == seat) =>
            {
                crate::session::representative_label(seat)
            }
            _ => member.role.label(),
        };
        let mut writer = Writer::new(&mut tx, &member.session_id, now);
        writer
            .event(
                &Audience::staff(),
                SessionEvent::Presence {
                    who,
                    role: member.role.name(),
                    seat: member.role.seat(),
                    connected,
                },
            )
            .await?;
        tx.commit().await?;
        self.hub.publish(&member.session_id).await;
        Ok(())
    }
}
