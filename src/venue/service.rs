//! [`VenueService`]: the catalogue (list, show, register, change) and the answers to sub-venue
//! consent requests, each change in one transaction with its audit entry.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::bookings::{self, OutstandingConsent, held_window};
use super::rules::{self, MAX_ADDRESS_CHARS, MAX_NAME_CHARS};
use super::{BookingState, ConsentState, Holder, VenueError, VenueStatus, Window, invalid};
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::{Principal, Role};
use crate::clock::{Millis, SharedClock, to_rfc3339};
use crate::deps::Deps;
use crate::pool::regions::county;
use crate::store::venues::{ConsentRow, VenueQuery, VenueRow};
use crate::store::{Store, Tx};
use crate::text::{BoundedText, Lines, TextProblem};

/// At most this many venues in one listing.
const LIST_LIMIT: i64 = 500;
const REQUESTS_LIMIT: i64 = 200;
/// A refusal's reason: long enough for "设备检修", short enough to read at a glance.
const REASON_CHARS: std::ops::RangeInclusive<usize> = 2..=500;

pub struct VenueService {
    store: Store,
    clock: SharedClock,
}

/// A venue as the catalogue shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct CatalogueVenue {
    pub(crate) venue_id: String,
    /// The owning trading center's username (a session names sub-venue operators by it).
    pub(crate) center: String,
    pub(crate) center_name: Option<String>,
    pub(crate) name: String,
    pub(crate) address: String,
    /// The county-level division (GB/T 2260) the venue is in.
    pub(crate) region_code: String,
    pub(crate) region_name: Option<String>,
    /// The prefecture-level division it belongs to, and the code prefix of that prefecture's
    /// regions (4 digits; 6 for a division the province administers directly).
    pub(crate) prefecture_code: Option<String>,
    pub(crate) prefecture_name: Option<String>,
    pub(crate) prefecture_prefix: Option<String>,
    pub(crate) workstations: u32,
    pub(crate) remote_capable: bool,
    /// open or closed_for_maintenance.
    #[schema(value_type = String)]
    pub(crate) status: VenueStatus,
    /// With a window in the query: the workstations no booking holds anywhere in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) free_workstations: Option<u32>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

/// A venue to register.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCatalogueVenue {
    /// The owning center's username: required of an admin; a center registers its own venues
    /// and may omit it.
    #[serde(default)]
    pub(crate) center: Option<String>,
    /// 1 to 100 characters, distinct among the center's venues.
    pub(crate) name: String,
    /// 1 to 200 characters.
    pub(crate) address: String,
    /// A county-level division of Hubei (GB/T 2260), such as 420117 (新洲区).
    pub(crate) region_code: String,
    /// Evaluation workstations, 1 to 200.
    pub(crate) workstations: u32,
    pub(crate) remote_capable: bool,
    /// open (default) or closed_for_maintenance.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub(crate) status: Option<VenueStatus>,
}

/// Changes to a venue: the fields given, nothing else.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogueVenueChanges {
    pub(crate) name: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) region_code: Option<String>,
    /// Not below what bookings hold in any window from now on.
    pub(crate) workstations: Option<u32>,
    pub(crate) remote_capable: Option<bool>,
    /// Closing a venue keeps its bookings; it takes no new ones.
    #[schema(value_type = Option<String>)]
    pub(crate) status: Option<VenueStatus>,
}

/// Which venues a listing wants, as the query string says.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct VenueFilter {
    /// Region code prefix, 2 to 6 digits: 42 (the province), 4206 (襄阳), 420626 (保康).
    pub(crate) region: Option<String>,
    /// open or closed_for_maintenance.
    #[param(value_type = Option<String>)]
    pub(crate) status: Option<VenueStatus>,
    pub(crate) remote_capable: Option<bool>,
    /// The owning center's username.
    pub(crate) center: Option<String>,
    /// With `free_until` (RFC 3339): report each venue's free workstations in that window.
    pub(crate) free_from: Option<String>,
    pub(crate) free_until: Option<String>,
}

