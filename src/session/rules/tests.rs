//! The evaluation's rules, tested for their outcomes: what a host is told when a move is refused,
//! who the committee elects, what a sheet becomes, what the summary flags, where a seat goes.
//! The seat-assignment vectors were computed independently with Python's `hashlib` from the
//! text of docs/PROTOCOL.md ("Seat assignment"); the script is printed there.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::*;
use crate::crypto::Suite;
use crate::session::{Audience, EvaluationMethod, RejectionState, RoleName, SessionRole};

const BIDDERS: [&str; 2] = ["Bidder A", "Bidder B"];

fn bidders() -> Vec<String> {
    BIDDERS.iter().map(|b| (*b).to_owned()).collect()
}

/// No unmet precondition.
const NOTHING: [Missing; 0] = [];
const NONE: [(&str, Vec<u32>); 0] = [];

/// A seat that has done everything any phase asks of it.
fn done(seat: u32) -> SeatFacts {
    SeatFacts {
        seat,
        active: true,
        confirmed: true,
        checked_in: true,
        declared_no_conflict: true,
        vote: Some(1),
        sheets: bidders().into_iter().collect(),
        signature: Some(Signature::Agree),
    }
}

/// A replaced member: void, and having done nothing since.
fn void(seat: u32) -> SeatFacts {
    SeatFacts {
        active: false,
        checked_in: false,
        declared_no_conflict: false,
        vote: None,
        sheets: BTreeSet::new(),
        signature: None,
        ..done(seat)
    }
}

/// A five-member committee, every seat complete, Expert 1 in the chair.
fn comprehensive<'a>(bidders: &'a [String], criteria: &'a [Criterion]) -> SheetRules<'a> {
    SheetRules {
        bidders,
        criteria,
        method: EvaluationMethod::Comprehensive,
    }
}

fn session(phase: Phase) -> SessionFacts {
    SessionFacts {
        undecided_rejections: Vec::new(),
        phase,
        committee_size: 5,
        non_expert_members: 0,
        seats: (1..=5).map(done).collect(),
        chair: Some(1),
        bidders: bidders(),
        assignment_needs_entropy: false,
        signing_deadline_passed: false,
        venues_without_consent: Vec::new(),
    }
}

fn seat_mut(facts: &mut SessionFacts, seat: u32) -> &mut SeatFacts {
    facts
        .seats
        .iter_mut()
        .find(|s| s.seat == seat)
        .expect("the test names a seat of the session")
}

/// The unmet preconditions of the move to the next phase, as (code, seats).
fn unmet(facts: &SessionFacts) -> Vec<(&'static str, Vec<u32>)> {
    let next = facts.phase.next().expect("the test moves an open session");
    check_move(facts, next)
        .expect("the move is the next step")
        .into_iter()
        .map(|m| (m.code, m.seats))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Phases and moves

#[test]
fn the_phases_run_in_the_statutes_order_and_closed_has_no_next() {
    let order: Vec<&str> = Phase::ALL.iter().map(|p| p.as_str()).collect();
    assert_eq!(
        order,
        [
            "scheduled",
            "check_in",
            "recusal",
            "chair_election",
            "evaluation",
            "summary",
            "signing",
            "closed"
        ]
    );
    for pair in Phase::ALL.windows(2) {
        assert_eq!(pair[0].next(), Some(pair[1]));
        assert!(
            pair[0] < pair[1],
            "the order of the enum is the order of the phases"
        );
    }
    assert_eq!(Phase::Closed.next(), None);
}

#[test]
fn a_phase_is_named_the_same_in_json_and_in_text() {
    for phase in Phase::ALL {
        assert_eq!(Phase::parse(phase.as_str()), Some(phase));
        assert_eq!(
            serde_json::to_value(phase).unwrap(),
            serde_json::Value::String(phase.as_str().to_owned())
        );
    }
    assert_eq!(Phase::parse("Evaluation"), None);
    assert_eq!(Phase::parse("closing"), None);
}

#[test]
fn a_complete_session_may_take_every_step_forward() {
    for phase in Phase::ALL.into_iter().filter(|p| *p != Phase::Closed) {
        let facts = session(phase);
        assert_eq!(unmet(&facts), NONE, "from {}", phase.as_str());
    }
}

#[test]
fn moving_back_skipping_a_phase_or_staying_is_refused_naming_the_next_phase() {
    let facts = session(Phase::Evaluation);
    for to in [
        Phase::Recusal,
        Phase::Signing,
        Phase::Evaluation,
        Phase::Closed,
    ] {
        assert_eq!(
            check_move(&facts, to),
            Err(MoveError::NotNext {
                from: "evaluation",
                next: "summary",
                to: to.as_str()
            })
        );
    }
    let refused = check_move(&session(Phase::Scheduled), Phase::Recusal).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "its next phase is check_in, not recusal"
    );
}

#[test]
fn a_closed_session_is_final() {
    let facts = session(Phase::Closed);
    for to in Phase::ALL {
        assert_eq!(check_move(&facts, to), Err(MoveError::Closed));
    }
}

#[test]
fn opening_check_in_waits_for_entropy_when_seats_are_assigned_at_random() {
    let mut facts = session(Phase::Scheduled);
    facts.assignment_needs_entropy = true;
    let missing = check_move(&facts, Phase::CheckIn).unwrap();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].code, "assignment-entropy");
    assert!(missing[0].seats.is_empty());

    facts.assignment_needs_entropy = false;
    assert_eq!(check_move(&facts, Phase::CheckIn).unwrap(), NOTHING);
}

#[test]
fn opening_check_in_waits_for_every_sub_venue_to_consent() {
    let mut facts = session(Phase::Scheduled);
    facts.venues_without_consent = vec![
        "远程评标室 (center-b) has not answered yet".into(),
        "保康 远程评标室 (center-c) refused: 设备检修".into(),
    ];
    let missing = check_move(&facts, Phase::CheckIn).unwrap();
    assert_eq!(missing.len(), 2);
    assert!(missing.iter().all(|m| m.code == "sub-venue-consent"));
    assert_eq!(
        missing[1].detail,
        "the sub-venue 保康 远程评标室 (center-c) refused: 设备检修"
    );

    facts.venues_without_consent.clear();
    assert_eq!(check_move(&facts, Phase::CheckIn).unwrap(), NOTHING);
}

#[test]
fn opening_check_in_asks_nothing_of_the_seats() {
    // Nobody can have checked in before check-in opens, and a vacancy or a pending successor
    // may still be filled; the later moves wait for them.
    let mut facts = session(Phase::Scheduled);
    facts.seats.pop();
    for seat in &mut facts.seats {
        seat.confirmed = false;
        seat.checked_in = false;
        seat.declared_no_conflict = false;
    }
    assert_eq!(check_move(&facts, Phase::CheckIn).unwrap(), NOTHING);
}

