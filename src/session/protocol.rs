//! The websocket protocol, version 1 (docs/PROTOCOL.md): JSON text frames. A client sends
//! requests `{"v": 1, "id": "<its own id>", "type": "…", …}`; the server answers each with a
//! `reply` carrying the same id, and sends numbered `event`s that every client of the session
//! entitled to them receives in order.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::rules::Phase;
use super::states::{ClarificationState, RejectionState, SignatureKind};

pub(crate) const PROTOCOL_VERSION: u32 = 1;
/// A client request id: 1 to 64 of `A–Z a–z 0–9 - _ . :`. Retrying with the same id is safe.
pub(crate) const MAX_REQUEST_ID_LEN: usize = 64;

/// What a client may ask, by `type`.
/// On the wire a request is one object whose `type` names the variant (`{"type": "vote",
/// "seat": 3}`); in code it is externally tagged (`{"vote": {"seat": 3}}`), so that a refused
/// field is reported by its name, which serde loses for internally tagged enums.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// An expert checks in at their seat with the session join code from their invitation.
    CheckIn { join_code: JoinCode },
    /// An expert declares whether they have a conflict of interest. A conflict recuses them:
    /// the seat goes to the next reserve.
    Declare { conflict: bool },
    /// An expert votes for a chair (by seat number).
    Vote { seat: u32 },
    /// An expert's score sheet for one bidder (points per criterion, at most two decimals).
    SubmitSheet {
        bidder: String,
        scores: BTreeMap<String, serde_json::Number>,
        #[serde(default)]
        comment: Option<String>,
        /// Lowest evaluated price sessions only: the bid's evaluated price in yuan (at most two
        /// decimals). Left out of the request's wire form when absent, so that earlier
        /// requests keep their digest (docs/PROTOCOL.md §6).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        evaluated_price: Option<serde_json::Number>,
    },
    /// An expert proposes rejecting a bid (实施条例 §51) on one of the statute's grounds, with
    /// written reasons; the proposal counts as the proposer's vote to reject.
    ProposeRejection {
        bidder: String,
        ground: String,
        reasons: String,
    },
    /// An expert votes on an open rejection proposal: `reject` true to reject the bid.
    VoteRejection { proposal: u32, reject: bool },
    /// An expert asks for a bidder's clarification; it goes out once a supervisor approves.
    RequestClarification { bidder: String, question: String },
    /// A supervisor approves or refuses a clarification request.
    DecideClarification { number: u32, approve: bool },
    /// A supervisor's warning, shown to everyone in the session.
    Warn { text: String },
    /// The host moves the session to the next phase.
    Advance { to: Phase },
    /// The host records that a member recused or left; the seat goes to the next reserve.
    Replace { seat: u32, reason: String },
    /// An expert declares the evaluation time insufficient (实施条例 §48); more than a third of
    /// the members declaring extends it by `session.extension_minutes`.
    DeclareTimeInsufficient {},
    /// An expert signs the report (by its SHA-256), or dissents with written reasons;
    /// optionally (or, with `session.require_member_signatures`, necessarily) with their
    /// signature over [`signed_decision`] by an enrolled key.
    Sign {
        report_sha256: String,
        agree: bool,
        #[serde(default)]
        reasons: Option<String>,
        /// Left out of the request's wire form when absent, so that earlier requests keep
        /// their digest (docs/PROTOCOL.md §6).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<MemberSignature>,
    },
}

/// A member's signature of their decision (issue 19 §1): the id of a signing key enrolled
/// for their account and the ECDSA P-256 SHA-256 signature, base64 of `r ‖ s` (64 bytes, the
/// form WebCrypto produces), over the bytes of [`signed_decision`].
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MemberSignature {
    pub key_id: String,
    pub value: String,
}