/// A sub-venue consent request as its two centers, admins and supervisors see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct ConsentRequestView {
    pub(crate) request_id: String,
    pub(crate) venue_id: String,
    pub(crate) venue_name: String,
    /// The venue's center (username): the one that answers.
    pub(crate) venue_center: String,
    /// The center that named the venue as a sub-venue (username).
    pub(crate) requesting_center: String,
    /// What the venue is asked for: a session, or a draw.
    pub(crate) holder: Holder,
    pub(crate) window_start: String,
    pub(crate) window_end: String,
    pub(crate) workstations: u32,
    /// requested, accepted, refused, or withdrawn (the booking was cancelled first).
    #[schema(value_type = String)]
    pub(crate) state: ConsentState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
    /// Who answered (username), and when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) answered_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) answered_at: Option<String>,
    pub(crate) created_at: String,
    /// The tender the draw or session is for, so the venue's center knows what it hosts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tender_name: Option<String>,
}

/// The venue's center's answer to a consent request.
pub(crate) enum ConsentAnswer<'a> {
    Accept,
    Refuse { reason: &'a str },
}

impl VenueService {
    pub(crate) fn new(deps: &Deps) -> Self {
        Self {
            store: deps.store.clone(),
            clock: deps.clock.clone(),
        }
    }

