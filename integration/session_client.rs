//! `sealdraw client` end to end: one member of a distributed committee takes part through the
//! real binary in script mode, a run per phase resuming with `--after`, while the host and the
//! other members use the library client; and a member whose seat is vacated is stopped. What the binary prints is parsed as the JSON lines it
//! promises; what it did is checked in the session as the host sees it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use sealdraw::session::protocol::Request;
use sealdraw::session::rules::Phase;

use crate::sessions::{Clients, Committee, Member, Mode, advance, all_agree, ok};

const WAIT: Duration = Duration::from_secs(20);

/// Where a run's commands come from.
enum Input<'a> {
    /// A file given with `--script`.
    Script(&'a str),
    /// Standard input, a pipe (so not a terminal: script mode too).
    Stdin(&'a str),
}

/// One run of `sealdraw client`: its exit, its standard output as JSON lines, its hints.
struct Run {
    success: bool,
    lines: Vec<Value>,
    stderr: String,
}

impl Run {
    fn of_type(&self, kind: &str) -> Vec<&Value> {
        self.lines.iter().filter(|l| l["type"] == kind).collect()
    }

    fn welcome(&self) -> &Value {
        let welcomes = self.of_type("welcome");
        assert_eq!(welcomes.len(), 1, "one welcome: {:?}", self.lines);
        assert!(
            self.lines[0]["type"] == "welcome",
            "the welcome comes first: {:?}",
            self.lines
        );
        welcomes[0]
    }

    fn replies(&self) -> Vec<&Value> {
        self.of_type("reply")
    }

    fn events(&self, kind: &str) -> Vec<&Value> {
        self.of_type("event")
            .into_iter()
            .filter(|e| e["kind"] == kind)
            .collect()
    }

    /// The newest event number printed, to resume after.
    fn last_seq(&self) -> Option<i64> {
        self.of_type("event")
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .max()
    }

    /// Every reply was a success; returns their results in order.
    fn all_ok(&self, expected: usize) -> Vec<&Value> {
        assert!(
            self.success,
            "the client failed: {:?}\n{}",
            self.lines, self.stderr
        );
        let replies = self.replies();
        assert_eq!(replies.len(), expected, "{:?}", self.lines);
        for reply in &replies {
            assert_eq!(reply["ok"], true, "refused: {reply}");
        }
        replies.iter().map(|r| &r["result"]).collect()
    }
}

/// The CLI member's side of the session: their bearer and join code, and where to resume.
struct CliMember {
    member: Member,
    after: i64,
    runs: usize,
    /// Every event printed over all runs, by number.
    seen: BTreeMap<i64, Value>,
}

impl CliMember {
    /// Runs `sealdraw client` once with `input`, resuming after the last event printed so
    /// far; `--strict` when asked.
    async fn run(&mut self, committee: &Committee, input: Input<'_>, strict: bool) -> Run {
        let app = &committee.fx.app;
        let ca = app.certs.ca();
        let server = app.address.clone();
        let after = self.after.to_string();
        let mut args: Vec<String> = [
            "client",
            "--server",
            &server,
            "--ca",
            ca.to_str().unwrap(),
            "--session",
            &committee.session_id,
            "--after",
            &after,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if strict {
            args.push("--strict".into());
        }
        self.runs += 1;
        let stdin = match input {
            Input::Script(text) => {
                let file: PathBuf = app.dir.path().join(format!("script-{}.txt", self.runs));
                std::fs::write(&file, text).unwrap();
                args.push("--script".into());
                args.push(file.to_str().unwrap().to_owned());
                None
            }
            Input::Stdin(text) => Some(text),
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_sealdraw"));
        command
            .args(&args)
            .env_clear()
            .env("SEALDRAW_TOKEN", &self.member.bearer)
            .current_dir(app.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().unwrap();
        let mut pipe = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            // A client that stops early (--strict) may not read it all.
            let _ = pipe.write_all(text.as_bytes()).await;
        }
        drop(pipe);
        let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("sealdraw client did not finish")
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let lines: Vec<Value> = stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}\n{stderr}"))
            })
            .collect();
        let run = Run {
            success: output.status.success(),
            lines,
            stderr,
        };
        // Events come once each, in order, and only after the point resumed from.
        let seqs: Vec<i64> = run
            .of_type("event")
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "in order, once: {seqs:?}"
        );
        assert!(seqs.iter().all(|s| *s > self.after), "{seqs:?}");
        for event in run.of_type("event") {
            let seq = event["seq"].as_i64().unwrap();
            assert!(self.seen.insert(seq, event.clone()).is_none());
        }
        if let Some(last) = run.last_seq() {
            self.after = last;
        }
        run
    }
}

