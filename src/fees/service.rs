//! Settlements of experts' fees (docs/FEES.md): computed once per closed session from its real
//! times, reviewed by the host center (travel within the standard's caps, approval), exported
//! for payment with pseudonymous payees, and shown to each expert. A record is never changed:
//! a change is a new record superseding it, with its reason. Every act is an audit entry.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{FeeStandard, SeatKind, prefecture_of, seat_fee};
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::Principal;
use crate::clock::{SharedClock, to_rfc3339};
use crate::crypto::KeyRing;
use crate::deps::Deps;
use crate::draw::service::{DrawService, DrawServiceError};
use crate::session::SessionMode;
use crate::session::rules::Phase;
use crate::store::fees::{SettlementRecord, SettlementRow};
use crate::store::sessions::SessionRow;
use crate::store::{Store, StoreError, Tx};
use crate::text::{BoundedText, Lines};

#[derive(Debug, thiserror::Error)]
pub(crate) enum FeesError {
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("this account is not linked to an expert record")]
    NotAnExpert,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error(transparent)]
    Draw(#[from] DrawServiceError),
    #[error("stored fee data is inconsistent: {0}")]
    Corrupt(String),
}

fn invalid(field: &'static str, problem: impl Into<String>) -> FeesError {
    FeesError::Invalid {
        field,
        problem: problem.into(),
    }
}

/// The standard as `GET /api/v1/fees/standards` publishes it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct PublishedStandard {
    /// The digest of the standard's canonical JSON: its version, named by every settlement
    /// computed under it.
    pub(crate) digest: String,
    /// `sha256` or `sm3`, by the deployment's suite.
    pub(crate) digest_algorithm: String,
    #[schema(value_type = Object)]
    pub(crate) standard: serde_json::Value,
}

/// One settlement record, as the center and the expert see it (the expert without `payee`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct SettlementView {
    pub(crate) settlement_id: String,
    pub(crate) session_id: String,
    pub(crate) seat: i32,
    /// The expert's stable pseudonym (the center's view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) payee: Option<String>,
    /// main_venue, sub_venue or distributed.
    pub(crate) seat_kind: String,
    /// The prefecture whose rates paid the fee, or `default`.
    pub(crate) rate_region: String,
    pub(crate) started_at: String,
    pub(crate) ended_at: String,
    /// closed (the session closed), or why the seat went void: recused, withdrew, replaced.
    pub(crate) end_reason: String,
    pub(crate) half_days: i64,
    pub(crate) fee_fen: i64,
    pub(crate) transport_fen: i64,
    pub(crate) nights: i64,
    pub(crate) accommodation_fen: i64,
    pub(crate) total_fen: i64,
    pub(crate) standard_digest: String,
    /// draft, approved, or superseded (by `superseded_by`).
    pub(crate) status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) approved_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) supersedes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) superseded_by: Option<String>,
    pub(crate) reason: String,
    pub(crate) created_at: String,
}

/// A session's settlements as its host reviews them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct SessionSettlements {
    pub(crate) session_id: String,
    /// Whether every current record is approved.
    pub(crate) approved: bool,
    pub(crate) total_fen: i64,
    /// The current record of each seat, by seat.
    pub(crate) current: Vec<SettlementView>,
    /// Superseded records, kept as they were.
    pub(crate) superseded: Vec<SettlementView>,
}

/// An expert's own statements: every record of theirs, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct OwnStatements {
    pub(crate) statements: Vec<SettlementView>,
}

/// Travel the center adds to a record, within the standard's caps.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TravelItems {
    /// Transport to and from the venue, in fen.
    pub(crate) transport_fen: i64,
    /// Nights of accommodation.
    #[serde(default)]
    pub(crate) nights: i64,
    /// Accommodation for those nights, in fen.
    #[serde(default)]
    pub(crate) accommodation_fen: i64,
    /// Why the record changes: required once the record it supersedes is approved (a
    /// correction), 10 to 500 characters.
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

