//! A center's request for a draw, checked part by part before it becomes the canonical filter
//! (`intent`). Each function parses one part and names the field at fault; none reads the store.

use std::collections::HashSet;

use crate::draw::committee::{MAX_REPRESENTATIVES, PlannedCommittee, committee_composition};
use crate::draw::filter::{
    AvoidedOrganisation, DrawFilter, EvaluationMode, ExcludedToken, FilterStratum, Floor,
    RegionMiss, RegionRule, TierFloors,
};
use crate::draw::{DrawToken, MAX_PREFIXES, MAX_REGIONS, MAX_STRATA, algorithm};
use crate::pool::assessment::Tier;
use crate::pool::validate::{CreditCode, parse_region_prefix, parse_specialty};
use crate::text::{BoundedText, Lines};

use super::{
    DrawServiceError, MAX_AVOIDED_ORGANISATIONS, MAX_EXCLUDED_TOKENS, MAX_SEATS_PER_STRATUM,
    NewDraw, RequestedFloor, invalid, is_draw_id,
};

/// A label of one line, 1 to `max` characters once trimmed.
fn label(field: &str, value: &str, max: usize) -> Result<BoundedText, DrawServiceError> {
    BoundedText::parse(value, Lines::One, 1..=max).map_err(|problem| invalid(field, problem))
}

/// The tender's reference, lot and name, and the venue, which a distributed evaluation has
/// none of and every other needs.
pub(super) fn check_labels(request: &NewDraw) -> Result<(), DrawServiceError> {
    label(
        "tender_reference",
        &request.tender_reference,
        algorithm::MAX_TENDER_REFERENCE_CHARS,
    )?;
    if !request.lot.trim().is_empty() {
        label("lot", &request.lot, algorithm::MAX_LOT_CHARS)?;
    }
    label("tender_name", &request.tender_name, 200)?;
    match (&request.venue, request.mode) {
        (Some(_), EvaluationMode::Distributed) => Err(invalid(
            "venue",
            "a distributed evaluation has no venue: every expert sits at their own seat",
        )),
        (Some(venue), _) => label("venue", venue, 200).map(drop),
        (None, EvaluationMode::Distributed) => Ok(()),
        // A draw bound to venues reports at its main venue, named by the catalogue.
        (None, _) if request.strata.iter().any(FilterStratum::is_bound) => Ok(()),
        (None, _) => Err(invalid(
            "venue",
            "where the committee reports (the main venue) is needed unless distributed",
        )),
    }
}

pub(super) fn check_evaluation_minutes(minutes: u32) -> Result<(), DrawServiceError> {
    if (30..=7 * 24 * 60).contains(&minutes) {
        Ok(())
    } else {
        Err(invalid(
            "evaluation_minutes",
            "must be from 30 to 10080 (one week)",
        ))
    }
}

pub(super) fn check_strata_count(strata: &[FilterStratum]) -> Result<(), DrawServiceError> {
    if strata.is_empty() || strata.len() > MAX_STRATA {
        return Err(invalid(
            "strata",
            format!("must hold 1 to {MAX_STRATA} strata"),
        ));
    }
    Ok(())
}

/// Each stratum's seats, reserves and specialty prefixes, which must be codes of the
/// classification (`known`) written as it writes them.
pub(super) fn check_strata(
    strata: &[FilterStratum],
    known: &HashSet<String>,
) -> Result<(), DrawServiceError> {
    for (i, stratum) in strata.iter().enumerate() {
        if !(1..=MAX_SEATS_PER_STRATUM).contains(&stratum.k) {
            return Err(invalid(
                format!("strata[{i}].count"),
                format!("must be from 1 to {MAX_SEATS_PER_STRATUM}"),
            ));
        }
        if stratum.m > MAX_SEATS_PER_STRATUM {
            return Err(invalid(
                format!("strata[{i}].reserves"),
                format!("must be from 0 to {MAX_SEATS_PER_STRATUM}"),
            ));
        }
        if stratum.prefixes.is_empty() || stratum.prefixes.len() > MAX_PREFIXES {
            return Err(invalid(
                format!("strata[{i}].specialty_prefixes"),
                "must hold 1 to 32 specialty codes",
            ));
        }
        for (j, prefix) in stratum.prefixes.iter().enumerate() {
            let field = format!("strata[{i}].specialty_prefixes[{j}]");
            let code = parse_specialty(prefix).map_err(|problem| invalid(&field, problem))?;
            if code != *prefix {
                return Err(invalid(field, "must be written in capitals, e.g. A01"));
            }
            if !known.contains(&code) {
                return Err(invalid(field, "is not in the specialty classification"));
            }
        }
    }
    Ok(())
}

