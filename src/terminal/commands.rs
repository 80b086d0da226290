//! The command language of `sealdraw client`: one line per command, either a raw protocol
//! request as a JSON object or a shorthand such as `score A technical=55.5 -- good`. Lines are
//! checked here, before anything is sent, because the server closes the connection of a client
//! that sends a malformed frame.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::draw::VacancyReason;
use crate::session::protocol::{self, PROTOCOL_VERSION, Request};
use crate::session::rules::Phase;

/// What one input line asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Command {
    /// A blank line or a `#` comment.
    Nothing,
    Help,
    Quit,
    Send(Outgoing),
}

/// A request ready to send: the frame's fields, with `v` always set and `id` when the user
/// chose one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outgoing {
    pub(crate) request: Request,
    pub id: Option<String>,
    frame: Map<String, Value>,
}

impl Outgoing {
    /// The frame's text with `id`, which is the user's own id when they gave one.
    pub(crate) fn frame(&self, id: &str) -> String {
        let mut frame = self.frame.clone();
        frame.insert("id".into(), id.into());
        Value::Object(frame).to_string()
    }

    /// Signs a `sign` request (agreement or dissent) with the member's key file or token key,
    /// over the decision as the server will check it; other requests, and a `sign` that
    /// already carries a signature, are left as they are. A token that fails to sign (removed,
    /// locked) fails the command, which is then not sent.
    pub(crate) fn sign_with(
        &mut self,
        key: &crate::crypto::member_token::MemberSigner,
        key_id: &str,
        session_id: &str,
        seat: Option<u32>,
    ) -> Result<(), CommandError> {
        let Request::Sign {
            report_sha256,
            agree,
            reasons,
            signature,
        } = &mut self.request
        else {
            return Ok(());
        };
        let Some(seat) = seat.filter(|_| signature.is_none()) else {
            return Ok(());
        };
        let statement = crate::session::protocol::signed_decision(
            session_id,
            seat,
            report_sha256,
            *agree,
            reasons.as_deref(),
        );
        let value = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            key.sign(&statement)
                .map_err(|e| CommandError(format!("could not sign: {e}")))?,
        );
        let member_signature = crate::session::protocol::MemberSignature {
            key_id: key_id.to_owned(),
            value,
        };
        self.frame.insert(
            "signature".into(),
            serde_json::json!({"key_id": member_signature.key_id, "value": member_signature.value}),
        );
        *signature = Some(member_signature);
        Ok(())
    }

    fn from_request(request: Request) -> Result<Self, CommandError> {
        let mut frame = request.to_wire();
        frame.insert("v".into(), PROTOCOL_VERSION.into());
        Ok(Self {
            request,
            id: None,
            frame,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct CommandError(pub String);

fn fail<T>(message: impl Into<String>) -> Result<T, CommandError> {
    Err(CommandError(message.into()))
}

pub(crate) const HELP: &str = "\
commands (one per line; replies and events are printed as JSON lines):
  check-in CODE                      check in at your seat with the session's join code
  declare no-conflict | conflict     declare a conflict of interest (a conflict recuses you)
  vote SEAT                          vote for a chair by seat number
  more-time                          declare the evaluation time insufficient (more than a
                                     third of the members extends it)
  score BIDDER name=value… [@price=yuan] [-- comment]
                                     submit a score sheet for a bidder; quote a name
                                     with spaces: score \"Bidder A\" price=30; @price is
                                     the evaluated price (lowest evaluated price only)
  reject BIDDER GROUND reasons…      propose rejecting a bid on a ground of 实施条例 §51
                                     (unsigned_unsealed, no_joint_agreement, not_qualified,
                                     multiple_bids, price_out_of_bounds, not_responsive,
                                     unlawful_conduct); it counts as your vote to reject
  reject-vote N yes|no               vote on rejection proposal N (yes: reject the bid)
  clarify BIDDER question…           ask a bidder for a clarification (a supervisor approves)
  approve N | refuse N               decide clarification request N (supervisors)
  warn text…                         post a warning everyone sees (supervisors)
  advance PHASE                      move the session to PHASE (host): check_in, recusal,
                                     chair_election, evaluation, summary, signing, closed
  replace SEAT recused|withdrew      record that a member recused or left (host)
  sign SHA256                        sign the report with this SHA-256
  dissent SHA256 reasons…            dissent from the report, with written reasons
  {\"type\": …}                        a raw protocol request; v and id are added if missing
  help                               this text
  quit                               leave once pending replies have arrived";

/// Parses one line.
pub(crate) fn parse(line: &str) -> Result<Command, CommandError> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Command::Nothing);
    }
    if line.starts_with('{') {
        return raw(line).map(Command::Send);
    }
    let (word, rest) = split_word(line);
    let request = match word {
        "help" => return only(rest, Command::Help),
        "quit" => return only(rest, Command::Quit),
        "check-in" => Request::CheckIn {
            join_code: one_argument(rest, "check-in CODE")?.into(),
        },
        "declare" => Request::Declare {
            conflict: match one_argument(rest, "declare no-conflict|conflict")? {
                "no-conflict" => false,
                "conflict" => true,
                other => return fail(format!("declare {other:?}: say no-conflict or conflict")),
            },
        },
        "more-time" => {
            only(rest, Command::Nothing)?;
            Request::DeclareTimeInsufficient {}
        }
        "vote" => Request::Vote {
            seat: number(one_argument(rest, "vote SEAT")?, "seat")?,
        },
        "score" => score(rest)?,
        "reject" => {
            const USAGE: &str = "usage: reject BIDDER GROUND reasons…";
            let (bidder, rest) = split_name(rest, USAGE)?;
            let (ground, reasons) = split_word(rest);
            if bidder.is_empty() || ground.is_empty() || reasons.is_empty() {
                return fail(USAGE);
            }
            Request::ProposeRejection {
                bidder: bidder.into(),
                ground: ground.into(),
                reasons: reasons.into(),
            }
        }
        "reject-vote" => {
            const USAGE: &str = "usage: reject-vote N yes|no";
            let (proposal, answer) = split_word(rest);
            let (answer, extra) = split_word(answer);
            if proposal.is_empty() || !extra.is_empty() {
                return fail(USAGE);
            }
            Request::VoteRejection {
                proposal: number(proposal, "proposal number")?,
                reject: match answer {
                    "yes" => true,
                    "no" => false,
                    _ => return fail(USAGE),
                },
            }
        }
        "clarify" => {
            const USAGE: &str = "usage: clarify BIDDER question…";
            let (bidder, question) = split_name(rest, USAGE)?;
            if bidder.is_empty() || question.is_empty() {
                return fail(USAGE);
            }
            Request::RequestClarification {
                bidder: bidder.into(),
                question: question.into(),
            }
        }
        "approve" | "refuse" => Request::DecideClarification {
            number: number(one_argument(rest, &format!("{word} N"))?, "request number")?,
            approve: word == "approve",
        },
        "warn" => {
            if rest.is_empty() {
                return fail("usage: warn text…");
            }
            Request::Warn { text: rest.into() }
        }
        "advance" => {
            let name = one_argument(rest, "advance PHASE")?;
            // Phases are written with underscores in the protocol; accept `chair-election` too.
            let Some(to) = Phase::parse(&name.replace('-', "_")) else {
                let names: Vec<&str> = Phase::ALL.iter().map(|p| p.as_str()).collect();
                return fail(format!(
                    "{name:?} is not a phase; phases are {}",
                    names.join(", ")
                ));
            };
            Request::Advance { to }
        }
        "replace" => {
            let (seat, reason) = split_word(rest);
            let (reason, extra) = split_word(reason);
            if seat.is_empty() || reason.is_empty() || !extra.is_empty() {
                return fail("usage: replace SEAT recused|withdrew");
            }
            if VacancyReason::recorded_by_staff(reason).is_none() {
                return fail(format!(
                    "{reason:?} is not a reason; say {}",
                    VacancyReason::staff_names(" or ")
                ));
            }
            Request::Replace {
                seat: number(seat, "seat")?,
                reason: reason.into(),
            }
        }
        "sign" => Request::Sign {
            report_sha256: digest(one_argument(rest, "sign SHA256")?)?,
            agree: true,
            reasons: None,
            signature: None,
        },
        "dissent" => {
            let (sha, reasons) = split_word(rest);
            if sha.is_empty() || reasons.is_empty() {
                return fail("usage: dissent SHA256 reasons… (a dissent needs written reasons)");
            }
            Request::Sign {
                report_sha256: digest(sha)?,
                agree: false,
                reasons: Some(reasons.into()),
                signature: None,
            }
        }
        other => {
            return fail(format!(
                "unknown command {other:?}; type help for the commands"
            ));
        }
    };
    Outgoing::from_request(request).map(Command::Send)
}

/// A raw request: checked as the server would check it, so a typo is reported here instead of
/// costing the connection.
fn raw(line: &str) -> Result<Outgoing, CommandError> {
    let mut frame = match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(frame)) => frame,
        Ok(_) => return fail("a raw request must be a JSON object"),
        Err(error) => return fail(format!("not JSON: {error}")),
    };
    frame.entry("v").or_insert_with(|| PROTOCOL_VERSION.into());
    let id = match frame.get("id") {
        None => None,
        Some(Value::String(id)) => Some(id.clone()),
        // parse_frame below names the problem.
        Some(_) => Some(String::new()),
    };
    let mut checked = frame.clone();
    checked
        .entry("id")
        .or_insert_with(|| Value::String("check".into()));
    let parsed = protocol::parse_frame(&Value::Object(checked).to_string())
        .map_err(|e| CommandError(format!("{}: {}", e.field, e.detail)))?;
    frame.remove("id");
    Ok(Outgoing {
        request: parsed.request,
        id,
        frame,
    })
}