/// The CLI member's seat as the host's view shows it.
async fn seat_view(committee: &Committee, seat: u64) -> Value {
    let view = committee.view(&committee.fx.center).await;
    view["seats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["seat"] == seat)
        .unwrap()
        .clone()
}

/// A join code of the same shape that is not this one.
fn wrong_code(code: &str) -> String {
    code.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_digit((d + 1) % 10, 10).unwrap(),
            None if c.is_ascii_alphabetic() => {
                if c == 'z' || c == 'Z' {
                    'a'
                } else {
                    char::from(c as u8 + 1)
                }
            }
            None => c,
        })
        .collect()
}

#[tokio::test]
async fn a_member_takes_part_through_sealdraw_client_from_check_in_to_signing() {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let mut cli = CliMember {
        member: committee.members[0].clone(),
        after: 0,
        runs: 0,
        seen: BTreeMap::new(),
    };
    let host = committee.connect(&committee.fx.center).await;
    let supervisor = committee.connect(&committee.fx.supervisor).await;
    let mut experts = BTreeMap::new();
    for member in &committee.members[1..] {
        let client = committee.connect(&member.bearer).await;
        experts.insert(client.seat.unwrap(), (client, member.clone()));
    }
    let mut others = Clients {
        host,
        supervisor,
        experts,
    };
    advance(&mut others.host, Phase::CheckIn).await;

    // --strict stops at a refused request: a wrong join code, and the right one on the next
    // line is never sent. (Commands come from a pipe here, which is script mode too.)
    let code = cli.member.join_code.clone();
    let wrong = wrong_code(&code);
    assert_ne!(wrong, code);
    let run = cli
        .run(
            &committee,
            Input::Stdin(&format!("check-in {wrong}\ncheck-in {code}\n")),
            true,
        )
        .await;
    assert!(!run.success, "{:?}", run.lines);
    let welcome = run.welcome();
    assert_eq!(welcome["role"], "expert");
    assert_eq!(welcome["phase"], "check_in");
    assert_eq!(welcome["session_id"], committee.session_id.as_str());
    let seat = welcome["seat"].as_u64().unwrap();
    assert!(!others.experts.contains_key(&(seat as u32)));
    let replies = run.replies();
    assert_eq!(replies.len(), 1, "{:?}", run.lines);
    assert_eq!(replies[0]["ok"], false);
    let refusal = &replies[0]["error"];
    assert!(
        run.stderr.contains("stopped (--strict)")
            && run.stderr.contains(refusal["code"].as_str().unwrap()),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&code), "{}", run.stderr);
    assert_eq!(seat_view(&committee, seat).await["checked_in"], false);

    // …and at a line that is not a command, before sending anything.
    let run = cli
        .run(
            &committee,
            Input::Script(&format!("# a typo\ncheck-inn {code}\ncheck-in {code}\n")),
            true,
        )
        .await;
    assert!(!run.success);
    let errors = run.of_type("client_error");
    assert_eq!(errors.len(), 1, "{:?}", run.lines);
    assert_eq!(errors[0]["code"], "invalid-command");
    assert_eq!(errors[0]["line"], 2);
    assert!(run.replies().is_empty(), "{:?}", run.lines);
    assert!(
        run.stderr.contains("stopped (--strict)") && run.stderr.contains("line 2"),
        "{}",
        run.stderr
    );
    assert_eq!(seat_view(&committee, seat).await["checked_in"], false);

    // Check-in with the right code.
    let run = cli
        .run(
            &committee,
            Input::Script(&format!("# my seat\ncheck-in {code}\n")),
            true,
        )
        .await;
    run.all_ok(1);
    assert_eq!(seat_view(&committee, seat).await["checked_in"], true);
    others.check_in_all().await;
    advance(&mut others.host, Phase::Recusal).await;

    // Recusal: the run replays the move it missed, then declares.
    let run = cli
        .run(&committee, Input::Script("declare no-conflict\n"), true)
        .await;
    assert_eq!(run.welcome()["phase"], "recusal");
    run.all_ok(1);
    assert!(
        run.events("phase_changed")
            .iter()
            .any(|e| e["data"]["to"] == "recusal"),
        "{:?}",
        run.lines
    );
    assert_eq!(seat_view(&committee, seat).await["declared"], true);
    others.declare_all().await;
    advance(&mut others.host, Phase::ChairElection).await;

    // The chair election: the CLI member votes for their own seat, and so do the others.
    let run = cli
        .run(&committee, Input::Script(&format!("vote {seat}\n")), true)
        .await;
    run.all_ok(1);
    others.elect(seat as u32).await;
    let elected = others
        .host
        .wait_for("chair_elected", |_| true, WAIT)
        .await
        .unwrap();
    assert_eq!(elected.data["seat"], seat);
    advance(&mut others.host, Phase::Evaluation).await;

    // The evaluation: both bidders scored with the shorthand (names with spaces quoted).
    let run = cli
        .run(
            &committee,
            Input::Script(
                "score \"Bidder A\" technical=50.5 price=30 -- thorough method statement\n\
                 score \"Bidder B\" technical=45 price=35.25\n",
            ),
            true,
        )
        .await;
    let results = run.all_ok(2);
    assert_eq!(results[0]["bidder"], "Bidder A");
    assert_eq!(results[0]["total_centi"], 8050);
    assert_eq!(results[1]["bidder"], "Bidder B");
    assert_eq!(results[1]["total_centi"], 8025);
    assert!(
        run.events("chair_elected")
            .iter()
            .any(|e| e["data"]["seat"] == seat),
        "{:?}",
        run.lines
    );
    for bidder in ["Bidder A", "Bidder B"] {
        others
            .host
            .wait_for(
                "sheet_submitted",
                |data| data["seat"] == seat && data["bidder"] == bidder,
                WAIT,
            )
            .await
            .unwrap();
    }
    others.score_all().await;
    advance(&mut others.host, Phase::Summary).await;
    advance(&mut others.host, Phase::Signing).await;
    let ready = others
        .host
        .wait_for("report_ready", |_| true, WAIT)
        .await
        .unwrap();
    let draft = ready.data["report_sha256"].as_str().unwrap().to_owned();

    // Signing: the run prints the draft it signs, as every member receives it.
    let run = cli
        .run(&committee, Input::Script(&format!("sign {draft}\n")), true)
        .await;
    assert_eq!(run.welcome()["phase"], "signing");
    run.all_ok(1);
    let printed = run.events("report_ready");
    assert_eq!(printed.len(), 1, "{:?}", run.lines);
    assert_eq!(printed[0]["data"]["report_sha256"], draft.as_str());
    assert!(
        run.events("phase_changed")
            .iter()
            .any(|e| e["data"]["to"] == "signing")
    );
    assert_eq!(seat_view(&committee, seat).await["signed"], "agree");

    // The others sign and the host closes: the report holds the CLI member's sheets and
    // signature.
    all_agree(others.experts.values_mut().map(|(c, _)| c), &draft).await;
    let closed = advance(&mut others.host, Phase::Closed).await;
    let response = committee
        .fx
        .app
        .get(
            &format!("/api/v1/sessions/{}/report", committee.session_id),
            Some(&committee.fx.center),
        )
        .await;
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["report_sha256"], closed["report_sha256"]);
    let mine = report["report"]["seats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["seat"] == seat)
        .unwrap()
        .clone();
    assert_eq!(mine["signature"], "agree", "{mine}");
    assert_eq!(report["report"]["chair"], seat);

    // A last run after the close, without --strict: its request is refused, the run goes on
    // to the end of its script and succeeds, having replayed the close first (the backlog
    // precedes every reply). Over all runs the member saw every phase move once.
    let run = cli
        .run(
            &committee,
            Input::Script(&format!("sign {draft}\nbogus line\n")),
            false,
        )
        .await;
    assert!(run.success, "{:?}\n{}", run.lines, run.stderr);
    assert_eq!(run.welcome()["phase"], "closed");
    let replies = run.replies();
    assert_eq!(replies.len(), 1, "{:?}", run.lines);
    assert_eq!(replies[0]["ok"], false);
    assert_eq!(replies[0]["error"]["code"], "wrong-phase");
    assert_eq!(run.of_type("client_error").len(), 1, "{:?}", run.lines);
    assert_eq!(run.events("closed").len(), 1, "{:?}", run.lines);
    assert_eq!(
        run.events("closed")[0]["data"]["report_sha256"],
        closed["report_sha256"]
    );
    let moves: Vec<&str> = cli
        .seen
        .values()
        .filter(|e| e["kind"] == "phase_changed")
        .map(|e| e["data"]["to"].as_str().unwrap())
        .collect();
    assert_eq!(
        moves,
        [
            "check_in",
            "recusal",
            "chair_election",
            "evaluation",
            "summary",
            "signing",
            "closed"
        ]
    );
}

