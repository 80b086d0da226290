//! TEMPORARY (branch notify-invitations only): replaced by the real outbox from notify-outbox.
use std::collections::BTreeMap;

use crate::clock::Millis;
use crate::crypto::{KeyRing, Rng};
use crate::store::Tx;

pub struct NewNotification {
    pub expert_id: String,
    pub template: String,
    pub params: BTreeMap<String, String>,
    pub subject_kind: String,
    pub subject_id: String,
}

pub async fn enqueue(
    _tx: &mut Tx,
    _keys: &KeyRing,
    _rng: &Rng,
    _now: Millis,
    _n: &NewNotification,
) -> Result<String, String> {
    Ok(String::new())
}