#[test]
fn the_recusal_phase_waits_for_every_seat_to_check_in_and_names_the_absent() {
    let mut facts = session(Phase::CheckIn);
    seat_mut(&mut facts, 2).checked_in = false;
    seat_mut(&mut facts, 4).checked_in = false;
    let missing = check_move(&facts, Phase::Recusal).unwrap();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].code, "not-checked-in");
    assert_eq!(missing[0].seats, [2, 4]);
    assert_eq!(missing[0].detail, "every seat must be checked in");
}

#[test]
fn the_chair_election_waits_for_every_declaration_and_names_the_undeclared() {
    let mut facts = session(Phase::Recusal);
    seat_mut(&mut facts, 1).declared_no_conflict = false;
    seat_mut(&mut facts, 3).declared_no_conflict = false;
    assert_eq!(unmet(&facts), [("not-declared", vec![1, 3])]);
}

#[test]
fn every_unmet_precondition_is_listed_at_once_not_only_the_first() {
    let mut facts = session(Phase::Recusal);
    seat_mut(&mut facts, 2).checked_in = false;
    seat_mut(&mut facts, 5).declared_no_conflict = false;
    assert_eq!(
        unmet(&facts),
        [("not-checked-in", vec![2]), ("not-declared", vec![5])]
    );
}

#[test]
fn the_evaluation_waits_for_a_chair_and_names_who_has_not_voted() {
    let mut facts = session(Phase::ChairElection);
    facts.chair = None;
    for seat in [3, 4, 5] {
        seat_mut(&mut facts, seat).vote = None;
    }
    let missing = check_move(&facts, Phase::Evaluation).unwrap();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].code, "no-chair");
    assert_eq!(missing[0].seats, [3, 4, 5]);
    assert_eq!(
        missing[0].detail,
        "no member has a majority of the committee's votes (2 of 5 cast)"
    );
}

#[test]
fn the_summary_waits_for_a_sheet_per_bidder_from_every_member() {
    let mut facts = session(Phase::Evaluation);
    seat_mut(&mut facts, 2).sheets.remove("Bidder B");
    seat_mut(&mut facts, 4).sheets.clear();
    assert_eq!(unmet(&facts), [("sheets-missing", vec![2, 4])]);
}

#[test]
fn the_signing_phase_needs_the_sheets_but_not_yet_the_signatures() {
    let mut facts = session(Phase::Summary);
    for seat in &mut facts.seats {
        seat.signature = None;
    }
    assert_eq!(unmet(&facts), NONE);
    seat_mut(&mut facts, 5).sheets.clear();
    assert_eq!(unmet(&facts), [("sheets-missing", vec![5])]);
}

#[test]
fn closing_waits_for_every_signature_and_a_reasoned_dissent_counts_as_one() {
    let mut facts = session(Phase::Signing);
    seat_mut(&mut facts, 1).signature = None;
    seat_mut(&mut facts, 3).signature = Some(Signature::Dissent {
        reasons: "the price criterion was misapplied to Bidder B".into(),
    });
    let missing = check_move(&facts, Phase::Closed).unwrap();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].code, "not-signed");
    assert_eq!(missing[0].seats, [1]);
}

#[test]
fn a_replaced_members_seat_is_asked_for_nothing_once_its_successor_is_seated() {
    for phase in [
        Phase::CheckIn,
        Phase::Recusal,
        Phase::ChairElection,
        Phase::Evaluation,
        Phase::Summary,
        Phase::Signing,
    ] {
        let mut facts = session(phase);
        *seat_mut(&mut facts, 3) = void(3);
        facts.seats.push(done(6));
        assert_eq!(unmet(&facts), NONE, "from {}", phase.as_str());
    }
}

#[test]
fn a_vacancy_without_a_successor_holds_every_later_move() {
    for phase in [
        Phase::CheckIn,
        Phase::Recusal,
        Phase::ChairElection,
        Phase::Evaluation,
        Phase::Summary,
        Phase::Signing,
    ] {
        let mut facts = session(phase);
        *seat_mut(&mut facts, 3) = void(3);
        let next = phase.next().unwrap();
        let missing = check_move(&facts, next).unwrap();
        assert_eq!(missing.len(), 1, "from {}", phase.as_str());
        assert_eq!(missing[0].code, "seats-vacant");
        assert!(
            missing[0].detail.starts_with("4 of 5 seats are held"),
            "{}",
            missing[0].detail
        );
    }
}

#[test]
fn a_successor_who_has_not_accepted_is_named_and_holds_the_move() {
    let mut facts = session(Phase::Evaluation);
    *seat_mut(&mut facts, 2) = void(2);
    facts.seats.push(SeatFacts {
        confirmed: false,
        checked_in: false,
        declared_no_conflict: false,
        vote: None,
        sheets: BTreeSet::new(),
        signature: None,
        ..done(6)
    });
    assert_eq!(
        unmet(&facts),
        [
            ("replacement-pending", vec![6]),
            ("seats-vacant", vec![]),
            ("not-checked-in", vec![6]),
            ("not-declared", vec![6]),
            ("sheets-missing", vec![6]),
        ]
    );
}

#[test]
fn a_successor_arriving_late_must_catch_up_on_everything_earlier_phases_asked() {
    // Seated during the evaluation: the summary waits for its check-in, its declaration and
    // its sheets, though the others did those phases ago.
    let mut facts = session(Phase::Evaluation);
    *seat_mut(&mut facts, 4) = void(4);
    facts.seats.push(SeatFacts {
        checked_in: true,
        declared_no_conflict: false,
        vote: None,
        sheets: BTreeSet::new(),
        signature: None,
        ..done(6)
    });
    assert_eq!(
        unmet(&facts),
        [("not-declared", vec![6]), ("sheets-missing", vec![6])]
    );
}

#[test]
fn a_committee_the_statute_forbids_cannot_move_past_check_in() {
    let mut facts = session(Phase::CheckIn);
    facts.non_expert_members = 2;
    let missing = check_move(&facts, Phase::Recusal).unwrap();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].code, "committee-composition");
    assert_eq!(
        missing[0].detail,
        "experts must be at least two thirds of the committee; 3 of 5 are"
    );
}

#[test]
fn an_unmet_precondition_serialises_with_its_seats_and_without_an_empty_list() {
    let mut facts = session(Phase::Evaluation);
    *seat_mut(&mut facts, 2) = void(2);
    seat_mut(&mut facts, 4).sheets.clear();
    let missing = check_move(&facts, Phase::Summary).unwrap();
    let json = serde_json::to_value(&missing).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"code": "seats-vacant",
             "detail": "4 of 5 seats are held by confirmed members; vacated seats wait for their replacements"},
            {"code": "sheets-missing",
             "detail": "every member must submit a score sheet for every bidder",
             "seats": [4]},
        ])
    );
}

