//! What members and supervisors do in a session: check-in with the join code, declarations,
//! the chair vote, score sheets, clarifications, warnings' companions, and signatures.

use std::collections::BTreeMap;

use super::{Loaded, SessionService, Writer, sheet_digest_input, wrong_phase};
use crate::audit::{Actor, AuditEntry};
use crate::clock::to_rfc3339;
use crate::crypto::constant_time_eq;
use crate::draw::VacancyReason;
use crate::draw::service::PendingReplacement;
use crate::session::events::{Audience, SessionEvent, SignedWith};
use crate::session::protocol::{MemberSignature, Outcome};
use crate::session::rules::{self, Phase};
use crate::session::{
    ClarificationState, Member, SeatState, SessionError, SignatureKind, corrupt, invalid,
};
use crate::store::sessions::{ExtensionRow, SeatAct};
use crate::store::signing_keys::MemberSignatureRow;
use base64::Engine as _;

impl SessionService {
    pub(super) async fn check_in(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        seat: u32,
        join_code: &str,
    ) -> Result<Outcome, SessionError> {
        if loaded.phase == Phase::Scheduled {
            return Err(wrong_phase(loaded.phase, "check-in has not opened yet"));
        }
        let row = self.active_seat(loaded, seat)?.clone();
        let representative = loaded
            .representatives
            .iter()
            .find(|r| r.seat as u32 == seat)
            .cloned();
        let expected = match &representative {
            // A representative's join code was handed over with their login.
            Some(named) => self.keys.open(
                &super::create::representative_join_code_context(&loaded.row.id, seat),
                &named.sealed_join_code,
            )?,
            None => {
                let (invitation_id, sealed) = writer
                    .tx
                    .accepted_invitation(&row.draw_id, &row.token)
                    .await?
                    .ok_or_else(|| {
                        SessionError::Forbidden("the seat's invitation is not accepted".into())
                    })?;
                let sealed =
                    sealed.ok_or_else(|| corrupt("an accepted remote seat has no join code"))?;
                self.keys.open(
                    &crate::notify::invitations::join_code_context(&invitation_id),
                    &sealed,
                )?
            }
        };
        if join_code.len() > 64
            || !constant_time_eq(expected.as_slice(), join_code.trim().as_bytes())
        {
            return Err(SessionError::WrongJoinCode);
        }
        if row.checked_in_at.is_some() {
            return Ok(Outcome::CheckedIn {
                seat,
                already_checked_in: true,
            });
        }
        writer
            .tx
            .set_seat_act(&loaded.row.id, seat as i32, SeatAct::CheckedIn, writer.now)
            .await?;
        writer
            .event(
                &Audience::all(),
                SessionEvent::CheckedIn {
                    seat,
                    label: loaded.label(seat),
                    venue: row.venue,
                },
            )
            .await?;
        let entry =
            AuditEntry::new("session.checked_in", writer.now, member.actor()).data("seat", seat);
        writer
            .audit(if representative.is_some() {
                entry.data("representative", true)
            } else {
                entry.data("token", hex::encode(&row.token))
            })
            .await?;
        Ok(Outcome::CheckedIn {
            seat,
            already_checked_in: false,
        })
    }