/// `score BIDDER name=value [name=value…] [-- comment]`
fn score(rest: &str) -> Result<Request, CommandError> {
    const USAGE: &str = "usage: score BIDDER name=value [name=value…] [@price=yuan] [-- comment]";
    let (sheet, comment) = match split_comment(rest) {
        Some((_, "")) => return fail(format!("nothing after --; {USAGE}")),
        Some((sheet, comment)) => (sheet, Some(comment.to_owned())),
        None => (rest, None),
    };
    let (bidder, sheet) = split_name(sheet, USAGE)?;
    if bidder.is_empty() {
        return fail(USAGE);
    }
    let words = sheet.split_whitespace();
    let mut scores = BTreeMap::new();
    let mut evaluated_price = None;
    for word in words {
        let Some((name, value)) = word.split_once('=') else {
            return fail(format!("{word:?} is not name=value; {USAGE}"));
        };
        // `@price` cannot be a criterion's name: criteria are names, `@` marks the sheet's own
        // field (lowest-evaluated-price sessions).
        if name == "@price" {
            evaluated_price = Some(points(value).ok_or_else(|| {
                CommandError(format!("@price: {value:?} is not a price in yuan"))
            })?);
            continue;
        }
        if name.is_empty() {
            return fail(format!("{word:?} has no criterion name"));
        }
        let points = points(value)
            .ok_or_else(|| CommandError(format!("{name}: {value:?} is not a number of points")))?;
        if scores.insert(name.to_owned(), points).is_some() {
            return fail(format!("{name} is scored twice"));
        }
    }
    if scores.is_empty() {
        return fail(format!("no scores for bidder {bidder}; {USAGE}"));
    }
    Ok(Request::SubmitSheet {
        bidder: bidder.into(),
        scores,
        comment,
        evaluated_price,
    })
}

