//! Training records (培训) and the annual assessment's workflow (年度考核), issue 22 §2:
//! records an admin enters and voids (never edits), the training currency draws may require,
//! and a year's assessment computed in one set-based pass, reviewed, adjusted and confirmed.
//! docs/POOL.md, "Training, assessment and tiers".

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::assessment::{Formula, Tier, YearInputs};
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::Principal;
use crate::clock::{Millis, SharedClock, province_day};
use crate::config::PoolSettings;
use crate::crypto::KeyRing;
use crate::deps::Deps;
use crate::store::training::{AssessmentResultRow, AssessmentRow, NewTraining, TrainingRow};
use crate::store::{Store, StoreError};
use crate::text::{BoundedText, Lines};

const DAY_MILLIS: i64 = 86_400_000;
/// The province's calendar is UTC+8: a day, a date and a year are Beijing's.
const CHINA_OFFSET_MILLIS: i64 = 8 * 3_600_000;

/// The province's date at `at`.
pub(crate) fn province_date(at: Millis) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(
        i32::try_from(province_day(at) + i64::from(EPOCH_DAYS_FROM_CE))
            .unwrap_or(EPOCH_DAYS_FROM_CE),
    )
    .unwrap_or_default()
}

/// 1970-01-01 counted from 0001-01-01 (day 1), as chrono counts.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Midnight at the start of `date` in the province's calendar, in milliseconds.
fn province_midnight(date: NaiveDate) -> Millis {
    (i64::from(date.num_days_from_ce() - EPOCH_DAYS_FROM_CE)) * DAY_MILLIS - CHINA_OFFSET_MILLIS
}

/// The day twelve months before `date` (29 February's year before is 28 February).
fn year_before(date: NaiveDate) -> NaiveDate {
    date.with_year(date.year() - 1)
        .or_else(|| date.pred_opt().and_then(|d| d.with_year(d.year() - 1)))
        .unwrap_or(NaiveDate::MIN)
}

/// The years an assessment may be computed for.
const FIRST_YEAR: i32 = 2000;

#[derive(Debug, thiserror::Error)]
pub(crate) enum TrainingError {
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
    #[error("no such expert")]
    NoSuchExpert,
    #[error("no such training record")]
    NoSuchRecord,
    #[error("this account is not linked to an expert record")]
    NotLinked,
    #[error("the training record is already void")]
    AlreadyVoid,
    #[error("no assessment has been computed for {0}")]
    NoSuchAssessment(i32),
    #[error("the assessment of {0} is confirmed and final; a change needs a new assessment")]
    Confirmed(i32),
    #[error("the expert is not in the assessment of {0}")]
    NotAssessed(i32),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> TrainingError {
    TrainingError::Invalid {
        field: field.into(),
        problem: problem.into(),
    }
}

/// A training record as entered.
pub(crate) struct TrainingInput {
    pub(crate) course: String,
    pub(crate) hours: f64,
    pub(crate) date: String,
    pub(crate) certificate_ref: String,
    /// A correction: the record it replaces and why.
    pub(crate) corrects: Option<(String, String)>,
}

/// One training record, as admins, supervisors and the expert see it (the stable shape of
/// `GET /api/v1/me/training`'s `records`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct TrainingRecordView {
    pub(crate) record_id: String,
    pub(crate) course: String,
    /// Hours, in half hours (0.5-200).
    pub(crate) hours: f64,
    /// The day the training was completed (YYYY-MM-DD).
    pub(crate) date: String,
    pub(crate) certificate_ref: String,
    /// When it was entered (RFC 3339).
    pub(crate) recorded_at: String,
    /// The record this one corrects (which is then void).
    pub(crate) corrects: Option<String>,
    /// When it was voided, and why; a void record counts nowhere.
    pub(crate) voided_at: Option<String>,
    pub(crate) void_reason: Option<String>,
}