/// What a member signs: the canonical JSON (RFC 8785, as the report and the audit log are
/// written) of `{"agree", "reasons", "report_sha256", "seat", "session"}`, `reasons` as the
/// server records them (trimmed; null for an agreement). Binding the session and the seat
/// keeps a signature from being replayed in another session or for another seat; the report's
/// digest binds everything the report says.
pub fn signed_decision(
    session_id: &str,
    seat: u32,
    report_sha256: &str,
    agree: bool,
    reasons: Option<&str>,
) -> Vec<u8> {
    let reasons = reasons.map(str::trim).filter(|r| !r.is_empty());
    let statement = serde_json::json!({
        "session": session_id,
        "seat": seat,
        "report_sha256": report_sha256,
        "agree": agree,
        "reasons": reasons,
    });
    // Strings, a boolean and an integer: canonical JSON refuses only floats and entries
    // larger than a tile, and the request's frame limit keeps a decision far below that.
    crate::audit::entry::canonical_json(&statement).unwrap_or_default()
}

impl Request {
    /// The request as a wire object: `type` and the variant's fields (no `v`, no `id`).
    pub(crate) fn to_wire(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut wire = serde_json::Map::new();
        wire.insert("type".into(), self.kind().into());
        if let Ok(serde_json::Value::Object(tagged)) = serde_json::to_value(self)
            && let Some(serde_json::Value::Object(fields)) =
                tagged.into_iter().next().map(|(_, v)| v)
        {
            wire.extend(fields);
        }
        wire
    }

    /// The name of the request's type on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Request::CheckIn { .. } => "check_in",
            Request::Declare { .. } => "declare",
            Request::Vote { .. } => "vote",
            Request::SubmitSheet { .. } => "submit_sheet",
            Request::ProposeRejection { .. } => "propose_rejection",
            Request::VoteRejection { .. } => "vote_rejection",
            Request::RequestClarification { .. } => "request_clarification",
            Request::DecideClarification { .. } => "decide_clarification",
            Request::Warn { .. } => "warn",
            Request::Advance { .. } => "advance",
            Request::Replace { .. } => "replace",
            Request::DeclareTimeInsufficient { .. } => "declare_time_insufficient",
            Request::Sign { .. } => "sign",
        }
    }
}

/// The one-time code an accepted expert presents at check-in: a secret, so it never prints
/// and its memory is wiped when dropped.
#[derive(Clone, PartialEq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct JoinCode(zeroize::Zeroizing<String>);

impl JoinCode {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for JoinCode {
    fn from(code: String) -> Self {
        Self(zeroize::Zeroizing::new(code))
    }
}

impl From<&str> for JoinCode {
    fn from(code: &str) -> Self {
        Self::from(code.to_owned())
    }
}

impl std::fmt::Debug for JoinCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JoinCode(<hidden>)")
    }
}

/// A parsed client frame.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClientFrame {
    pub id: String,
    pub(crate) request: Request,
}

/// Why a frame is refused, with the field at fault; the connection answers and is closed,
/// because a client that sends such frames is broken or hostile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrameError {
    pub field: String,
    pub detail: String,
}

/// Parses a text frame: a JSON object with `v` = 1, a request `id`, and a request by `type`.
pub(crate) fn parse_frame(text: &str) -> Result<ClientFrame, FrameError> {
    let fail = |field: &str, detail: String| FrameError {
        field: field.into(),
        detail,
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| fail("frame", format!("not JSON: {e}")))?;
    let serde_json::Value::Object(mut object) = value else {
        return Err(fail("frame", "must be a JSON object".into()));
    };
    match object.remove("v") {
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(u64::from(PROTOCOL_VERSION)) => {}
        Some(_) => {
            return Err(fail(
                "v",
                format!("this server speaks protocol version {PROTOCOL_VERSION}"),
            ));
        }
        None => return Err(fail("v", "missing (the protocol version, 1)".into())),
    }
    let id = match object.remove("id") {
        Some(serde_json::Value::String(id)) if valid_request_id(&id) => id,
        Some(_) => {
            return Err(fail(
                "id",
                format!("must be 1 to {MAX_REQUEST_ID_LEN} characters of A-Z a-z 0-9 - _ . :"),
            ));
        }
        None => {
            return Err(fail(
                "id",
                "missing (a request id of the client's choosing)".into(),
            ));
        }
    };
    let kind = match object.remove("type") {
        Some(serde_json::Value::String(kind)) => kind,
        Some(_) => return Err(fail("type", "must be a string naming the request".into())),
        None => return Err(fail("type", "missing (the request's type)".into())),
    };
    let tagged = serde_json::Value::Object(serde_json::Map::from_iter([(
        kind.clone(),
        serde_json::Value::Object(object),
    )]));
    let request: Request = serde_path_to_error::deserialize(tagged).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let field = match path.strip_prefix(&format!("{kind}.")) {
            Some(inner) => inner.to_owned(),
            // An unknown type, or an unknown or missing field of a known one.
            None if message.starts_with("unknown variant") => "type".to_owned(),
            None => message
                .split('`')
                .nth(1)
                .filter(|_| {
                    message.starts_with("unknown field") || message.starts_with("missing field")
                })
                .unwrap_or("type")
                .to_owned(),
        };
        fail(&field, message)
    })?;
    Ok(ClientFrame { id, request })
}

