//! The delivery worker. Each instance of the server runs one; they share the outbox.
//!
//! A row is claimed with a conditional update that sets a lease and counts the attempt, in a
//! transaction of its own that commits before anything is sent. Only one worker's update can
//! match (the condition names the attempt count it read), so two instances never send the same
//! notification at once; a worker that dies while sending leaves a lease that expires, and the
//! next claim sends again with the same idempotency key. The outcome is recorded in a second
//! transaction, conditional on the claim still being this worker's, with its audit entry.

use std::sync::Arc;
use std::time::Duration;

use super::gateway::{Message, SendError, short};
use zeroize::Zeroizing;

use super::outbox::{open_params, open_recipient};
use super::{NotifyError, NotifyService};
use crate::audit::{self, Actor, AuditEntry};
use crate::clock::{Millis, to_rfc3339};
use crate::store::outbox::OutboxRow;

/// At most this many claims per round, so one round cannot starve shutdown checks.
const MAX_PER_ROUND: u32 = 100;
/// Claims lost to another worker before a round gives up (it tries again next round).
const MAX_LOST_CLAIMS: u32 = 10;
/// At most this many claims per write transaction.
const MAX_BATCH: u32 = 16;
/// How often the backlog is reported at most: Prometheus's usual scrape interval.
const BACKLOG_REPORT_INTERVAL: Duration = Duration::from_secs(15);

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryRound {
    pub delivered: u32,
    pub(crate) retried: u32,
    pub(crate) failed: u32,
    /// Outcomes not recorded because another worker had taken the row over.
    pub lost: u32,
}

impl DeliveryRound {
    pub fn attempts(&self) -> u32 {
        self.delivered + self.retried + self.failed + self.lost
    }
}

/// A claimed row: this worker may send it until `lease_until`.
struct Claim {
    row: OutboxRow,
    attempt: i32,
}

