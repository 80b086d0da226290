//! Writing notifications: one outbox row per message, inside the transaction of the action that
//! causes it, with its `notify.queued` audit entry.

use zeroize::Zeroizing;

use super::{NotifyError, TemplateParams, is_identifier, is_template_id};
use crate::audit::{self, Actor, AuditEntry};
use crate::clock::Millis;
use crate::crypto::{KeyRing, Rng};
use crate::store::Tx;
use crate::store::outbox::NewOutboxRow;

/// A message to one expert. No `Debug`: the parameters may hold a one-time code.
pub struct NewNotification {
    /// The recipient's pool record; its phone number is looked up only when the message is sent.
    pub expert_id: String,
    /// The platform's template id, e.g. `expert-invitation` (a-z, 0-9, `_`, `-`, `.`).
    pub template: &'static str,
    pub params: TemplateParams,
    /// What the message is about, for joining later, e.g. `("invitation", invitation id)`.
    /// The kind is a-z, 0-9 and `_`; the id at most 64 characters.
    pub subject_kind: &'static str,
    pub subject_id: String,
}

/// Writes `notification` to the outbox inside `tx` and appends `notify.queued` (naming the
/// outbox id, template and subject only). The caller commits; the worker delivers after that.
/// Returns the outbox id, which is also the idempotency key the gateway sees.
pub async fn enqueue(
    tx: &mut Tx,
    keys: &KeyRing,
    rng: &Rng,
    now: Millis,
    notification: &NewNotification,
) -> Result<String, NotifyError> {
    let mut queued = seal_all(tx, keys, rng, now, std::slice::from_ref(notification)).await?;
    insert_all(tx, &queued).await?;
    let queued = queued
        .pop()
        .ok_or(NotifyError::Invalid("nothing queued".into()))?;
    audit::append(tx, &queued.entry).await?;
    metrics::counter!("notify_queued_total").increment(1);
    Ok(queued.id)
}

/// A notification checked and sealed, not yet written: its row and its `notify.queued` entry,
/// which the caller appends (in the order its own entries need) after [`insert_all`].
pub(crate) struct Queued {
    pub id: String,
    sealed_recipient: Vec<u8>,
    template: &'static str,
    sealed_params: Vec<u8>,
    subject_kind: &'static str,
    subject_id: String,
    now: Millis,
    pub(crate) entry: AuditEntry,
}

/// Checks and seals `notifications`, looking their recipients up in one query.
pub(crate) async fn seal_all(
    tx: &mut Tx,
    keys: &KeyRing,
    rng: &Rng,
    now: Millis,
    notifications: &[NewNotification],
) -> Result<Vec<Queued>, NotifyError> {
    for notification in notifications {
        check(notification)?;
    }
    let recipients: Vec<&str> = notifications.iter().map(|n| n.expert_id.as_str()).collect();
    let in_pool = tx.experts_in_pool(&recipients).await?;
    if recipients
        .iter()
        .any(|id| !in_pool.iter().any(|found| found == id))
    {
        return Err(NotifyError::Invalid(
            "the recipient is not in the pool".into(),
        ));
    }
    seal_checked(keys, rng, now, notifications)
}

/// Queues a message to a staff account (`account:<id>` as the sealed recipient; the worker
/// opens the account's sealed number just before sending), with its `notify.queued` entry.
/// `None`, and nothing written, when the account has no number: what concerns it is in the
/// console anyway.
pub(crate) async fn enqueue_for_account(
    tx: &mut Tx,
    keys: &KeyRing,
    rng: &Rng,
    now: Millis,
    account_id: &str,
    notification: NewNotification,
) -> Result<Option<String>, NotifyError> {
    if tx.account_contact(account_id).await?.is_none() {
        return Ok(None);
    }
    let notification = NewNotification {
        expert_id: format!("{ACCOUNT_RECIPIENT}{account_id}"),
        ..notification
    };
    check(&notification)?;
    let mut queued = seal_checked(keys, rng, now, std::slice::from_ref(&notification))?;
    insert_all(tx, &queued).await?;
    let queued = queued
        .pop()
        .ok_or(NotifyError::Invalid("nothing queued".into()))?;
    audit::append(tx, &queued.entry).await?;
    metrics::counter!("notify_queued_total").increment(1);
    Ok(Some(queued.id))
}

/// A sealed recipient naming a staff account rather than a pool record.
pub(crate) const ACCOUNT_RECIPIENT: &str = "account:";

