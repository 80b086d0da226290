//! Experts' fees (评审费) for remote evaluations (issue 22 §4; docs/FEES.md): the deployment's
//! fee standard, checked and published with its digest, and the arithmetic that turns a
//! member's real time in a session into an amount; `service` keeps the settlements, which are
//! never edited: a change is a new record superseding the old.
//!
//! Money is integer fen throughout. The arithmetic is pure and tested here; the service
//! only gathers its inputs (check-in, departure and closing times, the seat's venue and
//! regions) from the store.

pub(crate) mod service;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::FeeSettings;
use crate::crypto::Suite;

/// The rates of one region (or the default), per half day and per day, in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct Rates {
    pub(crate) half_day_fen: i64,
    pub(crate) day_fen: i64,
}

/// Where a member sat, which decides whose rates pay them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeatKind {
    /// At the main venue (主场): its region's rates.
    MainVenue,
    /// At a sub-venue (副场): the higher of the main venue's and the sub-venue's rates.
    SubVenue,
    /// At their own place (分散评标): the session's region's rates (the host center's).
    Distributed,
}

impl SeatKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::MainVenue => "main_venue",
            Self::SubVenue => "sub_venue",
            Self::Distributed => "distributed",
        }
    }
}

/// The fee standard in force: the settings, checked, with the prefecture each region names.
#[derive(Debug, Clone)]
pub(crate) struct FeeStandard {
    half_day_hours: i64,
    default_rates: Rates,
    regions: BTreeMap<String, Rates>,
    pub(crate) transport_cap_fen: i64,
    pub(crate) accommodation_night_cap_fen: i64,
    pub(crate) max_nights: i64,
}

/// The label a record carries when no region of the standard applied.
pub(crate) const DEFAULT_REGION: &str = "default";

impl FeeStandard {
    /// The standard the settings describe, or every problem with it, each naming the setting.
    pub(crate) fn parse(settings: &FeeSettings) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        if !(1..=12).contains(&settings.half_day_hours) {
            problems.push("fees.half_day_hours must be from 1 to 12".to_owned());
        }
        let check_rates =
            |problems: &mut Vec<String>, name: &str, half_day_fen: i64, day_fen: i64| {
                if half_day_fen < 0 || day_fen < 0 {
                    problems.push(format!("{name}: rates must not be negative"));
                } else if half_day_fen > day_fen {
                    problems.push(format!(
                        "{name}: the half-day rate ({half_day_fen} fen) exceeds the day rate \
                     ({day_fen} fen)"
                    ));
                }
            };
        check_rates(
            &mut problems,
            "fees.default_rates",
            settings.default_rates.half_day_fen,
            settings.default_rates.day_fen,
        );
        let mut regions = BTreeMap::new();
        for (index, region) in settings.regions.iter().enumerate() {
            let name = format!("fees.regions[{index}]");
            check_rates(&mut problems, &name, region.half_day_fen, region.day_fen);
            match crate::pool::validate::parse_region(&region.region) {
                Err(problem) => problems.push(format!("{name}.region: {problem}")),
                Ok(code) => {
                    let rates = Rates {
                        half_day_fen: region.half_day_fen,
                        day_fen: region.day_fen,
                    };
                    if regions.insert(code.clone(), rates).is_some() {
                        problems.push(format!("{name}.region: {code} is listed twice"));
                    }
                }
            }
        }
        for (name, value) in [
            ("fees.transport_cap_fen", settings.transport_cap_fen),
            (
                "fees.accommodation_night_cap_fen",
                settings.accommodation_night_cap_fen,
            ),
        ] {
            if value < 0 {
                problems.push(format!("{name} must not be negative"));
            }
        }
        if !(0..=30).contains(&settings.max_nights) {
            problems.push("fees.max_nights must be from 0 to 30".to_owned());
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            half_day_hours: settings.half_day_hours,
            default_rates: Rates {
                half_day_fen: settings.default_rates.half_day_fen,
                day_fen: settings.default_rates.day_fen,
            },
            regions,
            transport_cap_fen: settings.transport_cap_fen,
            accommodation_night_cap_fen: settings.accommodation_night_cap_fen,
            max_nights: settings.max_nights,
        })
    }

    /// The standard as published and as its digest covers it.
    pub(crate) fn body(&self) -> serde_json::Value {
        serde_json::json!({
            "half_day_hours": self.half_day_hours,
            "default_rates": self.default_rates,
            "regions": self.regions.iter().map(|(region, rates)| serde_json::json!({
                "region": region,
                "half_day_fen": rates.half_day_fen,
                "day_fen": rates.day_fen,
            })).collect::<Vec<_>>(),
            "sub_venue_rule": "higher_of_main_and_sub_venue",
            "distributed_rule": "session_region",
            "transport_cap_fen": self.transport_cap_fen,
            "accommodation_night_cap_fen": self.accommodation_night_cap_fen,
            "max_nights": self.max_nights,
        })
    }

    /// The digest of the body's canonical JSON (RFC 8785) under the deployment's suite: the
    /// standard's version, recorded with every settlement computed under it.
    pub(crate) fn digest(&self, suite: Suite) -> Result<String, String> {
        let canonical =
            crate::audit::entry::canonical_json(&self.body()).map_err(|error| error.to_string())?;
        Ok(suite.hex_hash(&canonical))
    }

    /// The rates of a prefecture (its six-digit code), or the default's; with the label the
    /// record carries.
    pub(crate) fn rates_of(&self, prefecture: Option<&str>) -> (String, Rates) {
        match prefecture.and_then(|code| self.regions.get_key_value(code)) {
            Some((code, rates)) => (code.clone(), *rates),
            None => (DEFAULT_REGION.to_owned(), self.default_rates),
        }
    }

    /// How many half days a stay of `millis` counts for.
    pub(crate) fn half_days(&self, millis: i64) -> i64 {
        half_days(millis, self.half_day_hours)
    }
}

