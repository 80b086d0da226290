//! Early warnings (issue 21 §3; docs/ANALYTICS.md §4–§5): the signal run over the history, the
//! rules admins set (signal, threshold, region), the alerts a rule raises for the supervisors in
//! scope, and the cases supervisors open on them. Every step is an audit entry.
//!
//! An alert names its experts by labels of its own (an HMAC of the alert and the expert's tag),
//! never by the pseudonyms other reports use: a label cannot be followed from one alert to
//! another, or from an alert to a published committee list. The pool ids behind the labels are
//! sealed with the alert, opened only to file a case's unseal request, which a second supervisor
//! must approve as any other.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::service::{AnalyticsError, AnalyticsService, invalid};
use super::signals::{
    self, CommitteeFact, ExpertKey, Finding, Outcome, SeatFact, SheetFact, Signal, SignalSettings,
    StratumFact, Subject,
};
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::Principal;
use crate::auth::jurisdiction::Scope;
use crate::clock::{Millis, to_rfc3339};
use crate::draw::states::{CandidateState, VacancyReason};
use crate::store::signals::{
    AlertRow, AlertRuleRow, CaseRow, CommitteeRow, SignalRunRow, SignalSeatRow, SignalSheetRow,
    SignalStratumRow,
};
use crate::store::text_enum::text_enum;
use crate::text::{BoundedText, Lines};

const DAY_MILLIS: i64 = 86_400_000;
/// Case notes and conclusions: long enough for a finding, short enough for a log.
const CASE_TEXT_CHARS: std::ops::RangeInclusive<usize> = 1..=4000;

text_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum CaseState {
        Open = "open",
        Closed = "closed",
    }
}

/// A committee an alert's count comes from, and where it belongs (for scope).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct EvidenceCommittee {
    pub(crate) draw_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) industry: Option<String>,
}

/// What a rule fired on, as stored and shown.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Evidence {
    /// What was counted ("sat together 9 times"), out of how many chances where that applies.
    pub(crate) observed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) trials: Option<u64>,
    /// What chance alone would give, two decimals.
    pub(crate) expected: String,
    /// The tail probability and its Benjamini–Hochberg adjustment over `tests` tests, as text
    /// in scientific notation ("3.2e-9").
    pub(crate) p: String,
    pub(crate) q: String,
    pub(crate) tests: u64,
    /// At most 50 committees behind the count (those within the reader's jurisdiction).
    pub(crate) committees: Vec<EvidenceCommittee>,
}

/// Who an alert is about, without identities.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct AlertSubject {
    /// The experts' labels, valid within this alert only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) experts: Vec<String>,
    /// A trading center's username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) center: Option<String>,
    /// A bidder's unified social credit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) bidder_credit_code: Option<String>,
    /// The committee (root draw) two members sat on, for identical sheets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) committee: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct AlertRuleView {
    pub(crate) id: String,
    pub(crate) signal: Signal,
    /// The largest q-value that fires (text, e.g. "0.001").
    pub(crate) max_q: String,
    /// Region prefixes watched; empty for the whole province.
    pub(crate) regions: Vec<String>,
    pub(crate) created_at: String,
    pub(crate) active: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct SignalRunView {
    pub(crate) id: String,
    pub(crate) started_at: String,
    pub(crate) finished_at: Option<String>,
    /// The committees read: root draws created from `window_from` until `window_until`.
    pub(crate) window_from: String,
    pub(crate) window_until: String,
    pub(crate) committees: u64,
    /// Findings with q ≤ 0.05 per signal, whether or not a rule fired on them.
    pub(crate) findings: BTreeMap<String, u64>,
    pub(crate) alerts_raised: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct AlertView {
    pub(crate) id: String,
    pub(crate) rule_id: String,
    pub(crate) signal: Signal,
    pub(crate) subject: AlertSubject,
    pub(crate) evidence: Evidence,
    pub(crate) raised_at: String,
    /// The case opened on it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) case: Option<CaseView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct CaseNoteView {
    pub(crate) number: u32,
    pub(crate) author: String,
    pub(crate) text: String,
    pub(crate) added_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct CaseView {
    pub(crate) id: String,
    pub(crate) alert_id: String,
    pub(crate) state: CaseState,
    pub(crate) opened_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unseal_request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) conclusion: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) closed_at: Option<String>,
    pub(crate) notes: Vec<CaseNoteView>,
}

/// The history read for a run, as the pure tests take it, with the tag of each expert key.
struct History {
    committees: Vec<CommitteeFact>,
    places: HashMap<String, (Option<String>, Option<String>)>,
    tags: Vec<Vec<u8>>,
}