/// The committee the request plans, if it states one (招标投标法 §37): its experts are the
/// strata's counts together, and with the tenderer's representatives it has at least five
/// members, an odd number, experts at least two thirds. Checked before the pool is read, so a
/// committee the statute forbids is refused before anything is drawn.
pub(super) fn check_committee(
    strata: &[FilterStratum],
    committee: Option<&PlannedCommittee>,
) -> Result<(), DrawServiceError> {
    let Some(committee) = committee else {
        return Ok(());
    };
    if committee.representatives > MAX_REPRESENTATIVES {
        return Err(invalid(
            "committee.representatives",
            format!("must be from 0 to {MAX_REPRESENTATIVES}"),
        ));
    }
    let drawn: u32 = strata.iter().map(|s| s.k).sum();
    if committee.experts != drawn {
        return Err(invalid(
            "committee.experts",
            format!("must equal the strata's counts together ({drawn})"),
        ));
    }
    committee_composition(committee.size(), committee.representatives as usize)
        .map_err(|problem| invalid("committee", problem))
}

/// The organisations to avoid, each with its name (trimmed) and its normalised credit code.
pub(super) fn avoided_organisations(
    organisations: &[AvoidedOrganisation],
) -> Result<Vec<AvoidedOrganisation>, DrawServiceError> {
    if organisations.len() > MAX_AVOIDED_ORGANISATIONS {
        return Err(invalid(
            "avoid_organisations",
            format!("at most {MAX_AVOIDED_ORGANISATIONS} organisations"),
        ));
    }
    organisations
        .iter()
        .enumerate()
        .map(|(i, org)| {
            let name = label(&format!("avoid_organisations[{i}].name"), &org.name, 200)?;
            let code = CreditCode::parse(&org.credit_code).map_err(|problem| {
                invalid(format!("avoid_organisations[{i}].credit_code"), problem)
            })?;
            Ok(AvoidedOrganisation {
                credit_code: code.as_str().to_owned(),
                name: name.into_string(),
            })
        })
        .collect()
}

/// Experts excluded by their token in an earlier draw: a draw id and a token each.
pub(super) fn check_excluded_tokens(excluded: &[ExcludedToken]) -> Result<(), DrawServiceError> {
    if excluded.len() > MAX_EXCLUDED_TOKENS {
        return Err(invalid(
            "exclude_experts",
            format!("at most {MAX_EXCLUDED_TOKENS} tokens"),
        ));
    }
    for (i, excluded) in excluded.iter().enumerate() {
        if !is_draw_id(&excluded.draw_id) {
            return Err(invalid(
                format!("exclude_experts[{i}].draw_id"),
                "is not a draw id",
            ));
        }
        DrawToken::from_hex(&excluded.token)
            .map_err(|problem| invalid(format!("exclude_experts[{i}].token"), problem))?;
    }
    Ok(())
}

/// A project region (GB/T 2260): the province (2 digits), a city (4) or a county (6). Only
/// its form is checked: a county of the project is not a region experts are recorded under.
fn region_prefix(field: String, code: &str) -> Result<String, DrawServiceError> {
    let ok = (2..=6).contains(&code.len())
        && code.len().is_multiple_of(2)
        && code.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(code.to_owned())
    } else {
        Err(invalid(
            field,
            "must be a region code prefix of 2, 4 or 6 digits, e.g. 42 or 4201",
        ))
    }
}

/// A list of region prefixes, each one that begins a division of Hubei's list and named by its
/// place in `field`.
pub(super) fn region_prefixes(
    field: &str,
    codes: &[String],
) -> Result<Vec<String>, DrawServiceError> {
    if codes.len() > MAX_REGIONS {
        return Err(invalid(
            field,
            format!("at most {MAX_REGIONS} region prefixes"),
        ));
    }
    codes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            parse_region_prefix(code).map_err(|problem| invalid(format!("{field}[{i}]"), problem))
        })
        .collect()
}