    /// The catalogue, by region then name; every role that reads it sees all of it.
    pub(crate) async fn list(
        &self,
        filter: &VenueFilter,
    ) -> Result<Vec<CatalogueVenue>, VenueError> {
        let region = filter
            .region
            .as_deref()
            .map(|r| rules::parse_region_prefix("region", r))
            .transpose()?;
        let window = match (&filter.free_from, &filter.free_until) {
            (None, None) => None,
            (Some(from), Some(until)) => {
                let start = parse_time("free_from", from)?;
                let end = parse_time("free_until", until)?;
                Some(
                    Window::new(start, end)
                        .ok_or_else(|| invalid("free_until", "must be after free_from"))?,
                )
            }
            (Some(_), None) => return Err(invalid("free_until", "give it with free_from")),
            (None, Some(_)) => return Err(invalid("free_from", "give it with free_until")),
        };
        let mut tx = self.store.read().await?;
        let center_id = match &filter.center {
            None => None,
            Some(username) => match center_account(&mut tx, username).await? {
                Some(id) => Some(id),
                None => return Ok(Vec::new()),
            },
        };
        let rows = tx
            .venues(
                &VenueQuery {
                    region_prefix: region.as_deref(),
                    status: filter.status,
                    remote_capable: filter.remote_capable,
                    center_id: center_id.as_deref(),
                },
                LIST_LIMIT,
            )
            .await?;
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            let free = match window {
                Some(window) => Some(bookings::free_workstations(&mut tx, &row, window).await?),
                None => None,
            };
            views.push(view(row, free));
        }
        tx.rollback().await?;
        Ok(views)
    }

    pub(crate) async fn show(&self, venue_id: &str) -> Result<CatalogueVenue, VenueError> {
        let mut tx = self.store.read().await?;
        let row = find(&mut tx, venue_id).await?;
        tx.rollback().await?;
        Ok(view(row, None))
    }

    /// Registers a venue: an admin for any center, a center for itself.
    pub(crate) async fn create(
        &self,
        who: &Principal,
        request: NewCatalogueVenue,
    ) -> Result<CatalogueVenue, VenueError> {
        let name = rules::parse_line("name", &request.name, MAX_NAME_CHARS)?;
        let address = rules::parse_line("address", &request.address, MAX_ADDRESS_CHARS)?;
        let region = rules::parse_region("region_code", &request.region_code)?;
        let workstations = rules::parse_workstations("workstations", request.workstations)?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let center_id = match (who.role, request.center.as_deref()) {
            (Role::Admin, None) => {
                return Err(invalid(
                    "center",
                    "name the trading center (its username) that owns the venue",
                ));
            }
            (Role::Admin, Some(username)) => {
                center_account(&mut tx, username).await?.ok_or_else(|| {
                    invalid(
                        "center",
                        "no active trading-center account has this username",
                    )
                })?
            }
            (Role::Center, None) => who.account_id.clone(),
            (Role::Center, Some(username)) if username.trim() == who.username => {
                who.account_id.clone()
            }
            (Role::Center, Some(_)) => {
                return Err(VenueError::Forbidden(
                    "a trading center registers its own venues only".into(),
                ));
            }
            _ => {
                return Err(VenueError::Forbidden(
                    "only admins and trading centers register venues".into(),
                ));
            }
        };
        let row = VenueRow {
            id: uuid::Uuid::now_v7().to_string(),
            center_id,
            name,
            address,
            region_code: region.code.clone(),
            workstations: workstations as i32,
            remote_capable: request.remote_capable,
            status: request.status.unwrap_or(VenueStatus::Open),
            created_at: now,
            updated_at: now,
            center_username: String::new(),
            center_name: None,
        };
        tx.insert_venue(&row).await.map_err(|error| match error {
            crate::store::StoreError::Conflict(_) => {
                invalid("name", "the center already has a venue of this name")
            }
            other => other.into(),
        })?;
        audit::append(
            &mut tx,
            &AuditEntry::new("venue.created", now, Actor::of(who))
                .reference("venue", &row.id)
                .data("center", &row.center_id)
                .data("name", &row.name)
                .data("address", &row.address)
                .data("region_code", &row.region_code)
                .data("workstations", workstations)
                .data("remote_capable", row.remote_capable)
                .data("status", row.status.as_str()),
        )
        .await?;
        let created = find(&mut tx, &row.id).await?;
        tx.commit().await?;
        Ok(view(created, None))
    }

    /// Changes a venue: an admin any, a center its own. Only the fields given change; a change
    /// to nothing writes nothing.
    pub(crate) async fn update(
        &self,
        who: &Principal,
        venue_id: &str,
        patch: CatalogueVenueChanges,
    ) -> Result<CatalogueVenue, VenueError> {
        let name = patch
            .name
            .as_deref()
            .map(|n| rules::parse_line("name", n, MAX_NAME_CHARS))
            .transpose()?;
        let address = patch
            .address
            .as_deref()
            .map(|a| rules::parse_line("address", a, MAX_ADDRESS_CHARS))
            .transpose()?;
        let region = patch
            .region_code
            .as_deref()
            .map(|r| rules::parse_region("region_code", r))
            .transpose()?;
        let workstations = patch
            .workstations
            .map(|w| rules::parse_workstations("workstations", w))
            .transpose()?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        if uuid::Uuid::try_parse(venue_id).is_err() {
            return Err(VenueError::NotFound);
        }
        tx.lock_venues(&[venue_id]).await?;
        let before = find(&mut tx, venue_id).await?;
        may_manage(who, &before)?;
        let mut after = before.clone();
        if let Some(name) = name {
            after.name = name;
        }
        if let Some(address) = address {
            after.address = address;
        }
        if let Some(region) = region {
            after.region_code = region.code.clone();
        }
        if let Some(workstations) = workstations {
            after.workstations = workstations as i32;
        }
        if let Some(remote) = patch.remote_capable {
            after.remote_capable = remote;
        }
        if let Some(status) = patch.status {
            after.status = status;
        }
        let changes = changes(&before, &after);
        if changes.is_empty() {
            tx.rollback().await?;
            return Ok(view(before, None));
        }
        if after.workstations < before.workstations {
            // Fewer workstations may not strand what bookings hold from now on.
            let window = Window {
                start: now,
                end: Millis::MAX,
            };
            let held: Vec<(Window, u32)> = tx
                .held_bookings(venue_id, window.start, window.end)
                .await?
                .iter()
                .filter_map(held_window)
                .collect();
            let busiest = rules::peak(window, &held);
            if busiest.held > after.workstations as u32 {
                return Err(invalid(
                    "workstations",
                    format!(
                        "bookings hold {} workstations from {}; cancel them before going below",
                        busiest.held,
                        to_rfc3339(busiest.window.start)
                    ),
                ));
            }
        }
        after.updated_at = now;
        tx.update_venue(&after).await.map_err(|error| match error {
            crate::store::StoreError::Conflict(_) => {
                invalid("name", "the center already has a venue of this name")
            }
            other => other.into(),
        })?;
        audit::append(
            &mut tx,
            &AuditEntry::new("venue.updated", now, Actor::of(who))
                .reference("venue", venue_id)
                .data("changes", Value::Object(changes)),
        )
        .await?;
        let updated = find(&mut tx, venue_id).await?;
        tx.commit().await?;
        Ok(view(updated, None))
    }

    /// Consent requests the caller may see, newest first: a center those about its venues and
    /// those it made; admins and supervisors all.
    pub(crate) async fn requests(
        &self,
        who: &Principal,
        state: Option<ConsentState>,
    ) -> Result<Vec<ConsentRequestView>, VenueError> {
        let mut tx = self.store.read().await?;
        let account = (who.role == Role::Center).then_some(who.account_id.as_str());
        let rows = tx.consents(account, state, REQUESTS_LIMIT).await?;
        tx.rollback().await?;
        Ok(rows.into_iter().map(request_view).collect())
    }

    /// The venue's center accepts, or refuses with a reason, which releases the booking.
    pub(crate) async fn answer(
        &self,
        who: &Principal,
        request_id: &str,
        answer: ConsentAnswer<'_>,
    ) -> Result<ConsentRequestView, VenueError> {
        let reason = match answer {
            ConsentAnswer::Accept => None,
            ConsentAnswer::Refuse { reason } => Some(parse_reason(reason)?),
        };
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let request = match uuid::Uuid::try_parse(request_id) {
            Ok(_) => tx.consent(request_id).await?,
            Err(_) => None,
        }
        .filter(|r| {
            // Only its two centers know the request exists; admins and supervisors see it
            // but do not answer for a center.
            r.venue_center_id == who.account_id
                || r.requester_id == who.account_id
                || matches!(who.role, Role::Admin | Role::Supervisor)
        })
        .ok_or(VenueError::NoSuchRequest)?;
        if who.role != Role::Center || request.venue_center_id != who.account_id {
            return Err(VenueError::Forbidden(format!(
                "only the venue's center, {}, answers this request",
                request.venue_center
            )));
        }
        tx.lock_venues(&[request.venue_id.as_str()]).await?;
        let (state, kind) = match reason {
            None => (ConsentState::Accepted, super::CONSENT_ACCEPTED_ENTRY),
            Some(_) => (ConsentState::Refused, super::CONSENT_REFUSED_ENTRY),
        };
        if !tx
            .answer_consent(
                request_id,
                state,
                reason.as_deref(),
                Some(&who.account_id),
                now,
            )
            .await?
        {
            let current = tx
                .consent(request_id)
                .await?
                .map_or(request.state, |r| r.state);
            return Err(VenueError::AlreadyAnswered(current));
        }
        let holder = Holder {
            kind: request.holder_kind,
            id: request.holder_id.clone(),
        };
        let mut entry = bookings::holder_entry(kind, now, Actor::of(who), &holder)
            .reference("venue", &request.venue_id)
            .reference("booking", &request.booking_id)
            .reference("venue_request", request_id);
        if let Some(reason) = &reason {
            let released = tx
                .release_booking(&request.booking_id, BookingState::Refused, now)
                .await?;
            // Free text a person typed: the log commits to it, the request row keeps it.
            entry = entry
                .data(
                    &tx.suite().digest_field("reason"),
                    tx.suite().hex_hash(reason.as_bytes()),
                )
                .data("booking_released", released);
        }
        audit::append(&mut tx, &entry).await?;
        let answered = tx
            .consent(request_id)
            .await?
            .ok_or(VenueError::NoSuchRequest)?;
        tx.commit().await?;
        Ok(request_view(answered))
    }

    /// The sub-venues of `holder` whose centers have not accepted (unanswered or refused):
    /// what a draw's execution, or a session's check-in, waits for. Empty when nothing blocks.
    pub async fn consent_outstanding(
        &self,
        holder: &Holder,
    ) -> Result<Vec<OutstandingConsent>, VenueError> {
        let mut tx = self.store.read().await?;
        let outstanding = bookings::consent_outstanding(&mut tx, holder).await?;
        tx.rollback().await?;
        Ok(outstanding)
    }
}