/// Plain decimal points (`30`, `55.5`); exponents and signs are refused, as no score has them.
fn points(text: &str) -> Option<serde_json::Number> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    text.parse().ok()
}

/// Splits at a standalone `--`: the text before it and the comment after it, as typed.
fn split_comment(text: &str) -> Option<(&str, &str)> {
    if let Some(comment) = text.strip_prefix("--")
        && (comment.is_empty() || comment.starts_with(char::is_whitespace))
    {
        return Some(("", comment.trim()));
    }
    let mut from = 0;
    while let Some(found) = text[from..].find("--") {
        let at = from + found;
        let after = &text[at + 2..];
        let before_blank = text[..at].ends_with(char::is_whitespace);
        if before_blank && (after.is_empty() || after.starts_with(char::is_whitespace)) {
            return Some((text[..at].trim_end(), after.trim()));
        }
        from = at + 2;
    }
    None
}

/// A name and the rest of the line: the first word, or the text between double quotes when
/// the name has spaces (bidders are named as in their tenders, `"Bidder A"`).
fn split_name<'a>(text: &'a str, usage: &str) -> Result<(&'a str, &'a str), CommandError> {
    let text = text.trim();
    let Some(quoted) = text.strip_prefix('"') else {
        return Ok(split_word(text));
    };
    let Some((name, rest)) = quoted.split_once('"') else {
        return fail(format!("a quoted name needs its closing \"; {usage}"));
    };
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return fail(format!("put a space after the quoted name; {usage}"));
    }
    Ok((name.trim(), rest.trim()))
}