/// Each stratum's own region lists, checked as the draw's are, and each stratum's requirement
/// against the draw's: a stratum's rule narrows the draw's, so one that requires only regions
/// the draw's `regions_require` leaves out could admit nobody.
pub(super) fn check_stratum_regions(
    strata: &[FilterStratum],
    draw_require: &[String],
) -> Result<(), DrawServiceError> {
    let draw = RegionRule::new(Vec::new(), draw_require.to_vec());
    for (i, stratum) in strata.iter().enumerate() {
        region_prefixes(
            &format!("strata[{i}].regions_exclude"),
            &stratum.regions_exclude,
        )?;
        region_prefixes(
            &format!("strata[{i}].regions_require"),
            &stratum.regions_require,
        )?;
        let own = RegionRule::new(
            stratum.regions_exclude.clone(),
            stratum.regions_require.clone(),
        );
        if own
            .and(&RegionRule::new(Vec::new(), stratum.venue_require()))
            .is_none()
        {
            return Err(invalid(
                format!("strata[{i}].regions_require"),
                "requires only regions outside the prefecture of the stratum's venue: with \
                 venue_scope \"prefecture\" the venue's prefecture applies too (use \
                 \"province\" to draw from elsewhere)",
            ));
        }
        if draw.and(&stratum.own_regions()).is_none() {
            return Err(invalid(
                format!("strata[{i}].regions_require"),
                "requires only regions outside the draw's regions_require: a stratum's region \
                 rule applies with the draw's and can only narrow it",
            ));
        }
    }
    Ok(())
}

/// The field to name for stratum `i`'s region rule admitting nobody under its specialties
/// (`filter::region_misses`): the stratum's own field where it has one that can be at fault,
/// else the draw's; `project_region` when the only exclusion is a cross-site draw's project
/// city. `user_excludes` says whether the request's own `regions_exclude` named any.
pub(super) fn region_miss(
    filter: &DrawFilter,
    i: usize,
    miss: RegionMiss,
    user_excludes: bool,
) -> DrawServiceError {
    let own = &filter.strata[i];
    let own_field = |name: &str| format!("strata[{i}].{name}");
    match miss {
        // Some requirement is not empty, or every region would be required.
        RegionMiss::Require => invalid(
            if !own.regions_require.is_empty() {
                own_field("regions_require")
            } else if !own.venue_require().is_empty() {
                own_field(own.venue_field())
            } else {
                "regions_require".to_owned()
            },
            format!(
                "no expert under stratum {i}'s specialties is in a region it requires: the rule \
                 would draw nobody"
            ),
        ),
        RegionMiss::Exclude => {
            let field = if !own.regions_exclude.is_empty() {
                own_field("regions_exclude")
            } else if !own.regions_require.is_empty() {
                own_field("regions_require")
            } else if !own.venue_require().is_empty() {
                own_field(own.venue_field())
            } else if user_excludes {
                "regions_exclude".to_owned()
            } else if !filter.regions_require.is_empty() {
                "regions_require".to_owned()
            } else {
                "project_region".to_owned()
            };
            let excluded = filter
                .stratum_regions(i)
                .map(|rule| rule.exclude().join(", "))
                .unwrap_or_default();
            invalid(
                field,
                format!(
                    "every expert under stratum {i}'s specialties in the regions it requires is \
                     in a region it excludes ({excluded}): the rule would draw nobody"
                ),
            )
        }
    }
}

/// The region a cross-site draw must exclude where the deployment says so
/// (`draw.exclude_project_region`): the project's city (a four-digit prefix, which the city's
/// counties share), from the request or else the center's registered region. Other modes, and
/// deployments that do not exclude it, exclude nothing, but a project region they give must
/// still be one.
pub(super) fn project_exclusion(
    mode: EvaluationMode,
    project_region: Option<&str>,
    center_region: Option<&str>,
    exclude_project_region: bool,
) -> Result<Option<String>, DrawServiceError> {
    if mode != EvaluationMode::CrossSite || !exclude_project_region {
        if let Some(project) = project_region {
            region_prefix("project_region".into(), project)?;
        }
        return Ok(None);
    }
    // Cross-site evaluation exists to bring experts from elsewhere.
    let project = project_region.or(center_region).ok_or_else(|| {
        invalid(
            "project_region",
            "a cross-site draw needs the project's region (4 or 6 digits)",
        )
    })?;
    let project = region_prefix("project_region".into(), project)?;
    if project.len() < 4 {
        return Err(invalid(
            "project_region",
            "must name a city or county (4 or 6 digits), not the whole province",
        ));
    }
    Ok(Some(project.chars().take(4).collect()))
}