fn outcome_of(seat: &SignalSeatRow) -> Outcome {
    match (seat.state, seat.replaced_reason) {
        (CandidateState::Confirmed, _) => Outcome::Sat,
        (CandidateState::Replaced, Some(VacancyReason::Declined)) => Outcome::Declined,
        (CandidateState::Replaced, Some(VacancyReason::NoAnswer)) => Outcome::NoAnswer,
        (CandidateState::Replaced, Some(VacancyReason::Recused)) => Outcome::Recused,
        (CandidateState::Replaced, Some(VacancyReason::Withdrew)) => Outcome::Withdrew,
        _ => Outcome::Pending,
    }
}

/// The prefecture part of a region code: four digits, or six for a division the province runs
/// directly (4290xx).
fn prefecture_of(region: &str) -> String {
    let take = if region.starts_with("4290") { 6 } else { 4 };
    region.chars().take(take).collect()
}

/// Assembles the committees from the rows the store read (each list ordered by root draw).
fn assemble(
    roots: Vec<CommitteeRow>,
    strata: Vec<SignalStratumRow>,
    seats: Vec<SignalSeatRow>,
    sheets: Vec<SignalSheetRow>,
) -> History {
    let mut keys: HashMap<Vec<u8>, ExpertKey> = HashMap::new();
    let mut tags: Vec<Vec<u8>> = Vec::new();
    let mut key_of = |tag: &[u8]| -> ExpertKey {
        if let Some(key) = keys.get(tag) {
            return *key;
        }
        let key = tags.len() as ExpertKey;
        tags.push(tag.to_vec());
        keys.insert(tag.to_vec(), key);
        key
    };
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut places = HashMap::new();
    let mut committees: Vec<CommitteeFact> = Vec::with_capacity(roots.len());
    for root in roots {
        index.insert(root.id.clone(), committees.len());
        places.insert(
            root.id.clone(),
            (root.region.clone(), root.industry.clone()),
        );
        committees.push(CommitteeFact {
            id: root.id,
            center: root.center,
            prefecture: root.region.as_deref().map(prefecture_of),
            strata: Vec::new(),
            deviation_percent: 20,
            sheets: Vec::new(),
        });
    }
    // Strata by (draw, stratum) → (committee, position).
    let mut stratum_at: HashMap<(String, i32), (usize, usize)> = HashMap::new();
    for row in strata {
        let Some(&at) = index.get(&row.root_id) else {
            continue;
        };
        let mut prefixes: Vec<String> = serde_json::from_str(&row.prefixes).unwrap_or_default();
        prefixes.sort();
        let committee = &mut committees[at];
        stratum_at.insert(
            (row.draw_id.clone(), row.stratum),
            (at, committee.strata.len()),
        );
        committee.strata.push(StratumFact {
            specialties: prefixes.join(","),
            need: (row.k.max(0) + row.m.max(0)) as u64,
            eligible: row.eligible_count.max(0) as u64,
            root: row.draw_id == row.root_id,
            seats: Vec::new(),
        });
    }
    for seat in seats {
        let Some(&(at, position)) = stratum_at.get(&(seat.draw_id.clone(), seat.stratum)) else {
            continue;
        };
        let outcome = outcome_of(&seat);
        let expert = key_of(&seat.expert_tag);
        committees[at].strata[position]
            .seats
            .push(SeatFact { expert, outcome });
    }
    for sheet in sheets {
        let (Some(&at), Some(tag)) = (index.get(&sheet.root_id), sheet.expert_tag.as_deref())
        else {
            continue; // a representative's sheet: not a pool expert
        };
        let Ok(parsed) =
            serde_json::from_str::<crate::session::rules::ScoreSheet>(&sheet.sheet_json)
        else {
            continue;
        };
        let expert = key_of(tag);
        let committee = &mut committees[at];
        committee.deviation_percent = sheet.deviation_percent.max(1) as u32;
        committee.sheets.push(SheetFact {
            expert,
            bidder: sheet.bidder,
            credit_code: sheet.credit_code,
            scores: parsed.scores_centi,
            total: sheet.total_centi,
        });
    }
    History {
        committees,
        places,
        tags,
    }
}

fn scientific(value: f64) -> String {
    if value == 0.0 {
        "0".into()
    } else {
        format!("{value:.2e}")
    }
}

fn scope_of_row(regions: Option<&str>, industries: Option<&str>) -> Scope {
    let list = |json: Option<&str>| -> Vec<String> {
        json.and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default()
    };
    Scope {
        regions: list(regions),
        industries: list(industries),
    }
}

/// Whether `scope` covers any of the alert's committees.
fn covers_any(scope: &Scope, committees: &[EvidenceCommittee]) -> bool {
    scope.is_province_wide()
        || committees
            .iter()
            .any(|c| scope.covers(c.region.as_deref(), c.industry.as_deref()))
}

