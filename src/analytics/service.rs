//! The statistics as supervisors ask for them: a window of time, within their jurisdiction.

use serde::Serialize;

use super::{
    PrefectureName, PrefectureShare, QualifyingProject, RefusedStratum, Share, SpecialtySupply,
    StratumFacts, prefecture_of, remote_shares, supply,
};
use crate::auth::Principal;
use crate::auth::jurisdiction::scope_of_supervisor;
use crate::clock::{Millis, to_rfc3339};
use crate::config::AnalyticsSettings;
use crate::deps::Deps;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub(crate) enum AnalyticsError {
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("{field}: {problem}")]
    InvalidField { field: String, problem: String },
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("a stored analytics record is unreadable: {0}")]
    Corrupt(String),
    #[error("sealing failed")]
    Sealing,
    #[error("the unseal request could not be filed: {0}")]
    Unseal(String),
    #[error("the alert's message could not be queued: {0}")]
    Notify(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
}

pub(crate) fn invalid(field: &'static str, problem: impl Into<String>) -> AnalyticsError {
    AnalyticsError::Invalid {
        field,
        problem: problem.into(),
    }
}

/// A year, or one month of it, in Beijing time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Period {
    pub(crate) year: i32,
    pub(crate) month: Option<u32>,
}

impl Period {
    /// Checks the year (2000–2100) and month (1–12).
    pub(crate) fn new(year: i32, month: Option<u32>) -> Result<Self, AnalyticsError> {
        if !(2000..=2100).contains(&year) {
            return Err(invalid("year", "must be from 2000 to 2100"));
        }
        if month.is_some_and(|m| !(1..=12).contains(&m)) {
            return Err(invalid("month", "must be from 1 to 12"));
        }
        Ok(Self { year, month })
    }

    /// `[from, until)` in milliseconds: Beijing midnight of the first day to that of the next
    /// period's.
    fn window(self) -> Result<(Millis, Millis), AnalyticsError> {
        let beijing = chrono::FixedOffset::east_opt(8 * 3600)
            .ok_or_else(|| invalid("year", "no Beijing offset"))?;
        let midnight = |year: i32, month: u32| {
            chrono::NaiveDate::from_ymd_opt(year, month, 1)
                .and_then(|day| day.and_hms_opt(0, 0, 0))
                .and_then(|time| time.and_local_timezone(beijing).single())
                .map(|time| time.timestamp_millis())
                .ok_or_else(|| invalid("year", "is out of range"))
        };
        Ok(match self.month {
            None => (midnight(self.year, 1)?, midnight(self.year + 1, 1)?),
            Some(12) => (midnight(self.year, 12)?, midnight(self.year + 1, 1)?),
            Some(month) => (midnight(self.year, month)?, midnight(self.year, month + 1)?),
        })
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct RemoteShareReport {
    pub(crate) year: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) month: Option<u32>,
    /// The window counted, RFC 3339: evaluations starting from `from` and before `until`
    /// (those already drawn for later in a period not yet over included).
    pub(crate) from: String,
    pub(crate) until: String,
    pub(crate) target_percent: u32,
    /// Every prefecture of the province, in the region list's order.
    pub(crate) prefectures: Vec<PrefectureShare>,
    /// The prefectures the goal applies to, together.
    pub(crate) province: Share,
    /// Whether the report covers the whole province or the supervisor's jurisdiction only.
    pub(crate) province_wide: bool,
}

/// A qualifying project, as the drill-down lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct ProjectLine {
    pub(crate) draw_id: String,
    pub(crate) tender_reference: String,
    pub(crate) tender_name: String,
    pub(crate) evaluation_start: String,
    pub(crate) mode: String,
    pub(crate) remote: bool,
    pub(crate) prefecture: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) industry: Option<String>,
}