pub(crate) struct FeesService {
    store: Store,
    clock: SharedClock,
    keys: Arc<KeyRing>,
    draws: Arc<DrawService>,
    standard: Arc<FeeStandard>,
}

impl FeesService {
    pub(crate) fn new(deps: &Deps, draws: Arc<DrawService>, standard: FeeStandard) -> Self {
        Self {
            store: deps.store.clone(),
            clock: deps.clock.clone(),
            keys: deps.keys.clone(),
            draws,
            standard: Arc::new(standard),
        }
    }

    fn digest(&self) -> Result<String, FeesError> {
        self.standard
            .digest(self.keys.suite())
            .map_err(FeesError::Corrupt)
    }

    /// Records the standard in force from now (at start-up), unless it already is.
    pub(crate) async fn record_standard(&self) -> Result<(), FeesError> {
        let digest = self.digest()?;
        let body = self.standard.body().to_string();
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        tx.record_fee_standard(&digest, &body, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) fn published(&self) -> Result<PublishedStandard, FeesError> {
        Ok(PublishedStandard {
            digest: self.digest()?,
            digest_algorithm: self.keys.suite().hash_name().to_owned(),
            standard: self.standard.body(),
        })
    }

    /// Computes the settlements of a closed session (its host, once): a record per member who
    /// checked in, from check-in to the close or to their seat's going void, under the
    /// standard in force when the session started.
    pub(crate) async fn settle(
        &self,
        who: &Principal,
        session_id: &str,
    ) -> Result<SessionSettlements, FeesError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        tx.lock_session(session_id).await?;
        let session = hosted_session(&mut tx, who, session_id).await?;
        let closed_at = match (session.phase, session.closed_at) {
            (Phase::Closed, Some(at)) => at,
            _ => {
                return Err(FeesError::Conflict(
                    "fees are settled once the session has closed".into(),
                ));
            }
        };
        if !tx.fee_settlements_of_session(session_id).await?.is_empty() {
            return Err(FeesError::Conflict(
                "this session's fees are already settled; change a record by adding travel or \
                 a correction to it"
                    .into(),
            ));
        }
        let seats = tx.fee_seats(session_id).await?;
        let representatives: Vec<i32> = tx
            .session_representatives(session_id)
            .await?
            .into_iter()
            .map(|r| r.seat)
            .collect();
        let started = seats
            .iter()
            .filter_map(|s| s.checked_in_at)
            .min()
            .unwrap_or(session.created_at);
        let (digest, body) = tx
            .fee_standard_at(started)
            .await?
            .ok_or_else(|| FeesError::Corrupt("no fee standard is recorded".into()))?;
        let standard = standard_from_body(&body)?;
        let venue_regions: BTreeMap<i32, Option<String>> = tx
            .fee_venue_regions(session_id)
            .await?
            .into_iter()
            .map(|(venue, region)| (venue, region.as_deref().and_then(prefecture_of)))
            .collect();
        let host_region = tx
            .fee_host_region(session_id)
            .await?
            .as_deref()
            .and_then(prefecture_of);
        let main = standard.rates_of(venue_regions.get(&0).cloned().flatten().as_deref());
        let mut entry_seats = Vec::new();
        for seat in seats {
            // A tenderer's representative is the tenderer's, not the pool's, to pay.
            let Some(checked_in_at) = seat.checked_in_at else {
                continue;
            };
            if representatives.contains(&seat.seat) {
                continue;
            }
            let (ended_at, end_reason) = match (seat.state.as_str(), seat.voided_at) {
                ("void", Some(at)) => (at, seat.void_reason.clone().unwrap_or_default()),
                _ => (closed_at, "closed".to_owned()),
            };
            let kind = match (session.mode, seat.venue) {
                (SessionMode::Distributed, _) => SeatKind::Distributed,
                (_, Some(0) | None) => SeatKind::MainVenue,
                (_, Some(_)) => SeatKind::SubVenue,
            };
            let own = match kind {
                SeatKind::Distributed => standard.rates_of(host_region.as_deref()),
                _ => standard.rates_of(
                    seat.venue
                        .and_then(|v| venue_regions.get(&v).cloned().flatten())
                        .as_deref(),
                ),
            };
            let half_days = standard.half_days(ended_at - checked_in_at);
            let (fee_fen, rate_region) =
                seat_fee(kind, half_days, (&own.0, own.1), (&main.0, main.1));
            let candidate = tx
                .draw_seat(&seat.draw_id, &seat.token)
                .await?
                .ok_or_else(|| FeesError::Corrupt("a session seat without its draw seat".into()))?;
            let expert_id = self.draws.open_seat_expert(&seat.draw_id, &candidate)?;
            let row = SettlementRow {
                id: uuid::Uuid::now_v7().to_string(),
                session_id: session_id.to_owned(),
                seat: seat.seat,
                payee: self.keys.expert_pseudonym(&expert_id),
                seat_kind: kind.as_str().to_owned(),
                rate_region,
                started_at: checked_in_at,
                ended_at,
                end_reason,
                half_days,
                fee_fen,
                transport_fen: 0,
                nights: 0,
                accommodation_fen: 0,
                total_fen: fee_fen,
                standard_digest: digest.clone(),
                supersedes: None,
                reason: "computed".into(),
                created_by: who.account_id.clone(),
                created_at: now,
            };
            tx.insert_fee_settlement(&row)
                .await
                .map_err(already_changed)?;
            entry_seats.push(serde_json::json!({
                "settlement": row.id,
                "seat": row.seat,
                "seat_kind": row.seat_kind,
                "half_days": row.half_days,
                "fee_fen": row.fee_fen,
            }));
        }
        audit::append(
            &mut tx,
            &AuditEntry::new("fees.settled", now, Actor::of(who))
                .reference("session", session_id)
                .data("standard", &digest)
                .data("settlements", &entry_seats),
        )
        .await?;
        let settlements = session_settlements(&mut tx, session_id).await?;
        tx.commit().await?;
        Ok(settlements)
    }

