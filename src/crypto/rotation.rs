//! Master sealing-key rotation while servers run: a new key becomes active, then every value
//! sealed directly under a master key (records' data keys, TOTP secrets) is re-sealed under it
//! in small transactions. Servers notice the new key file within seconds, and open values under
//! either key meanwhile.

use super::seal::SealedParts;
use super::{KeyRing, Rng};
use crate::store::pool::MasterSealed;
use crate::store::{Store, StoreError};

const BATCH: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a sealed value does not open: {0}")]
    Seal(#[from] super::seal::SealError),
}

/// Re-seals every master-sealed value not yet under the active key; returns how many.
pub async fn reseal_all(store: &Store, keys: &KeyRing, rng: &Rng) -> Result<u64, RotationError> {
    let active = keys.active_sealing_key_id();
    let mut resealed = 0;
    for kind in [
        MasterSealed::ExpertDataKeys,
        MasterSealed::AccountTotpSecrets,
        MasterSealed::OutboxRecipients,
        MasterSealed::OutboxParams,
    ] {
        let mut after = String::new();
        loop {
            let mut tx = store.write().await?;
            let page = tx.master_sealed_page(kind, &after, BATCH).await?;
            let Some((last, _)) = page.last() else { break };
            after = last.clone();
            for (id, sealed) in &page {
                if SealedParts::parse(sealed)?.key_id == active {
                    continue;
                }
                let context = match kind {
                    MasterSealed::ExpertDataKeys => format!("expert/{id}/data-key"),
                    MasterSealed::AccountTotpSecrets => format!("account/{id}/totp"),
                    MasterSealed::OutboxRecipients => crate::notify::outbox::recipient_context(id),
                    MasterSealed::OutboxParams => crate::notify::outbox::params_context(id),
                };
                let plain = keys.open(&context, sealed)?;
                tx.set_master_sealed(kind, id, &keys.seal(rng, &context, &plain)?)
                    .await?;
                resealed += 1;
            }
            tx.commit().await?;
        }
    }
    Ok(resealed)
}