// ---------------------------------------------------------------------------------------------
// The committee

#[test]
fn a_committee_has_at_least_five_members_and_an_odd_number() {
    for size in [0, 1, 3, 4] {
        let problem = committee_composition(size, 0).unwrap_err();
        assert_eq!(
            problem,
            format!("a committee has at least 5 members; this one has {size}")
        );
    }
    for size in [6, 8, 10] {
        let problem = committee_composition(size, 0).unwrap_err();
        assert_eq!(
            problem,
            format!("a committee has an odd number of members; this one has {size}")
        );
    }
    for size in [5, 7, 9, 11, 21] {
        assert_eq!(committee_composition(size, 0), Ok(()));
    }
}

#[test]
fn experts_must_be_at_least_two_thirds_of_the_committee() {
    // (size, non-experts, accepted)
    for (size, others, accepted) in [
        (5, 1, true),  // 4 of 5
        (5, 2, false), // 3 of 5
        (7, 2, true),  // 5 of 7
        (7, 3, false), // 4 of 7
        (9, 3, true),  // 6 of 9: exactly two thirds
        (9, 4, false), // 5 of 9
        (5, 5, false),
        (5, 9, false), // more others than seats is no committee at all
    ] {
        assert_eq!(
            committee_composition(size, others).is_ok(),
            accepted,
            "{others} non-experts of {size}"
        );
    }
    assert_eq!(
        committee_composition(7, 3).unwrap_err(),
        "experts must be at least two thirds of the committee; 4 of 7 are"
    );
}

fn ballots(votes: &[(u32, Option<u32>)]) -> Vec<SeatFacts> {
    votes
        .iter()
        .map(|(seat, vote)| SeatFacts {
            vote: *vote,
            ..done(*seat)
        })
        .collect()
}

#[test]
fn a_chair_needs_a_strict_majority_of_the_active_committee() {
    let three_of_five = ballots(&[
        (1, Some(2)),
        (2, Some(2)),
        (3, Some(2)),
        (4, Some(1)),
        (5, None),
    ]);
    assert_eq!(elect_chair(&three_of_five), (Some(2), 4));

    let plurality = ballots(&[
        (1, Some(2)),
        (2, Some(2)),
        (3, Some(1)),
        (4, Some(3)),
        (5, Some(4)),
    ]);
    assert_eq!(elect_chair(&plurality), (None, 5));

    // Two of two votes cast is unanimity among voters but not a majority of the committee.
    let early = ballots(&[(1, Some(3)), (2, Some(3)), (3, None), (4, None), (5, None)]);
    assert_eq!(elect_chair(&early), (None, 2));

    let four_of_seven = ballots(&[
        (1, Some(7)),
        (2, Some(7)),
        (3, Some(7)),
        (4, Some(7)),
        (5, Some(1)),
        (6, Some(1)),
        (7, Some(1)),
    ]);
    assert_eq!(elect_chair(&four_of_seven), (Some(7), 7));
    let three_of_seven = ballots(&[(1, Some(7)), (2, Some(7)), (3, Some(7))]);
    let mut committee = three_of_seven;
    committee.extend(ballots(&[(4, None), (5, None), (6, None), (7, None)]));
    assert_eq!(elect_chair(&committee), (None, 3));
}

#[test]
fn a_replaced_members_vote_does_not_count() {
    // Seats 6 and 7 were replaced; had their votes counted, Expert 2 would have 4 of 5.
    let mut seats = ballots(&[(1, Some(2)), (2, Some(2)), (3, None), (4, None), (5, None)]);
    seats.push(SeatFacts {
        vote: Some(2),
        ..void(6)
    });
    seats.push(SeatFacts {
        vote: Some(2),
        ..void(7)
    });
    assert_eq!(elect_chair(&seats), (None, 2));
}

#[test]
fn votes_for_a_replaced_member_do_not_count() {
    let mut seats = ballots(&[
        (1, Some(6)),
        (2, Some(6)),
        (3, Some(6)),
        (4, Some(1)),
        (5, None),
    ]);
    seats.push(void(6));
    assert_eq!(elect_chair(&seats), (None, 1));
}

// ---------------------------------------------------------------------------------------------
// Score sheets

fn criteria() -> Vec<Criterion> {
    [("technical", 60), ("price", 30), ("service", 10)]
        .into_iter()
        .map(|(name, max_points)| Criterion {
            name: name.into(),
            max_points,
        })
        .collect()
}

/// Scores as a request carries them: parsed from JSON text.
fn scores(json: &str) -> BTreeMap<String, serde_json::Number> {
    serde_json::from_str(json).expect("the test's scores are JSON")
}

fn sheet(bidder: &str, json: &str) -> Result<ScoreSheet, (String, String)> {
    validate_sheet(
        &comprehensive(&bidders(), &criteria()),
        bidder,
        &scores(json),
        None,
        None,
    )
}

/// The field a refused sheet names.
fn refused(json: &str) -> (String, String) {
    sheet("Bidder A", json).expect_err("the sheet is refused")
}

#[test]
fn a_sheet_becomes_hundredths_per_criterion_and_their_total() {
    let sheet = sheet(
        "Bidder A",
        r#"{"technical": 52.5, "price": 28.75, "service": 9}"#,
    )
    .unwrap();
    assert_eq!(sheet.bidder, "Bidder A");
    assert_eq!(
        sheet.scores_centi,
        BTreeMap::from([
            ("price".to_owned(), 2875),
            ("service".to_owned(), 900),
            ("technical".to_owned(), 5250),
        ])
    );
    assert_eq!(sheet.total_centi, 9025);
    assert_eq!(sheet.comment, None);
}

