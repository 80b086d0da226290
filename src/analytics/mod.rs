//! Supervision's statistics (issue 21; docs/ANALYTICS.md), computed on pseudonymous data and
//! within each supervisor's jurisdiction. The arithmetic is pure and unit-tested here; the
//! service reads the rows.
//!
//! The remote-evaluation share (远程异地评标): the province's plan asks that, outside Wuhan, at
//! least a fifth of the government-invested construction projects of each year be evaluated
//! remotely. A qualifying project is a root draw whose request said `works` and
//! `government_invested`, that was neither void nor cancelled; it was evaluated remotely when
//! its draw was `cross_site` or `distributed`.

pub(crate) mod alerts;
pub(crate) mod service;
pub(crate) mod signals;
pub(crate) mod stats;
pub(crate) mod synthetic;

use serde::Serialize;

use crate::draw::filter::EvaluationMode;

/// One qualifying project, as the report counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QualifyingProject {
    pub(crate) draw_id: String,
    pub(crate) tender_reference: String,
    pub(crate) tender_name: String,
    pub(crate) mode: EvaluationMode,
    pub(crate) evaluation_start: i64,
    /// The project's region (six digits), the center's when the request named none.
    pub(crate) region: Option<String>,
    pub(crate) industry: Option<String>,
}

impl QualifyingProject {
    pub(crate) fn remote(&self) -> bool {
        self.mode != EvaluationMode::OnSite
    }
}

/// A prefecture's share, or the province's over the prefectures the goal applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct Share {
    pub(crate) projects: u64,
    pub(crate) remote: u64,
    /// One decimal, as text so that no float rounding reaches a reader ("33.3"); absent
    /// without projects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) share_percent: Option<String>,
    /// Whether the share reaches the goal; absent without projects (nothing to judge).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) meets_target: Option<bool>,
}

impl Share {
    fn of(projects: u64, remote: u64, target_percent: u32) -> Self {
        let judged = projects > 0;
        Self {
            projects,
            remote,
            share_percent: judged.then(|| percent_text(remote, projects)),
            // Integers only: remote / projects ≥ target / 100.
            meets_target: judged.then_some(remote * 100 >= u64::from(target_percent) * projects),
        }
    }
}

/// `part / whole` in percent with one decimal, rounded half up, in integers.
pub(crate) fn percent_text(part: u64, whole: u64) -> String {
    let tenths = (part * 1000 * 2 + whole) / (whole * 2);
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct PrefectureShare {
    /// The prefecture's code prefix (4206; six digits for a division the province runs
    /// directly, 429004).
    pub(crate) prefecture: String,
    pub(crate) name: String,
    /// Whether the goal applies here (not where `analytics.remote_share_excluded_prefectures`
    /// lists it: Wuhan).
    pub(crate) target_applies: bool,
    #[serde(flatten)]
    pub(crate) share: Share,
}

/// A prefecture as the report names it: its prefix and name.
#[derive(Debug, Clone)]
pub(crate) struct PrefectureName {
    pub(crate) prefix: String,
    pub(crate) name: String,
}

/// The prefecture a region belongs to: the one whose prefix begins it.
pub(crate) fn prefecture_of<'a>(
    region: &str,
    prefectures: &'a [PrefectureName],
) -> Option<&'a PrefectureName> {
    prefectures.iter().find(|p| region.starts_with(&p.prefix))
}

/// Every prefecture's share (all of them, those without projects too, in the list's order),
/// and the province's over the prefectures the goal applies to.
pub(crate) fn remote_shares(
    projects: &[QualifyingProject],
    prefectures: &[PrefectureName],
    target_percent: u32,
    excluded: &[String],
) -> (Vec<PrefectureShare>, Share) {
    let mut counts = vec![(0u64, 0u64); prefectures.len()];
    for project in projects {
        let Some(place) = project.region.as_deref().and_then(|region| {
            prefectures
                .iter()
                .position(|p| region.starts_with(&p.prefix))
        }) else {
            continue;
        };
        counts[place].0 += 1;
        counts[place].1 += u64::from(project.remote());
    }
    let mut province = (0, 0);
    let shares = prefectures
        .iter()
        .zip(counts)
        .map(|(prefecture, (total, remote))| {
            let target_applies = !excluded
                .iter()
                .any(|code| prefecture.prefix.starts_with(code.as_str()));
            if target_applies {
                province.0 += total;
                province.1 += remote;
            }
            PrefectureShare {
                prefecture: prefecture.prefix.clone(),
                name: prefecture.name.clone(),
                target_applies,
                share: Share::of(total, remote, target_percent),
            }
        })
        .collect();
    (shares, Share::of(province.0, province.1, target_percent))
}