    /// A session's settlements for its host.
    pub(crate) async fn of_session(
        &self,
        who: &Principal,
        session_id: &str,
    ) -> Result<SessionSettlements, FeesError> {
        let mut tx = self.store.read().await?;
        hosted_session(&mut tx, who, session_id).await?;
        let settlements = session_settlements(&mut tx, session_id).await?;
        tx.rollback().await?;
        Ok(settlements)
    }

    /// Adds travel to a current record (the host): a new record superseding it. Once the
    /// record is approved, this is a correction and needs its reason.
    pub(crate) async fn add_travel(
        &self,
        who: &Principal,
        settlement_id: &str,
        travel: &TravelItems,
    ) -> Result<SettlementView, FeesError> {
        let reason = match travel.reason.as_deref() {
            None => None,
            Some(text) => Some(
                BoundedText::parse(text, Lines::Many, 10..=500)
                    .map_err(|problem| invalid("reason", problem))?
                    .into_string(),
            ),
        };
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let record = tx
            .fee_settlement(settlement_id)
            .await?
            .ok_or(FeesError::NotFound("no such settlement"))?;
        tx.lock_session(&record.row.session_id).await?;
        hosted_session(&mut tx, who, &record.row.session_id)
            .await
            .map_err(|error| match error {
                FeesError::NotFound(_) => FeesError::NotFound("no such settlement"),
                other => other,
            })?;
        if record.superseded_by.is_some() {
            return Err(FeesError::Conflict(
                "this record has been superseded; change the current one".into(),
            ));
        }
        // The caps of the standard the record was computed under.
        let (_, body) = tx
            .fee_standard(&record.row.standard_digest)
            .await?
            .ok_or_else(|| FeesError::Corrupt("a record's standard is missing".into()))?;
        let standard = standard_from_body(&body)?;
        if travel.transport_fen < 0 {
            return Err(invalid("transport_fen", "must not be negative"));
        }
        if travel.transport_fen > standard.transport_cap_fen {
            return Err(invalid(
                "transport_fen",
                format!(
                    "exceeds the standard's cap of {} fen",
                    standard.transport_cap_fen
                ),
            ));
        }
        if !(0..=standard.max_nights).contains(&travel.nights) {
            return Err(invalid(
                "nights",
                format!("must be from 0 to {}", standard.max_nights),
            ));
        }
        if travel.accommodation_fen < 0 {
            return Err(invalid("accommodation_fen", "must not be negative"));
        }
        let accommodation_cap = travel.nights * standard.accommodation_night_cap_fen;
        if travel.accommodation_fen > accommodation_cap {
            return Err(invalid(
                "accommodation_fen",
                format!(
                    "exceeds the standard's cap of {accommodation_cap} fen for {} nights",
                    travel.nights
                ),
            ));
        }
        let approved = record.approved_at.is_some();
        let reason = match (reason, approved) {
            (Some(reason), _) => reason,
            (None, false) => "travel".to_owned(),
            (None, true) => {
                return Err(invalid(
                    "reason",
                    "an approved record is corrected only with the reason for the correction",
                ));
            }
        };
        let old = record.row;
        let row = SettlementRow {
            id: uuid::Uuid::now_v7().to_string(),
            transport_fen: travel.transport_fen,
            nights: travel.nights,
            accommodation_fen: travel.accommodation_fen,
            total_fen: old.fee_fen + travel.transport_fen + travel.accommodation_fen,
            supersedes: Some(old.id.clone()),
            reason,
            created_by: who.account_id.clone(),
            created_at: now,
            ..old.clone()
        };
        tx.insert_fee_settlement(&row)
            .await
            .map_err(already_changed)?;
        audit::append(
            &mut tx,
            &AuditEntry::new("fees.superseded", now, Actor::of(who))
                .reference("session", &row.session_id)
                .reference("settlement", &row.id)
                .data("supersedes", &old.id)
                .data("seat", row.seat)
                .data("correction", approved)
                .data("transport_fen", row.transport_fen)
                .data("nights", row.nights)
                .data("accommodation_fen", row.accommodation_fen)
                .data("total_fen", row.total_fen)
                .data(
                    "reason_digest",
                    self.keys.suite().hex_hash(row.reason.as_bytes()),
                ),
        )
        .await?;
        let view = tx
            .fee_settlement(&row.id)
            .await?
            .map(|record| view_of(record, true))
            .ok_or_else(|| FeesError::Corrupt("a record just written is missing".into()))?;
        tx.commit().await?;
        Ok(view)
    }