impl NotifyService {
    /// Delivers what is due every `interval` until `stop` changes. Stopping in the middle of a
    /// send drops it, as a crash would; the lease covers that.
    ///
    /// Beside it, the backlog is reported for the alert rules (docs/deploy/alerts.yml) on a
    /// schedule of its own: a round of slow sends takes minutes, and a backlog is exactly when
    /// its size matters.
    pub(crate) async fn run_worker(
        self: Arc<Self>,
        interval: Duration,
        stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let gateway = self.gateway.name();
        for outcome in [
            "notify_delivered_total",
            "notify_retries_total",
            "notify_failed_total",
        ] {
            // At zero from the start: `increase()` sees no increase in a series' first sample,
            // so the first failure would otherwise not raise the alert.
            metrics::counter!(outcome, "gateway" => gateway).increment(0);
        }
        let delivering = async {
            let mut stop = stop.clone();
            loop {
                tokio::select! {
                    result = self.deliver_due() => {
                        if let Err(error) = result {
                            tracing::error!(%error, "notification delivery round failed");
                        }
                    }
                    _ = stop.changed() => return,
                }
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = stop.changed() => return,
                }
            }
        };
        let reporting = crate::tasks::every(
            interval.min(BACKLOG_REPORT_INTERVAL),
            stop.clone(),
            "reading the notification backlog",
            || self.report_backlog(),
        );
        tokio::join!(delivering, reporting);
    }

    /// Sets the backlog gauges: notifications not yet delivered or given up, and when the
    /// oldest was queued (0 when there is none). Every instance reports the same shared
    /// outbox.
    async fn report_backlog(&self) -> Result<(), NotifyError> {
        let mut tx = self.store.read().await?;
        let (pending, oldest) = tx.outbox_backlog().await?;
        tx.rollback().await?;
        metrics::gauge!("notify_outbox_pending").set(pending as f64);
        metrics::gauge!("notify_outbox_oldest_pending_timestamp_seconds")
            .set(oldest.unwrap_or(0) as f64 / 1000.0);
        Ok(())
    }

    /// One round: claims due notifications a few at a time, sends them one by one, and records
    /// their outcomes, until none is due.
    ///
    /// A batch is claimed in one write transaction and its outcomes recorded in another, so a
    /// committee's nine invitations take a few turns at the database writer (SQLite has one
    /// for the whole database) instead of two each. A batch is small enough to be sent within
    /// one lease even if every send takes its whole timeout, so a live claim never expires
    /// while its message waits behind the others.
    pub async fn deliver_due(&self) -> Result<DeliveryRound, NotifyError> {
        let mut round = DeliveryRound::default();
        let mut lost_claims = 0;
        while round.attempts() < MAX_PER_ROUND {
            let limit = self.batch_size().min(MAX_PER_ROUND - round.attempts());
            let (claims, lost) = self.claim_due(limit).await?;
            if claims.is_empty() {
                if lost > 0 && lost_claims < MAX_LOST_CLAIMS {
                    lost_claims += lost;
                    continue;
                }
                break;
            }
            lost_claims += lost;
            let mut outcomes = Vec::with_capacity(claims.len());
            for claim in claims {
                let outcome = match self.prepare(&claim.row).await {
                    Ok(message) => self.gateway.send(&message, self.clock.now_millis()).await,
                    Err(error) => Err(error),
                };
                outcomes.push((claim, outcome));
            }
            self.record(&outcomes, &mut round).await?;
        }
        Ok(round)
    }

    /// How many notifications one claim covers: as many as can be sent within a lease.
    fn batch_size(&self) -> u32 {
        let sends = self
            .settings
            .lease_secs
            .saturating_sub(1)
            .checked_div(self.settings.timeout_secs)
            .unwrap_or(1);
        u32::try_from(sends)
            .unwrap_or(MAX_BATCH)
            .clamp(1, MAX_BATCH)
    }

    /// Claims up to `limit` due notifications; returns them and how many claims were lost to
    /// another worker.
    async fn claim_due(&self, limit: u32) -> Result<(Vec<Claim>, u32), NotifyError> {
        let now = self.clock.now_millis();
        // Look in a read transaction first: an idle worker takes no write lock (SQLite has one
        // for the whole database). The conditional claims below make the look-up's staleness
        // harmless.
        let mut tx = self.store.read().await?;
        let due = tx.due_outbox(now, limit).await?;
        tx.rollback().await?;
        if due.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let mut tx = self.store.write().await?;
        let lease_until = now.saturating_add(secs_to_millis(self.settings.lease_secs));
        let mut claims = Vec::with_capacity(due.len());
        let mut lost = 0;
        for row in due {
            if !tx.claim_outbox(&row, now, lease_until).await? {
                lost += 1;
                continue;
            }
            if row.lease_until.is_some() {
                // The previous attempt's worker stopped (crash, kill, shutdown) before recording
                // an outcome: the platform may or may not have the message; the idempotency key
                // makes the next send safe either way.
                let entry = AuditEntry::new("notify.attempt_interrupted", now, Actor::System)
                    .reference("outbox", row.id.clone())
                    .data("attempt", row.attempts);
                audit::append(&mut tx, &entry).await?;
                metrics::counter!("notify_interrupted_total").increment(1);
            }
            let attempt = row.attempts + 1;
            claims.push(Claim { row, attempt });
        }
        tx.commit().await?;
        Ok((claims, lost))
    }

    /// A staff account's mobile number, opened from its sealed contact (`None` without one).
    async fn staff_phone(
        &self,
        account_id: &str,
    ) -> Result<Option<Zeroizing<String>>, NotifyError> {
        let mut tx = self.store.read().await?;
        let sealed = tx.account_contact(account_id).await?;
        tx.rollback().await?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let plain = self.keys.open(
            &crate::auth::service::staff_phone_context(account_id),
            &sealed,
        )?;
        let phone = std::str::from_utf8(&plain)
            .map_err(|_| NotifyError::Invalid("a staff phone number is not text".into()))?;
        Ok(Some(Zeroizing::new(phone.to_owned())))
    }

    /// Opens the recipient and parameters and, last, the phone number.
    async fn prepare(&self, row: &OutboxRow) -> Result<Message, SendError> {
        let local = |what: &str, error: NotifyError| {
            tracing::error!(outbox = %row.id, %error, "cannot prepare a notification: {what}");
            SendError::Retry(format!("local: cannot open the {what}"))
        };
        let expert_id = open_recipient(&self.keys, &row.id, &row.sealed_recipient)
            .map_err(|e| local("recipient", e))?;
        let mut params = open_params(&self.keys, &row.id, &row.sealed_params)
            .map_err(|e| local("parameters", e))?;
        if !self.settings.hotline.is_empty() && params.get("hotline").is_none() {
            params.insert("hotline", self.settings.hotline.clone());
        }
        let phone = match expert_id.strip_prefix(super::outbox::ACCOUNT_RECIPIENT) {
            Some(account_id) => self
                .staff_phone(account_id)
                .await
                .map_err(|e| local("phone number", e))?,
            None => self
                .pool
                .phone_for_delivery(&expert_id)
                .await
                .map_err(|e| local("phone number", e.into()))?,
        }
        .ok_or_else(|| SendError::Permanent("the recipient has no phone number".into()))?;
        Ok(Message {
            id: row.id.clone(),
            phone,
            template: row.template.clone(),
            params,
        })
    }

    /// Records the outcomes of one batch in one transaction, each only if its claim is still
    /// this worker's.
    async fn record(
        &self,
        outcomes: &[(Claim, Result<(), SendError>)],
        round: &mut DeliveryRound,
    ) -> Result<(), NotifyError> {
        let now = self.clock.now_millis();
        let gateway = self.gateway.name();
        let mut tx = self.store.write().await?;
        let mut recorded = Vec::with_capacity(outcomes.len());
        for (claim, outcome) in outcomes {
            let Claim { row, attempt } = claim;
            let attempt = *attempt;
            let (kept, entry) = match outcome {
                Ok(()) => (
                    tx.mark_outbox_delivered(&row.id, attempt, now).await?,
                    AuditEntry::new("notify.delivered", now, Actor::System)
                        .data("attempt", attempt)
                        .data("gateway", gateway),
                ),
                Err(error) => {
                    let reason = short(error.reason());
                    let retry_at = match error {
                        SendError::Retry(_) if attempt < self.max_attempts() => {
                            Some(now.saturating_add(self.backoff(attempt)))
                        }
                        _ => None,
                    };
                    let kept = tx
                        .mark_outbox_attempt_failed(&row.id, attempt, &reason, retry_at)
                        .await?;
                    let entry = match retry_at {
                        Some(at) => AuditEntry::new("notify.attempt_failed", now, Actor::System)
                            .data("next_attempt_at", to_rfc3339(at)),
                        None => AuditEntry::new("notify.failed", now, Actor::System),
                    };
                    (
                        kept,
                        entry
                            .data("attempt", attempt)
                            .data("gateway", gateway)
                            .data("reason", reason),
                    )
                }
            };
            if !kept {
                // Our lease expired and another worker claimed the row; its outcome will be
                // recorded. The platform deduplicates the two sends by the idempotency key.
                tracing::warn!(outbox = %row.id, attempt, "lost the claim on a notification before recording its outcome");
                metrics::counter!("notify_lost_claims_total").increment(1);
                round.lost += 1;
                continue;
            }
            let entry = entry
                .reference("outbox", row.id.clone())
                .reference(&row.subject_kind, row.subject_id.clone());
            audit::append(&mut tx, &entry).await?;
            recorded.push((row, attempt, entry.kind(), outcome));
        }
        tx.commit().await?;
        for (row, attempt, kind, outcome) in recorded {
            match kind {
                "notify.delivered" => {
                    tracing::info!(outbox = %row.id, attempt, gateway, "notification delivered");
                    metrics::counter!("notify_delivered_total", "gateway" => gateway).increment(1);
                    round.delivered += 1;
                }
                "notify.attempt_failed" => {
                    tracing::warn!(outbox = %row.id, attempt, gateway, reason = %outcome_reason(outcome), "notification attempt failed; will retry");
                    metrics::counter!("notify_retries_total", "gateway" => gateway).increment(1);
                    round.retried += 1;
                }
                _ => {
                    tracing::error!(outbox = %row.id, attempt, gateway, reason = %outcome_reason(outcome), "notification failed; giving up");
                    metrics::counter!("notify_failed_total", "gateway" => gateway).increment(1);
                    round.failed += 1;
                }
            }
        }
        Ok(())
    }

    fn max_attempts(&self) -> i32 {
        i32::try_from(self.settings.max_attempts).unwrap_or(i32::MAX)
    }

    /// The wait after failed attempt `attempt` (1-based): base · 2^(attempt−1), capped.
    pub(crate) fn backoff(&self, attempt: i32) -> Millis {
        backoff(
            self.settings.backoff_base_ms,
            self.settings.backoff_cap_secs,
            attempt,
        )
    }
}

fn outcome_reason(outcome: &Result<(), SendError>) -> String {
    match outcome {
        Ok(()) => String::new(),
        Err(error) => short(error.reason()),
    }
}

fn secs_to_millis(secs: u64) -> Millis {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

fn backoff(base_ms: u64, cap_secs: u64, attempt: i32) -> Millis {
    let cap = cap_secs.saturating_mul(1000);
    let doublings = u32::try_from(attempt.saturating_sub(1).max(0)).unwrap_or(0);
    let delay = match 1u64.checked_shl(doublings) {
        Some(factor) if doublings < 64 => base_ms.saturating_mul(factor),
        _ => cap,
    };
    i64::try_from(delay.min(cap)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let delays: Vec<i64> = (1..=11).map(|n| backoff(1_000, 300, n)).collect();
        assert_eq!(
            delays,
            [
                1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000,
                300_000
            ]
        );
        assert_eq!(backoff(1_000, 300, 200), 300_000);
        assert_eq!(backoff(1_000, 300, 0), 1_000);
    }
}