impl AnalyticsService {
    fn signal_settings(&self) -> SignalSettings {
        SignalSettings::default()
    }

    /// Runs every signal over the window's history and raises the alerts the active rules call
    /// for. `who` is the admin who asked, or `None` for the scheduled run.
    pub(crate) async fn run_signals(
        &self,
        who: Option<&Principal>,
    ) -> Result<SignalRunView, AnalyticsError> {
        let started_at = self.clock().now_millis();
        let window_from = started_at - i64::from(self.settings.signal_window_days) * DAY_MILLIS;
        let window_until = started_at + 1;
        let (history, id_of_tag) = self.load_history(window_from, window_until).await?;
        let mut tx = self.store.read().await?;
        let rules = tx.alert_rules().await?;
        let supervisors = tx.supervisor_scopes().await?;
        tx.rollback().await?;
        let findings = signals::run(&history.committees, &self.signal_settings());
        let mut per_signal: BTreeMap<String, u64> = Signal::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), 0))
            .collect();
        for finding in &findings {
            *per_signal
                .entry(finding.signal.as_str().to_owned())
                .or_default() += 1;
        }
        let scopes: Vec<(String, Scope)> = supervisors
            .into_iter()
            .map(|row| {
                let scope =
                    scope_of_row(row.regions_json.as_deref(), row.industries_json.as_deref());
                (row.id, scope)
            })
            .collect();

        let run_id = uuid::Uuid::now_v7().to_string();
        let finished_at = self.clock().now_millis();
        let mut tx = self.store.write().await?;
        let mut raised = 0u64;
        let mut run = SignalRunRow {
            id: run_id.clone(),
            started_at,
            finished_at: Some(finished_at),
            window_from,
            window_until,
            committees: Some(history.committees.len() as i64),
            findings: Some(findings.len() as i64),
            alerts: None,
        };
        tx.insert_signal_run(&run).await?;
        for rule in rules.iter().filter(|r| r.retired_at.is_none()) {
            let watched: Vec<String> = serde_json::from_str(&rule.regions).unwrap_or_default();
            let max_q = rule.max_q_ppm as f64 / 1e6;
            for finding in findings
                .iter()
                .filter(|f| f.signal == rule.signal && f.q <= max_q)
            {
                let committees: Vec<EvidenceCommittee> = finding
                    .committees
                    .iter()
                    .map(|id| {
                        let (region, industry) =
                            history.places.get(id).cloned().unwrap_or_default();
                        EvidenceCommittee {
                            draw_id: id.clone(),
                            region,
                            industry,
                        }
                    })
                    .collect();
                let in_rule = watched.is_empty()
                    || committees.iter().any(|c| {
                        c.region
                            .as_deref()
                            .is_some_and(|r| watched.iter().any(|w| r.starts_with(w.as_str())))
                    });
                if !in_rule {
                    continue;
                }
                if self
                    .raise(
                        &mut tx,
                        rule,
                        &run_id,
                        finding,
                        committees,
                        &history,
                        &id_of_tag,
                        &scopes,
                        finished_at,
                    )
                    .await?
                {
                    raised += 1;
                }
            }
        }
        run.alerts = Some(raised as i64);
        let actor = who.map_or(Actor::System, Actor::of);
        let entry = AuditEntry::new("signals.run", finished_at, actor)
            .reference("signal_run", run_id.as_str())
            .data("window_from", to_rfc3339(window_from))
            .data("window_until", to_rfc3339(window_until))
            .data("committees", history.committees.len())
            .data("findings", &per_signal)
            .data("alerts_raised", raised);
        audit::append(&mut tx, &entry).await?;
        tx.set_signal_run_alerts(&run_id, raised as i64).await?;
        tx.commit().await?;
        metrics::counter!("sealdraw_alerts_raised_total").increment(raised);
        Ok(SignalRunView {
            id: run.id,
            started_at: to_rfc3339(run.started_at),
            finished_at: run.finished_at.map(to_rfc3339),
            window_from: to_rfc3339(window_from),
            window_until: to_rfc3339(window_until),
            committees: history.committees.len() as u64,
            findings: per_signal,
            alerts_raised: raised,
        })
    }

    /// The window's committees as the tests take them, and each expert tag's pool id.
    async fn load_history(
        &self,
        window_from: Millis,
        window_until: Millis,
    ) -> Result<(History, HashMap<[u8; 32], String>), AnalyticsError> {
        let mut tx = self.store.read().await?;
        let roots = tx.signal_committees(window_from, window_until).await?;
        let strata = tx.signal_strata(window_from, window_until).await?;
        let seats = tx.signal_seats(window_from, window_until).await?;
        let sheets = tx.signal_sheets(window_from, window_until).await?;
        let expert_ids = tx.all_expert_ids().await?;
        tx.rollback().await?;
        // Tags back to pool ids, for the sealed list behind each alert (one HMAC per expert).
        let id_of_tag = expert_ids
            .into_iter()
            .map(|id| (crate::notify::invitations::expert_tag(&self.keys, &id), id))
            .collect();
        Ok((assemble(roots, strata, seats, sheets), id_of_tag))
    }

    /// Every finding of the configured window with the pool ids of its experts, for the
    /// detection benchmark (it knows what it planted, by pool id). Not offered over HTTP.
    pub(crate) async fn findings_with_experts(
        &self,
    ) -> Result<Vec<(Finding, Vec<String>)>, AnalyticsError> {
        let now = self.clock().now_millis();
        let window_from = now - i64::from(self.settings.signal_window_days) * DAY_MILLIS;
        let (history, id_of_tag) = self.load_history(window_from, now + 1).await?;
        let findings = signals::run(&history.committees, &self.signal_settings());
        let id_of = |key: ExpertKey| -> String {
            history
                .tags
                .get(key as usize)
                .and_then(|tag| <[u8; 32]>::try_from(tag.as_slice()).ok())
                .and_then(|tag| id_of_tag.get(&tag).cloned())
                .unwrap_or_default()
        };
        Ok(findings
            .into_iter()
            .map(|finding| {
                let experts = match &finding.subject {
                    Subject::Experts(keys) => keys.iter().map(|k| id_of(*k)).collect(),
                    Subject::ExpertAndBidder(key, _) => vec![id_of(*key)],
                    Subject::MembersOf(_, pair) => pair.iter().map(|k| id_of(*k)).collect(),
                    Subject::Center(_) => Vec::new(),
                };
                (finding, experts)
            })
            .collect())
    }

    /// Writes one alert (unless the rule already raised one on the same subject) and its audit
    /// entry; true when written.
    #[allow(clippy::too_many_arguments)]
    async fn raise(
        &self,
        tx: &mut crate::store::Tx,
        rule: &AlertRuleRow,
        run_id: &str,
        finding: &Finding,
        committees: Vec<EvidenceCommittee>,
        history: &History,
        id_of_tag: &HashMap<[u8; 32], String>,
        scopes: &[(String, Scope)],
        now: Millis,
    ) -> Result<bool, AnalyticsError> {
        let id = uuid::Uuid::now_v7().to_string();
        let tag = |key: ExpertKey| history.tags.get(key as usize).cloned().unwrap_or_default();
        let (experts, mut subject) = match &finding.subject {
            Subject::Experts(keys) => (keys.clone(), AlertSubject::default()),
            Subject::ExpertAndBidder(key, code) => (
                vec![*key],
                AlertSubject {
                    bidder_credit_code: Some(code.clone()),
                    ..AlertSubject::default()
                },
            ),
            Subject::Center(center) => (
                Vec::new(),
                AlertSubject {
                    center: Some(center.clone()),
                    ..AlertSubject::default()
                },
            ),
            Subject::MembersOf(committee, pair) => (
                pair.to_vec(),
                AlertSubject {
                    committee: Some(committee.clone()),
                    ..AlertSubject::default()
                },
            ),
        };
        // The fingerprint: the signal and the subject by stable names (tags, not labels).
        let mut stable = vec![finding.signal.as_str().as_bytes().to_vec()];
        for key in &experts {
            stable.push(tag(*key));
        }
        for part in [
            &subject.center,
            &subject.bidder_credit_code,
            &subject.committee,
        ]
        .into_iter()
        .flatten()
        {
            stable.push(part.as_bytes().to_vec());
        }
        let parts: Vec<&[u8]> = stable.iter().map(Vec::as_slice).collect();
        let fingerprint = self.keys.token_mac(&parts).to_vec();
        subject.experts = experts
            .iter()
            .map(|key| {
                let mac = self
                    .keys
                    .token_mac(&[b"alert-label", id.as_bytes(), &tag(*key)]);
                format!("E-{}", hex::encode(&mac[..4]))
            })
            .collect();
        let pool_ids: Vec<&str> = experts
            .iter()
            .filter_map(|key| {
                let tag: [u8; 32] = tag(*key).try_into().ok()?;
                id_of_tag.get(&tag).map(String::as_str)
            })
            .collect();
        let sealed_experts = if pool_ids.is_empty() {
            None
        } else {
            let plain = serde_json::to_vec(&pool_ids)
                .map_err(|e| AnalyticsError::Corrupt(e.to_string()))?;
            Some(
                self.keys
                    .seal(&self.rng, &alert_experts_context(&id), &plain)
                    .map_err(|_| AnalyticsError::Sealing)?,
            )
        };
        let evidence = Evidence {
            observed: finding.observed,
            trials: (finding.trials > 0).then_some(finding.trials),
            expected: format!("{:.2}", finding.expected),
            p: scientific(finding.p),
            q: scientific(finding.q),
            tests: finding.tests,
            committees,
        };
        let row = AlertRow {
            id: id.clone(),
            rule_id: rule.id.clone(),
            run_id: run_id.to_owned(),
            signal: finding.signal,
            fingerprint,
            subject: serde_json::to_string(&subject)
                .map_err(|e| AnalyticsError::Corrupt(e.to_string()))?,
            evidence: serde_json::to_string(&evidence)
                .map_err(|e| AnalyticsError::Corrupt(e.to_string()))?,
            sealed_experts,
            raised_at: now,
        };
        if !tx.insert_alert(&row).await? {
            return Ok(false);
        }
        // Each supervisor in scope sees it in the console; those with a mobile number on
        // record also get a message through the outbox, naming the signal only.
        let mut recipients = 0;
        let mut messaged = 0;
        for (account_id, _) in scopes
            .iter()
            .filter(|(_, scope)| covers_any(scope, &evidence.committees))
        {
            recipients += 1;
            let notice = crate::notify::outbox::NewNotification {
                expert_id: String::new(),
                template: "supervision-alert",
                params: crate::notify::TemplateParams::new()
                    .with("signal", finding.signal.as_str())
                    .with("raised_at", to_rfc3339(now).as_str()),
                subject_kind: "alert",
                subject_id: id.clone(),
            };
            if crate::notify::outbox::enqueue_for_account(
                tx, &self.keys, &self.rng, now, account_id, notice,
            )
            .await
            .map_err(|error| AnalyticsError::Notify(error.to_string()))?
            .is_some()
            {
                messaged += 1;
            }
        }
        let entry = AuditEntry::new("alert.raised", now, Actor::System)
            .reference("alert", id.as_str())
            .reference("alert_rule", rule.id.as_str())
            .reference("signal_run", run_id)
            .data("signal", finding.signal.as_str())
            .data("subject", &subject)
            .data("observed", finding.observed)
            .data("expected", &evidence.expected)
            .data("q", &evidence.q)
            .data("tests", finding.tests)
            .data("supervisors_in_scope", recipients)
            .data("supervisors_messaged", messaged);
        audit::append(tx, &entry).await?;
        Ok(true)
    }

    /// Admin: a new rule.
    pub(crate) async fn create_rule(
        &self,
        admin: &Principal,
        signal: &str,
        max_q: f64,
        regions: Vec<String>,
    ) -> Result<AlertRuleView, AnalyticsError> {
        let signal = Signal::parse(signal).ok_or_else(|| {
            invalid(
                "signal",
                format!(
                    "must be one of {}",
                    Signal::ALL.map(Signal::as_str).join(", ")
                ),
            )
        })?;
        if !(max_q > 0.0 && max_q <= 0.1) {
            return Err(invalid(
                "max_q",
                "must be above 0 and at most 0.1 (a tenth of the alerts false alarms at worst)",
            ));
        }
        let max_q_ppm = (max_q * 1e6).round() as i64;
        if max_q_ppm < 1 {
            return Err(invalid("max_q", "must be at least 0.000001"));
        }
        let mut checked = Vec::new();
        for (i, region) in regions.iter().enumerate() {
            let code = crate::pool::regions::parse_scope_region(region)
                .map_err(|problem| invalid_owned(format!("regions[{i}]"), problem))?;
            checked.push(code);
        }
        checked.sort();
        checked.dedup();
        let now = self.clock().now_millis();
        let row = AlertRuleRow {
            id: uuid::Uuid::now_v7().to_string(),
            signal,
            max_q_ppm,
            regions: serde_json::to_string(&checked)
                .map_err(|e| AnalyticsError::Corrupt(e.to_string()))?,
            created_by: admin.account_id.clone(),
            created_at: now,
            retired_at: None,
        };
        let mut tx = self.store.write().await?;
        tx.insert_alert_rule(&row).await?;
        let entry = AuditEntry::new("alert_rule.created", now, Actor::of(admin))
            .reference("alert_rule", row.id.as_str())
            .data("signal", signal.as_str())
            .data("max_q_ppm", max_q_ppm)
            .data("regions", &checked);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(rule_view(row))
    }

    /// Admin: retires a rule (its alerts stay).
    pub(crate) async fn retire_rule(
        &self,
        admin: &Principal,
        rule_id: &str,
    ) -> Result<(), AnalyticsError> {
        let now = self.clock().now_millis();
        let mut tx = self.store.write().await?;
        if !tx
            .retire_alert_rule(rule_id, &admin.account_id, now)
            .await?
        {
            return Err(AnalyticsError::NotFound("no such active alert rule"));
        }
        let entry = AuditEntry::new("alert_rule.retired", now, Actor::of(admin))
            .reference("alert_rule", rule_id);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn rules(&self) -> Result<Vec<AlertRuleView>, AnalyticsError> {
        let mut tx = self.store.read().await?;
        let rules = tx.alert_rules().await?;
        tx.rollback().await?;
        Ok(rules.into_iter().map(rule_view).collect())
    }

    /// Runs the signals when the latest run (by any instance) is older than the configured
    /// interval; checked every few minutes.
    pub(crate) async fn run_when_due(&self) -> Result<(), AnalyticsError> {
        let hours = self.settings.signal_run_interval_hours;
        if hours == 0 {
            return Ok(());
        }
        let mut tx = self.store.read().await?;
        let latest = tx.latest_signal_run().await?;
        tx.rollback().await?;
        let due = latest.is_none_or(|run| {
            run.started_at + i64::from(hours) * 3_600_000 <= self.clock().now_millis()
        });
        if due {
            self.run_signals(None).await?;
        }
        Ok(())
    }

    pub(crate) async fn run_scheduled(
        self: std::sync::Arc<Self>,
        interval: std::time::Duration,
        stop: tokio::sync::watch::Receiver<bool>,
    ) {
        crate::tasks::every(
            interval,
            stop,
            "running the supervision signals",
            move || {
                let this = self.clone();
                async move { this.run_when_due().await }
            },
        )
        .await
    }

    /// The alerts within the supervisor's jurisdiction, newest first, each with its case.
    pub(crate) async fn alerts(
        &self,
        supervisor: &Principal,
    ) -> Result<Vec<AlertView>, AnalyticsError> {
        let mut tx = self.store.read().await?;
        let scope =
            crate::auth::jurisdiction::scope_of_supervisor(&mut tx, &supervisor.account_id).await?;
        let alerts = tx.alerts().await?;
        let cases: HashMap<String, CaseRow> = tx
            .cases()
            .await?
            .into_iter()
            .map(|case| (case.alert_id.clone(), case))
            .collect();
        let mut views = Vec::new();
        for row in alerts {
            let Some(mut view) = alert_view(&row, &scope)? else {
                continue;
            };
            if let Some(case) = cases.get(&row.id) {
                view.case = Some(case_view(case.clone(), Vec::new()));
            }
            views.push(view);
        }
        tx.rollback().await?;
        Ok(views)
    }

    /// One alert in the supervisor's jurisdiction, with its case and notes.
    pub(crate) async fn alert(
        &self,
        supervisor: &Principal,
        alert_id: &str,
    ) -> Result<AlertView, AnalyticsError> {
        let mut tx = self.store.read().await?;
        let (row, mut view) = self.alert_in_scope(&mut tx, supervisor, alert_id).await?;
        if let Some(case) = tx.case_of_alert(&row.id).await? {
            let notes = tx.case_notes(&case.id).await?;
            view.case = Some(case_view(case, notes));
        }
        tx.rollback().await?;
        Ok(view)
    }

    async fn alert_in_scope(
        &self,
        tx: &mut crate::store::Tx,
        supervisor: &Principal,
        alert_id: &str,
    ) -> Result<(AlertRow, AlertView), AnalyticsError> {
        let scope =
            crate::auth::jurisdiction::scope_of_supervisor(tx, &supervisor.account_id).await?;
        let row = tx
            .alert(alert_id)
            .await?
            .ok_or(AnalyticsError::NotFound("no such alert"))?;
        // Out of jurisdiction reads as no such alert.
        let view = alert_view(&row, &scope)?.ok_or(AnalyticsError::NotFound("no such alert"))?;
        Ok((row, view))
    }

    /// Opens the case on an alert (one per alert).
    pub(crate) async fn open_case(
        &self,
        supervisor: &Principal,
        alert_id: &str,
    ) -> Result<AlertView, AnalyticsError> {
        let now = self.clock().now_millis();
        let mut tx = self.store.write().await?;
        let (row, _) = self.alert_in_scope(&mut tx, supervisor, alert_id).await?;
        let case = CaseRow {
            id: uuid::Uuid::now_v7().to_string(),
            alert_id: row.id.clone(),
            state: CaseState::Open,
            opened_by: supervisor.account_id.clone(),
            opened_at: now,
            unseal_request_id: None,
            conclusion: None,
            closed_by: None,
            closed_at: None,
        };
        tx.insert_case(&case).await.map_err(|error| match error {
            crate::store::StoreError::Conflict(_) => {
                AnalyticsError::Conflict("a case is already open on this alert".into())
            }
            other => other.into(),
        })?;
        let entry = AuditEntry::new("case.opened", now, Actor::of(supervisor))
            .reference("case", case.id.as_str())
            .reference("alert", row.id.as_str());
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        self.alert(supervisor, alert_id).await
    }

    /// The case and its alert, within the supervisor's jurisdiction.
    async fn case_in_scope(
        &self,
        tx: &mut crate::store::Tx,
        supervisor: &Principal,
        case_id: &str,
    ) -> Result<(CaseRow, AlertRow), AnalyticsError> {
        let case = tx
            .case(case_id)
            .await?
            .ok_or(AnalyticsError::NotFound("no such case"))?;
        let (alert, _) = self
            .alert_in_scope(tx, supervisor, &case.alert_id)
            .await
            .map_err(|error| match error {
                AnalyticsError::NotFound(_) => AnalyticsError::NotFound("no such case"),
                other => other,
            })?;
        Ok((case, alert))
    }

    /// Adds a note to an open case. The log keeps the note's SHA-256; the case keeps the text.
    pub(crate) async fn add_note(
        &self,
        supervisor: &Principal,
        case_id: &str,
        text: &str,
    ) -> Result<AlertView, AnalyticsError> {
        let text = case_text("text", text)?;
        let now = self.clock().now_millis();
        let mut tx = self.store.write().await?;
        let (case, alert) = self.case_in_scope(&mut tx, supervisor, case_id).await?;
        let number = tx
            .add_case_note(&case.id, &supervisor.account_id, &text, now)
            .await?
            .ok_or_else(|| AnalyticsError::Conflict("the case is closed".into()))?;
        let entry = AuditEntry::new("case.note_added", now, Actor::of(supervisor))
            .reference("case", case.id.as_str())
            .data("note", number)
            .data(
                &tx.suite().digest_field("text"),
                tx.suite().hex_hash(text.as_bytes()),
            );
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        self.alert(supervisor, &alert.id).await
    }

    /// Files the existing dual-controlled unseal request for the alert's experts, from an open
    /// case; a second supervisor approves it as any other.
    pub(crate) async fn request_unseal(
        &self,
        supervisor: &Principal,
        case_id: &str,
        fields: Vec<String>,
        reason: String,
        valid_minutes: i32,
    ) -> Result<AlertView, AnalyticsError> {
        let mut tx = self.store.read().await?;
        let (case, alert) = self.case_in_scope(&mut tx, supervisor, case_id).await?;
        tx.rollback().await?;
        if case.state != CaseState::Open {
            return Err(AnalyticsError::Conflict("the case is closed".into()));
        }
        if case.unseal_request_id.is_some() {
            return Err(AnalyticsError::Conflict(
                "this case has filed its unseal request already; see its decision".into(),
            ));
        }
        let Some(sealed) = &alert.sealed_experts else {
            return Err(AnalyticsError::Conflict(
                "this alert is about a trading center, not about experts: there is nothing to \
                 unseal"
                    .into(),
            ));
        };
        let plain = self
            .keys
            .open(&alert_experts_context(&alert.id), sealed)
            .map_err(|_| AnalyticsError::Sealing)?;
        let expert_ids: Vec<String> =
            serde_json::from_slice(&plain).map_err(|e| AnalyticsError::Corrupt(e.to_string()))?;
        let reason = format!("Case {case_id} on alert {}: {}", alert.id, reason.trim());
        let request = self
            .pool
            .request_unseal(supervisor, expert_ids, fields, reason, valid_minutes)
            .await
            .map_err(|error| match error {
                crate::pool::unseal::UnsealError::Invalid {
                    field: "expert_ids",
                    ..
                } => {
                    // Its problem names a pool id: not for this reader.
                    AnalyticsError::Conflict(
                        "an expert of this alert is registered outside your jurisdiction; a \
                         supervisor whose jurisdiction covers them must file the request"
                            .into(),
                    )
                }
                crate::pool::unseal::UnsealError::Invalid { field, problem } => {
                    invalid(field, problem)
                }
                other => AnalyticsError::Unseal(other.to_string()),
            })?;
        let now = self.clock().now_millis();
        let mut tx = self.store.write().await?;
        if !tx.link_case_unseal(case_id, &request.request_id).await? {
            return Err(AnalyticsError::Conflict(
                "the case changed meanwhile; reload it".into(),
            ));
        }
        let entry = AuditEntry::new("case.unseal_requested", now, Actor::of(supervisor))
            .reference("case", case_id)
            .reference("unseal_request", request.request_id.as_str());
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        self.alert(supervisor, &alert.id).await
    }

    /// Closes an open case with its conclusion.
    pub(crate) async fn close_case(
        &self,
        supervisor: &Principal,
        case_id: &str,
        conclusion: &str,
    ) -> Result<AlertView, AnalyticsError> {
        let conclusion = case_text("conclusion", conclusion)?;
        let now = self.clock().now_millis();
        let mut tx = self.store.write().await?;
        let (case, alert) = self.case_in_scope(&mut tx, supervisor, case_id).await?;
        if !tx
            .close_case(&case.id, &supervisor.account_id, &conclusion, now)
            .await?
        {
            return Err(AnalyticsError::Conflict(
                "the case is closed already".into(),
            ));
        }
        let entry = AuditEntry::new("case.closed", now, Actor::of(supervisor))
            .reference("case", case.id.as_str())
            .reference("alert", alert.id.as_str())
            .data(
                &tx.suite().digest_field("conclusion"),
                tx.suite().hex_hash(conclusion.as_bytes()),
            );
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        self.alert(supervisor, &alert.id).await
    }
}