/// One drawn stratum, as the supply report counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StratumFacts {
    /// The stratum's specialty prefixes, sorted: the specialty it asked for.
    pub(crate) prefixes: Vec<String>,
    /// k + m: the seats and reserves it needed.
    pub(crate) need: u64,
    pub(crate) eligible: u64,
    pub(crate) invited: u64,
    pub(crate) declined: u64,
    pub(crate) no_answer: u64,
    pub(crate) departed: u64,
    /// Minutes from the request to the last of its k seats confirmed; `None` until then.
    pub(crate) minutes_to_confirmed: Option<u64>,
}

/// The stratum that made a draw refused for too few eligible experts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefusedStratum {
    pub(crate) prefixes: Vec<String>,
    pub(crate) need: u64,
    pub(crate) eligible: u64,
}

/// A specialty's supply over a period (issue 21 §2): how large its eligible sets were against
/// what the draws needed, how often it ran short, and how its experts answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct SpecialtySupply {
    /// 1 = the specialty most in need of recruiting.
    pub(crate) rank: usize,
    pub(crate) specialty_prefixes: Vec<String>,
    /// Strata drawn for it.
    pub(crate) strata: u64,
    /// Draws refused because too few of its experts were eligible.
    pub(crate) refusals: u64,
    /// The eligible sets' sizes, drawn and refused together: the median (the lower middle
    /// one) and the smallest.
    pub(crate) median_eligible: u64,
    pub(crate) min_eligible: u64,
    /// The smallest eligible set against what its draw needed (k + m), one decimal: "2.5"
    /// means two and a half experts eligible per seat or reserve.
    pub(crate) tightest_multiple: String,
    pub(crate) invited: u64,
    pub(crate) declined: u64,
    pub(crate) no_answer: u64,
    /// Confirmed members who recused or withdrew.
    pub(crate) departed: u64,
    /// Declines and silences per invitation, in percent (absent without invitations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decline_percent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) no_answer_percent: Option<String>,
    /// Seats vacated for any reason per invitation, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) replacement_percent: Option<String>,
    /// Strata whose every seat was confirmed, and the median (lower middle) minutes from the
    /// request until the last of them accepted (absent when none was).
    pub(crate) strata_confirmed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) median_minutes_to_confirmed: Option<u64>,
}