pub(crate) struct AnalyticsService {
    pub(super) store: Store,
    pub(super) settings: AnalyticsSettings,
    pub(super) keys: std::sync::Arc<crate::crypto::KeyRing>,
    pub(super) rng: crate::crypto::Rng,
    clock: crate::clock::SharedClock,
    /// Files a case's unseal request through the one dual-controlled path.
    pub(super) pool: crate::pool::PoolService,
}

impl AnalyticsService {
    pub(crate) fn new(deps: &Deps, settings: AnalyticsSettings) -> Self {
        Self {
            store: deps.store.clone(),
            settings,
            keys: deps.keys.clone(),
            rng: deps.rng.clone(),
            clock: deps.clock.clone(),
            pool: crate::pool::PoolService::new(deps),
        }
    }

    pub(super) fn clock(&self) -> &crate::clock::SharedClock {
        &self.clock
    }

    /// Writes a synthetic history into this service's store (`sealdraw demo history`, the
    /// detection benchmark and the signals' integration tests).
    pub(crate) async fn write_history(
        &self,
        plan: &super::synthetic::HistoryPlan,
    ) -> Result<super::synthetic::HistorySummary, super::synthetic::HistoryError> {
        let deps = Deps {
            store: self.store.clone(),
            clock: self.clock.clone(),
            rng: self.rng.clone(),
            keys: self.keys.clone(),
        };
        super::synthetic::write_history(&deps, plan).await
    }

    /// The qualifying projects of the period that the supervisor's jurisdiction covers.
    async fn projects(
        &self,
        supervisor: &Principal,
        period: Period,
    ) -> Result<(Vec<QualifyingProject>, Millis, Millis, bool), AnalyticsError> {
        let (from, until) = period.window()?;
        let mut tx = self.store.read().await?;
        let scope = scope_of_supervisor(&mut tx, &supervisor.account_id).await?;
        let rows = tx.qualifying_projects(from, until).await?;
        tx.rollback().await?;
        let projects = rows
            .into_iter()
            .filter(|row| scope.covers(row.region.as_deref(), row.industry.as_deref()))
            .map(|row| QualifyingProject {
                draw_id: row.id,
                tender_reference: row.tender_reference,
                tender_name: row.tender_name,
                mode: row.mode,
                evaluation_start: row.evaluation_start,
                region: row.region,
                industry: row.industry,
            })
            .collect();
        Ok((projects, from, until, scope.is_province_wide()))
    }

    /// Remote evaluations' share per prefecture against the goal (issue 21 §2).
    pub(crate) async fn remote_share(
        &self,
        supervisor: &Principal,
        period: Period,
    ) -> Result<RemoteShareReport, AnalyticsError> {
        let (projects, from, until, province_wide) = self.projects(supervisor, period).await?;
        let (prefectures, province) = remote_shares(
            &projects,
            &prefecture_names(),
            self.settings.remote_share_target_percent,
            &self.settings.remote_share_excluded_prefectures,
        );
        Ok(RemoteShareReport {
            year: period.year,
            month: period.month,
            from: to_rfc3339(from),
            until: to_rfc3339(until),
            target_percent: self.settings.remote_share_target_percent,
            prefectures,
            province,
            province_wide,
        })
    }