    /// Approves every current record of a session not yet approved (its host).
    pub(crate) async fn approve(
        &self,
        who: &Principal,
        session_id: &str,
    ) -> Result<SessionSettlements, FeesError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        tx.lock_session(session_id).await?;
        hosted_session(&mut tx, who, session_id).await?;
        let pending: Vec<SettlementRecord> = tx
            .fee_settlements_of_session(session_id)
            .await?
            .into_iter()
            .filter(|r| r.superseded_by.is_none() && r.approved_at.is_none())
            .collect();
        if pending.is_empty() {
            return Err(FeesError::Conflict(
                "no record of this session awaits approval (settle the session first)".into(),
            ));
        }
        let mut approved = Vec::new();
        for record in &pending {
            tx.insert_fee_approval(&record.row.id, &who.account_id, now)
                .await
                .map_err(already_changed)?;
            approved.push(serde_json::json!({
                "settlement": record.row.id,
                "seat": record.row.seat,
                "total_fen": record.row.total_fen,
            }));
        }
        audit::append(
            &mut tx,
            &AuditEntry::new("fees.approved", now, Actor::of(who))
                .reference("session", session_id)
                .data("settlements", &approved),
        )
        .await?;
        let settlements = session_settlements(&mut tx, session_id).await?;
        tx.commit().await?;
        Ok(settlements)
    }

    /// The approved current records as CSV for the finance office (its host; logged): payees
    /// by pseudonym only (docs/FEES.md, "The payment file").
    pub(crate) async fn export_csv(
        &self,
        who: &Principal,
        session_id: &str,
    ) -> Result<String, FeesError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        hosted_session(&mut tx, who, session_id).await?;
        let rows: Vec<SettlementRecord> = tx
            .fee_settlements_of_session(session_id)
            .await?
            .into_iter()
            .filter(|r| r.superseded_by.is_none() && r.approved_at.is_some())
            .collect();
        if rows.is_empty() {
            return Err(FeesError::Conflict(
                "no approved record to export: approve the session's settlements first".into(),
            ));
        }
        let mut csv = String::from(CSV_HEADER);
        csv.push('\n');
        for record in &rows {
            csv.push_str(&csv_line(record));
            csv.push('\n');
        }
        audit::append(
            &mut tx,
            &AuditEntry::new("fees.exported", now, Actor::of(who))
                .reference("session", session_id)
                .data("records", rows.len())
                .data(
                    "total_fen",
                    rows.iter().map(|r| r.row.total_fen).sum::<i64>(),
                )
                .data(
                    self.keys.suite().digest_field("csv").as_str(),
                    self.keys.suite().hex_hash(csv.as_bytes()),
                ),
        )
        .await?;
        tx.commit().await?;
        Ok(csv)
    }

    /// The calling expert's own statements, newest first.
    pub(crate) async fn own(&self, who: &Principal) -> Result<OwnStatements, FeesError> {
        let mut tx = self.store.read().await?;
        let expert_id = tx
            .expert_of_account(&who.account_id)
            .await?
            .ok_or(FeesError::NotAnExpert)?;
        let payee = self.keys.expert_pseudonym(&expert_id);
        let statements = tx
            .fee_settlements_of_payee(&payee)
            .await?
            .into_iter()
            .map(|record| view_of(record, false))
            .collect();
        tx.rollback().await?;
        Ok(OwnStatements { statements })
    }
}