fn valid_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// What the server sends.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ServerFrame {
    /// First frame of every connection.
    Welcome {
        v: u32,
        session_id: String,
        /// host, operator, supervisor or expert.
        role: String,
        /// "Expert n" for an expert; never a name.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        seat: Option<u32>,
        phase: Phase,
        /// The newest event number of the session when this connection started; events after
        /// the client's `after` up to it are replayed first.
        last_seq: i64,
    },
    /// A numbered session event. `seq` grows by one per session event; a client sees the
    /// events meant for it, so its numbers can have gaps, never repeats.
    Event {
        v: u32,
        seq: i64,
        at: String,
        kind: String,
        data: serde_json::Value,
    },
    /// Sent once after the replay of missed events: everything up to `last_seq` that this
    /// connection may see has been sent; what follows is live.
    Synced { v: u32, last_seq: i64 },
    /// The answer to a request, by the request's id.
    Reply {
        v: u32,
        id: String,
        ok: bool,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        result: Option<serde_json::Value>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        error: Option<ReplyError>,
    },
    /// The server is closing this connection, and why (sent before the close frame).
    Error {
        v: u32,
        code: String,
        detail: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        field: Option<String>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReplyError {
    /// A stable code, e.g. `precondition-failed`, `wrong-phase`, `invalid-request`.
    pub code: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub field: Option<String>,
    /// For a refused phase move: every unmet precondition and the seats concerned.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub missing: Option<serde_json::Value>,
}

/// What an applied request answers: the `result` of its `reply`, by request (docs/PROTOCOL.md
/// §3.1). It is sent, and kept for retries, as the JSON object of the variant's fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub(crate) enum Outcome {
    /// `check_in`: the seat, and whether it had already checked in.
    CheckedIn {
        seat: u32,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        already_checked_in: bool,
    },
    /// `declare`: a conflict recuses the member and refills the seat.
    Declared {
        recused: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        replacement: Option<Vacancy>,
    },
    /// `vote`: the chair, once one is elected.
    Voted { chair: Option<u32> },
    /// `submit_sheet`: the sheet's total as validated.
    SheetRecorded { bidder: String, total_centi: i64 },
    /// `request_clarification` and `decide_clarification`.
    Clarification {
        number: u32,
        state: ClarificationState,
    },
    /// `warn`: nothing to say (`{}`).
    Warned {},
    /// `advance`: the move, with the report's digest into signing and closed.
    Advanced {
        from: Phase,
        to: Phase,
        #[serde(skip_serializing_if = "Option::is_none")]
        report_sha256: Option<String>,
    },
    /// `replace`.
    Replaced(Vacancy),
    /// `sign`.
    Signed { signature: SignatureKind },
    /// `propose_rejection` and `vote_rejection`: where the proposal stands after the act.
    Rejection {
        proposal: u32,
        bidder: String,
        state: RejectionState,
        votes_for: u32,
        votes_against: u32,
        members: u32,
    },
    /// `declare_time_insufficient`: the declarations toward the next extension, the members,
    /// and the extension this declaration made, if it made one.
    TimeDeclared {
        declared: u32,
        members: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        extended: Option<u32>,
        ends_at: String,
    },
}

/// A vacated seat and the seat its successor took: none while a linked draw fills it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Vacancy {
    pub(crate) vacated: u32,
    pub(crate) successor_seat: Option<u32>,
}