    pub(super) async fn declare(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        seat: u32,
        conflict: bool,
        pending: &mut Vec<PendingReplacement>,
    ) -> Result<Outcome, SessionError> {
        if loaded.phase < Phase::Recusal {
            return Err(wrong_phase(
                loaded.phase,
                "declarations open after check-in",
            ));
        }
        let row = self.active_seat(loaded, seat)?.clone();
        if row.checked_in_at.is_none() {
            return Err(SessionError::Conflict("check in first".into()));
        }
        if row.declared_at.is_some() {
            return Err(SessionError::Conflict(
                "this seat has already declared".into(),
            ));
        }
        if conflict {
            writer
                .audit(
                    AuditEntry::new("session.declared", writer.now, member.actor())
                        .data("seat", seat)
                        .data("conflict", true),
                )
                .await?;
            let replacement = self
                .vacate(
                    writer,
                    loaded,
                    member.actor(),
                    seat,
                    VacancyReason::Recused,
                    pending,
                )
                .await?;
            return Ok(Outcome::Declared {
                recused: true,
                replacement: Some(replacement),
            });
        }
        writer
            .tx
            .set_seat_act(&loaded.row.id, seat as i32, SeatAct::Declared, writer.now)
            .await?;
        writer
            .event(
                &Audience::all(),
                SessionEvent::Declared {
                    seat,
                    conflict: false,
                },
            )
            .await?;
        writer
            .audit(
                AuditEntry::new("session.declared", writer.now, member.actor())
                    .data("seat", seat)
                    .data("conflict", false),
            )
            .await?;
        Ok(Outcome::Declared {
            recused: false,
            replacement: None,
        })
    }