/// Every specialty asked for, most in need first: the most refusals, then the tightest
/// eligible set against its need, then the highest share of declines and silences.
pub(crate) fn supply(strata: &[StratumFacts], refused: &[RefusedStratum]) -> Vec<SpecialtySupply> {
    use std::collections::BTreeMap;
    #[derive(Default)]
    struct Totals {
        strata: u64,
        refusals: u64,
        sizes: Vec<u64>,
        // The tightest (eligible, need) pair, compared by cross-multiplying.
        tightest: Option<(u64, u64)>,
        invited: u64,
        declined: u64,
        no_answer: u64,
        departed: u64,
        confirm_minutes: Vec<u64>,
    }
    let mut by_key: BTreeMap<Vec<String>, Totals> = BTreeMap::new();
    let tighten = |totals: &mut Totals, eligible: u64, need: u64| {
        totals.sizes.push(eligible);
        let need = need.max(1);
        if totals.tightest.is_none_or(|(e, n)| {
            u128::from(eligible) * u128::from(n) < u128::from(e) * u128::from(need)
        }) {
            totals.tightest = Some((eligible, need));
        }
    };
    for s in strata {
        let totals = by_key.entry(s.prefixes.clone()).or_default();
        totals.strata += 1;
        totals.invited += s.invited;
        totals.declined += s.declined;
        totals.no_answer += s.no_answer;
        totals.departed += s.departed;
        totals.confirm_minutes.extend(s.minutes_to_confirmed);
        tighten(totals, s.eligible, s.need);
    }
    for r in refused {
        let totals = by_key.entry(r.prefixes.clone()).or_default();
        totals.refusals += 1;
        tighten(totals, r.eligible, r.need);
    }
    let rate = |part: u64, whole: u64| (whole > 0).then(|| percent_text(part, whole));
    let mut lines: Vec<(SpecialtySupply, (u64, u64))> = by_key
        .into_iter()
        .map(|(prefixes, mut t)| {
            t.sizes.sort_unstable();
            t.confirm_minutes.sort_unstable();
            let (eligible, need) = t.tightest.unwrap_or((0, 1));
            let tenths = (u128::from(eligible) * 20 + u128::from(need)) / (u128::from(need) * 2);
            (
                SpecialtySupply {
                    rank: 0,
                    specialty_prefixes: prefixes,
                    strata: t.strata,
                    refusals: t.refusals,
                    median_eligible: t
                        .sizes
                        .get((t.sizes.len().max(1) - 1) / 2)
                        .copied()
                        .unwrap_or(0),
                    min_eligible: t.sizes.first().copied().unwrap_or(0),
                    tightest_multiple: format!("{}.{}", tenths / 10, tenths % 10),
                    invited: t.invited,
                    declined: t.declined,
                    no_answer: t.no_answer,
                    departed: t.departed,
                    decline_percent: rate(t.declined, t.invited),
                    no_answer_percent: rate(t.no_answer, t.invited),
                    replacement_percent: rate(t.declined + t.no_answer + t.departed, t.invited),
                    strata_confirmed: t.confirm_minutes.len() as u64,
                    median_minutes_to_confirmed: t
                        .confirm_minutes
                        .get((t.confirm_minutes.len().max(1) - 1) / 2)
                        .copied(),
                },
                (eligible, need),
            )
        })
        .collect();
    lines.sort_by(|(a, (ae, an)), (b, (be, bn))| {
        b.refusals
            .cmp(&a.refusals)
            .then_with(|| {
                (u128::from(*ae) * u128::from(*bn)).cmp(&(u128::from(*be) * u128::from(*an)))
            })
            .then_with(|| {
                // More declines and silences per invitation first: a/b > c/d ⇔ a·d > c·b.
                let lost = |s: &SpecialtySupply| (s.declined + s.no_answer, s.invited.max(1));
                let ((ap, aw), (bp, bw)) = (lost(a), lost(b));
                (u128::from(bp) * u128::from(aw)).cmp(&(u128::from(ap) * u128::from(bw)))
            })
            .then_with(|| a.specialty_prefixes.cmp(&b.specialty_prefixes))
    });
    lines
        .into_iter()
        .enumerate()
        .map(|(i, (mut line, _))| {
            line.rank = i + 1;
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(region: &str, mode: EvaluationMode) -> QualifyingProject {
        QualifyingProject {
            draw_id: "d".into(),
            tender_reference: "T".into(),
            tender_name: "N".into(),
            mode,
            evaluation_start: 0,
            region: Some(region.into()),
            industry: None,
        }
    }

    fn prefectures() -> Vec<PrefectureName> {
        [("4201", "武汉市"), ("4206", "襄阳市"), ("429004", "仙桃市")]
            .into_iter()
            .map(|(prefix, name)| PrefectureName {
                prefix: prefix.into(),
                name: name.into(),
            })
            .collect()
    }

    #[test]
    fn shares_count_remote_projects_per_prefecture_and_leave_wuhan_out_of_the_province() {
        use EvaluationMode::*;
        let projects = [
            project("420100", CrossSite),
            project("420102", OnSite),
            project("420600", CrossSite),
            project("420606", OnSite),
            project("420607", OnSite),
            project("420624", OnSite),
            project("420683", Distributed),
            project("429004", OnSite),
            project("130100", CrossSite), // not in Hubei: counted nowhere
        ];
        let (shares, province) = remote_shares(&projects, &prefectures(), 20, &["4201".into()]);
        assert_eq!(shares[0].share.projects, 2);
        assert_eq!(shares[0].share.share_percent.as_deref(), Some("50.0"));
        assert!(!shares[0].target_applies);
        // 襄阳: 2 of 5 = 40 %.
        assert_eq!((shares[1].share.projects, shares[1].share.remote), (5, 2));
        assert_eq!(shares[1].share.share_percent.as_deref(), Some("40.0"));
        assert_eq!(shares[1].share.meets_target, Some(true));
        // 仙桃: 0 of 1.
        assert_eq!(shares[2].share.meets_target, Some(false));
        // The province without Wuhan: 2 of 6 = 33.3 %.
        assert_eq!((province.projects, province.remote), (6, 2));
        assert_eq!(province.share_percent.as_deref(), Some("33.3"));
        assert_eq!(province.meets_target, Some(true));
    }

    #[test]
    fn exactly_the_target_meets_it_and_nothing_to_count_judges_nothing() {
        assert_eq!(Share::of(5, 1, 20).meets_target, Some(true));
        assert_eq!(Share::of(6, 1, 20).meets_target, Some(false));
        assert_eq!(Share::of(0, 0, 20).meets_target, None);
        assert_eq!(Share::of(0, 0, 20).share_percent, None);
        assert_eq!(percent_text(1, 3), "33.3");
        assert_eq!(percent_text(2, 3), "66.7");
        assert_eq!(percent_text(1, 8), "12.5");
        assert_eq!(percent_text(1, 16), "6.3");
    }

    fn stratum(prefix: &str, need: u64, eligible: u64, outcomes: [u64; 4]) -> StratumFacts {
        StratumFacts {
            prefixes: vec![prefix.into()],
            need,
            eligible,
            invited: outcomes[0],
            declined: outcomes[1],
            no_answer: outcomes[2],
            departed: outcomes[3],
            minutes_to_confirmed: None,
        }
    }

    #[test]
    fn the_supply_report_puts_refused_and_tight_specialties_first() {
        let confirmed = |minutes| StratumFacts {
            minutes_to_confirmed: Some(minutes),
            ..stratum("A01", 6, 60, [5, 1, 0, 0])
        };
        let strata = [
            confirmed(90),
            stratum("A01", 6, 30, [6, 2, 1, 1]),
            stratum("B02", 4, 13, [4, 0, 0, 0]),
            stratum("C03", 4, 40, [4, 0, 0, 0]),
        ];
        let refused = [RefusedStratum {
            prefixes: vec!["D04".into()],
            need: 5,
            eligible: 9,
        }];
        let lines = supply(&strata, &refused);
        let order: Vec<&str> = lines
            .iter()
            .map(|l| l.specialty_prefixes[0].as_str())
            .collect();
        // D04 was refused; B02's tightest is 13/4 = 3.25; A01's 30/6 = 5; C03's 40/4 = 10.
        assert_eq!(order, ["D04", "B02", "A01", "C03"]);
        assert_eq!(lines[0].refusals, 1);
        assert_eq!(lines[0].tightest_multiple, "1.8");
        assert_eq!(lines[1].tightest_multiple, "3.3");
        let a01 = &lines[2];
        assert_eq!(
            (a01.strata, a01.median_eligible, a01.min_eligible),
            (2, 30, 30)
        );
        assert_eq!(
            (a01.invited, a01.declined, a01.no_answer, a01.departed),
            (11, 3, 1, 1)
        );
        assert_eq!(a01.decline_percent.as_deref(), Some("27.3"));
        assert_eq!(a01.replacement_percent.as_deref(), Some("45.5"));
        assert_eq!(lines[0].decline_percent, None, "no invitations, no rate");
        // One A01 stratum confirmed after 90 minutes; the other not yet.
        assert_eq!(
            (a01.strata_confirmed, a01.median_minutes_to_confirmed),
            (1, Some(90))
        );
        assert_eq!(lines[1].median_minutes_to_confirmed, None);
        assert_eq!(
            lines.iter().map(|l| l.rank).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
    }
}
