//! Supervision's statistics (issue 21; docs/ANALYTICS.md), computed on pseudonymous data and
//! within each supervisor's jurisdiction. The arithmetic is pure and unit-tested here; the
//! service reads the rows.
//!
//! The remote-evaluation share (远程异地评标): the province's plan asks that, outside Wuhan, at
//! least a fifth of the government-invested construction projects of each year be evaluated
//! remotely. A qualifying project is a root draw whose request said `works` and
//! `government_invested`, that was neither void nor cancelled; it was evaluated remotely when
//! its draw was `cross_site` or `distributed`.

pub(crate) mod service;

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
}