    pub(super) async fn vote(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        seat: u32,
        choice: u32,
    ) -> Result<Outcome, SessionError> {
        if loaded.phase < Phase::ChairElection || loaded.phase > Phase::Evaluation {
            return Err(wrong_phase(
                loaded.phase,
                "votes are cast in the chair election",
            ));
        }
        let row = self.active_seat(loaded, seat)?.clone();
        // Votes may change until a member has a majority; after that a late vote is recorded
        // but decides nothing.
        if loaded.row.chair_seat.is_some() && row.vote.is_some() {
            return Err(SessionError::Conflict("a chair has been elected".into()));
        }
        if row.declared_at.is_none() {
            return Err(SessionError::Conflict(
                "declare (no conflict of interest) before voting".into(),
            ));
        }
        if !loaded
            .seat(choice)
            .is_some_and(|s| s.state == SeatState::Active && loaded.confirmed(s))
        {
            return Err(invalid(
                "seat",
                "vote for an active member of the committee",
            ));
        }
        if loaded.is_representative(choice) && !self.settings.representative_may_chair {
            return Err(invalid(
                "seat",
                format!(
                    "{} is a tenderer's representative, who may not chair the committee here \
                     (session.representative_may_chair); vote for a drawn expert",
                    loaded.label(choice)
                ),
            ));
        }
        writer
            .tx
            .set_seat_act(
                &loaded.row.id,
                seat as i32,
                SeatAct::Vote(choice as i32),
                writer.now,
            )
            .await?;
        if let Some(s) = loaded.seats.iter_mut().find(|s| s.seat as u32 == seat) {
            s.vote = Some(choice as i32);
        }
        // The ballot stays secret: others learn that a vote was cast, and the tally once a
        // member has a majority.
        writer
            .event(&Audience::all(), SessionEvent::VoteCast { seat })
            .await?;
        writer
            .audit(
                AuditEntry::new("session.vote", writer.now, member.actor())
                    .data("seat", seat)
                    .data("for", choice),
            )
            .await?;
        let (chair, cast) = rules::elect_chair(&loaded.facts().seats);
        if let Some(chair) = chair.filter(|_| loaded.row.chair_seat.is_none()) {
            writer
                .tx
                .set_session_chair(&loaded.row.id, Some(chair as i32))
                .await?;
            loaded.row.chair_seat = Some(chair as i32);
            let votes = loaded
                .active_seats()
                .filter(|s| s.vote == Some(chair as i32))
                .count();
            writer
                .event(
                    &Audience::all(),
                    SessionEvent::ChairElected {
                        seat: chair,
                        label: loaded.label(chair),
                        votes,
                        cast,
                    },
                )
                .await?;
            writer
                .audit(
                    AuditEntry::new("session.chair_elected", writer.now, Actor::System)
                        .data("seat", chair)
                        .data("votes", votes)
                        .data("cast", cast),
                )
                .await?;
        }
        Ok(Outcome::Voted {
            chair: loaded.row.chair_seat.map(|chair| chair as u32),
        })
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one request's fields, passed as they were parsed"
    )]
    pub(super) async fn submit_sheet(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        seat: u32,
        bidder: &str,
        scores: &BTreeMap<String, serde_json::Number>,
        comment: Option<&str>,
        evaluated_price: Option<&serde_json::Number>,
    ) -> Result<Outcome, SessionError> {
        if loaded.phase != Phase::Evaluation {
            return Err(wrong_phase(
                loaded.phase,
                "score sheets are submitted during the evaluation",
            ));
        }
        let row = self.active_seat(loaded, seat)?.clone();
        if row.declared_at.is_none() {
            return Err(SessionError::Conflict(
                "declare (no conflict of interest) before scoring".into(),
            ));
        }
        let sheet = rules::validate_sheet(
            &rules::SheetRules {
                bidders: &loaded.bidders,
                criteria: &loaded.criteria,
                method: loaded.row.method,
            },
            bidder,
            scores,
            comment,
            evaluated_price,
        )
        .map_err(|(f, p)| invalid(f, p))?;
        if loaded.rejected(&sheet.bidder) {
            return Err(SessionError::Conflict(format!(
                "the committee has rejected {}'s bid; it is out of the scoring",
                sheet.bidder
            )));
        }
        let sheet_json = serde_json::to_string(&sheet).map_err(corrupt)?;
        writer
            .tx
            .upsert_sheet(
                &loaded.row.id,
                seat as i32,
                &sheet.bidder,
                &sheet_json,
                sheet.total_centi,
                writer.now,
            )
            .await?;
        // Others learn only that the sheet is in; its content goes to its author alone until
        // the evaluation closes.
        writer
            .event(
                &Audience::all(),
                SessionEvent::SheetSubmitted {
                    seat,
                    bidder: sheet.bidder.clone(),
                },
            )
            .await?;
        writer
            .event(
                &Audience::seat(seat),
                SessionEvent::SheetRecorded {
                    seat,
                    sheet: sheet.clone(),
                },
            )
            .await?;
        writer
            .audit(
                AuditEntry::new("session.sheet", writer.now, member.actor())
                    .data("seat", seat)
                    .data("bidder", &sheet.bidder)
                    .data(
                        &self.keys.suite().digest_field(""),
                        self.keys.suite().hex_hash(&sheet_digest_input(&sheet)?),
                    ),
            )
            .await?;
        Ok(Outcome::SheetRecorded {
            bidder: sheet.bidder,
            total_centi: sheet.total_centi,
        })
    }

    pub(super) async fn request_clarification(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        seat: u32,
        bidder: &str,
        question: &str,
    ) -> Result<Outcome, SessionError> {
        if loaded.phase != Phase::Evaluation {
            return Err(wrong_phase(
                loaded.phase,
                "clarifications are asked during the evaluation",
            ));
        }
        self.active_seat(loaded, seat)?;
        if !loaded.bidders.iter().any(|b| b == bidder) {
            return Err(invalid("bidder", "not a bidder of this session"));
        }
        rules::check_text("question", question, rules::MAX_TEXT_CHARS)
            .map_err(|(f, p)| invalid(f, p))?;
        let question = question.trim();
        let number = writer
            .tx
            .insert_clarification(&loaded.row.id, seat as i32, bidder, question, writer.now)
            .await?;
        writer
            .event(
                &Audience::staff_and([seat]),
                SessionEvent::ClarificationRequested {
                    number,
                    seat,
                    bidder: bidder.to_owned(),
                    question: question.to_owned(),
                },
            )
            .await?;
        writer
            .audit(
                AuditEntry::new(
                    "session.clarification_requested",
                    writer.now,
                    member.actor(),
                )
                .data("number", number)
                .data("seat", seat)
                .data("bidder", bidder)
                .data(
                    &self.keys.suite().digest_field(""),
                    self.keys.suite().hex_hash(question.as_bytes()),
                ),
            )
            .await?;
        Ok(Outcome::Clarification {
            number: number as u32,
            state: ClarificationState::Pending,
        })
    }

    pub(super) async fn decide_clarification(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        number: u32,
        approve: bool,
    ) -> Result<Outcome, SessionError> {
        if loaded.phase != Phase::Evaluation {
            return Err(wrong_phase(
                loaded.phase,
                "clarifications are decided during the evaluation",
            ));
        }
        let Some(request) = writer
            .tx
            .clarification(&loaded.row.id, number as i32)
            .await?
        else {
            return Err(invalid("number", "no such clarification request"));
        };
        let state = if approve {
            ClarificationState::Approved
        } else {
            ClarificationState::Refused
        };
        if !writer
            .tx
            .decide_clarification(
                &loaded.row.id,
                number as i32,
                state,
                &member.account_id,
                writer.now,
            )
            .await?
        {
            return Err(SessionError::Conflict(format!(
                "clarification {number} has already been decided ({})",
                request.state
            )));
        }
        // An approved request goes out: everyone sees it (the host relays it to the bidder).
        let audience = if approve {
            Audience::all()
        } else {
            Audience::staff_and([request.seat as u32])
        };
        writer
            .event(
                &audience,
                SessionEvent::ClarificationDecided {
                    number,
                    state,
                    seat: request.seat,
                    bidder: request.bidder,
                    question: request.question,
                },
            )
            .await?;
        writer
            .audit(
                AuditEntry::new("session.clarification_decided", writer.now, member.actor())
                    .data("number", number)
                    .data("state", state.as_str()),
            )
            .await?;
        Ok(Outcome::Clarification { number, state })
    }

    /// 实施条例 §48: a member declares the evaluation time insufficient. Once more than a third
    /// of the committee's members have (toward this extension), the evaluation's end moves
    /// `session.extension_minutes` later; the center cannot refuse it. Declarations then count
    /// toward the next extension afresh.
    pub(super) async fn declare_time_insufficient(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        seat: u32,
    ) -> Result<Outcome, SessionError> {
        if loaded.phase != Phase::Evaluation {
            return Err(wrong_phase(
                loaded.phase,
                "the time is declared insufficient during the evaluation",
            ));
        }
        self.active_seat(loaded, seat)?;
        if loaded.time_declared.contains(&(seat as i32)) {
            return Err(SessionError::Conflict(
                "this seat has already declared the time insufficient; it counts until the \
                 next extension"
                    .into(),
            ));
        }
        let round = loaded.time_round();
        writer
            .tx
            .insert_time_declaration(&loaded.row.id, round, seat as i32, writer.now)
            .await?;
        loaded.time_declared.push(seat as i32);
        let declared = loaded.time_declared.len();
        let members = loaded.active_seats().count();
        writer
            .event(
                &Audience::all(),
                SessionEvent::TimeDeclared {
                    seat,
                    declared: declared as u32,
                    members: members as u32,
                },
            )
            .await?;
        writer
            .audit(
                AuditEntry::new("session.time_declared", writer.now, member.actor())
                    .data("seat", seat)
                    .data("extension", round),
            )
            .await?;
        let mut extended = None;
        if rules::extension_due(declared, members) {
            let minutes = self.settings.extension_minutes;
            let extension = ExtensionRow {
                number: round,
                minutes: minutes as i32,
                declared: declared as i32,
                members: members as i32,
                extended_at: writer.now,
            };
            writer
                .tx
                .insert_session_extension(&loaded.row.id, &extension)
                .await?;
            loaded.extensions.push(extension);
            loaded.time_declared.clear();
            let ends_at = to_rfc3339(loaded.ends_at());
            writer
                .event(
                    &Audience::all(),
                    SessionEvent::TimeExtended {
                        number: round as u32,
                        minutes,
                        ends_at: ends_at.clone(),
                        declared: declared as u32,
                        members: members as u32,
                    },
                )
                .await?;
            writer
                .audit(
                    AuditEntry::new("session.time_extended", writer.now, Actor::System)
                        .data("extension", round)
                        .data("minutes", minutes)
                        .data("declared", declared)
                        .data("members", members)
                        .data("ends_at", ends_at),
                )
                .await?;
            extended = Some(round as u32);
        }
        Ok(Outcome::TimeDeclared {
            declared: loaded.time_declared.len() as u32,
            members: members as u32,
            extended,
            ends_at: to_rfc3339(loaded.ends_at()),
        })
    }

    pub(super) async fn sign(
        &self,
        writer: &mut Writer<'_>,
        loaded: &mut Loaded,
        member: &Member,
        seat: u32,
        decision: Decision<'_>,
    ) -> Result<Outcome, SessionError> {
        let Decision {
            report_sha256,
            agree,
            reasons,
            signature: member_signature,
        } = decision;
        if loaded.phase != Phase::Signing {
            return Err(wrong_phase(
                loaded.phase,
                "the report is signed in the signing phase",
            ));
        }
        let row = self.active_seat(loaded, seat)?.clone();
        let current = loaded
            .row
            .report_sha256
            .as_ref()
            .map(hex::encode)
            .ok_or_else(|| corrupt("signing without a report"))?;
        if report_sha256 != current {
            return Err(invalid(
                "report_sha256",
                format!("is not the report's digest ({current}); sign the report you were sent"),
            ));
        }
        if row.signature.is_some() {
            return Err(SessionError::Conflict(
                "this seat has already signed".into(),
            ));
        }
        let reasons = reasons.map(str::trim).filter(|r| !r.is_empty());
        let (signature, reasons) = match (agree, reasons) {
            (true, None) => (SignatureKind::Agree, None),
            (true, Some(_)) => {
                return Err(invalid("reasons", "only a dissent gives reasons"));
            }
            (false, None) => {
                return Err(invalid("reasons", "a dissent needs written reasons"));
            }
            (false, Some(reasons)) => {
                rules::check_text("reasons", reasons, rules::MAX_TEXT_CHARS)
                    .map_err(|(f, p)| invalid(f, p))?;
                if reasons.chars().count() < rules::MIN_DISSENT_CHARS {
                    return Err(invalid(
                        "reasons",
                        format!("must be at least {} characters", rules::MIN_DISSENT_CHARS),
                    ));
                }
                (SignatureKind::Dissent, Some(reasons))
            }
        };
        let verified = match member_signature {
            Some(member_signature) => Some(
                self.verify_member_signature(
                    writer,
                    member,
                    seat,
                    &current,
                    agree,
                    reasons,
                    member_signature,
                )
                .await?,
            ),
            None if self.settings.require_member_signatures => {
                return Err(invalid(
                    "signature",
                    "this server requires each member to sign their decision with an enrolled \
                     signing key (session.require_member_signatures)",
                ));
            }
            None => None,
        };
        writer
            .tx
            .set_seat_act(
                &loaded.row.id,
                seat as i32,
                SeatAct::Signed { signature, reasons },
                writer.now,
            )
            .await?;
        if let Some(verified) = &verified {
            writer
                .tx
                .insert_member_signature(&MemberSignatureRow {
                    session_id: loaded.row.id.clone(),
                    seat: seat as i32,
                    report_sha256: loaded.row.report_sha256.clone().unwrap_or_default(),
                    key_id: verified.key_id.clone(),
                    key_fingerprint: verified.fingerprint.clone(),
                    signature: verified.value.clone(),
                    signed_sha256: verified.signed_sha256.to_vec(),
                    signed_at: writer.now,
                })
                .await?;
        }
        writer
            .event(
                &Audience::all(),
                SessionEvent::Signed {
                    seat,
                    signature,
                    reasons: reasons.map(str::to_owned),
                    signing_key: verified.as_ref().map(|verified| SignedWith {
                        key_id: verified.key_id.clone(),
                        kind: verified.kind,
                        fingerprint: verified.fingerprint.clone(),
                    }),
                },
            )
            .await?;
        let mut entry = AuditEntry::new("session.signature", writer.now, member.actor())
            .data("seat", seat)
            .data(&self.keys.suite().digest_field("report"), &current)
            .data("signature", signature.as_str());
        if let Some(reasons) = reasons {
            entry = entry.data(
                &self.keys.suite().digest_field("reasons"),
                self.keys.suite().hex_hash(reasons.as_bytes()),
            );
        }
        if let Some(verified) = verified {
            // The fingerprint and both digests are SHA-256 whatever the deployment's suite:
            // they are the member's algorithm, which a verifier recomputes with the key.
            entry = entry
                .reference("signing_key", verified.key_id)
                .data("signing_key_fingerprint", verified.fingerprint)
                .data(
                    "member_signature_sha256",
                    hex::encode(verified.value_sha256),
                )
                .data("signed_sha256", hex::encode(verified.signed_sha256));
        }
        writer.audit(entry).await?;
        Ok(Outcome::Signed { signature })
    }

    /// Checks a member's signature of their decision against a key of theirs in force now:
    /// refused, naming the field, for another's key, a pending or revoked one, a value that is
    /// no signature, or one over anything but this decision.
    #[expect(
        clippy::too_many_arguments,
        reason = "the decision's parts, each named"
    )]
    async fn verify_member_signature(
        &self,
        writer: &mut Writer<'_>,
        member: &Member,
        seat: u32,
        report_sha256: &str,
        agree: bool,
        reasons: Option<&str>,
        member_signature: &MemberSignature,
    ) -> Result<VerifiedSignature, SessionError> {
        let key = crate::auth::signing_keys::key_for_signing(
            writer.tx,
            &member.account_id,
            &member_signature.key_id,
        )
        .await
        .map_err(|e| match e {
            crate::auth::signing_keys::SigningKeyError::Store(e) => SessionError::Store(e),
            other => corrupt(other),
        })?
        .map_err(|refusal| invalid("signature.key_id", refusal.detail()))?;
        // A certificate key signs only while its CA still vouches for it: chain, validity and
        // the CA's CRL as they are now (a certificate revoked since enrolment stops here).
        if let Some(refusal) = crate::auth::member_certificates::refusal_at_signing(
            writer.tx,
            &self.certificate_authorities,
            &member_signature.key_id,
            writer.now,
        )
        .await
        .map_err(|e| match e {
            crate::auth::signing_keys::SigningKeyError::Store(e) => SessionError::Store(e),
            other => corrupt(other),
        })? {
            return Err(invalid("signature.key_id", refusal));
        }
        let value = base64::engine::general_purpose::STANDARD
            .decode(member_signature.value.trim())
            .ok()
            .filter(|bytes| bytes.len() == crate::crypto::member_key::SIGNATURE_LEN)
            .ok_or_else(|| {
                invalid(
                    "signature.value",
                    "must be base64 of a 64-byte signature, r and s (ECDSA P-256 as WebCrypto \
                     produces it, or SM2)",
                )
            })?;
        let signed = crate::session::protocol::signed_decision(
            &member.session_id,
            seat,
            report_sha256,
            agree,
            reasons,
        );
        if !key.public_key.verify(&signed, &value) {
            return Err(invalid(
                "signature.value",
                "does not verify with this key over the session, seat, report digest and \
                 decision (docs/PROTOCOL.md, sign)",
            ));
        }
        Ok(VerifiedSignature {
            key_id: key.id,
            kind: key.kind,
            fingerprint: key.fingerprint,
            value_sha256: crate::crypto::member_key::digest(&value),
            signed_sha256: crate::crypto::member_key::digest(&signed),
            value,
        })
    }
}

/// A member's decision as the `sign` request carries it.
pub(super) struct Decision<'a> {
    pub(super) report_sha256: &'a str,
    pub(super) agree: bool,
    pub(super) reasons: Option<&'a str>,
    pub(super) signature: Option<&'a MemberSignature>,
}

struct VerifiedSignature {
    key_id: String,
    kind: crate::auth::signing_keys::SigningKeyKind,
    fingerprint: String,
    value: Vec<u8>,
    value_sha256: [u8; 32],
    signed_sha256: [u8; 32],
}