#[test]
fn decimals_are_read_from_their_text_so_0_29_is_exactly_29_hundredths() {
    // 0.29 × 100 is 28.999999999999996 in binary floating point.
    for (text, centi) in [
        ("0.29", 29),
        ("0.1", 10),
        ("0.01", 1),
        ("1.5", 150),
        ("59.99", 5999),
        ("8.2", 820),
        ("0.57", 57),
        ("0", 0),
        ("60", 6000),
        ("60.0", 6000),
    ] {
        let sheet = sheet(
            "Bidder B",
            &format!(r#"{{"technical": {text}, "price": 0, "service": 0}}"#),
        )
        .unwrap();
        assert_eq!(sheet.scores_centi["technical"], centi, "{text}");
        assert_eq!(sheet.total_centi, centi, "{text}");
    }
}

#[test]
fn a_sheet_for_someone_who_does_not_bid_is_refused_naming_the_bidders() {
    let (field, problem) = sheet("Bidder C", r#"{"technical": 1, "price": 1, "service": 1}"#)
        .expect_err("not a bidder");
    assert_eq!(field, "bidder");
    assert_eq!(
        problem,
        "not a bidder of this session (one of: Bidder A, Bidder B)"
    );
}

#[test]
fn every_criterion_must_be_scored_and_no_other() {
    assert_eq!(
        refused(r#"{"technical": 50, "service": 5}"#),
        (
            "scores.price".into(),
            "every criterion must be scored".into()
        )
    );
    assert_eq!(
        refused(r#"{"technical": 50, "price": 20, "service": 5, "bonus": 3}"#),
        (
            "scores.bonus".into(),
            "not a criterion of this session".into()
        )
    );
    assert_eq!(refused("{}").0, "scores.technical");
}

#[test]
fn a_score_runs_from_zero_to_the_criterions_maximum() {
    assert!(
        sheet(
            "Bidder A",
            r#"{"technical": 60, "price": 30, "service": 10}"#
        )
        .is_ok()
    );
    assert!(sheet("Bidder A", r#"{"technical": 0, "price": 0, "service": 0}"#).is_ok());
    for (json, field) in [
        (
            r#"{"technical": 60.01, "price": 1, "service": 1}"#,
            "technical",
        ),
        (r#"{"technical": 1, "price": 31, "service": 1}"#, "price"),
        (r#"{"technical": 1, "price": 1, "service": -1}"#, "service"),
        (
            r#"{"technical": -0.01, "price": 1, "service": 1}"#,
            "technical",
        ),
    ] {
        let (got, problem) = refused(json);
        assert_eq!(got, format!("scores.{field}"), "{json}");
        assert!(problem.starts_with("must be from 0 to "), "{problem}");
    }
    assert_eq!(
        refused(r#"{"technical": 61, "price": 1, "service": 1}"#).1,
        "must be from 0 to 60"
    );
}

#[test]
fn a_score_has_at_most_two_decimals() {
    for text in ["12.345", "0.001", "1e-7", "9.999"] {
        let (field, problem) = refused(&format!(
            r#"{{"technical": {text}, "price": 1, "service": 1}}"#
        ));
        assert_eq!(field, "scores.technical", "{text}");
        assert_eq!(
            problem, "must be a number with at most two decimals",
            "{text}"
        );
    }
    // A whole number too large for hundredths is refused, not wrapped.
    assert_eq!(
        refused(r#"{"technical": 92233720368547758, "price": 1, "service": 1}"#).0,
        "scores.technical"
    );
}

#[test]
fn a_comment_is_trimmed_dropped_when_empty_and_checked_as_text() {
    let full = scores(r#"{"technical": 1, "price": 1, "service": 1}"#);
    let with = |comment: &str| {
        validate_sheet(
            &comprehensive(&bidders(), &criteria()),
            "Bidder A",
            &full,
            Some(comment),
            None,
        )
    };
    assert_eq!(
        with("  solid method statement \n")
            .unwrap()
            .comment
            .as_deref(),
        Some("solid method statement")
    );
    assert_eq!(with("   ").unwrap().comment, None);
    assert_eq!(with("bad\u{7}bell").unwrap_err().0, "comment");
    assert_eq!(
        with(&"长".repeat(MAX_TEXT_CHARS))
            .unwrap()
            .comment
            .map(|c| c.chars().count()),
        Some(MAX_TEXT_CHARS)
    );
    assert_eq!(
        with(&"长".repeat(MAX_TEXT_CHARS + 1)).unwrap_err(),
        (
            "comment".to_owned(),
            format!("must be at most {MAX_TEXT_CHARS} characters")
        )
    );
}

#[test]
fn text_is_counted_in_characters_and_may_hold_newlines_and_tabs() {
    assert_eq!(check_text("name", "技术标", 3), Ok(()));
    assert!(check_text("name", "技术标书", 3).is_err());
    assert_eq!(check_text("text", "line one\n\tline two", 100), Ok(()));
    assert_eq!(
        check_text("text", " \n ", 100),
        Err(("text".into(), "must not be empty".into()))
    );
    assert_eq!(
        check_text("text", "a\u{0}b", 100),
        Err((
            "text".into(),
            "must not contain U+0000 (a control character)".into()
        ))
    );
    assert_eq!(
        check_text("name", "Bidder\u{202E}A", 100),
        Err((
            "name".into(),
            "must not contain U+202E (a character that changes the direction of text)".into()
        ))
    );
    assert!(check_text("text", "a\rb", 100).is_err());
}

#[test]
fn a_validated_sheet_serialises_as_the_events_carry_it() {
    let sheet = validate_sheet(
        &comprehensive(&bidders(), &criteria()),
        "Bidder A",
        &scores(r#"{"technical": 50, "price": 25.5, "service": 8}"#),
        Some("ok"),
        None,
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&sheet).unwrap(),
        serde_json::json!({
            "bidder": "Bidder A",
            "scores_centi": {"price": 2550, "service": 800, "technical": 5000},
            "total_centi": 8350,
            "comment": "ok"
        })
    );
}

// ---------------------------------------------------------------------------------------------
// The summary

fn totals(bidder: &str, totals: &[(u32, i64)]) -> Vec<(u32, ScoreSheet)> {
    totals
        .iter()
        .map(|(seat, total)| {
            (
                *seat,
                ScoreSheet {
                    bidder: bidder.to_owned(),
                    scores_centi: BTreeMap::from([("technical".to_owned(), *total)]),
                    total_centi: *total,
                    comment: None,
                    evaluated_price_centi: None,
                },
            )
        })
        .collect()
}

fn flags(summary: &BidderSummary) -> Vec<(u32, bool)> {
    summary
        .sheets
        .iter()
        .map(|s| (s.seat, s.deviates))
        .collect()
}

#[test]
fn the_median_of_an_even_count_is_the_lower_middle_total() {
    let sheets = totals("Bidder A", &[(1, 4000), (2, 1000), (3, 3000), (4, 2000)]);
    let summary = summarise(&["Bidder A".to_owned()], &sheets, 20);
    assert_eq!(summary[0].median_total_centi, 2000);

    let sheets = totals("Bidder A", &[(1, 7000), (2, 9000), (3, 8000)]);
    let summary = summarise(&["Bidder A".to_owned()], &sheets, 20);
    assert_eq!(summary[0].median_total_centi, 8000);
}

#[test]
fn a_sheet_deviates_only_beyond_the_tolerance_and_not_at_it() {
    // Median 100.00; 20 % either side is 80.00 to 120.00 inclusive.
    let sheets = totals(
        "Bidder A",
        &[
            (1, 10_000),
            (2, 12_000),
            (3, 12_001),
            (4, 8_000),
            (5, 7_999),
            (6, 10_000),
            (7, 10_000),
        ],
    );
    let summary = summarise(&["Bidder A".to_owned()], &sheets, 20);
    assert_eq!(summary[0].median_total_centi, 10_000);
    assert_eq!(
        flags(&summary[0]),
        [
            (1, false),
            (2, false),
            (3, true),
            (4, false),
            (5, true),
            (6, false),
            (7, false)
        ]
    );
}

#[test]
fn with_a_zero_median_any_non_zero_total_deviates() {
    let sheets = totals("Bidder A", &[(1, 0), (2, 0), (3, 50), (4, 0), (5, 1)]);
    let summary = summarise(&["Bidder A".to_owned()], &sheets, 100);
    assert_eq!(summary[0].median_total_centi, 0);
    assert_eq!(
        flags(&summary[0]),
        [(1, false), (2, false), (3, true), (4, false), (5, true)]
    );
}

#[test]
fn the_summary_keeps_the_bidders_order_sorts_sheets_by_seat_and_never_mixes_bidders() {
    let mut sheets = totals("Bidder B", &[(5, 100), (1, 300), (3, 200)]);
    sheets.extend(totals("Bidder A", &[(2, 9_000), (4, 9_000)]));
    let summary = summarise(
        &[
            "Bidder B".to_owned(),
            "Bidder A".to_owned(),
            "Bidder Z".to_owned(),
        ],
        &sheets,
        20,
    );
    let bidder_order: Vec<&str> = summary.iter().map(|b| b.bidder.as_str()).collect();
    assert_eq!(bidder_order, ["Bidder B", "Bidder A", "Bidder Z"]);
    let seats: Vec<u32> = summary[0].sheets.iter().map(|s| s.seat).collect();
    assert_eq!(seats, [1, 3, 5]);
    assert_eq!(summary[0].median_total_centi, 200);
    assert_eq!(summary[1].median_total_centi, 9_000);
    assert_eq!(summary[1].sheets.len(), 2);
    // A bidder nobody scored has an empty summary with a zero median.
    assert_eq!(summary[2].median_total_centi, 0);
    assert!(summary[2].sheets.is_empty());
}

#[test]
fn a_summary_sheet_serialises_flat_with_its_seat_and_flag() {
    let sheets = totals("Bidder A", &[(2, 5000)]);
    let summary = summarise(&["Bidder A".to_owned()], &sheets, 20);
    assert_eq!(
        serde_json::to_value(&summary).unwrap(),
        serde_json::json!([{
            "bidder": "Bidder A",
            "median_total_centi": 5000,
            "sheets": [{
                "seat": 2,
                "bidder": "Bidder A",
                "scores_centi": {"technical": 5000},
                "total_centi": 5000,
                "deviates": false
            }]
        }])
    );
}

#[test]
fn the_report_digest_is_the_sha_256_of_its_canonical_bytes() {
    let bytes = br#"{"format":"sealdraw-session-report-v1"}"#;
    assert_eq!(
        report_digest(Suite::Intl2024, bytes),
        Suite::Intl2024.hash(bytes)
    );
}

#[test]
fn the_example_report_in_the_protocol_document_hashes_to_its_published_digest() {
    // docs/PROTOCOL.md §10.3, built the way the service builds a draft; the digest was
    // computed with Python's json.dumps(sort_keys=True) and hashlib.
    let tokens = [
        "0a2c6950b509f06c2116f9f397bbfd56cfd4bd2e125ac3871e34a5719a3515ac",
        "3df0ad03bd7d1d9cc9ecaba98bfb76b1b50ed9798f27aee2968d163c2db7370d",
        "69da0659b05be01ed440e33cac212f953a74410746f72819b82b1521398d083b",
        "7d1e32446cb094d805d647ebec806f9924d757ee4f79525661dcfc6236cef80d",
        "9fb12e65a49b20de65a5e20badad3e43246bd06dfd3059d264bb9a5c840d9d3e",
    ];
    let venues = [0, 1, 1, 2, 2];
    let seats: Vec<serde_json::Value> = (0..5)
        .map(|i| {
            serde_json::json!({"seat": i + 1, "label": format!("Expert {}", i + 1),
                "token": tokens[i], "venue": venues[i], "state": "active"})
        })
        .collect();
    let points: [[(i64, i64, i64); 2]; 5] = [
        [(5250, 2800, 900), (4500, 2650, 800)],
        [(5000, 2750, 850), (4400, 2700, 800)],
        [(5400, 2800, 900), (4050, 2600, 750)],
        [(5100, 2850, 900), (4600, 2600, 800)],
        [(3800, 2000, 600), (4300, 2700, 800)],
    ];
    let mut sheets = Vec::new();
    for (seat, row) in points.iter().enumerate() {
        for (bidder, (technical, price, service)) in BIDDERS.iter().zip(row) {
            let comment = (seat == 4 && *bidder == "Bidder A")
                .then(|| "the method statement has no safety plan".to_owned());
            sheets.push((
                seat as u32 + 1,
                ScoreSheet {
                    bidder: (*bidder).to_owned(),
                    scores_centi: BTreeMap::from([
                        ("technical".to_owned(), *technical),
                        ("price".to_owned(), *price),
                        ("service".to_owned(), *service),
                    ]),
                    total_centi: technical + price + service,
                    comment,
                    evaluated_price_centi: None,
                },
            ));
        }
    }
    let summary = summarise(&bidders(), &sheets, 20);
    assert_eq!(summary[0].median_total_centi, 8850);
    assert_eq!(
        flags(&summary[0]),
        [(1, false), (2, false), (3, false), (4, false), (5, true)]
    );
    let draft = serde_json::json!({
        "format": "sealdraw-session-report-v1",
        "session_id": "0190f1e2-7c3a-7000-8000-00000000a001",
        "draw_id": "0190f1d0-5b2e-7000-8000-0000000000d1",
        "mode": "cross_site",
        "venues": [{"venue": 0, "name": "武汉主场"}, {"venue": 1, "name": "宜昌副场"},
                   {"venue": 2, "name": "襄阳副场"}],
        "chair": 2,
        "bidders": BIDDERS,
        "criteria": criteria(),
        "deviation_percent": 20,
        "seats": seats,
        "summary": summary,
    });
    let bytes = crate::audit::entry::canonical_json(&draft).unwrap();
    assert_eq!(
        hex::encode(report_digest(Suite::Intl2024, &bytes)),
        "1270401a679f12edebcb7861ed65238ec0db8b8a16df537bac50ea1919e24d61"
    );
}

// ---------------------------------------------------------------------------------------------
// Seat assignment: the vectors come from the Python script in docs/PROTOCOL.md.

const VECTOR_SESSION: &str = "0190f1e2-7c3a-7000-8000-00000000a001";

fn vector_secret() -> Vec<u8> {
    (0u8..32).collect()
}

fn vector_contributions() -> Vec<Vec<u8>> {
    vec![vec![0xaa; 16], b"supervisor: 32 bytes of entropy!".to_vec()]
}

fn hex32(text: &str) -> [u8; 32] {
    hex::decode(text).unwrap().try_into().unwrap()
}

#[test]
fn the_commitment_and_the_seed_match_the_independent_vector() {
    assert_eq!(
        hex::encode(assignment_commitment(
            Suite::Intl2024,
            VECTOR_SESSION,
            &vector_secret()
        )),
        "98769d78724eca03cce30a97ef33848d746cc059dd5bcfdf57fb09677799f83e"
    );
    assert_eq!(
        hex::encode(assignment_seed(
            Suite::Intl2024,
            VECTOR_SESSION,
            &vector_secret(),
            &vector_contributions()
        )),
        "61b77bca993bbf827f1e83a196368bcaffea89b632a25dc758bc5b0b715e6815"
    );
    assert_eq!(
        hex::encode(assignment_seed(
            Suite::Intl2024,
            VECTOR_SESSION,
            &vector_secret(),
            &[]
        )),
        "b3501bfe4da7bc05ec07ce08f7bceb31744730f848538f844d5fd89074c89760"
    );
}

#[test]
fn the_placement_matches_the_independent_vector() {
    let seed = hex32("61b77bca993bbf827f1e83a196368bcaffea89b632a25dc758bc5b0b715e6815");
    assert_eq!(
        assign_venues(Suite::Intl2024, &seed, 5, &[2, 3, 2]),
        Some(vec![0, 1, 1, 2, 2])
    );
    assert_eq!(
        assign_venues(Suite::Intl2024, &seed, 7, &[1; 7]),
        Some(vec![0, 3, 2, 5, 6, 4, 1])
    );
    assert_eq!(
        assign_venues(Suite::Intl2024, &seed, 7, &[3, 2, 4]),
        Some(vec![2, 2, 0, 1, 1, 2, 0])
    );
    assert_eq!(
        assign_venues(Suite::Intl2024, &[0; 32], 5, &[2, 3, 2]),
        Some(vec![2, 1, 1, 0, 0])
    );
}

#[test]
fn the_seed_stream_matches_the_independent_vector() {
    let mut stream = SeedStream {
        suite: Suite::Intl2024,
        seed: [0; 32],
        counter: 0,
    };
    assert_eq!(stream.below(10), 8);
    assert_eq!(stream.counter, 1, "no rejection: one block per draw");
}

#[test]
fn the_commitment_binds_the_session_and_the_secret() {
    let secret = vector_secret();
    let commitment = assignment_commitment(Suite::Intl2024, VECTOR_SESSION, &secret);
    assert_ne!(
        assignment_commitment(Suite::Intl2024, "another-session", &secret),
        commitment
    );
    let mut other = secret.clone();
    other[31] ^= 1;
    assert_ne!(
        assignment_commitment(Suite::Intl2024, VECTOR_SESSION, &other),
        commitment
    );
    // The commitment is not the seed: a different tag separates them.
    assert_ne!(
        assignment_seed(Suite::Intl2024, VECTOR_SESSION, &secret, &[]),
        commitment
    );
}

#[test]
fn every_input_of_the_seed_changes_it_and_boundaries_between_contributions_count() {
    let secret = vector_secret();
    let seed = |session: &str, secret: &[u8], contributions: &[&str]| {
        let owned: Vec<Vec<u8>> = contributions
            .iter()
            .map(|c| c.as_bytes().to_vec())
            .collect();
        assignment_seed(Suite::Intl2024, session, secret, &owned)
    };
    let base = seed(VECTOR_SESSION, &secret, &["ab", "c"]);
    let variants = [
        seed(
            "0190f1e2-7c3a-7000-8000-00000000a002",
            &secret,
            &["ab", "c"],
        ),
        seed(VECTOR_SESSION, &[0; 32], &["ab", "c"]),
        seed(VECTOR_SESSION, &secret, &["a", "bc"]),
        seed(VECTOR_SESSION, &secret, &["c", "ab"]),
        seed(VECTOR_SESSION, &secret, &["abc"]),
        seed(VECTOR_SESSION, &secret, &["ab", "c", ""]),
        seed(VECTOR_SESSION, &secret, &[]),
    ];
    let mut seen: HashSet<[u8; 32]> = HashSet::from([base]);
    for variant in variants {
        assert!(seen.insert(variant), "two inputs gave one seed");
    }
    assert_eq!(seed(VECTOR_SESSION, &secret, &["ab", "c"]), base);
}

/// A fixed list of seeds, as unrelated to each other as SHA-256 makes them.
fn seeds(count: u32) -> impl Iterator<Item = [u8; 32]> {
    (0..count).map(|i| Suite::Intl2024.hash(format!("sealdraw test seed {i}").as_bytes()))
}

#[test]
fn the_placement_is_a_function_of_the_seed() {
    for seed in seeds(50) {
        assert_eq!(
            assign_venues(Suite::Intl2024, &seed, 7, &[3, 2, 4]),
            assign_venues(Suite::Intl2024, &seed, 7, &[3, 2, 4])
        );
    }
    let distinct: HashSet<Vec<u32>> = seeds(50)
        .filter_map(|seed| assign_venues(Suite::Intl2024, &seed, 7, &[3, 2, 4]))
        .collect();
    assert!(distinct.len() > 20, "only {} placements", distinct.len());
}

#[test]
fn the_placement_never_exceeds_a_venues_seats_and_fills_them_all_when_full() {
    for seed in seeds(500) {
        let placement = assign_venues(Suite::Intl2024, &seed, 7, &[4, 1, 0, 5]).unwrap();
        assert_eq!(placement.len(), 7);
        let mut count: HashMap<u32, u32> = HashMap::new();
        for venue in &placement {
            *count.entry(*venue).or_default() += 1;
        }
        assert!(count.get(&0).copied().unwrap_or(0) <= 4);
        assert!(count.get(&1).copied().unwrap_or(0) <= 1);
        assert_eq!(count.get(&2), None, "a venue without seats gets nobody");
        assert!(count.get(&3).copied().unwrap_or(0) <= 5);

        let mut full = assign_venues(Suite::Intl2024, &seed, 7, &[2, 3, 2]).unwrap();
        full.sort_unstable();
        assert_eq!(full, [0, 0, 1, 1, 1, 2, 2]);
    }
}

#[test]
fn a_placement_needs_as_many_seats_as_members() {
    assert_eq!(
        assign_venues(Suite::Intl2024, &[1; 32], 8, &[2, 3, 2]),
        None
    );
    assert_eq!(assign_venues(Suite::Intl2024, &[1; 32], 1, &[]), None);
    assert_eq!(
        assign_venues(Suite::Intl2024, &[1; 32], 0, &[]),
        Some(vec![])
    );
    assert_eq!(
        assign_venues(Suite::Intl2024, &[1; 32], 1, &[1]),
        Some(vec![0])
    );
}

#[test]
fn every_order_of_four_members_in_four_single_seats_is_reachable_and_about_equally_likely() {
    // 24 orders, 2,400 fixed seeds: 100 expected each. The statistic has 23 degrees of
    // freedom; 49.7 is its 0.1 % critical value. The seeds are fixed, so this cannot flake:
    // it fails only if the shuffle is biased or its inputs stop mattering.
    let mut counts: HashMap<Vec<u32>, u32> = HashMap::new();
    for seed in seeds(2_400) {
        *counts
            .entry(assign_venues(Suite::Intl2024, &seed, 4, &[1, 1, 1, 1]).unwrap())
            .or_default() += 1;
    }
    assert_eq!(counts.len(), 24, "every permutation occurs");
    let chi_square: f64 = counts
        .values()
        .map(|observed| (f64::from(*observed) - 100.0).powi(2) / 100.0)
        .sum();
    assert!(chi_square < 49.7, "chi-square {chi_square:.1}");
}

#[test]
fn every_seat_lands_in_a_venue_in_proportion_to_its_seats() {
    // Capacities 2, 3, 2 of 7, five members, 7,000 fixed seeds: per seat 2,000 / 3,000 / 2,000
    // expected. Two degrees of freedom; 13.8 is the 0.1 % critical value.
    let mut counts = [[0u32; 3]; 5];
    for seed in seeds(7_000) {
        for (seat, venue) in assign_venues(Suite::Intl2024, &seed, 5, &[2, 3, 2])
            .unwrap()
            .into_iter()
            .enumerate()
        {
            counts[seat][venue as usize] += 1;
        }
    }
    for (seat, observed) in counts.iter().enumerate() {
        let chi_square: f64 = observed
            .iter()
            .zip([2_000.0, 3_000.0, 2_000.0])
            .map(|(o, e): (&u32, f64)| (f64::from(*o) - e).powi(2) / e)
            .sum();
        assert!(chi_square < 13.8, "seat {seat}: {observed:?}");
    }
}

#[test]
fn the_seed_stream_stays_below_its_bound_and_one_is_always_zero() {
    let mut stream = SeedStream {
        suite: Suite::Intl2024,
        seed: [3; 32],
        counter: 0,
    };
    for _ in 0..100 {
        assert_eq!(stream.below(1), 0);
    }
    for bound in [2, 3, 7, 10, 1_000, u64::MAX] {
        for _ in 0..100 {
            assert!(stream.below(bound) < bound);
        }
    }
}

#[test]
fn in_order_placement_fills_the_main_venue_first() {
    assert_eq!(assign_in_order(5, &[2, 3, 2]), Some(vec![0, 0, 1, 1, 1]));
    assert_eq!(
        assign_in_order(7, &[2, 3, 2]),
        Some(vec![0, 0, 1, 1, 1, 2, 2])
    );
    assert_eq!(assign_in_order(3, &[0, 2, 5]), Some(vec![1, 1, 2]));
    assert_eq!(assign_in_order(8, &[2, 3, 2]), None);
    assert_eq!(assign_in_order(0, &[]), Some(vec![]));
}

// ---------------------------------------------------------------------------------------------
// Who sees an event

#[test]
fn each_role_sees_exactly_the_audiences_meant_for_it() {
    let host = SessionRole::Host;
    let operator = SessionRole::Operator(2);
    let supervisor = SessionRole::Supervisor;
    let three = SessionRole::Expert(3);
    let thirteen = SessionRole::Expert(13);
    let everyone = [host, operator, supervisor, three, thirteen];
    let sees = |role: &SessionRole, audience: &str| role.sees(&audience.parse().unwrap());

    for role in everyone {
        assert!(sees(&role, "all"), "{role:?}");
    }
    let staff: Vec<bool> = everyone.iter().map(|r| sees(r, "staff")).collect();
    assert_eq!(staff, [true, true, true, false, false]);
    let supervisors: Vec<bool> = everyone.iter().map(|r| sees(r, "supervisors")).collect();
    assert_eq!(supervisors, [false, false, true, false, false]);
    let seat: Vec<bool> = everyone.iter().map(|r| sees(r, "seat:3")).collect();
    assert_eq!(seat, [false, false, false, true, false]);
    let committee: Vec<bool> = everyone
        .iter()
        .map(|r| sees(r, "staff,seat:1,seat:3"))
        .collect();
    assert_eq!(committee, [true, true, true, true, false]);
}

#[test]
fn an_audience_is_matched_word_for_word() {
    let seat_three: Audience = "seat:3".parse().unwrap();
    // Seat numbers are compared as whole numbers, not prefixes or padded text.
    assert!(!SessionRole::Expert(30).sees(&seat_three));
    // Unknown, misspelt or padded words are no audience at all: such a stored event is corrupt
    // and reaches nobody rather than everybody.
    for audience in [
        "",
        "experts",
        "All",
        " all",
        "staff ",
        "seat:3 ",
        "operator:2",
        "seat:03",
        "seat:",
    ] {
        assert!(audience.parse::<Audience>().is_err(), "{audience:?}");
    }
}

#[test]
fn a_role_is_shown_by_label_never_by_name() {
    assert_eq!(SessionRole::Expert(3).label(), "Expert 3");
    assert_eq!(SessionRole::Operator(2).label(), "operator of venue 2");
    assert_eq!(SessionRole::Host.label(), "host");
    assert_eq!(SessionRole::Supervisor.label(), "supervisor");
    assert_eq!(SessionRole::Expert(3).seat(), Some(3));
    assert_eq!(SessionRole::Operator(2).seat(), None);
    assert_eq!(SessionRole::Operator(2).name(), RoleName::Operator);
    assert_eq!(SessionRole::Operator(2).name().as_str(), "operator");
}

#[test]
fn time_is_extended_when_more_than_a_third_of_the_members_ask_and_not_at_exactly_a_third() {
    // (members, the fewest declarations that extend)
    for (members, fewest) in [(5, 2), (6, 3), (7, 3), (9, 4), (3, 2)] {
        assert!(!extension_due(fewest - 1, members), "{members} members");
        assert!(extension_due(fewest, members), "{members} members");
    }
    assert!(!extension_due(0, 0), "no committee, no extension");
}

// ---------------------------------------------------------------------------------------------
// Rejected bids, the ranking and the candidates (实施条例 §51, §53)

#[test]
fn a_bid_is_rejected_by_more_than_half_of_the_active_members_and_a_tie_does_not_reject() {
    use RejectionState::*;
    // 5 members: 3 reject; 3 against can no longer be outvoted; 2 to 2 waits for the fifth.
    assert_eq!(rejection_outcome(3, 0, 5), Rejected);
    assert_eq!(rejection_outcome(2, 2, 5), Open);
    assert_eq!(rejection_outcome(2, 3, 5), NotRejected);
    assert_eq!(rejection_outcome(1, 0, 5), Open);
    // 4 active members (a vacancy pending): 2 to 2 is a tie, which does not reject.
    assert_eq!(rejection_outcome(2, 2, 4), NotRejected);
    assert_eq!(rejection_outcome(2, 1, 4), Open);
    assert_eq!(rejection_outcome(3, 1, 4), Rejected);
    assert_eq!(rejection_outcome(4, 3, 7), Rejected);
    assert_eq!(rejection_outcome(3, 4, 7), NotRejected);
}

#[test]
fn the_summary_waits_for_every_rejection_proposal_naming_who_has_not_voted() {
    let mut facts = session(Phase::Evaluation);
    facts.undecided_rejections = vec![UndecidedRejection {
        proposal: 2,
        voted: BTreeSet::from([1, 3]),
    }];
    let missing = check_move(&facts, Phase::Summary).unwrap();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0].code, "rejection-undecided");
    assert!(missing[0].detail.contains("proposal 2"));
    assert_eq!(missing[0].seats, vec![2, 4, 5]);
}

fn bid(bidder: &str, totals: &[i64], prices: &[i64]) -> BidderSummary {
    let sheets: Vec<(u32, ScoreSheet)> = totals
        .iter()
        .enumerate()
        .map(|(i, total)| {
            (
                i as u32 + 1,
                ScoreSheet {
                    bidder: bidder.to_owned(),
                    scores_centi: BTreeMap::from([("technical".to_owned(), *total)]),
                    total_centi: *total,
                    comment: None,
                    evaluated_price_centi: prices.get(i).copied(),
                },
            )
        })
        .collect();
    summarise(&[bidder.to_owned()], &sheets, 20).remove(0)
}

fn order(ranking: &[ranking::RankedBid]) -> Vec<(&str, bool)> {
    ranking
        .iter()
        .map(|r| (r.bidder.as_str(), r.tied_with_previous))
        .collect()
}

#[test]
fn comprehensive_scoring_ranks_by_median_total_then_by_the_sum_then_as_listed() {
    let summary = vec![
        bid("A", &[7000, 8000, 9000], &[]),
        bid("B", &[8500, 8600, 8700], &[]),
        // Median 8000 like A, higher sum: above A.
        bid("C", &[8000, 8000, 9500], &[]),
        // Exactly A's totals: tied, after A as listed.
        bid("D", &[9000, 7000, 8000], &[]),
        bid("E", &[1000, 1000, 1000], &[]),
    ];
    let ranking = rank_bids(EvaluationMethod::Comprehensive, &summary);
    assert_eq!(
        order(&ranking),
        [
            ("B", false),
            ("C", false),
            ("A", false),
            ("D", true),
            ("E", false)
        ]
    );
    assert_eq!(
        ranking.iter().map(|r| r.position).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert!(ranking.iter().all(|r| r.evaluated_price_centi.is_none()));
    let named = candidates(&ranking);
    assert_eq!(
        named
            .iter()
            .map(|c| (c.position, c.bidder.as_str()))
            .collect::<Vec<_>>(),
        [(1, "B"), (2, "C"), (3, "A")]
    );
    assert_eq!(candidates(&ranking[..2]).len(), 2);
}

#[test]
fn lowest_evaluated_price_ranks_by_median_price_then_by_total() {
    let summary = vec![
        bid("A", &[8000, 8000, 8000], &[1_000_000, 1_200_000, 990_000]),
        bid("B", &[7000, 7000, 7000], &[900_000, 900_000, 900_000]),
        // A's median price (1,000,000.00), a higher total: above A.
        bid("C", &[9000, 9000, 9000], &[1_000_000, 1_000_000, 1_000_000]),
        // C's price and totals: tied, after C as listed.
        bid("D", &[9000, 9000, 9000], &[1_000_000, 1_000_000, 1_000_000]),
    ];
    assert_eq!(summary[0].median_evaluated_price_centi, Some(1_000_000));
    let ranking = rank_bids(EvaluationMethod::LowestPrice, &summary);
    assert_eq!(
        order(&ranking),
        [("B", false), ("C", false), ("D", true), ("A", false)]
    );
    assert_eq!(ranking[0].evaluated_price_centi, Some(900_000));
}

#[test]
fn a_lowest_price_sheet_needs_its_evaluated_price_and_a_comprehensive_one_refuses_it() {
    let criteria = criteria();
    let bidders = bidders();
    let full = scores(r#"{"technical": 50, "price": 25, "service": 8}"#);
    let lowest = SheetRules {
        bidders: &bidders,
        criteria: &criteria,
        method: EvaluationMethod::LowestPrice,
    };
    let price = |text: &str| serde_json::from_str::<serde_json::Number>(text).unwrap();
    let sheet =
        validate_sheet(&lowest, "Bidder A", &full, None, Some(&price("1234567.89"))).unwrap();
    assert_eq!(sheet.evaluated_price_centi, Some(123_456_789));
    assert_eq!(
        serde_json::to_value(&sheet).unwrap()["evaluated_price_centi"],
        123_456_789
    );
    for (price, why) in [
        (None, "needs"),
        (Some(price("0")), "above 0"),
        (Some(price("1.234")), "two decimals"),
        (Some(price("-5")), "above 0"),
        (Some(price("1000000000000.01")), "at most"),
    ] {
        let (field, problem) =
            validate_sheet(&lowest, "Bidder A", &full, None, price.as_ref()).unwrap_err();
        assert_eq!(field, "evaluated_price");
        assert!(problem.contains(why), "{problem}");
    }
    let (field, _) = validate_sheet(
        &comprehensive(&bidders, &criteria),
        "Bidder A",
        &full,
        None,
        Some(&price("10")),
    )
    .unwrap_err();
    assert_eq!(field, "evaluated_price");
}
