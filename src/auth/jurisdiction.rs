//! Supervisors within their jurisdiction (实施条例 §46 ¶4; docs/DRAWS.md, "Jurisdiction"): the
//! industry departments a draw can belong to, a supervisor's scope, and the one check that says
//! whether a supervisor may see and act on a draw: [`within_jurisdiction`]. Every supervisor
//! read or act on a draw, its record and contributions, its session, its publication (and any
//! later approval of a draw's or session's fate) goes through it, or, where a list reads the
//! scope once for many draws, through the [`Scope::covers_draw`] it is made of. Unsealing is
//! about experts, not draws: [`Scope::covers_expert_region`]. Checking the audit log stays open
//! to every supervisor.

use serde::{Deserialize, Serialize};

use super::{Principal, Role};
use crate::store::{StoreError, Tx};

/// The industry departments (行业主管部门) that supervise tenders, by stable code, with their
/// Chinese and English names. A draw names one; a supervisor's scope may list several.
pub const INDUSTRIES: [(&str, &str, &str); 10] = [
    (
        "housing_construction",
        "住房和城乡建设",
        "housing and urban-rural construction",
    ),
    ("transport", "交通运输", "transport"),
    ("water", "水利", "water resources"),
    ("energy", "能源（电力）", "energy (power)"),
    ("railway", "铁路", "railways"),
    ("telecom", "通信", "telecommunications"),
    (
        "government_procurement",
        "政府采购（财政）",
        "government procurement (finance)",
    ),
    (
        "natural_resources",
        "自然资源（土地、矿业权）",
        "natural resources (land, mining rights)",
    ),
    ("state_assets", "国有产权", "state-owned property rights"),
    (
        "medical",
        "医药采购（医保）",
        "medical purchasing (health insurance)",
    ),
];

/// Whether `code` is one of [`INDUSTRIES`].
pub fn is_industry(code: &str) -> bool {
    INDUSTRIES.iter().any(|(known, _, _)| *known == code)
}

/// Where a supervisor may look and act: region code prefixes (GB/T 2260: `4206` a prefecture
/// and all its counties, `420626` one county) and industry departments. An empty list means any:
/// both empty is province-wide.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Scope {
    pub regions: Vec<String>,
    pub industries: Vec<String>,
}

impl Scope {
    pub fn province_wide() -> Self {
        Self::default()
    }

    /// A scope in the form it is stored and compared: industry codes checked against the list
    /// (else the index of the first unknown one, as given, and why) and trimmed, both lists
    /// sorted without repeats. Regions come already checked against the region list (by
    /// `pool::regions::parse_scope_region`, which this module cannot read).
    pub(crate) fn new(
        mut regions: Vec<String>,
        industries: &[String],
    ) -> Result<Self, (usize, String)> {
        let mut checked = Vec::with_capacity(industries.len());
        for (i, code) in industries.iter().enumerate() {
            let code = code.trim();
            if !is_industry(code) {
                return Err((
                    i,
                    format!(
                        "{:?} is not an industry department code (GET /api/v1/industries lists \
                         them)",
                        code.chars().take(40).collect::<String>()
                    ),
                ));
            }
            checked.push(code.to_owned());
        }
        regions.sort();
        regions.dedup();
        checked.sort();
        checked.dedup();
        Ok(Self {
            regions,
            industries: checked,
        })
    }

    pub fn is_province_wide(&self) -> bool {
        self.regions.is_empty() && self.industries.is_empty()
    }

    /// Whether a draw (or its session, publication) placed in `region` and `industry` is
    /// within the scope. A draw made before draws carried them has neither: only a
    /// province-wide supervisor sees it, as the scope cannot tell whose it is.
    pub fn covers(&self, region: Option<&str>, industry: Option<&str>) -> bool {
        let region_ok = self.regions.is_empty()
            || region.is_some_and(|r| self.regions.iter().any(|own| r.starts_with(own.as_str())));
        let industry_ok = self.industries.is_empty()
            || industry.is_some_and(|i| self.industries.iter().any(|own| own == i));
        region_ok && industry_ok
    }

    /// Whether the draw whose root is `root_draw_id` lies within the scope, by the place its
    /// root was given when it was made ([`Scope::covers`]).
    pub(crate) async fn covers_draw(
        &self,
        tx: &mut Tx,
        root_draw_id: &str,
    ) -> Result<bool, StoreError> {
        if self.is_province_wide() {
            return Ok(true);
        }
        let place = tx
            .draw_jurisdiction(root_draw_id)
            .await?
            .unwrap_or_default();
        Ok(self.covers(place.region.as_deref(), place.industry.as_deref()))
    }

    /// Whether the expert `expert_id`, by their registered region, lies within the scope (a
    /// supervisor oversees the experts of their jurisdiction's regions; [`Scope::covers_expert_region`]).
    pub(crate) async fn covers_expert(
        &self,
        tx: &mut Tx,
        expert_id: &str,
    ) -> Result<bool, StoreError> {
        if self.regions.is_empty() {
            return Ok(true);
        }
        Ok(tx
            .expert(expert_id)
            .await?
            .is_some_and(|expert| self.covers_expert_region(&expert.region_code)))
    }