/// The half days a stay of `millis` counts for: every started block of `half_day_hours`, at
/// least one (a member who came is paid at least a half day). 4-hour blocks: up to 4 h one,
/// over 4 h and up to 8 h two (a day), over 8 h three (a day and a half), and so on.
pub(crate) fn half_days(millis: i64, half_day_hours: i64) -> i64 {
    let block = half_day_hours.max(1) * 3_600_000;
    let millis = millis.max(0);
    let started = millis / block + i64::from(millis % block != 0);
    started.max(1)
}

/// The fee for `half_days` at `rates`: a day's rate per pair of half days, the half-day rate
/// for one left over.
pub(crate) fn fee(half_days: i64, rates: Rates) -> i64 {
    (half_days / 2) * rates.day_fen + (half_days % 2) * rates.half_day_fen
}

/// A seat's fee and the region whose rates paid it: a sub-venue member's is the higher of
/// the fee at the main venue's rates and at their own venue's (the 2025 notice: "sub-venue
/// experts are paid at the higher of the two rates"); the others' at their own rates.
pub(crate) fn seat_fee(
    kind: SeatKind,
    half_days: i64,
    own: (&str, Rates),
    main: (&str, Rates),
) -> (i64, String) {
    let at_own = fee(half_days, own.1);
    match kind {
        SeatKind::SubVenue => {
            let at_main = fee(half_days, main.1);
            if at_main > at_own {
                (at_main, main.0.to_owned())
            } else {
                (at_own, own.0.to_owned())
            }
        }
        SeatKind::MainVenue | SeatKind::Distributed => (at_own, own.0.to_owned()),
    }
}