/// Whether `who` may change `venue`: admins any, a center its own.
fn may_manage(who: &Principal, venue: &VenueRow) -> Result<(), VenueError> {
    match who.role {
        Role::Admin => Ok(()),
        Role::Center if venue.center_id == who.account_id => Ok(()),
        Role::Center => Err(VenueError::Forbidden(format!(
            "{:?} is {}'s venue; a center changes its own venues only",
            venue.name, venue.center_username
        ))),
        _ => Err(VenueError::Forbidden(
            "only admins and trading centers change venues".into(),
        )),
    }
}

async fn find(tx: &mut Tx, venue_id: &str) -> Result<VenueRow, VenueError> {
    if uuid::Uuid::try_parse(venue_id).is_err() {
        return Err(VenueError::NotFound);
    }
    tx.venue(venue_id).await?.ok_or(VenueError::NotFound)
}

/// The id of the active trading-center account `username` names.
async fn center_account(tx: &mut Tx, username: &str) -> Result<Option<String>, VenueError> {
    Ok(tx
        .account_by_username(username.trim())
        .await?
        .filter(|a| a.role == Role::Center && !a.disabled)
        .map(|a| a.id))
}

fn parse_time(field: &str, text: &str) -> Result<Millis, VenueError> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|time| time.timestamp_millis())
        .map_err(|_| {
            invalid(
                field,
                "must be an RFC 3339 time such as 2026-11-26T09:00:00+08:00",
            )
        })
}

