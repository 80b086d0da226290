//! Notifying experts (docs/NOTIFY.md): a transactional outbox, the gateways that carry a message
//! to the province's voice/SMS platform, and the worker that delivers with retries.
//!
//! - [`outbox`]: [`outbox::enqueue`] writes a notification inside the caller's transaction (the
//!   draw result or replacement that causes it), so a message exists if and only if its cause
//!   committed. Recipient and parameters are sealed; the row's id is the idempotency key.
//! - [`gateway`]: `webhook` (HTTPS POST of HMAC-signed JSON, pinned CA) and `log` (development).
//! - [`worker`]: claims due rows with an expiring lease, opens the phone number only then,
//!   sends, and records the outcome with its audit entry; retries with exponential backoff.
//!
//! Delivery is at least once from the server's side and exactly once at the gateway: a crash
//! after the platform accepted a message but before the outcome was recorded makes the worker
//! send again after the lease expires, with the same `Idempotency-Key`, which the platform
//! deduplicates.

pub mod gateway;
pub mod invitations;
pub(crate) mod outbox;
pub(crate) mod worker;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::audit::AuditError;
use crate::clock::SharedClock;
use crate::config::NotifySettings;
use crate::crypto::KeyRing;
use crate::crypto::seal::SealError;
use crate::deps::Deps;
use crate::pool::{PoolError, PoolService};
use crate::store::{Store, StoreError};

pub use gateway::Gateway;
pub use outbox::{NewNotification, enqueue};
pub use worker::DeliveryRound;

crate::store::text_enum::text_enum! {
    /// Where an invitation stands. It is answered once: pending until the expert accepts or
    /// declines, or its deadline passes; a seat vacated meanwhile withdraws it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum InvitationState {
        Pending = "pending",
        Accepted = "accepted",
        Declined = "declined",
        /// The deadline passed without an answer (the seat's vacancy is `no_answer`).
        Expired = "expired",
        Withdrawn = "withdrawn",
    }
}

crate::store::text_enum::text_enum! {
    /// Why an expert declines an invitation.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum DeclineReason {
        Leave = "leave",
        /// Declared with the relationship, which is kept sealed.
        ConflictOfInterest = "conflict_of_interest",
        Illness = "illness",
        Other = "other",
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// A caller's mistake; the message names the field, never a value.
    #[error("notification is not valid: {0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("sealing failed: {0}")]
    Sealing(#[from] SealError),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error("randomness unavailable")]
    Randomness,
}

/// Template parameters (name → value), e.g. the one-time confirmation code, the reply deadline,
/// the report time window. They may be secret, so this type has no `Debug`, `Display` or
/// `Serialize`, and its contents are wiped when dropped.
#[derive(Default)]
pub struct TemplateParams(BTreeMap<String, String>);

/// At most this many parameters per message…
pub(crate) const MAX_PARAMS: usize = 16;
/// …each value at most this many characters.
pub(crate) const MAX_PARAM_CHARS: usize = 256;

impl TemplateParams {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a parameter; names are checked when the notification is enqueued.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.insert(name, value);
        self
    }

    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        if let Some(mut old) = self.0.insert(name.into(), value.into()) {
            old.zeroize();
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub(crate) fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// A problem with the names or values, naming the parameter but never showing a value.
    pub(crate) fn problem(&self) -> Option<String> {
        if self.0.len() > MAX_PARAMS {
            return Some(format!("at most {MAX_PARAMS} template parameters"));
        }
        for (name, value) in &self.0 {
            if !is_identifier(name, 32) {
                return Some(format!(
                    "template parameter names are 1–32 characters of a-z, 0-9 and _ ({name:?} \
                     is not)"
                ));
            }
            if value.chars().count() > MAX_PARAM_CHARS || value.chars().any(char::is_control) {
                return Some(format!(
                    "template parameter {name} must be at most {MAX_PARAM_CHARS} characters \
                     without control characters"
                ));
            }
        }
        None
    }
}

impl Drop for TemplateParams {
    fn drop(&mut self) {
        for value in self.0.values_mut() {
            value.zeroize();
        }
    }
}

/// Lower-case ASCII letters, digits and `_`, not empty, at most `max` long: the shape of
/// parameter names and subject kinds.
fn is_identifier(text: &str, max: usize) -> bool {
    !text.is_empty()
        && text.len() <= max
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Like [`is_identifier`] but also `-` and `.`, at most 64 long: template ids.
fn is_template_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
        })
}

/// The outbox's delivery side: what the worker needs, held in `AppState`.
pub struct NotifyService {
    store: Store,
    clock: SharedClock,
    keys: Arc<KeyRing>,
    pool: PoolService,
    gateway: Gateway,
    settings: NotifySettings,
}

impl NotifyService {
    /// From `[notify]` settings (already validated). `data_dir` places the log gateway's file
    /// when none is configured.
    pub(crate) fn new(
        deps: &Deps,
        settings: &NotifySettings,
        data_dir: &Path,
    ) -> anyhow::Result<Self> {
        let gateway = Gateway::from_settings(settings, data_dir)?;
        let pool = PoolService::new(deps);
        Ok(Self {
            store: deps.store.clone(),
            clock: deps.clock.clone(),
            keys: deps.keys.clone(),
            pool,
            gateway,
            settings: settings.clone(),
        })
    }

    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }
}

#[cfg(test)]
mod tests {
    use super::{DeclineReason, InvitationState, TemplateParams, is_identifier, is_template_id};

    #[test]
    fn parameter_problems_name_the_parameter_but_never_the_value() {
        let params = TemplateParams::new().with("code", "secret-123\n");
        let problem = params.problem().unwrap();
        assert!(problem.contains("code"), "{problem}");
        assert!(!problem.contains("secret-123"), "{problem}");
        assert!(
            TemplateParams::new()
                .with("Bad Name", "x")
                .problem()
                .is_some()
        );
        assert!(
            TemplateParams::new()
                .with("code", "123456")
                .with("deadline", "2026-11-26 10:15")
                .problem()
                .is_none()
        );
    }

    #[test]
    fn identifiers_are_lower_case_words() {
        assert!(is_template_id("expert-invitation.v1"));
        assert!(!is_template_id("Invitation"));
        assert!(!is_template_id(""));
        assert!(is_identifier("report_window", 32));
        assert!(!is_identifier("report-window", 32));
    }

    #[test]
    fn invitation_states_and_decline_reasons_serialise_as_their_stored_text() {
        crate::store::text_enum::assert_serde_is_text::<InvitationState>();
        crate::store::text_enum::assert_serde_is_text::<DeclineReason>();
        assert_eq!(
            DeclineReason::NAMES.join(", "),
            "leave, conflict_of_interest, illness, other"
        );
    }
}