/// The columns of the payment file, in order.
pub(crate) const CSV_HEADER: &str = "settlement_id,session_id,seat,payee,seat_kind,rate_region,\
     started_at,ended_at,half_days,fee_fen,transport_fen,nights,accommodation_fen,total_fen,\
     standard_digest,approved_at,supersedes";

fn csv_line(record: &SettlementRecord) -> String {
    let row = &record.row;
    // Every value is an id, a code, a number or a time the server wrote: none holds a comma,
    // a quote or a line break, so no field needs quoting.
    [
        row.id.clone(),
        row.session_id.clone(),
        row.seat.to_string(),
        row.payee.clone(),
        row.seat_kind.clone(),
        row.rate_region.clone(),
        to_rfc3339(row.started_at),
        to_rfc3339(row.ended_at),
        row.half_days.to_string(),
        row.fee_fen.to_string(),
        row.transport_fen.to_string(),
        row.nights.to_string(),
        row.accommodation_fen.to_string(),
        row.total_fen.to_string(),
        row.standard_digest.clone(),
        record.approved_at.map(to_rfc3339).unwrap_or_default(),
        row.supersedes.clone().unwrap_or_default(),
    ]
    .join(",")
}

/// A session the caller hosts; anyone else's (or none) is "no such session", so that a
/// center learns nothing of another's sessions.
async fn hosted_session(
    tx: &mut Tx,
    who: &Principal,
    session_id: &str,
) -> Result<SessionRow, FeesError> {
    tx.session(session_id)
        .await?
        .filter(|session| session.center_id == who.account_id)
        .ok_or(FeesError::NotFound("no such session"))
}