/// Each stratum's statutory floor (招标投标法 §37): the deployment's, or tighter where the
/// center asks. A looser value would let the center draw experts the statute does not allow,
/// so it is refused, naming the stratum's field, rather than raised silently.
pub(super) fn stratum_floors(
    strata: usize,
    requested: &[RequestedFloor],
    deployment: Floor,
) -> Result<Vec<Floor>, DrawServiceError> {
    if requested.len() > strata {
        return Err(invalid("strata", "more floors than strata"));
    }
    (0..strata)
        .map(|i| {
            let asked = requested.get(i).copied().unwrap_or_default();
            if let Some(years) = asked.min_years {
                if years > 70 {
                    return Err(invalid(
                        format!("strata[{i}].min_years"),
                        "must be at most 70 years",
                    ));
                }
                if years < deployment.min_years {
                    return Err(invalid(
                        format!("strata[{i}].min_years"),
                        format!(
                            "must be at least {} (this deployment's floor, 招标投标法 §37): a \
                             stratum may only tighten it",
                            deployment.min_years
                        ),
                    ));
                }
            }
            if let Some(title) = asked.min_title {
                if !(1..=3).contains(&title) {
                    return Err(invalid(
                        format!("strata[{i}].min_title"),
                        "must be 1 (中级), 2 (副高级) or 3 (正高级)",
                    ));
                }
                if title < deployment.min_title {
                    return Err(invalid(
                        format!("strata[{i}].min_title"),
                        format!(
                            "must be at least {} (this deployment's floor, 招标投标法 §37): a \
                             stratum may only tighten it",
                            deployment.min_title
                        ),
                    ));
                }
            }
            Ok(Floor {
                min_years: asked.min_years.unwrap_or(deployment.min_years),
                min_title: asked.min_title.unwrap_or(deployment.min_title),
            })
        })
        .collect()
}

/// Each stratum's tier floor (issue 22 §2), or `None` when no stratum asks for one (the
/// filter then carries no tier rule, and hashes as before tiers). A stratum asks for A or B:
/// C is every tier, which asking for nothing already means.
pub(super) fn stratum_tiers(
    requested: &[RequestedFloor],
) -> Result<Option<TierFloors>, DrawServiceError> {
    if let Some(i) = requested.iter().position(|r| r.min_tier == Some(Tier::C)) {
        return Err(invalid(
            format!("strata[{i}].min_tier"),
            "must be A or B (every tier is drawn when it is absent)",
        ));
    }
    if requested.iter().all(|r| r.min_tier.is_none()) {
        return Ok(None);
    }
    Ok(Some(TierFloors {
        strata: requested
            .iter()
            .map(|r| r.min_tier.unwrap_or(Tier::C))
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stratum_asks_for_tier_a_or_b_and_none_asking_leaves_no_rule() {
        let asked = |min_tier| RequestedFloor {
            min_tier,
            ..RequestedFloor::default()
        };
        assert_eq!(stratum_tiers(&[asked(None), asked(None)]).unwrap(), None);
        assert_eq!(
            stratum_tiers(&[asked(None), asked(Some(Tier::A))]).unwrap(),
            Some(TierFloors {
                strata: vec![Tier::C, Tier::A]
            })
        );
        assert_eq!(
            field_of(stratum_tiers(&[asked(Some(Tier::B)), asked(Some(Tier::C))])),
            "strata[1].min_tier"
        );
    }

    const DEPLOYMENT: Floor = Floor {
        min_years: 8,
        min_title: 2,
    };

    fn asked(min_years: Option<u32>, min_title: Option<u32>) -> RequestedFloor {
        RequestedFloor {
            min_years,
            min_title,
            min_tier: None,
        }
    }

    fn field_of<T: std::fmt::Debug>(result: Result<T, DrawServiceError>) -> String {
        match result {
            Err(DrawServiceError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_stratum_may_tighten_the_floor_and_a_looser_one_is_refused_by_its_field() {
        let floors = stratum_floors(
            3,
            &[asked(Some(12), None), asked(None, Some(3))],
            DEPLOYMENT,
        )
        .unwrap();
        assert_eq!(
            floors,
            [
                Floor {
                    min_years: 12,
                    min_title: 2
                },
                Floor {
                    min_years: 8,
                    min_title: 3
                },
                DEPLOYMENT
            ]
        );
        // The deployment's own values are not a loosening.
        assert!(stratum_floors(1, &[asked(Some(8), Some(2))], DEPLOYMENT).is_ok());
        for (request, field) in [
            (asked(Some(7), None), "strata[1].min_years"),
            (asked(Some(71), None), "strata[1].min_years"),
            (asked(None, Some(1)), "strata[1].min_title"),
            (asked(None, Some(4)), "strata[1].min_title"),
            (asked(None, Some(0)), "strata[1].min_title"),
        ] {
            let result = stratum_floors(2, &[asked(None, None), request], DEPLOYMENT);
            assert_eq!(field_of(result), field);
        }
        assert_eq!(
            field_of(stratum_floors(1, &[asked(None, None); 2], DEPLOYMENT)),
            "strata"
        );
    }
}