/// An expert's training: every record and where they stand (`GET /api/v1/me/training` and
/// `GET /api/v1/experts/{id}/training`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct TrainingSummary {
    /// Hours of records not void completed in the last twelve months (after `window_from`).
    pub(crate) hours_last_12_months: f64,
    /// `pool.training.required_hours_per_year`.
    pub(crate) required_hours: u32,
    /// The twelve months counted: after this date, through `window_through` (today).
    pub(crate) window_from: String,
    pub(crate) window_through: String,
    /// Below the requirement, and in the pool for twelve months or more (docs/POOL.md).
    pub(crate) behind: bool,
    /// Newest first; void records included, marked.
    pub(crate) records: Vec<TrainingRecordView>,
}

/// A year's assessment run.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct AssessmentView {
    pub(crate) year: i32,
    /// `computed` (may be recomputed, adjusted) or `confirmed` (final; its tiers in force).
    pub(crate) status: String,
    pub(crate) experts: i64,
    /// How many experts each tier holds (after adjustments).
    pub(crate) tiers: HashMap<String, i64>,
    pub(crate) computed_at: String,
    pub(crate) confirmed_at: Option<String>,
    /// The formula's settings the run used.
    #[schema(value_type = Object)]
    pub(crate) formula: serde_json::Value,
}

/// One expert's result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct AssessmentResultView {
    pub(crate) expert_id: String,
    pub(crate) ratings: i32,
    /// The mean of the year's ratings, or null when there was none.
    pub(crate) rating_mean: Option<f64>,
    pub(crate) attendances: i32,
    pub(crate) declines: i32,
    pub(crate) no_shows: i32,
    pub(crate) penalties: i32,
    pub(crate) training_hours: f64,
    /// 0-100, to hundredths.
    pub(crate) score: f64,
    pub(crate) proposed_tier: Tier,
    /// The proposed tier, or the admin's adjustment.
    pub(crate) tier: Tier,
    pub(crate) adjust_reason: Option<String>,
}

pub(crate) struct TrainingService {
    store: Store,
    clock: SharedClock,
    keys: std::sync::Arc<KeyRing>,
    settings: PoolSettings,
}

impl TrainingService {
    pub(crate) fn new(deps: &Deps, settings: PoolSettings) -> Self {
        Self {
            store: deps.store.clone(),
            clock: deps.clock.clone(),
            keys: deps.keys.clone(),
            settings,
        }
    }