fn parse_reason(text: &str) -> Result<String, VenueError> {
    BoundedText::parse(text, Lines::Many, REASON_CHARS)
        .map(BoundedText::into_string)
        .map_err(|problem| match problem {
            TextProblem::Character(problem) => invalid("reason", problem),
            TextProblem::Length { .. } => invalid(
                "reason",
                format!(
                    "give a reason of {} to {} characters",
                    REASON_CHARS.start(),
                    REASON_CHARS.end()
                ),
            ),
        })
}

/// Each changed field with its value before and after.
fn changes(before: &VenueRow, after: &VenueRow) -> Map<String, Value> {
    let mut changes = Map::new();
    let mut compare = |field: &str, from: Value, to: Value| {
        if from != to {
            changes.insert(field.to_owned(), json!({"from": from, "to": to}));
        }
    };
    compare("name", json!(before.name), json!(after.name));
    compare("address", json!(before.address), json!(after.address));
    compare(
        "region_code",
        json!(before.region_code),
        json!(after.region_code),
    );
    compare(
        "workstations",
        json!(before.workstations),
        json!(after.workstations),
    );
    compare(
        "remote_capable",
        json!(before.remote_capable),
        json!(after.remote_capable),
    );
    compare(
        "status",
        json!(before.status.as_str()),
        json!(after.status.as_str()),
    );
    changes
}

fn view(row: VenueRow, free_workstations: Option<u32>) -> CatalogueVenue {
    let county = county(&row.region_code);
    let prefecture = county.map(|c| c.prefecture());
    CatalogueVenue {
        venue_id: row.id,
        center: row.center_username,
        center_name: row.center_name,
        name: row.name,
        address: row.address,
        region_name: county.map(|c| c.name.clone()),
        prefecture_code: prefecture.map(|p| p.code.clone()),
        prefecture_name: prefecture.map(|p| p.name.clone()),
        prefecture_prefix: prefecture.map(|p| p.prefix.clone()),
        region_code: row.region_code,
        workstations: row.workstations.max(0) as u32,
        remote_capable: row.remote_capable,
        status: row.status,
        free_workstations,
        created_at: to_rfc3339(row.created_at),
        updated_at: to_rfc3339(row.updated_at),
    }
}