impl ServerFrame {
    pub(crate) fn to_text(&self) -> String {
        // Serialising these plain types cannot fail: no maps with non-string keys, no floats
        // other than the JSON numbers they were parsed from.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::session::EventKind;

    #[test]
    fn a_well_formed_frame_parses() {
        let frame = parse_frame(r#"{"v":1,"id":"r-1","type":"vote","seat":3}"#).unwrap();
        assert_eq!(frame.id, "r-1");
        assert_eq!(frame.request, Request::Vote { seat: 3 });
        let frame =
            parse_frame(r#"{"v":1,"id":"a","type":"advance","to":"chair_election"}"#).unwrap();
        assert_eq!(
            frame.request,
            Request::Advance {
                to: Phase::ChairElection
            }
        );
    }

    #[test]
    fn bad_frames_name_what_is_wrong() {
        let field = |text: &str| parse_frame(text).unwrap_err().field;
        assert_eq!(field("garbage"), "frame");
        assert_eq!(field("[1,2]"), "frame");
        assert_eq!(field(r#"{"id":"a","type":"vote","seat":1}"#), "v");
        assert_eq!(field(r#"{"v":2,"id":"a","type":"vote","seat":1}"#), "v");
        assert_eq!(field(r#"{"v":1,"type":"vote","seat":1}"#), "id");
        assert_eq!(field(r#"{"v":1,"id":"a b","type":"vote","seat":1}"#), "id");
        assert_eq!(
            field(r#"{"v":1,"id":"a","type":"vote","seat":"x"}"#),
            "seat"
        );
        assert_eq!(field(r#"{"v":1,"id":"a","type":"dance"}"#), "type");
        assert_eq!(field(r#"{"v":1,"id":"a","seat":1}"#), "type");
        assert_eq!(field(r#"{"v":1,"id":"a","type":"vote"}"#), "seat");
        assert_eq!(
            field(r#"{"v":1,"id":"a","type":"vote","seat":1,"extra":true}"#),
            "extra"
        );
        assert_eq!(
            field(r#"{"v":1,"id":"a","type":"submit_sheet","bidder":"A","scores":{"x":"high"}}"#),
            "scores.x"
        );
    }

    #[test]
    fn a_sheet_without_an_evaluated_price_keeps_its_wire_form() {
        // The retry digest (docs/PROTOCOL.md §6) of sheets sent before the field existed.
        let frame =
            parse_frame(r#"{"v":1,"id":"a","type":"submit_sheet","bidder":"A","scores":{"x":1}}"#)
                .unwrap();
        assert_eq!(
            serde_json::Value::Object(frame.request.to_wire()).to_string(),
            r#"{"bidder":"A","comment":null,"scores":{"x":1},"type":"submit_sheet"}"#
        );
        let priced = parse_frame(
            r#"{"v":1,"id":"a","type":"submit_sheet","bidder":"A","scores":{"x":1},"evaluated_price":12.5}"#,
        )
        .unwrap();
        assert_eq!(
            priced.request.to_wire()["evaluated_price"],
            serde_json::json!(12.5)
        );
    }

    #[test]
    fn a_request_goes_out_as_it_comes_in() {
        let request = Request::Sign {
            report_sha256: "ab".into(),
            agree: false,
            reasons: Some("because".into()),
            signature: None,
        };
        let mut wire = request.to_wire();
        assert_eq!(wire["type"], "sign");
        assert_eq!(wire["agree"], false);
        wire.insert("v".into(), 1.into());
        wire.insert("id".into(), "x".into());
        let text = serde_json::Value::Object(wire).to_string();
        assert_eq!(parse_frame(&text).unwrap().request, request);
    }

    #[test]
    fn each_reply_carries_the_result_the_protocol_documents() {
        let text = |outcome: Outcome| serde_json::to_value(outcome).unwrap().to_string();
        let vacancy = Vacancy {
            vacated: 3,
            successor_seat: Some(6),
        };
        let cases = [
            (
                Outcome::CheckedIn {
                    seat: 3,
                    already_checked_in: false,
                },
                r#"{"seat":3}"#,
            ),
            (
                Outcome::CheckedIn {
                    seat: 3,
                    already_checked_in: true,
                },
                r#"{"already_checked_in":true,"seat":3}"#,
            ),
            (
                Outcome::Declared {
                    recused: false,
                    replacement: None,
                },
                r#"{"recused":false}"#,
            ),
            (
                Outcome::Declared {
                    recused: true,
                    replacement: Some(vacancy.clone()),
                },
                r#"{"recused":true,"replacement":{"successor_seat":6,"vacated":3}}"#,
            ),
            (Outcome::Voted { chair: None }, r#"{"chair":null}"#),
            (Outcome::Voted { chair: Some(2) }, r#"{"chair":2}"#),
            (
                Outcome::SheetRecorded {
                    bidder: "Bidder A".into(),
                    total_centi: 8950,
                },
                r#"{"bidder":"Bidder A","total_centi":8950}"#,
            ),
            (
                Outcome::Clarification {
                    number: 1,
                    state: ClarificationState::Pending,
                },
                r#"{"number":1,"state":"pending"}"#,
            ),
            (Outcome::Warned {}, "{}"),
            (
                Outcome::Advanced {
                    from: Phase::Recusal,
                    to: Phase::ChairElection,
                    report_sha256: None,
                },
                r#"{"from":"recusal","to":"chair_election"}"#,
            ),
            (
                Outcome::Advanced {
                    from: Phase::Summary,
                    to: Phase::Signing,
                    report_sha256: Some("1270".into()),
                },
                r#"{"from":"summary","report_sha256":"1270","to":"signing"}"#,
            ),
            (
                Outcome::Replaced(Vacancy {
                    vacated: 3,
                    successor_seat: None,
                }),
                r#"{"successor_seat":null,"vacated":3}"#,
            ),
            (
                Outcome::Signed {
                    signature: SignatureKind::Dissent,
                },
                r#"{"signature":"dissent"}"#,
            ),
            (
                Outcome::Rejection {
                    proposal: 1,
                    bidder: "Bidder C".into(),
                    state: RejectionState::Open,
                    votes_for: 1,
                    votes_against: 0,
                    members: 5,
                },
                r#"{"bidder":"Bidder C","members":5,"proposal":1,"state":"open","votes_against":0,"votes_for":1}"#,
            ),
        ];
        for (outcome, expected) in cases {
            assert_eq!(text(outcome), expected);
        }
    }

    /// The first cells of the table in `## {section}…` whose header's first cell is `header`:
    /// what the protocol document lists.
    fn documented(section: &str, header: &str) -> BTreeSet<String> {
        let document = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PROTOCOL.md"));
        let start = document
            .find(&format!("\n## {section}"))
            .unwrap_or_else(|| panic!("PROTOCOL.md has no section {section}"));
        let body = &document[start + 1..];
        let body = &body[..body.find("\n## ").unwrap_or(body.len())];
        let first_cell = |line: &str| {
            line.split('|')
                .nth(1)
                .map(|cell| cell.trim().trim_matches('`').to_owned())
        };
        let lines: Vec<&str> = body.lines().collect();
        let table = lines
            .windows(2)
            .position(|pair| {
                first_cell(pair[0]).as_deref() == Some(header) && pair[1].starts_with("|---")
            })
            .unwrap_or_else(|| panic!("section {section} has no table of {header}"));
        lines[table + 2..]
            .iter()
            .take_while(|line| line.starts_with('|'))
            .filter_map(|line| first_cell(line))
            .collect()
    }

    /// The variants serde names when it refuses an unknown one.
    fn variants(refusal: &str) -> BTreeSet<String> {
        let (_, list) = refusal
            .split_once("expected one of ")
            .unwrap_or_else(|| panic!("not an unknown-variant refusal: {refusal}"));
        list.split(", ")
            .map(|name| name.trim_matches('`').to_owned())
            .collect()
    }

    #[test]
    fn the_protocol_document_lists_exactly_the_frames_requests_and_event_kinds_there_are() {
        let server_frames = variants(
            &serde_json::from_value::<ServerFrame>(serde_json::json!({"type": "?"}))
                .unwrap_err()
                .to_string(),
        );
        assert_eq!(documented("2. Frames", "type"), server_frames);

        let requests = variants(
            &parse_frame(r#"{"v":1,"id":"a","type":"?"}"#)
                .unwrap_err()
                .detail,
        );
        assert_eq!(documented("3. Requests", "type"), requests);

        let kinds: BTreeSet<String> = EventKind::NAMES.iter().map(|k| k.to_string()).collect();
        assert_eq!(documented("4. Events", "kind"), kinds);
    }
}