    /// The projects behind a prefecture's figure (or every prefecture's), by start.
    pub(crate) async fn remote_share_projects(
        &self,
        supervisor: &Principal,
        period: Period,
        prefecture: Option<&str>,
    ) -> Result<Vec<ProjectLine>, AnalyticsError> {
        let names = prefecture_names();
        if let Some(code) = prefecture
            && !names.iter().any(|p| p.prefix == code)
        {
            return Err(invalid(
                "prefecture",
                "is not a prefecture's code prefix (4206, or 429004 for a division the \
                 province runs directly)",
            ));
        }
        let (projects, ..) = self.projects(supervisor, period).await?;
        Ok(projects
            .into_iter()
            .filter_map(|project| {
                let place = prefecture_of(project.region.as_deref()?, &names)?;
                if prefecture.is_some_and(|code| code != place.prefix) {
                    return None;
                }
                Some(ProjectLine {
                    remote: project.remote(),
                    draw_id: project.draw_id,
                    tender_reference: project.tender_reference,
                    tender_name: project.tender_name,
                    evaluation_start: to_rfc3339(project.evaluation_start),
                    mode: project.mode.as_str().to_owned(),
                    prefecture: place.prefix.clone(),
                    industry: project.industry,
                })
            })
            .collect())
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct SupplyReport {
    pub(crate) year: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) month: Option<u32>,
    /// Draws requested from `from` and before `until` (RFC 3339), Beijing time.
    pub(crate) from: String,
    pub(crate) until: String,
    pub(crate) province_wide: bool,
    /// Every specialty asked for, the one most in need of recruiting first.
    pub(crate) specialties: Vec<SpecialtySupply>,
}

impl AnalyticsService {
    /// Which specialties run short (issue 21 §2): eligible-set sizes against need, draws
    /// refused for too few eligible experts, and how invited experts answered; by the draws
    /// requested in the period, within the supervisor's jurisdiction.
    pub(crate) async fn supply(
        &self,
        supervisor: &Principal,
        period: Period,
    ) -> Result<SupplyReport, AnalyticsError> {
        let (from, until) = period.window()?;
        let mut tx = self.store.read().await?;
        let scope = scope_of_supervisor(&mut tx, &supervisor.account_id).await?;
        let outcomes = tx.stratum_outcomes(from, until).await?;
        let refusals = tx.draw_refusals(from, until).await?;
        tx.rollback().await?;
        let prefixes = |json: &str| -> Vec<String> {
            let mut list: Vec<String> = serde_json::from_str(json).unwrap_or_default();
            list.sort();
            list
        };
        let strata: Vec<StratumFacts> = outcomes
            .iter()
            .filter(|row| scope.covers(row.region.as_deref(), row.industry.as_deref()))
            .map(|row| StratumFacts {
                prefixes: prefixes(&row.prefixes),
                need: (row.k.max(0) + row.m.max(0)) as u64,
                eligible: row.eligible_count.max(0) as u64,
                invited: row.invited.max(0) as u64,
                declined: row.declined.max(0) as u64,
                no_answer: row.no_answer.max(0) as u64,
                departed: row.departed.max(0) as u64,
                minutes_to_confirmed: (row.confirmed >= i64::from(row.k) && row.k > 0)
                    .then_some(row.last_confirmed_at)
                    .flatten()
                    .map(|at| ((at - row.created_at).max(0) / 60_000) as u64),
            })
            .collect();
        let refused: Vec<RefusedStratum> = refusals
            .iter()
            .filter(|row| scope.covers(row.region.as_deref(), row.industry.as_deref()))
            .filter_map(|row| {
                let strata: Vec<serde_json::Value> = serde_json::from_str(&row.strata).ok()?;
                let short = strata.get(usize::try_from(row.refused_stratum).ok()?)?;
                let number = |name: &str| short.get(name).and_then(serde_json::Value::as_u64);
                let mut list: Vec<String> =
                    serde_json::from_value(short.get("specialty_prefixes")?.clone()).ok()?;
                list.sort();
                Some(RefusedStratum {
                    prefixes: list,
                    need: number("k")? + number("m")?,
                    eligible: number("eligible")?,
                })
            })
            .collect();
        Ok(SupplyReport {
            year: period.year,
            month: period.month,
            from: to_rfc3339(from),
            until: to_rfc3339(until),
            province_wide: scope.is_province_wide(),
            specialties: supply(&strata, &refused),
        })
    }
}

fn prefecture_names() -> Vec<PrefectureName> {
    crate::pool::regions::prefectures()
        .iter()
        .map(|p| PrefectureName {
            prefix: p.prefix.clone(),
            name: p.name.clone(),
        })
        .collect()
}