pub(crate) fn alert_experts_context(alert_id: &str) -> String {
    format!("alert-experts:{alert_id}")
}

fn invalid_owned(field: String, problem: impl Into<String>) -> AnalyticsError {
    AnalyticsError::InvalidField {
        field,
        problem: problem.into(),
    }
}

fn case_text(field: &'static str, text: &str) -> Result<String, AnalyticsError> {
    BoundedText::parse(text, Lines::Many, CASE_TEXT_CHARS)
        .map(BoundedText::into_string)
        .map_err(|problem| invalid(field, problem))
}

fn rule_view(row: AlertRuleRow) -> AlertRuleView {
    let regions: Vec<String> = serde_json::from_str(&row.regions).unwrap_or_default();
    AlertRuleView {
        id: row.id,
        signal: row.signal,
        max_q: format!("{}", row.max_q_ppm as f64 / 1e6),
        regions,
        created_at: to_rfc3339(row.created_at),
        active: row.retired_at.is_none(),
    }
}

/// The alert as `scope` may see it (its committees narrowed to the scope), or `None` when none
/// of its committees lies within it.
fn alert_view(row: &AlertRow, scope: &Scope) -> Result<Option<AlertView>, AnalyticsError> {
    let subject: AlertSubject =
        serde_json::from_str(&row.subject).map_err(|e| AnalyticsError::Corrupt(e.to_string()))?;
    let mut evidence: Evidence =
        serde_json::from_str(&row.evidence).map_err(|e| AnalyticsError::Corrupt(e.to_string()))?;
    if !covers_any(scope, &evidence.committees) {
        return Ok(None);
    }
    evidence
        .committees
        .retain(|c| scope.covers(c.region.as_deref(), c.industry.as_deref()));
    Ok(Some(AlertView {
        id: row.id.clone(),
        rule_id: row.rule_id.clone(),
        signal: row.signal,
        subject,
        evidence,
        raised_at: to_rfc3339(row.raised_at),
        case: None,
    }))
}