async fn session_settlements(
    tx: &mut Tx,
    session_id: &str,
) -> Result<SessionSettlements, FeesError> {
    let records = tx.fee_settlements_of_session(session_id).await?;
    let (current, superseded): (Vec<_>, Vec<_>) = records
        .into_iter()
        .map(|record| view_of(record, true))
        .partition(|view| view.superseded_by.is_none());
    Ok(SessionSettlements {
        session_id: session_id.to_owned(),
        approved: !current.is_empty() && current.iter().all(|v| v.status == "approved"),
        total_fen: current.iter().map(|v| v.total_fen).sum(),
        current,
        superseded,
    })
}

fn view_of(record: SettlementRecord, with_payee: bool) -> SettlementView {
    let status = match (&record.superseded_by, record.approved_at) {
        (Some(_), _) => "superseded",
        (None, Some(_)) => "approved",
        (None, None) => "draft",
    };
    let row = record.row;
    SettlementView {
        settlement_id: row.id,
        session_id: row.session_id,
        seat: row.seat,
        payee: with_payee.then_some(row.payee),
        seat_kind: row.seat_kind,
        rate_region: row.rate_region,
        started_at: to_rfc3339(row.started_at),
        ended_at: to_rfc3339(row.ended_at),
        end_reason: row.end_reason,
        half_days: row.half_days,
        fee_fen: row.fee_fen,
        transport_fen: row.transport_fen,
        nights: row.nights,
        accommodation_fen: row.accommodation_fen,
        total_fen: row.total_fen,
        standard_digest: row.standard_digest,
        status: status.to_owned(),
        approved_at: record.approved_at.map(to_rfc3339),
        supersedes: row.supersedes,
        superseded_by: record.superseded_by,
        reason: row.reason,
        created_at: to_rfc3339(row.created_at),
    }
}

/// A recorded standard read back: the body it was published with.
fn standard_from_body(body: &str) -> Result<FeeStandard, FeesError> {
    let corrupt = |what: &str| FeesError::Corrupt(format!("a recorded fee standard: {what}"));
    let value: serde_json::Value = serde_json::from_str(body).map_err(|_| corrupt("not JSON"))?;
    let number = |v: &serde_json::Value, key: &str| {
        v[key].as_i64().ok_or_else(|| corrupt(&format!("no {key}")))
    };
    let rates = |v: &serde_json::Value| -> Result<crate::config::FeeRateSettings, FeesError> {
        Ok(crate::config::FeeRateSettings {
            half_day_fen: number(v, "half_day_fen")?,
            day_fen: number(v, "day_fen")?,
        })
    };
    let mut regions = Vec::new();
    for region in value["regions"].as_array().into_iter().flatten() {
        regions.push(crate::config::RegionFeeRateSettings {
            region: region["region"]
                .as_str()
                .ok_or_else(|| corrupt("a region without its code"))?
                .to_owned(),
            half_day_fen: number(region, "half_day_fen")?,
            day_fen: number(region, "day_fen")?,
        });
    }
    let settings = crate::config::FeeSettings {
        half_day_hours: number(&value, "half_day_hours")?,
        default_rates: rates(&value["default_rates"])?,
        regions,
        transport_cap_fen: number(&value, "transport_cap_fen")?,
        accommodation_night_cap_fen: number(&value, "accommodation_night_cap_fen")?,
        max_nights: number(&value, "max_nights")?,
    };
    FeeStandard::parse(&settings).map_err(|problems| corrupt(&problems.join("; ")))
}

/// A unique index refused the write: someone changed the same record first.
fn already_changed(error: StoreError) -> FeesError {
    match error {
        StoreError::Conflict(_) => {
            FeesError::Conflict("the record was changed meanwhile; reload and try again".into())
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_standard_reads_back_as_the_same_standard() {
        let mut settings = crate::config::FeeSettings::default();
        settings.regions.push(crate::config::RegionFeeRateSettings {
            region: "420500".into(),
            half_day_fen: 50_000,
            day_fen: 90_000,
        });
        let standard = FeeStandard::parse(&settings).unwrap();
        let read = standard_from_body(&standard.body().to_string()).unwrap();
        assert_eq!(read.body(), standard.body());
    }
}
