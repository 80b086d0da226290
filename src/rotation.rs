//! Master sealing-key rotation while servers run: a new key becomes active, then every value
//! sealed directly under a master key (records' data keys, TOTP secrets, the outbox's sealed
//! recipients and parameters, alerts' experts, staff phones) is re-sealed under it in small transactions. Servers notice the
//! new key file within seconds, and open values under either key meanwhile.
//!
//! `crypto` re-seals one value ([`KeyRing::reseal`]); this module walks the tables and names
//! each value's sealing context, which the module that sealed it owns.

use crate::crypto::seal::SealError;
use crate::crypto::{KeyRing, Rng};
use crate::store::pool::MasterSealed;
use crate::store::{Store, StoreError};

const BATCH: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub(crate) enum RotationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a sealed value does not open: {0}")]
    Seal(#[from] SealError),
}

/// Re-seals every master-sealed value not yet under the active key; returns how many.
pub(crate) async fn reseal_all(
    store: &Store,
    keys: &KeyRing,
    rng: &Rng,
) -> Result<u64, RotationError> {
    let mut resealed = 0;
    for kind in [
        MasterSealed::ExpertDataKeys,
        MasterSealed::AccountTotpSecrets,
        MasterSealed::OutboxRecipients,
        MasterSealed::OutboxParams,
        MasterSealed::AlertExperts,
        MasterSealed::AccountPhones,
    ] {
        let mut after = String::new();
        loop {
            let mut tx = store.write().await?;
            let page = tx.master_sealed_page(kind, &after, BATCH).await?;
            let Some((last, _)) = page.last() else { break };
            after = last.clone();
            for (id, sealed) in &page {
                let context = match kind {
                    MasterSealed::ExpertDataKeys => crate::pool::service::data_key_context(id),
                    MasterSealed::AccountTotpSecrets => crate::auth::service::totp_context(id),
                    MasterSealed::OutboxRecipients => crate::notify::outbox::recipient_context(id),
                    MasterSealed::OutboxParams => crate::notify::outbox::params_context(id),
                    MasterSealed::AlertExperts => {
                        crate::analytics::alerts::alert_experts_context(id)
                    }
                    MasterSealed::AccountPhones => crate::auth::service::staff_phone_context(id),
                };
                if let Some(again) = keys.reseal(rng, &context, sealed)? {
                    tx.set_master_sealed(kind, id, &again).await?;
                    resealed += 1;
                }
            }
            tx.commit().await?;
        }
    }
    Ok(resealed)
}