    /// Records a training (admin); with `corrects`, voids the record it corrects in the same
    /// transaction.
    pub(crate) async fn record(
        &self,
        admin: &Principal,
        expert_id: &str,
        input: TrainingInput,
    ) -> Result<TrainingRecordView, TrainingError> {
        let course = BoundedText::parse(&input.course, Lines::One, 1..=200)
            .map_err(|p| invalid("course", p))?;
        let half_hours = half_hours(input.hours)?;
        let date = NaiveDate::parse_from_str(&input.date, "%Y-%m-%d")
            .map_err(|_| invalid("date", "must be a date, YYYY-MM-DD"))?;
        let now = self.clock.now_millis();
        if date > province_date(now) {
            return Err(invalid("date", "must not be in the future"));
        }
        if date.year() < FIRST_YEAR {
            return Err(invalid("date", format!("must be in {FIRST_YEAR} or later")));
        }
        let certificate = BoundedText::parse(&input.certificate_ref, Lines::One, 1..=100)
            .map_err(|p| invalid("certificate_ref", p))?;
        let corrects = match &input.corrects {
            Some((record, reason)) => Some((
                record.clone(),
                BoundedText::parse(reason, Lines::Many, 10..=500)
                    .map_err(|p| invalid("corrects.reason", p))?,
            )),
            None => None,
        };
        let mut tx = self.store.write().await?;
        if !valid_id(expert_id) || tx.expert(expert_id).await?.is_none() {
            return Err(TrainingError::NoSuchExpert);
        }
        let id = uuid::Uuid::now_v7().to_string();
        let date_text = date.format("%Y-%m-%d").to_string();
        if let Some((old, reason)) = &corrects {
            let found = tx
                .training_by_id(old)
                .await?
                .filter(|row| row.expert_id == expert_id)
                .ok_or_else(|| invalid("corrects.record_id", "is not a record of this expert"))?;
            if found.voided_at.is_some() {
                return Err(invalid("corrects.record_id", "is already void"));
            }
            tx.void_training(old, &admin.account_id, reason.as_str(), now)
                .await?;
        }
        tx.insert_training(&NewTraining {
            id: &id,
            expert_id,
            course: course.as_str(),
            half_hours,
            completed_on: &date_text,
            certificate_ref: certificate.as_str(),
            recorded_by: &admin.account_id,
            recorded_at: now,
            corrects: corrects.as_ref().map(|(old, _)| old.as_str()),
        })
        .await?;
        let mut entry = AuditEntry::new("expert.training_recorded", now, Actor::of(admin))
            .reference("training", &id)
            .data("expert", self.keys.expert_pseudonym(expert_id))
            .data("half_hours", half_hours)
            .data("date", &date_text);
        if let Some((old, reason)) = &corrects {
            entry = entry.data("corrects", old).data(
                &tx.suite().digest_field("reason"),
                tx.suite().hex_hash(reason.as_str().as_bytes()),
            );
        }
        audit::append(&mut tx, &entry).await?;
        let row = tx
            .training_by_id(&id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a training record just written".into()))?;
        tx.commit().await?;
        Ok(record_view(row))
    }

    /// Voids a record (admin), with the reason; a void record counts nowhere.
    pub(crate) async fn void(
        &self,
        admin: &Principal,
        expert_id: &str,
        record_id: &str,
        reason: &str,
    ) -> Result<TrainingRecordView, TrainingError> {
        let reason =
            BoundedText::parse(reason, Lines::Many, 10..=500).map_err(|p| invalid("reason", p))?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let row = tx
            .training_by_id(record_id)
            .await?
            .filter(|row| row.expert_id == expert_id)
            .ok_or(TrainingError::NoSuchRecord)?;
        if row.voided_at.is_some()
            || !tx
                .void_training(record_id, &admin.account_id, reason.as_str(), now)
                .await?
        {
            return Err(TrainingError::AlreadyVoid);
        }
        let entry = AuditEntry::new("expert.training_voided", now, Actor::of(admin))
            .reference("training", record_id)
            .data("expert", self.keys.expert_pseudonym(expert_id))
            .data(
                &tx.suite().digest_field("reason"),
                tx.suite().hex_hash(reason.as_str().as_bytes()),
            );
        audit::append(&mut tx, &entry).await?;
        let row = tx
            .training_by_id(record_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a training record just voided".into()))?;
        tx.commit().await?;
        Ok(record_view(row))
    }

    /// An expert's training (admins and supervisors).
    pub(crate) async fn of_expert(
        &self,
        expert_id: &str,
    ) -> Result<TrainingSummary, TrainingError> {
        let mut tx = self.store.read().await?;
        if !valid_id(expert_id) {
            return Err(TrainingError::NoSuchExpert);
        }
        let expert = tx
            .expert_created_at(expert_id)
            .await?
            .ok_or(TrainingError::NoSuchExpert)?;
        let rows = tx.training_of_expert(expert_id).await?;
        tx.rollback().await?;
        Ok(self.summary(rows, expert))
    }

    /// The signed-in expert's own training.
    pub(crate) async fn own(&self, owner: &Principal) -> Result<TrainingSummary, TrainingError> {
        let mut tx = self.store.read().await?;
        let expert_id = tx
            .expert_of_account(&owner.account_id)
            .await?
            .ok_or(TrainingError::NotLinked)?;
        let created = tx
            .expert_created_at(&expert_id)
            .await?
            .ok_or(TrainingError::NotLinked)?;
        let rows = tx.training_of_expert(&expert_id).await?;
        tx.rollback().await?;
        Ok(self.summary(rows, created))
    }

    fn summary(&self, rows: Vec<TrainingRow>, created_at: Millis) -> TrainingSummary {
        let now = self.clock.now_millis();
        let (after, through) = currency_window(now);
        let after_text = after.format("%Y-%m-%d").to_string();
        let through_text = through.format("%Y-%m-%d").to_string();
        let done: i64 = rows
            .iter()
            .filter(|row| {
                row.voided_at.is_none()
                    && row.completed_on.as_str() > after_text.as_str()
                    && row.completed_on.as_str() <= through_text.as_str()
            })
            .map(|row| i64::from(row.half_hours))
            .sum();
        let required = self.settings.training.required_hours_per_year;
        let behind =
            created_at < province_midnight(after) + DAY_MILLIS && done < i64::from(required) * 2;
        TrainingSummary {
            hours_last_12_months: done as f64 / 2.0,
            required_hours: required,
            window_from: after_text,
            window_through: through_text,
            behind,
            records: rows.into_iter().map(record_view).collect(),
        }
    }

    /// Computes (or recomputes) a year's assessment for every active or suspended expert, in
    /// one grouped read per source and batched writes (admin). A confirmed year is final.
    pub(crate) async fn compute(
        &self,
        admin: &Principal,
        year: i32,
    ) -> Result<AssessmentView, TrainingError> {
        let now = self.clock.now_millis();
        let this_year = province_date(now).year();
        if !(FIRST_YEAR..=this_year).contains(&year) {
            return Err(invalid(
                "year",
                format!("must be from {FIRST_YEAR} to {this_year}"),
            ));
        }
        let formula = Formula::new(
            self.settings.training.required_hours_per_year,
            &self.settings.assessment,
        );
        let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
        let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
        let next = NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or_default();
        let mut tx = self.store.write().await?;
        if let Some(existing) = tx.assessment(year).await?
            && existing.status == "confirmed"
        {
            return Err(TrainingError::Confirmed(year));
        }
        let facts = tx
            .assessment_facts(
                (province_midnight(first), province_midnight(next)),
                (
                    i64::from(first.num_days_from_ce() - EPOCH_DAYS_FROM_CE),
                    i64::from(last.num_days_from_ce() - EPOCH_DAYS_FROM_CE),
                ),
                (
                    &first.format("%Y-%m-%d").to_string(),
                    &last.format("%Y-%m-%d").to_string(),
                ),
            )
            .await?;
        let mut inputs: HashMap<&str, YearInputs> = facts
            .experts
            .iter()
            .map(|id| (id.as_str(), YearInputs::default()))
            .collect();
        for (id, count, points) in &facts.ratings {
            if let Some(expert) = inputs.get_mut(id.as_str()) {
                expert.ratings = *count;
                expert.rating_points = *points;
            }
        }
        for (id, kind, count) in &facts.events {
            if let Some(expert) = inputs.get_mut(id.as_str()) {
                match kind.as_str() {
                    "attendance" => expert.attendances = *count,
                    "decline" => expert.declines = *count,
                    _ => expert.no_shows = *count,
                }
            }
        }
        for (id, count) in &facts.penalties {
            if let Some(expert) = inputs.get_mut(id.as_str()) {
                expert.penalties = *count;
            }
        }
        for (id, half_hours) in &facts.training {
            if let Some(expert) = inputs.get_mut(id.as_str()) {
                expert.training_half_hours = *half_hours;
            }
        }
        let narrow = |value: i64| i32::try_from(value).unwrap_or(i32::MAX);
        let results: Vec<AssessmentResultRow> = facts
            .experts
            .iter()
            .map(|id| {
                let input = inputs.get(id.as_str()).copied().unwrap_or_default();
                let score = formula.score_centi(&input);
                let tier = formula.tier(score);
                AssessmentResultRow {
                    expert_id: id.clone(),
                    ratings: narrow(input.ratings),
                    rating_points: input.rating_points,
                    attendances: narrow(input.attendances),
                    declines: narrow(input.declines),
                    no_shows: narrow(input.no_shows),
                    penalties: narrow(input.penalties),
                    training_half_hours: narrow(input.training_half_hours),
                    score_centi: score,
                    proposed_tier: tier,
                    tier,
                    adjust_reason: None,
                }
            })
            .collect();
        let formula_json = serde_json::to_string(&formula).unwrap_or_default();
        let row = AssessmentRow {
            year,
            status: "computed".into(),
            formula: formula_json,
            experts: results.len() as i64,
            computed_at: now,
            confirmed_at: None,
        };
        tx.replace_assessment(&row, &admin.account_id, &results)
            .await?;
        let tiers = count_tiers(&results);
        let entry = AuditEntry::new("assessment.computed", now, Actor::of(admin))
            .reference("assessment", year.to_string())
            .data("experts", row.experts)
            .data("tiers", &tiers)
            .data("formula", formula);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(assessment_view(row, tiers))
    }

    /// A year's run and a page of its results (admins and supervisors).
    pub(crate) async fn results(
        &self,
        year: i32,
        after: &str,
        limit: i64,
    ) -> Result<(AssessmentView, Vec<AssessmentResultView>), TrainingError> {
        let mut tx = self.store.read().await?;
        let row = tx
            .assessment(year)
            .await?
            .ok_or(TrainingError::NoSuchAssessment(year))?;
        let tiers = tx.assessment_tier_counts(year).await?;
        let page = tx
            .assessment_results(year, after, limit.clamp(1, 1000))
            .await?;
        tx.rollback().await?;
        Ok((
            assessment_view(row, tiers.into_iter().collect()),
            page.into_iter().map(result_view).collect(),
        ))
    }

    /// Sets one expert's tier in an unconfirmed year, with the reason (admin).
    pub(crate) async fn adjust(
        &self,
        admin: &Principal,
        year: i32,
        expert_id: &str,
        tier: Tier,
        reason: &str,
    ) -> Result<AssessmentResultView, TrainingError> {
        let reason =
            BoundedText::parse(reason, Lines::Many, 10..=500).map_err(|p| invalid("reason", p))?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let run = tx
            .assessment(year)
            .await?
            .ok_or(TrainingError::NoSuchAssessment(year))?;
        if run.status == "confirmed" {
            return Err(TrainingError::Confirmed(year));
        }
        let before = tx
            .assessment_result(year, expert_id)
            .await?
            .ok_or(TrainingError::NotAssessed(year))?;
        tx.adjust_assessment_tier(
            year,
            expert_id,
            tier,
            reason.as_str(),
            &admin.account_id,
            now,
        )
        .await?;
        let entry = AuditEntry::new("assessment.adjusted", now, Actor::of(admin))
            .reference("assessment", year.to_string())
            .data("expert", self.keys.expert_pseudonym(expert_id))
            .data("from", before.tier.as_str())
            .data("to", tier.as_str())
            .data(
                &tx.suite().digest_field("reason"),
                tx.suite().hex_hash(reason.as_str().as_bytes()),
            );
        audit::append(&mut tx, &entry).await?;
        let after = tx
            .assessment_result(year, expert_id)
            .await?
            .ok_or(TrainingError::NotAssessed(year))?;
        tx.commit().await?;
        Ok(result_view(after))
    }

    /// Confirms a year (admin): its tiers become the experts' tiers, and the run is final.
    pub(crate) async fn confirm(
        &self,
        admin: &Principal,
        year: i32,
    ) -> Result<AssessmentView, TrainingError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let run = tx
            .assessment(year)
            .await?
            .ok_or(TrainingError::NoSuchAssessment(year))?;
        if run.status == "confirmed" || !tx.confirm_assessment(year, &admin.account_id, now).await?
        {
            return Err(TrainingError::Confirmed(year));
        }
        // Draws cache the pool's rows by its version; tiers are among them.
        tx.bump_pool_version().await?;
        let tiers: HashMap<String, i64> =
            tx.assessment_tier_counts(year).await?.into_iter().collect();
        let entry = AuditEntry::new("assessment.confirmed", now, Actor::of(admin))
            .reference("assessment", year.to_string())
            .data("experts", run.experts)
            .data("tiers", &tiers);
        audit::append(&mut tx, &entry).await?;
        let run = tx
            .assessment(year)
            .await?
            .ok_or(TrainingError::NoSuchAssessment(year))?;
        tx.commit().await?;
        Ok(assessment_view(run, tiers))
    }

    /// Experts behind on training at `now` (draws' `training_behind`): in the pool twelve
    /// months or more, with fewer hours than `required_hours` in the twelve months to today.
    pub(crate) async fn behind(
        tx: &mut crate::store::Tx,
        now: Millis,
        required_hours: u32,
    ) -> Result<Vec<String>, StoreError> {
        let (after, through) = currency_window(now);
        tx.experts_behind_on_training(
            &after.format("%Y-%m-%d").to_string(),
            &through.format("%Y-%m-%d").to_string(),
            i64::from(required_hours) * 2,
            province_midnight(after) + DAY_MILLIS - 1,
        )
        .await
    }
}

/// The twelve months that count at `now`: after the first date, through the second (today).
fn currency_window(now: Millis) -> (NaiveDate, NaiveDate) {
    let today = province_date(now);
    (year_before(today), today)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && !id.chars().any(char::is_control)
}

/// Hours as half hours: 0.5 to 200, in halves.
fn half_hours(hours: f64) -> Result<i32, TrainingError> {
    let halves = hours * 2.0;
    if !hours.is_finite() || !(0.5..=200.0).contains(&hours) || halves.fract() != 0.0 {
        return Err(invalid("hours", "must be from 0.5 to 200, in half hours"));
    }
    // Within 1..=400 by the check above.
    Ok(halves as i32)
}

fn count_tiers(results: &[AssessmentResultRow]) -> HashMap<String, i64> {
    let mut tiers: HashMap<String, i64> = Tier::ALL
        .iter()
        .map(|tier| (tier.as_str().to_owned(), 0))
        .collect();
    for row in results {
        *tiers.entry(row.tier.as_str().to_owned()).or_default() += 1;
    }
    tiers
}

fn record_view(row: TrainingRow) -> TrainingRecordView {
    TrainingRecordView {
        record_id: row.id,
        course: row.course,
        hours: f64::from(row.half_hours) / 2.0,
        date: row.completed_on,
        certificate_ref: row.certificate_ref,
        recorded_at: crate::clock::to_rfc3339(row.recorded_at),
        corrects: row.corrects,
        voided_at: row.voided_at.map(crate::clock::to_rfc3339),
        void_reason: row.void_reason,
    }
}

fn assessment_view(row: AssessmentRow, tiers: HashMap<String, i64>) -> AssessmentView {
    let mut all: HashMap<String, i64> = Tier::ALL
        .iter()
        .map(|tier| (tier.as_str().to_owned(), 0))
        .collect();
    all.extend(tiers);
    AssessmentView {
        year: row.year,
        status: row.status,
        experts: row.experts,
        tiers: all,
        computed_at: crate::clock::to_rfc3339(row.computed_at),
        confirmed_at: row.confirmed_at.map(crate::clock::to_rfc3339),
        formula: serde_json::from_str(&row.formula).unwrap_or_default(),
    }
}

fn result_view(row: AssessmentResultRow) -> AssessmentResultView {
    AssessmentResultView {
        expert_id: row.expert_id,
        ratings: row.ratings,
        rating_mean: (row.ratings > 0)
            .then(|| (row.rating_points * 100 / i64::from(row.ratings)) as f64 / 100.0),
        attendances: row.attendances,
        declines: row.declines,
        no_shows: row.no_shows,
        penalties: row.penalties,
        training_hours: f64::from(row.training_half_hours) / 2.0,
        score: row.score_centi as f64 / 100.0,
        proposed_tier: row.proposed_tier,
        tier: row.tier,
        adjust_reason: row.adjust_reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_provinces_day_turns_at_beijings_midnight() {
        // 2026-12-31T16:00:00Z is 2027-01-01 00:00 in Beijing.
        let new_year = 1_798_732_800_000;
        assert_eq!(province_date(new_year), date("2027-01-01"));
        assert_eq!(province_date(new_year - 1), date("2026-12-31"));
        assert_eq!(province_midnight(date("2027-01-01")), new_year);
    }

    #[test]
    fn twelve_months_before_a_leap_day_is_the_28th() {
        assert_eq!(year_before(date("2028-02-29")), date("2027-02-28"));
        assert_eq!(year_before(date("2027-03-15")), date("2026-03-15"));
    }

    #[test]
    fn hours_come_in_halves_from_half_an_hour_to_two_hundred() {
        assert_eq!(half_hours(0.5).unwrap(), 1);
        assert_eq!(half_hours(200.0).unwrap(), 400);
        assert_eq!(half_hours(7.5).unwrap(), 15);
        for bad in [0.0, 0.25, 7.3, 200.5, -1.0, f64::NAN, f64::INFINITY] {
            assert!(half_hours(bad).is_err(), "{bad}");
        }
    }
}