fn request_view(row: ConsentRow) -> ConsentRequestView {
    ConsentRequestView {
        request_id: row.id,
        venue_id: row.venue_id,
        venue_name: row.venue_name,
        venue_center: row.venue_center,
        requesting_center: row.requester,
        holder: Holder {
            kind: row.holder_kind,
            id: row.holder_id,
        },
        window_start: to_rfc3339(row.starts_at),
        window_end: to_rfc3339(row.ends_at),
        workstations: row.workstations.max(0) as u32,
        state: row.state,
        reason: row.reason,
        answered_by: row.answered_by,
        answered_at: row.answered_at.map(to_rfc3339),
        created_at: to_rfc3339(row.created_at),
        tender_name: row.tender_name,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::auth::AuthMethod;
    use crate::clock::ManualClock;
    use crate::store::ConnectOptions;
    use crate::store::accounts::NewAccount;
    use crate::venue::HolderKind;
    use crate::venue::bookings::Claim;

    /// 2026-11-26T09:00:00+08:00, for four hours.
    const WINDOW: Window = Window {
        start: 1_795_654_800_000,
        end: 1_795_669_200_000,
    };

    async fn service(dir: &tempfile::TempDir) -> VenueService {
        let url = format!("sqlite://{}", dir.path().join("venues.db").display());
        let options = ConnectOptions {
            max_connections: 2,
            acquire_timeout: Duration::from_secs(5),
        };
        let store = Store::connect(&url, &options, crate::crypto::Suite::Intl2024)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        VenueService {
            store,
            clock: Arc::new(ManualClock::starting_at(WINDOW.start - 86_400_000)),
        }
    }

    async fn center(service: &VenueService, username: &str) -> Principal {
        let id = uuid::Uuid::now_v7().to_string();
        let mut tx = service.store.write().await.unwrap();
        tx.insert_account(&NewAccount {
            id: &id,
            username,
            role: Role::Center,
            password_hash: "not a hash: nobody logs in here",
            totp_sealed: None,
            center_name: Some("某交易中心"),
            region_code: Some("420100"),
            display_name: None,
            created_at: 0,
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        Principal {
            account_id: id,
            username: username.to_owned(),
            role: Role::Center,
            center_name: None,
            region_code: None,
            method: AuthMethod::BearerToken,
            token_digest: None,
        }
    }

    async fn room(service: &VenueService, owner: &Principal, name: &str, seats: u32) -> String {
        let request = NewCatalogueVenue {
            center: None,
            name: name.into(),
            address: "某路 1 号".into(),
            region_code: "420626".into(),
            workstations: seats,
            remote_capable: true,
            status: None,
        };
        service.create(owner, request).await.unwrap().venue_id
    }

    fn claim(venue_id: &str, workstations: u32, main: bool) -> Claim {
        Claim {
            venue_id: venue_id.to_owned(),
            workstations,
            main,
            remote: true,
            venue_field: "venue_id".into(),
            count_field: "workstations".into(),
        }
    }

    async fn hold(
        service: &VenueService,
        who: &Principal,
        holder: &Holder,
        claims: &[Claim],
    ) -> Result<(), VenueError> {
        let mut tx = service.store.write().await?;
        bookings::hold(&mut tx, who, holder, WINDOW, claims, 0).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn free(service: &VenueService, venue_id: &str) -> u32 {
        let filter = VenueFilter {
            free_from: Some(to_rfc3339(WINDOW.start)),
            free_until: Some(to_rfc3339(WINDOW.end)),
            ..VenueFilter::default()
        };
        let list = service.list(&filter).await.unwrap();
        let venue = list.iter().find(|v| v.venue_id == venue_id).unwrap();
        venue.free_workstations.unwrap()
    }

    #[tokio::test]
    async fn a_holder_releases_what_it_holds_and_its_unanswered_requests_are_withdrawn() {
        let dir = tempfile::tempdir().unwrap();
        let service = service(&dir).await;
        let host = center(&service, "center-xinzhou").await;
        let other = center(&service, "center-baokang").await;
        let main = room(&service, &host, "新洲 远程评标室", 10).await;
        let sub = room(&service, &other, "保康 远程评标室", 4).await;
        let draw = Holder {
            kind: HolderKind::Draw,
            id: "0190c0de-0000-7000-8000-000000000001".into(),
        };
        hold(
            &service,
            &host,
            &draw,
            &[claim(&main, 3, true), claim(&sub, 2, false)],
        )
        .await
        .unwrap();
        assert_eq!(
            (free(&service, &main).await, free(&service, &sub).await),
            (7, 2)
        );
        let outstanding = service.consent_outstanding(&draw).await.unwrap();
        assert_eq!(outstanding.len(), 1);
        assert_eq!(outstanding[0].state, ConsentState::Requested);
        assert_eq!(
            outstanding[0].to_string(),
            "保康 远程评标室 (center-baokang) has not answered yet"
        );

        let mut tx = service.store.write().await.unwrap();
        let refused = bookings::release(&mut tx, Actor::of(&host), &draw, BookingState::Refused, 0)
            .await
            .unwrap_err();
        assert_eq!(refused.field().as_deref(), Some("state"));
        let released =
            bookings::release(&mut tx, Actor::of(&host), &draw, BookingState::Cancelled, 0)
                .await
                .unwrap();
        assert_eq!(released, 2);
        tx.commit().await.unwrap();
        assert_eq!(
            (free(&service, &main).await, free(&service, &sub).await),
            (10, 4)
        );
        assert!(service.consent_outstanding(&draw).await.unwrap().is_empty());
        let requests = service.requests(&other, None).await.unwrap();
        assert_eq!(requests[0].state, ConsentState::Withdrawn);
        // Nothing is left to release, and a withdrawn request is not answered.
        let mut tx = service.store.write().await.unwrap();
        let again = bookings::release(&mut tx, Actor::System, &draw, BookingState::Released, 0);
        assert_eq!(again.await.unwrap(), 0);
        tx.commit().await.unwrap();
        let late = service
            .answer(&other, &requests[0].request_id, ConsentAnswer::Accept)
            .await
            .unwrap_err();
        assert!(matches!(
            late,
            VenueError::AlreadyAnswered(ConsentState::Withdrawn)
        ));
    }

    #[tokio::test]
    async fn a_hold_that_does_not_fit_everywhere_holds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let service = service(&dir).await;
        let host = center(&service, "center-xinzhou").await;
        let other = center(&service, "center-baokang").await;
        let main = room(&service, &host, "新洲 远程评标室", 10).await;
        let sub = room(&service, &other, "保康 远程评标室", 4).await;
        let first = Holder::session("0190c0de-0000-7000-8000-000000000001");
        hold(&service, &host, &first, &[claim(&sub, 3, false)])
            .await
            .unwrap();
        let second = Holder::session("0190c0de-0000-7000-8000-000000000002");
        let refused = hold(
            &service,
            &host,
            &second,
            &[claim(&main, 5, true), claim(&sub, 2, false)],
        )
        .await
        .unwrap_err();
        let VenueError::Full(full) = refused else {
            panic!("{refused:?}")
        };
        assert_eq!((full.held, full.requested, full.window), (3, 2, WINDOW));
        assert_eq!(full.field.as_deref(), Some("venue_id"));
        assert_eq!(free(&service, &main).await, 10, "the main venue was held");
        assert!(
            service
                .consent_outstanding(&second)
                .await
                .unwrap()
                .is_empty()
        );

        // Another center's venue is never a main venue, and a venue is named once.
        let main_elsewhere = hold(&service, &host, &second, &[claim(&sub, 1, true)]).await;
        assert!(matches!(main_elsewhere, Err(VenueError::Invalid { .. })));
        let twice = hold(
            &service,
            &host,
            &second,
            &[claim(&main, 1, true), claim(&main, 1, true)],
        )
        .await;
        assert!(matches!(twice, Err(VenueError::Invalid { .. })));
    }
}
