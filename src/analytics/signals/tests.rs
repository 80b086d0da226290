use super::*;

/// A small deterministic generator, so each history is the same on every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// `count` distinct numbers below `n`.
    fn pick(&mut self, n: u64, count: usize) -> Vec<u32> {
        let mut chosen = BTreeSet::new();
        while chosen.len() < count {
            chosen.insert(self.below(n) as u32);
        }
        chosen.into_iter().collect()
    }
}

fn committee(id: usize, center: &str, experts: &[u32]) -> CommitteeFact {
    CommitteeFact {
        id: format!("draw-{id}"),
        center: center.into(),
        prefecture: Some("4206".into()),
        strata: vec![StratumFact {
            specialties: "A01".into(),
            need: experts.len() as u64 + 2,
            eligible: 100,
            root: true,
            seats: experts
                .iter()
                .map(|e| SeatFact {
                    expert: *e,
                    outcome: Outcome::Sat,
                })
                .collect(),
        }],
        deviation_percent: 20,
        sheets: Vec::new(),
    }
}

/// `count` committees of five from 40 experts, the first `planted` of which seat experts 0 and
/// 1 together.
fn seatings(seed: u64, count: usize, planted: usize) -> Vec<CommitteeFact> {
    let mut dice = Dice(seed);
    (0..count)
        .map(|i| {
            let mut experts = dice.pick(40, 5);
            if i < planted && !(experts.contains(&0) && experts.contains(&1)) {
                experts.retain(|e| *e > 1);
                experts.truncate(3);
                experts.extend([0, 1]);
            }
            committee(i, "center-a", &experts)
        })
        .collect()
}

fn of(findings: &[Finding], signal: Signal) -> Vec<&Finding> {
    findings.iter().filter(|f| f.signal == signal).collect()
}