    /// Whether an expert registered in `region` lies within the scope's regions (any region
    /// when it names none). Experts' regions are recorded by prefecture (`420600`), so a
    /// county's supervisor (`420626`) oversees its prefecture's experts too. A draw's place
    /// is not widened so: a prefecture-level project is the prefecture's department's.
    pub fn covers_expert_region(&self, region: &str) -> bool {
        self.regions.is_empty()
            || self.regions.iter().any(|own| {
                region.starts_with(own.as_str())
                    || (region.len() == 6
                        && region.ends_with("00")
                        && region
                            .get(..4)
                            .is_some_and(|prefix| own.starts_with(prefix)))
            })
    }
}

/// The jurisdiction check (实施条例 §46 ¶4): whether `who` may see and act on the draw whose
/// root is `root_draw_id` (a linked draw belongs where its root does; a session's draw is a
/// root). For a supervisor, whether their scope covers the draw's region and industry; anyone
/// else passes, their own rules (a center's own draws) limiting them elsewhere. A caller answers
/// `false` as it answers an unknown id, so a supervisor cannot learn what lies outside.
pub(crate) async fn within_jurisdiction(
    tx: &mut Tx,
    who: &Principal,
    root_draw_id: &str,
) -> Result<bool, StoreError> {
    scope_of(tx, who).await?.covers_draw(tx, root_draw_id).await
}

/// The scope of `who`: a supervisor's as stored (none stored: province-wide); anyone else's is
/// province-wide, their own rules limiting them elsewhere.
pub(crate) async fn scope_of(tx: &mut Tx, who: &Principal) -> Result<Scope, StoreError> {
    if who.role != Role::Supervisor {
        return Ok(Scope::province_wide());
    }
    scope_of_supervisor(tx, &who.account_id).await
}

/// The scope of the supervisor account `account_id` (none stored: province-wide).
pub(crate) async fn scope_of_supervisor(
    tx: &mut Tx,
    account_id: &str,
) -> Result<Scope, StoreError> {
    let Some((regions, industries)) = tx.supervisor_scope(account_id).await? else {
        return Ok(Scope::province_wide());
    };
    // The server wrote both lists itself; a row it cannot read narrows to nothing rather
    // than widening to everything.
    let narrowest = || Scope {
        regions: vec!["-".to_owned()],
        industries: Vec::new(),
    };
    match (
        serde_json::from_str::<Vec<String>>(&regions),
        serde_json::from_str::<Vec<String>>(&industries),
    ) {
        (Ok(regions), Ok(industries)) => Ok(Scope {
            regions,
            industries,
        }),
        _ => Ok(narrowest()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(regions: &[&str], industries: &[&str]) -> Scope {
        Scope {
            regions: regions.iter().map(|r| (*r).to_owned()).collect(),
            industries: industries.iter().map(|i| (*i).to_owned()).collect(),
        }
    }

    #[test]
    fn a_scope_covers_its_regions_and_industries_and_a_draw_without_them_only_province_wide() {
        let xiangyang_water = scope(&["4206"], &["water"]);
        assert!(xiangyang_water.covers(Some("420626"), Some("water")));
        assert!(xiangyang_water.covers(Some("420600"), Some("water")));
        assert!(!xiangyang_water.covers(Some("420502"), Some("water")));
        assert!(!xiangyang_water.covers(Some("420626"), Some("transport")));
        assert!(!xiangyang_water.covers(None, Some("water")));
        assert!(!xiangyang_water.covers(Some("420626"), None));
        let xiangyang = scope(&["4206"], &[]);
        assert!(xiangyang.covers(Some("420626"), None));
        let water = scope(&[], &["water"]);
        assert!(water.covers(None, Some("water")));
        assert!(Scope::province_wide().covers(None, None));
        // A county's supervisor: its county's projects, not its prefecture's; but its
        // prefecture's experts (recorded as 420600).
        let baokang = scope(&["420626"], &[]);
        assert!(baokang.covers(Some("420626"), None));
        assert!(!baokang.covers(Some("420600"), None));
        assert!(!baokang.covers(Some("420602"), None));
        assert!(baokang.covers_expert_region("420626"));
        assert!(baokang.covers_expert_region("420600"));
        assert!(!baokang.covers_expert_region("420602"));
        assert!(!baokang.covers_expert_region("420500"));
        assert!(!baokang.covers_expert_region("420000"));
        // A directly administered division is its own prefecture.
        let xiantao = scope(&["429004"], &[]);
        assert!(xiantao.covers(Some("429004"), None));
        assert!(!xiantao.covers(Some("429005"), None));
        assert!(!xiantao.covers_expert_region("429005"));
    }

    #[test]
    fn the_industry_list_has_unique_codes() {
        let mut codes: Vec<&str> = INDUSTRIES.iter().map(|(c, _, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), INDUSTRIES.len());
        assert!(is_industry("water"));
        assert!(!is_industry("Water"));
    }
}