#[tokio::test]
async fn a_member_whose_seat_is_vacated_is_told_and_the_client_stops_without_retrying() {
    use tokio::io::AsyncBufReadExt;
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let member = committee.members[0].clone();
    let mut host = committee.connect(&committee.fx.center).await;
    advance(&mut host, Phase::CheckIn).await;

    // The member follows the session with their input open (a pipe: nothing typed yet).
    let app = &committee.fx.app;
    let ca = app.certs.ca();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sealdraw"))
        .args(["client", "--server", &app.address, "--ca"])
        .arg(&ca)
        .args(["--session", &committee.session_id])
        .env_clear()
        .env("SEALDRAW_TOKEN", &member.bearer)
        .current_dir(app.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let input = child.stdin.take().unwrap();
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let welcome: Value = serde_json::from_str(&stdout.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(welcome["type"], "welcome");
    let seat = welcome["seat"].as_u64().unwrap() as u32;

    // The host records that the member withdrew.
    let replaced = ok(
        &mut host,
        Request::Replace {
            seat,
            reason: "withdrew".into(),
        },
    )
    .await;
    assert_eq!(replaced["vacated"], seat);

    // The client prints the vacancy and the server's reason, and stops at once: no retries.
    let started = std::time::Instant::now();
    let mut lines = Vec::new();
    while let Some(line) = tokio::time::timeout(WAIT, stdout.next_line())
        .await
        .expect("the client did not stop")
        .unwrap()
    {
        lines.push(serde_json::from_str::<Value>(&line).unwrap());
    }
    let output = tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    drop(input);
    assert!(!output.status.success());
    assert!(started.elapsed() < Duration::from_secs(5), "it retried");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("ended the session for this seat") && !stderr.contains("reconnecting"),
        "{stderr}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "seat_vacated" && l["data"]["seat"] == seat),
        "{lines:?}"
    );
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "error", "{lines:?}");
    assert_eq!(last["code"], "seat-vacated");

    // Running it again is refused at the ticket, with the server's reason.
    let output = Command::new(env!("CARGO_BIN_EXE_sealdraw"))
        .args(["client", "--server", &app.address, "--ca"])
        .arg(&ca)
        .args(["--session", &committee.session_id, "--script", "/dev/null"])
        .env_clear()
        .env("SEALDRAW_TOKEN", &member.bearer)
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("refused a ticket: 404"), "{stderr}");
}