/// The first word and the rest of the line, trimmed.
fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim();
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim()),
        None => (text, ""),
    }
}

fn one_argument<'a>(rest: &'a str, usage: &str) -> Result<&'a str, CommandError> {
    let (argument, extra) = split_word(rest);
    if argument.is_empty() || !extra.is_empty() {
        return fail(format!("usage: {usage}"));
    }
    Ok(argument)
}

fn only(rest: &str, command: Command) -> Result<Command, CommandError> {
    if rest.is_empty() {
        Ok(command)
    } else {
        fail(format!("{rest:?}: this command takes no argument"))
    }
}

fn number(text: &str, what: &str) -> Result<u32, CommandError> {
    match text.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => fail(format!("{what}: {text:?} is not a number from 1")),
    }
}

/// A report digest as the server writes it: 64 lowercase hex digits.
fn digest(text: &str) -> Result<String, CommandError> {
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(text.to_ascii_lowercase())
    } else {
        fail(format!(
            "{text:?} is not a SHA-256 (64 hex digits, as the report_ready event gives it)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(line: &str) -> Request {
        match parse(line).unwrap() {
            Command::Send(outgoing) => outgoing.request,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn error(line: &str) -> String {
        parse(line).unwrap_err().0
    }

    #[test]
    fn a_score_sheet_with_a_comment_parses() {
        let Request::SubmitSheet {
            bidder,
            scores,
            comment,
            ..
        } = request("score A technical=55.5 price=30 -- good")
        else {
            panic!("not a sheet");
        };
        assert_eq!(bidder, "A");
        assert_eq!(scores.len(), 2);
        assert_eq!(scores["technical"].as_f64(), Some(55.5));
        assert_eq!(scores["price"].as_u64(), Some(30));
        assert_eq!(comment.as_deref(), Some("good"));
    }

    #[test]
    fn a_bidder_named_with_spaces_is_quoted() {
        let Request::SubmitSheet {
            bidder,
            scores,
            comment,
            ..
        } = request(r#"score "Bidder A" technical=55.5 -- as "agreed""#)
        else {
            panic!("not a sheet");
        };
        assert_eq!(bidder, "Bidder A");
        assert_eq!(scores["technical"].as_f64(), Some(55.5));
        assert_eq!(comment.as_deref(), Some(r#"as "agreed""#));
        assert_eq!(
            request(r#"clarify  "武汉 建设集团"  工期？"#),
            Request::RequestClarification {
                bidder: "武汉 建设集团".into(),
                question: "工期？".into()
            }
        );
        assert!(error(r#"score "Bidder A technical=1"#).contains("closing"));
        assert!(error(r#"score "Bidder A"technical=1"#).contains("space after"));
        assert!(error(r#"score "" technical=1"#).contains("usage"));
        assert!(error(r#"clarify "Bidder B""#).contains("usage"));
    }

    #[test]
    fn a_comment_keeps_its_text_as_typed() {
        let Request::SubmitSheet { comment, .. } =
            request("score B price=1 --  fine --  but  late")
        else {
            panic!("not a sheet");
        };
        assert_eq!(comment.as_deref(), Some("fine --  but  late"));
        let Request::SubmitSheet {
            comment, scores, ..
        } = request("score B price=1")
        else {
            panic!("not a sheet");
        };
        assert_eq!(comment, None);
        assert_eq!(scores["price"].as_u64(), Some(1));
    }

    #[test]
    fn bad_score_sheets_say_what_is_wrong() {
        assert!(error("score").contains("usage"));
        assert!(error("score A").contains("no scores"));
        assert!(error("score A price").contains("not name=value"));
        assert!(error("score A =3").contains("no criterion"));
        assert!(error("score A price=abc").contains("not a number"));
        assert!(error("score A price=1e3").contains("not a number"));
        assert!(error("score A price=-3").contains("not a number"));
        assert!(error("score A price=3.").contains("not a number"));
        assert!(error("score A price=1 price=2").contains("twice"));
        assert!(error("score A price=1 --").contains("nothing after --"));
        assert!(error("score -- comment only").contains("usage"));
    }

    #[test]
    fn shorthands_become_their_requests() {
        assert_eq!(
            request("check-in 493-112"),
            Request::CheckIn {
                join_code: "493-112".into()
            }
        );
        assert_eq!(
            request("declare no-conflict"),
            Request::Declare { conflict: false }
        );
        assert_eq!(
            request("declare conflict"),
            Request::Declare { conflict: true }
        );
        assert_eq!(request("vote 3"), Request::Vote { seat: 3 });
        assert_eq!(
            request("clarify B  Is the warranty  five years?"),
            Request::RequestClarification {
                bidder: "B".into(),
                question: "Is the warranty  five years?".into()
            }
        );
        assert_eq!(
            request("approve 2"),
            Request::DecideClarification {
                number: 2,
                approve: true
            }
        );
        assert_eq!(
            request("refuse 2"),
            Request::DecideClarification {
                number: 2,
                approve: false
            }
        );
        assert_eq!(
            request("warn phones away"),
            Request::Warn {
                text: "phones away".into()
            }
        );
        assert_eq!(
            request("advance chair-election"),
            Request::Advance {
                to: Phase::ChairElection
            }
        );
        assert_eq!(
            request("replace 4 withdrew"),
            Request::Replace {
                seat: 4,
                reason: "withdrew".into()
            }
        );
        let sha = "AB".repeat(32);
        assert_eq!(
            request(&format!("sign {sha}")),
            Request::Sign {
                report_sha256: "ab".repeat(32),
                agree: true,
                reasons: None,
                signature: None,
            }
        );
        assert_eq!(
            request(&format!(
                "dissent {sha} the price scores ignore the tender's rule 4"
            )),
            Request::Sign {
                report_sha256: "ab".repeat(32),
                agree: false,
                reasons: Some("the price scores ignore the tender's rule 4".into()),
                signature: None,
            }
        );
    }

    #[test]
    fn bad_shorthands_are_refused_before_sending() {
        assert!(error("dance").contains("unknown command"));
        assert!(error("vote").contains("usage"));
        assert!(error("vote 0").contains("not a number"));
        assert!(error("vote two").contains("not a number"));
        assert!(error("vote 1 2").contains("usage"));
        assert!(error("declare maybe").contains("no-conflict or conflict"));
        assert!(error("advance lunch").contains("not a phase"));
        assert!(error("replace 2 bored").contains("recused or withdrew"));
        assert!(error("replace 2").contains("usage"));
        assert!(error("sign abc").contains("SHA-256"));
        assert!(error(&format!("dissent {}", "a".repeat(64))).contains("reasons"));
        assert!(error("clarify B").contains("usage"));
        assert!(error("warn").contains("usage"));
        assert!(error("quit now").contains("no argument"));
    }

    #[test]
    fn lines_without_a_request() {
        assert_eq!(parse("").unwrap(), Command::Nothing);
        assert_eq!(parse("   # a comment").unwrap(), Command::Nothing);
        assert_eq!(parse("help").unwrap(), Command::Help);
        assert_eq!(parse(" quit ").unwrap(), Command::Quit);
    }

    #[test]
    fn more_time_declares_the_time_insufficient_and_takes_no_argument() {
        let Command::Send(outgoing) = parse("more-time").unwrap() else {
            panic!("not a request");
        };
        assert_eq!(outgoing.request, Request::DeclareTimeInsufficient {});
        let frame: Value = serde_json::from_str(&outgoing.frame("c-1")).unwrap();
        assert_eq!(frame["type"], "declare_time_insufficient");
        assert!(error("more-time please").contains("no argument"));
    }

    #[test]
    fn rejections_are_proposed_and_voted_on_and_a_sheet_may_carry_its_evaluated_price() {
        assert_eq!(
            request(r#"reject "Bidder C" price_out_of_bounds 报价低于成本 且不能说明"#),
            Request::ProposeRejection {
                bidder: "Bidder C".into(),
                ground: "price_out_of_bounds".into(),
                reasons: "报价低于成本 且不能说明".into(),
            }
        );
        assert_eq!(
            request("reject-vote 2 no"),
            Request::VoteRejection {
                proposal: 2,
                reject: false
            }
        );
        assert!(error("reject C not_qualified").contains("usage"));
        assert!(error("reject-vote 2 maybe").contains("usage"));
        let Request::SubmitSheet {
            evaluated_price,
            scores,
            ..
        } = request("score A technical=50 @price=1234567.89")
        else {
            panic!("not a sheet")
        };
        assert_eq!(evaluated_price.unwrap().to_string(), "1234567.89");
        assert_eq!(scores.len(), 1, "@price is not a criterion");
        assert!(error("score A technical=50 @price=-3").contains("@price"));
    }

    #[test]
    fn a_raw_request_gets_a_version_and_keeps_its_own_id() {
        let Command::Send(outgoing) = parse(r#"{"type":"vote","seat":2}"#).unwrap() else {
            panic!("not a request");
        };
        assert_eq!(outgoing.request, Request::Vote { seat: 2 });
        assert_eq!(outgoing.id, None);
        let frame: Value = serde_json::from_str(&outgoing.frame("c-1")).unwrap();
        assert_eq!(
            frame,
            serde_json::json!({"v": 1, "id": "c-1", "type": "vote", "seat": 2})
        );

        let Command::Send(outgoing) =
            parse(r#"{"v":1,"id":"mine-7","type":"warn","text":"x"}"#).unwrap()
        else {
            panic!("not a request");
        };
        assert_eq!(outgoing.id.as_deref(), Some("mine-7"));
        let frame: Value = serde_json::from_str(&outgoing.frame("mine-7")).unwrap();
        assert_eq!(frame["id"], "mine-7");
    }

    #[test]
    fn a_bad_raw_request_is_refused_before_sending() {
        assert!(error("{nope").contains("not JSON"));
        assert!(error(r#"{"type":"dance"}"#).starts_with("type"));
        assert!(error(r#"{"v":2,"type":"vote","seat":1}"#).starts_with("v"));
        assert!(error(r#"{"id":"a b","type":"vote","seat":1}"#).starts_with("id"));
        assert!(error(r#"{"id":7,"type":"vote","seat":1}"#).starts_with("id"));
        // parse_frame names "type" for a bad field inside a request (serde buffers a tagged
        // enum before reading its fields), so the detail is what tells.
        assert!(error(r#"{"type":"vote","seat":"x"}"#).contains("invalid type"));
    }

    #[test]
    fn a_shorthand_frame_is_what_the_server_parses() {
        let Command::Send(outgoing) = parse("score A technical=55.5 price=30 -- good").unwrap()
        else {
            panic!("not a request");
        };
        let frame = protocol::parse_frame(&outgoing.frame("c-9")).unwrap();
        assert_eq!(frame.id, "c-9");
        assert_eq!(frame.request, outgoing.request);
    }
}