fn case_view(row: CaseRow, notes: Vec<crate::store::signals::CaseNoteRow>) -> CaseView {
    CaseView {
        id: row.id,
        alert_id: row.alert_id,
        state: row.state,
        opened_at: to_rfc3339(row.opened_at),
        unseal_request_id: row.unseal_request_id,
        conclusion: row.conclusion,
        closed_at: row.closed_at.map(to_rfc3339),
        notes: notes
            .into_iter()
            .map(|note| CaseNoteView {
                number: note.number.max(0) as u32,
                author: note.author,
                text: note.text,
                added_at: to_rfc3339(note.added_at),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefectures_of_regions() {
        assert_eq!(prefecture_of("420602"), "4206");
        assert_eq!(prefecture_of("429004"), "429004");
    }

    #[test]
    fn scopes_see_alerts_by_any_committee_within_them() {
        let committees = vec![
            EvidenceCommittee {
                draw_id: "a".into(),
                region: Some("420602".into()),
                industry: Some("transport".into()),
            },
            EvidenceCommittee {
                draw_id: "b".into(),
                region: Some("420102".into()),
                industry: Some("water".into()),
            },
        ];
        let xiangyang = Scope {
            regions: vec!["4206".into()],
            industries: Vec::new(),
        };
        let yichang = Scope {
            regions: vec!["4205".into()],
            industries: Vec::new(),
        };
        let water = Scope {
            regions: Vec::new(),
            industries: vec!["water".into()],
        };
        assert!(covers_any(&xiangyang, &committees));
        assert!(!covers_any(&yichang, &committees));
        assert!(covers_any(&water, &committees));
        assert!(covers_any(&Scope::province_wide(), &[]));
    }
}