#[test]
fn a_planted_pair_is_the_first_co_sitting_finding_and_a_clean_history_has_none() {
    let settings = SignalSettings::default();
    let planted = run(&seatings(7, 400, 25), &settings);
    let pairs = of(&planted, Signal::CoSitting);
    assert!(!pairs.is_empty(), "the planted pair is not found");
    assert_eq!(pairs[0].subject, Subject::Experts(vec![0, 1]));
    assert!(pairs[0].q < 1e-3, "q = {}", pairs[0].q);
    assert!(pairs[0].observed >= 25);
    // 40 experts: 780 pairs tested.
    assert_eq!(pairs[0].tests, 780);
    // Each has about 70 of the 2,000 seats: 400 × (5 × 70 / 2000)² ≈ 12 by chance.
    assert!(
        pairs[0].expected > 8.0 && pairs[0].expected < 16.0,
        "{}",
        pairs[0].expected
    );
    assert_eq!(
        pairs[0].committees.len(),
        MAX_EVIDENCE.min(pairs[0].observed as usize)
    );

    for seed in [1, 2, 3] {
        let clean = run(&seatings(seed, 400, 0), &settings);
        assert!(
            of(&clean, Signal::CoSitting).is_empty(),
            "seed {seed}: {:?}",
            of(&clean, Signal::CoSitting)
                .iter()
                .map(|f| (&f.subject, f.observed, f.expected, f.q))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn experts_who_only_ever_meet_in_a_small_group_are_not_a_finding() {
    // A specialty with five experts, committees of three: any two meet often, as expected.
    let mut dice = Dice(11);
    let mut committees = seatings(5, 200, 0);
    for i in 0..60 {
        let mut c = committee(
            1000 + i,
            "center-b",
            &dice.pick(5, 3).iter().map(|e| e + 100).collect::<Vec<_>>(),
        );
        c.strata[0].specialties = "B07".into();
        committees.push(c);
    }
    let findings = run(&committees, &SignalSettings::default());
    assert!(of(&findings, Signal::CoSitting).is_empty());
}

/// Sessions with sheets: seven members, `bidders` bidders with credit codes, five criteria
/// scored 0–10 at random. `tweak` may change a sheet (expert, bidder index, scores).
fn scored(
    seed: u64,
    count: usize,
    bidders: usize,
    tweak: impl Fn(usize, u32, usize, &mut BTreeMap<String, i64>),
) -> Vec<CommitteeFact> {
    let mut dice = Dice(seed);
    (0..count)
        .map(|i| {
            let experts = dice.pick(30, 7);
            let mut c = committee(i, "center-a", &experts);
            for expert in &experts {
                for b in 0..bidders {
                    let mut scores: BTreeMap<String, i64> = (0..5)
                        .map(|k| (format!("c{k}"), dice.below(11) as i64 * 100))
                        .collect();
                    tweak(i, *expert, b, &mut scores);
                    c.sheets.push(SheetFact {
                        expert: *expert,
                        bidder: format!("Bidder {b}"),
                        credit_code: Some(format!("CODE-{b}")),
                        total: scores.values().sum(),
                        scores,
                    });
                }
            }
            c
        })
        .collect()
}

#[test]
fn an_expert_who_keeps_boosting_one_bidder_is_found_and_nobody_else() {
    let settings = SignalSettings::default();
    let favouring = scored(21, 200, 3, |_, expert, bidder, scores| {
        if expert == 4 && bidder == 2 {
            scores.insert("c0".into(), 1000);
            scores.insert("c1".into(), 1000);
        }
    });
    let findings = run(&favouring, &settings);
    let favour = of(&findings, Signal::BidderFavour);
    assert!(!favour.is_empty());
    assert_eq!(
        favour[0].subject,
        Subject::ExpertAndBidder(4, "CODE-2".into())
    );
    assert_eq!(favour.len(), 1, "only the planted pair");
    assert!(favour[0].observed * 3 > favour[0].trials * 2);

    let clean = run(&scored(21, 200, 3, |_, _, _, _| {}), &settings);
    assert!(of(&clean, Signal::BidderFavour).is_empty());
}

#[test]
fn copied_sheets_are_found_in_their_committee_only() {
    let settings = SignalSettings::default();
    let mut copied = scored(31, 20, 4, |_, _, _, _| {});
    let session = &mut copied[3];
    let experts: Vec<u32> = members(session);
    let (a, b) = (experts[0], experts[1]);
    let sheets_of_a: Vec<SheetFact> = session
        .sheets
        .iter()
        .filter(|s| s.expert == a)
        .cloned()
        .collect();
    for sheet in session.sheets.iter_mut().filter(|s| s.expert == b) {
        let original = sheets_of_a
            .iter()
            .find(|s| s.bidder == sheet.bidder)
            .unwrap();
        sheet.scores = original.scores.clone();
        sheet.total = original.total;
    }
    let findings = run(&copied, &settings);
    let identical = of(&findings, Signal::IdenticalSheets);
    assert_eq!(
        identical.len(),
        1,
        "{:?}",
        identical.iter().map(|f| &f.subject).collect::<Vec<_>>()
    );
    assert_eq!(
        identical[0].subject,
        Subject::MembersOf("draw-3".into(), [a, b])
    );
    assert_eq!(identical[0].observed, identical[0].trials);

    let clean = run(&scored(31, 20, 4, |_, _, _, _| {}), &settings);
    assert!(of(&clean, Signal::IdenticalSheets).is_empty());
}

#[test]
fn an_expert_far_from_every_committee_is_an_outlier() {
    let settings = SignalSettings::default();
    let skewed = scored(41, 120, 3, |_, expert, _, scores| {
        if expert == 9 {
            for value in scores.values_mut() {
                *value = 0;
            }
        }
    });
    let outliers = of(&run(&skewed, &settings), Signal::ScoreOutliers)
        .into_iter()
        .map(|f| f.subject.clone())
        .collect::<Vec<_>>();
    assert_eq!(outliers.first(), Some(&Subject::Experts(vec![9])));
}

#[test]
fn a_center_whose_filters_run_near_the_minimum_is_found() {
    let settings = SignalSettings::default();
    let mut dice = Dice(51);
    let mut committees = Vec::new();
    for i in 0..300 {
        let center = ["center-a", "center-b", "center-c"][i % 3];
        let mut c = committee(i, center, &dice.pick(40, 5));
        // Everyone is near the minimum now and then; center-c nearly always.
        let narrow = if center == "center-c" {
            dice.below(10) < 8
        } else {
            dice.below(10) < 1
        };
        c.strata[0].eligible = if narrow { 9 } else { 60 };
        committees.push(c);
    }
    let narrow = of(&run(&committees, &settings), Signal::NarrowFilters)
        .into_iter()
        .map(|f| f.subject.clone())
        .collect::<Vec<_>>();
    assert_eq!(narrow, vec![Subject::Center("center-c".into())]);
}

#[test]
fn declines_no_shows_and_departures_each_name_their_subject() {
    let settings = SignalSettings::default();
    let mut dice = Dice(61);
    let mut committees = seatings(61, 300, 0);
    for (i, c) in committees.iter_mut().enumerate() {
        let center = if i % 4 == 0 { "center-d" } else { "center-a" };
        c.center = center.into();
        for seat in &mut c.strata[0].seats {
            let roll = dice.below(100);
            seat.outcome = match seat.expert {
                // Expert 5 declines three times in four, expert 6 lets them lapse.
                5 if roll < 75 => Outcome::Declined,
                6 if roll < 75 => Outcome::NoAnswer,
                _ if center == "center-d" && roll < 40 => Outcome::Recused,
                _ if roll < 8 => Outcome::Declined,
                _ if roll < 10 => Outcome::NoAnswer,
                _ if roll < 12 => Outcome::Recused,
                _ => Outcome::Sat,
            };
        }
    }
    let findings = run(&committees, &settings);
    let subjects = |signal| {
        of(&findings, signal)
            .into_iter()
            .map(|f| f.subject.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(subjects(Signal::Declines), vec![Subject::Experts(vec![5])]);
    assert_eq!(subjects(Signal::NoShows), vec![Subject::Experts(vec![6])]);
    assert_eq!(
        subjects(Signal::CommitteeDepartures),
        vec![Subject::Center("center-d".into())]
    );
}

#[test]
fn an_empty_history_has_no_findings() {
    assert!(run(&[], &SignalSettings::default()).is_empty());
}

#[test]
fn a_bidder_that_wins_wherever_one_expert_sits_is_found() {
    let settings = SignalSettings::default();
    // Bidder 1 wins where expert 3 sits (its sheets lifted by every member there), and
    // otherwise as often as the others.
    let rigged = scored(71, 200, 3, |_, _, _, _| {});
    let mut rigged = rigged;
    for committee in &mut rigged {
        if !committee.sheets.iter().any(|s| s.expert == 3) {
            continue;
        }
        for sheet in committee
            .sheets
            .iter_mut()
            .filter(|s| s.bidder == "Bidder 1")
        {
            sheet.total += 3000;
        }
    }
    let found = of(&run(&rigged, &settings), Signal::WinsWith)
        .into_iter()
        .map(|f| f.subject.clone())
        .collect::<Vec<_>>();
    assert_eq!(
        found.first(),
        Some(&Subject::ExpertAndBidder(3, "CODE-1".into())),
        "{found:?}"
    );
    assert!(
        of(
            &run(&scored(71, 200, 3, |_, _, _, _| {}), &settings),
            Signal::WinsWith
        )
        .is_empty()
    );
}
