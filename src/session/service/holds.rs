//! A suspension, resumption or cancellation of the evaluation (issue 16 §4), as the session of
//! the tender's draw records it: one event to everyone, in the transaction that approves it.

use super::{SessionService, Writer};
use crate::clock::Millis;
use crate::session::SessionError;
use crate::session::events::{Audience, SessionEvent};
use crate::session::rules::Phase;
use crate::store::Tx;

impl SessionService {
    /// Records `event` (suspended, resumed, cancelled) in the session of the root draw, if it
    /// has one that has not closed; returns that session's id, for [`Self::published`] after
    /// the caller's commit.
    pub(crate) async fn record_hold(
        &self,
        tx: &mut Tx,
        root_draw_id: &str,
        event: SessionEvent,
        now: Millis,
    ) -> Result<Option<String>, SessionError> {
        let Some(session_id) = tx.session_of_draw(root_draw_id).await? else {
            return Ok(None);
        };
        let loaded = self.locked(tx, &session_id).await?;
        if loaded.phase == Phase::Closed {
            return Ok(None);
        }
        Writer::new(tx, &session_id, now)
            .event(&Audience::all(), event)
            .await?;
        Ok(Some(session_id))
    }

    /// Wakes the session's connections after a commit that wrote its events.
    pub(crate) async fn published(&self, session_id: &str) {
        self.hub.publish(session_id).await;
    }
}
