//! The annual assessment (年度考核) and tiers (分级管理), issue 22 §2: a score per expert from
//! the year's ratings, attendances, declines, no-shows, penalties and training, a proposed tier
//! by thresholds, an admin's review, and tiers that take effect only when the year is
//! confirmed. The formula is a pure function here; docs/POOL.md states it.

use serde::{Deserialize, Serialize};

use crate::config::AssessmentSettings;

crate::store::text_enum::text_enum! {
    /// An expert's tier: A is the highest. An expert nobody has assessed is B.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
    pub enum Tier {
        A = "A",
        B = "B",
        C = "C",
    }
}

impl Tier {
    /// Whether this tier is `floor` or higher.
    pub(crate) fn meets(self, floor: Tier) -> bool {
        self.rank() >= floor.rank()
    }

    fn rank(self) -> u8 {
        match self {
            Self::A => 3,
            Self::B => 2,
            Self::C => 1,
        }
    }
}

/// One expert's inputs for a year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct YearInputs {
    pub(crate) ratings: i64,
    /// The sum of the year's rating points (each 0-100).
    pub(crate) rating_points: i64,
    pub(crate) attendances: i64,
    pub(crate) declines: i64,
    pub(crate) no_shows: i64,
    pub(crate) penalties: i64,
    pub(crate) training_half_hours: i64,
}

/// The formula's settings with the training requirement: what a run commits to (kept with it,
/// so a year's scores can be recomputed by hand later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Formula {
    pub(crate) required_hours_per_year: u32,
    pub(crate) rating_weight: u32,
    pub(crate) training_weight: u32,
    pub(crate) attendance_points: u32,
    pub(crate) attendance_bonus_cap: u32,
    pub(crate) decline_points: u32,
    pub(crate) no_show_points: u32,
    pub(crate) penalty_points: u32,
    pub(crate) tier_a_from: u32,
    pub(crate) tier_b_from: u32,
}

impl Formula {
    pub(crate) fn new(required_hours_per_year: u32, settings: &AssessmentSettings) -> Self {
        Self {
            required_hours_per_year,
            rating_weight: settings.rating_weight,
            training_weight: settings.training_weight,
            attendance_points: settings.attendance_points,
            attendance_bonus_cap: settings.attendance_bonus_cap,
            decline_points: settings.decline_points,
            no_show_points: settings.no_show_points,
            penalty_points: settings.penalty_points,
            tier_a_from: settings.tier_a_from,
            tier_b_from: settings.tier_b_from,
        }
    }

    /// The score in hundredths of a point (0-10,000), in integers so that every backend and a
    /// reader with a calculator reach the same figure:
    ///
    /// - rating = the mean of the year's rating points (100 when there is none, as the credit
    ///   score starts at full credit), truncated to hundredths;
    /// - training = hours done against the requirement, capped at 100, truncated likewise;
    /// - base = (rating × rating_weight + training × training_weight) / (the weights' sum),
    ///   truncated;
    /// - score = base + min(attendances × attendance_points, attendance_bonus_cap)
    ///   − declines × decline_points − no-shows × no_show_points − penalties × penalty_points,
    ///   within 0-100.
    pub(crate) fn score_centi(&self, inputs: &YearInputs) -> i64 {
        let rating = if inputs.ratings > 0 {
            inputs.rating_points * 100 / inputs.ratings
        } else {
            10_000
        };
        let required_half_hours = i64::from(self.required_hours_per_year) * 2;
        let training = if required_half_hours == 0 {
            10_000
        } else {
            (inputs.training_half_hours * 10_000 / required_half_hours).min(10_000)
        };
        let weights = i64::from(self.rating_weight) + i64::from(self.training_weight);
        let base = if weights == 0 {
            rating
        } else {
            (rating * i64::from(self.rating_weight) + training * i64::from(self.training_weight))
                / weights
        };
        let bonus = (inputs.attendances * i64::from(self.attendance_points))
            .min(i64::from(self.attendance_bonus_cap))
            * 100;
        let deductions = (inputs.declines * i64::from(self.decline_points)
            + inputs.no_shows * i64::from(self.no_show_points)
            + inputs.penalties * i64::from(self.penalty_points))
            * 100;
        (base + bonus - deductions).clamp(0, 10_000)
    }

    /// The tier a score proposes.
    pub(crate) fn tier(&self, score_centi: i64) -> Tier {
        if score_centi >= i64::from(self.tier_a_from) * 100 {
            Tier::A
        } else if score_centi >= i64::from(self.tier_b_from) * 100 {
            Tier::B
        } else {
            Tier::C
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formula() -> Formula {
        Formula::new(8, &AssessmentSettings::default())
    }

    #[test]
    fn tiers_serialise_as_their_letters_and_order_a_over_b_over_c() {
        crate::store::text_enum::assert_serde_is_text::<Tier>();
        assert!(Tier::A.meets(Tier::B) && Tier::B.meets(Tier::B) && !Tier::C.meets(Tier::B));
        assert!(!Tier::B.meets(Tier::A));
    }

    #[test]
    fn an_expert_with_nothing_on_record_but_the_training_scores_full_marks() {
        let f = formula();
        let inputs = YearInputs {
            training_half_hours: 16,
            ..YearInputs::default()
        };
        assert_eq!(f.score_centi(&inputs), 10_000);
        assert_eq!(f.tier(10_000), Tier::A);
        // No training at all: the training part is 0, weighted 20 of 100.
        assert_eq!(f.score_centi(&YearInputs::default()), 8_000);
        assert_eq!(f.tier(8_000), Tier::B);
    }

    #[test]
    fn the_score_follows_the_documented_formula_by_hand() {
        let f = formula();
        // Ratings 90, 85, 80: mean 85.00. Training 6 of 8 hours: 75.00.
        // Base (85 × 80 + 75 × 20) / 100 = 83.00; 3 attendances +3; one decline −2;
        // one no-show −5: 79.00, tier B.
        let inputs = YearInputs {
            ratings: 3,
            rating_points: 255,
            attendances: 3,
            declines: 1,
            no_shows: 1,
            penalties: 0,
            training_half_hours: 12,
        };
        assert_eq!(f.score_centi(&inputs), 7_900);
        assert_eq!(f.tier(7_900), Tier::B);
        // Ratings 70 and 71: mean 70.50; 1 of 8 hours: 12.50; base (5640 + 250) / 100 = 58.90;
        // a penalty −10: 48.90, tier C.
        let weak = YearInputs {
            ratings: 2,
            rating_points: 141,
            penalties: 1,
            training_half_hours: 2,
            ..YearInputs::default()
        };
        assert_eq!(f.score_centi(&weak), 4_890);
        assert_eq!(f.tier(4_890), Tier::C);
        // The bonus is capped at 5 points and the score at 100.
        let busy = YearInputs {
            ratings: 1,
            rating_points: 95,
            attendances: 40,
            training_half_hours: 100,
            ..YearInputs::default()
        };
        assert_eq!(f.score_centi(&busy), 10_000);
        // Deductions never take the score below 0.
        let absent = YearInputs {
            no_shows: 30,
            ..YearInputs::default()
        };
        assert_eq!(f.score_centi(&absent), 0);
    }

    #[test]
    fn the_thresholds_are_inclusive() {
        let f = formula();
        assert_eq!(f.tier(9_000), Tier::A);
        assert_eq!(f.tier(8_999), Tier::B);
        assert_eq!(f.tier(7_000), Tier::B);
        assert_eq!(f.tier(6_999), Tier::C);
    }
}