fn seal_checked(
    keys: &KeyRing,
    rng: &Rng,
    now: Millis,
    notifications: &[NewNotification],
) -> Result<Vec<Queued>, NotifyError> {
    let mut queued = Vec::with_capacity(notifications.len());
    for notification in notifications {
        let id = new_id(rng, now)?;
        let sealed_recipient = keys.seal(
            rng,
            &recipient_context(&id),
            notification.expert_id.as_bytes(),
        )?;
        let params = Zeroizing::new(
            serde_json::to_vec(notification.params.as_map())
                .map_err(|_| NotifyError::Invalid("template parameters".into()))?,
        );
        let sealed_params = keys.seal(rng, &params_context(&id), &params)?;
        let entry = AuditEntry::new("notify.queued", now, Actor::System)
            .reference("outbox", id.clone())
            .reference(notification.subject_kind, notification.subject_id.clone())
            .data("template", notification.template);
        queued.push(Queued {
            id,
            sealed_recipient,
            template: notification.template,
            sealed_params,
            subject_kind: notification.subject_kind,
            subject_id: notification.subject_id.clone(),
            now,
            entry,
        });
    }
    Ok(queued)
}

/// Writes the rows of [`seal_all`]'s notifications, in one statement.
pub(crate) async fn insert_all(tx: &mut Tx, queued: &[Queued]) -> Result<(), NotifyError> {
    let rows: Vec<NewOutboxRow> = queued
        .iter()
        .map(|q| NewOutboxRow {
            id: &q.id,
            sealed_recipient: &q.sealed_recipient,
            template: q.template,
            sealed_params: &q.sealed_params,
            subject_kind: q.subject_kind,
            subject_id: &q.subject_id,
            now: q.now,
        })
        .collect();
    tx.insert_outbox(&rows).await?;
    Ok(())
}

fn check(notification: &NewNotification) -> Result<(), NotifyError> {
    let invalid = |message: &str| Err(NotifyError::Invalid(message.into()));
    if !is_template_id(notification.template) {
        return invalid("template must be 1–64 characters of a-z, 0-9, _, - and .");
    }
    if !is_identifier(notification.subject_kind, 32) || notification.subject_kind == "outbox" {
        return invalid("subject_kind must be 1–32 characters of a-z, 0-9 and _, not \"outbox\"");
    }
    let subject_id = &notification.subject_id;
    if subject_id.is_empty()
        || subject_id.len() > 64
        || !subject_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return invalid("subject_id must be 1–64 characters of letters, digits, - and _");
    }
    if notification.expert_id.is_empty() || notification.expert_id.len() > 64 {
        return invalid("expert_id must be a pool record id");
    }
    match notification.params.problem() {
        Some(problem) => Err(NotifyError::Invalid(problem)),
        None => Ok(()),
    }
}

/// A UUIDv7 from the injected clock and randomness.
fn new_id(rng: &Rng, now: Millis) -> Result<String, NotifyError> {
    let random = rng.bytes::<10>().map_err(|_| NotifyError::Randomness)?;
    let millis = u64::try_from(now).unwrap_or(0);
    Ok(uuid::Builder::from_unix_timestamp_millis(millis, &random)
        .into_uuid()
        .to_string())
}

/// Sealing contexts: a sealed value moved to another row or column does not open.
pub(crate) fn recipient_context(id: &str) -> String {
    format!("outbox-recipient:{id}")
}

pub(crate) fn params_context(id: &str) -> String {
    format!("outbox-params:{id}")
}

/// Opens a row's sealed parameters.
pub(crate) fn open_params(
    keys: &KeyRing,
    id: &str,
    sealed: &[u8],
) -> Result<TemplateParams, NotifyError> {
    let plain = keys.open(&params_context(id), sealed)?;
    let map = serde_json::from_slice(&plain).map_err(|_| {
        NotifyError::Store(crate::store::StoreError::Corrupt(
            "sealed outbox parameters are not a JSON object of strings".into(),
        ))
    })?;
    Ok(TemplateParams(map))
}

/// Opens a row's sealed recipient (an expert id).
pub(crate) fn open_recipient(
    keys: &KeyRing,
    id: &str,
    sealed: &[u8],
) -> Result<String, NotifyError> {
    let plain = keys.open(&recipient_context(id), sealed)?;
    String::from_utf8(plain.to_vec()).map_err(|_| {
        NotifyError::Store(crate::store::StoreError::Corrupt(
            "a sealed outbox recipient is not UTF-8".into(),
        ))
    })
}