/// The prefecture a region code lies in: a county-level code's prefecture, a prefecture's
/// own code, or none for a code outside Hubei's lists (then the default rates apply).
pub(crate) fn prefecture_of(code: &str) -> Option<String> {
    if let Some(county) = crate::pool::regions::county(code) {
        return Some(county.prefecture().code.clone());
    }
    crate::pool::validate::parse_region(code).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{FeeRateSettings, RegionFeeRateSettings};

    const HOUR: i64 = 3_600_000;

    #[test]
    fn time_counts_in_started_half_days_of_four_hours_and_at_least_one() {
        assert_eq!(half_days(0, 4), 1);
        assert_eq!(half_days(1, 4), 1);
        assert_eq!(half_days(4 * HOUR, 4), 1);
        assert_eq!(half_days(4 * HOUR + 1, 4), 2);
        assert_eq!(half_days(8 * HOUR, 4), 2);
        assert_eq!(half_days(8 * HOUR + 60_000, 4), 3);
        assert_eq!(half_days(12 * HOUR, 4), 3);
        assert_eq!(half_days(13 * HOUR, 4), 4);
        assert_eq!(half_days(3 * HOUR + 1, 3), 2);
    }

    #[test]
    fn a_day_is_paid_at_the_day_rate_and_a_left_over_half_at_the_half_day_rate() {
        let rates = Rates {
            half_day_fen: 40_000,
            day_fen: 70_000,
        };
        assert_eq!(fee(1, rates), 40_000);
        assert_eq!(fee(2, rates), 70_000);
        assert_eq!(fee(3, rates), 110_000);
        assert_eq!(fee(4, rates), 140_000);
    }

    #[test]
    fn a_sub_venue_member_is_paid_the_higher_of_the_two_rates() {
        let cheap = Rates {
            half_day_fen: 40_000,
            day_fen: 70_000,
        };
        let dear = Rates {
            half_day_fen: 50_000,
            day_fen: 90_000,
        };
        // Dearer sub-venue: its own rates.
        assert_eq!(
            seat_fee(SeatKind::SubVenue, 2, ("420500", dear), ("default", cheap)),
            (90_000, "420500".to_owned())
        );
        // Dearer main venue: the main venue's.
        assert_eq!(
            seat_fee(SeatKind::SubVenue, 3, ("default", cheap), ("420500", dear)),
            (140_000, "420500".to_owned())
        );
        // The main venue's and a distributed seat's are their own, whatever the other.
        assert_eq!(
            seat_fee(SeatKind::MainVenue, 2, ("default", cheap), ("420500", dear)),
            (70_000, "default".to_owned())
        );
        assert_eq!(
            seat_fee(
                SeatKind::Distributed,
                1,
                ("default", cheap),
                ("420500", dear)
            ),
            (40_000, "default".to_owned())
        );
        // Rates that cross (a dearer half day, a cheaper day) compare by the amount.
        let crossing = Rates {
            half_day_fen: 45_000,
            day_fen: 60_000,
        };
        assert_eq!(
            seat_fee(
                SeatKind::SubVenue,
                1,
                ("420600", crossing),
                ("default", cheap)
            )
            .0,
            45_000
        );
        assert_eq!(
            seat_fee(
                SeatKind::SubVenue,
                2,
                ("420600", crossing),
                ("default", cheap)
            )
            .0,
            70_000
        );
    }

    #[test]
    fn nonsense_in_the_standard_is_refused_naming_each_setting() {
        let settings = FeeSettings {
            half_day_hours: 0,
            default_rates: FeeRateSettings {
                half_day_fen: -1,
                day_fen: 100,
            },
            regions: vec![
                RegionFeeRateSettings {
                    region: "420500".into(),
                    half_day_fen: 90_000,
                    day_fen: 50_000,
                },
                RegionFeeRateSettings {
                    region: "990000".into(),
                    half_day_fen: 1,
                    day_fen: 2,
                },
                RegionFeeRateSettings {
                    region: "420500".into(),
                    half_day_fen: 1,
                    day_fen: 2,
                },
            ],
            transport_cap_fen: -5,
            accommodation_night_cap_fen: 0,
            max_nights: 31,
        };
        let problems = FeeStandard::parse(&settings).unwrap_err().join("\n");
        for expected in [
            "fees.half_day_hours must be from 1 to 12",
            "fees.default_rates: rates must not be negative",
            "fees.regions[0]: the half-day rate (90000 fen) exceeds the day rate (50000 fen)",
            "fees.regions[1].region: \"990000\" is not a prefecture-level division code",
            "fees.regions[2].region: 420500 is listed twice",
            "fees.transport_cap_fen must not be negative",
            "fees.max_nights must be from 0 to 30",
        ] {
            assert!(problems.contains(expected), "{expected} in {problems}");
        }
        assert!(FeeStandard::parse(&FeeSettings::default()).is_ok());
    }

    #[test]
    fn a_region_is_read_at_its_prefecture_and_an_unlisted_one_takes_the_default() {
        assert_eq!(prefecture_of("420602").as_deref(), Some("420600"));
        assert_eq!(prefecture_of("420500").as_deref(), Some("420500"));
        assert_eq!(prefecture_of("429004").as_deref(), Some("429004"));
        assert_eq!(prefecture_of("110000"), None);
        let mut settings = FeeSettings::default();
        settings.regions.push(RegionFeeRateSettings {
            region: "420500".into(),
            half_day_fen: 50_000,
            day_fen: 90_000,
        });
        let standard = FeeStandard::parse(&settings).unwrap();
        assert_eq!(standard.rates_of(Some("420500")).1.day_fen, 90_000);
        assert_eq!(standard.rates_of(Some("420100")).0, DEFAULT_REGION);
        assert_eq!(standard.rates_of(None).1.day_fen, 70_000);
    }
}
