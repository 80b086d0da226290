//! How each domain error becomes a problem (the problem type itself is [`crate::web::problem`],
//! shared with the witness server), and the problems of unreadable request bodies.

use actix_web::http::StatusCode;

use crate::auth::AuthError;
use crate::store::StoreError;
pub(crate) use crate::web::problem::{ApiError, Problem};

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        use AuthError::*;
        match error {
            InvalidCredentials => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid-credentials",
                "Invalid credentials",
                "username, password or one-time code is not correct",
            ),
            Unauthenticated => {
                Self::unauthenticated("send a bearer token in the Authorization header")
            }
            TokenEnded => Self::new(
                StatusCode::UNAUTHORIZED,
                "token-ended",
                "Token not valid",
                "the token has expired or been revoked; log in again",
            ),
            UnknownCertificate => Self::new(
                StatusCode::UNAUTHORIZED,
                "unknown-certificate",
                "Client certificate not registered",
                "the client certificate is not registered to an active center account",
            ),
            Forbidden => Self::forbidden("forbidden", "your role may not do this"),
            Throttled(wait) => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                "Too many attempts",
                format!("too many attempts; retry after {} s", wait.as_secs().max(1)),
            )
            .with_retry_after(wait),
            InvalidInput { field, problem } => Self::bad_request(field, problem),
            InvalidScope { field, problem } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-scope",
                "Invalid jurisdiction",
                format!("{field}: {problem}"),
            )
            .with_field(Some(field)),
            DisablingSelf => Self::conflict(
                "own-account",
                "an admin cannot disable their own account; another admin must do it",
            ),
            LastAdmin => Self::conflict(
                "last-admin",
                "this is the last enabled admin account; enable or create another admin first",
            ),
            UsernameTaken(name) => Self::conflict(
                "conflict",
                format!("an account named {name:?} already exists"),
            ),
            NoSuchAccount(name) => Self::not_found(format!("no account named {name:?}")),
            Store(e) => e.into(),
            Password(e) => Self::internal(e),
            Sealing => Self::internal("sealing failed"),
            KeyModule(cause) => Self::key_module_unavailable(cause),
            Audit(e) => e.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(what) => Self::conflict(
                "conflict",
                format!("a record with the same {what} already exists"),
            ),
            // Nothing was committed, so the request can be sent again as it was.
            StoreError::Unavailable => {
                Self::unavailable("the database is not reachable; retry shortly")
                    .with_retry_after(std::time::Duration::from_secs(1))
            }
            other => Self::internal(format!("{other}: {:?}", other)),
        }
    }
}

/// Turns a JSON extraction failure into a problem that says what was wrong with the body, in
/// serde's words about the client's own input, cut short so nothing large is echoed back.
pub(crate) fn json_error(error: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match error {
        E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => body_too_large(limit),
        E::ContentType => unsupported_media_type(),
        E::Deserialize(e) => invalid_json(&e, None),
        E::Payload(_) | E::Serialize(_) | _ => unreadable_body(),
    }
}

/// A body that did not parse into the expected type, naming the field at fault by its path.
pub(crate) fn json_parse_error(
    error: &serde_json::Error,
    path: Option<&serde_path_to_error::Path>,
) -> ApiError {
    let field = path
        .map(ToString::to_string)
        // Only paths that start at a key of the body object name a field: "." is the body
        // itself, "[0]" an element of a body sent as an array, "?" a key not yet read.
        .filter(|path| {
            path != "." && !path.starts_with('[') && !path.contains('?') && path.len() <= 64
        });
    invalid_json(error, field)
}

pub(crate) fn body_too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
        "Request body too large",
        format!("the request body exceeds the limit of {limit} bytes"),
    )
}

pub(crate) fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        "Unsupported media type",
        "the request body must be sent as Content-Type: application/json",
    )
}

pub(crate) fn unreadable_body() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid-body",
        "Invalid request body",
        "the request body could not be read",
    )
}

fn invalid_json(error: &serde_json::Error, field: Option<String>) -> ApiError {
    let mut message = error.to_string();
    message.truncate(
        message
            .char_indices()
            .nth(200)
            .map_or(message.len(), |(i, _)| i),
    );
    let field = field.or_else(|| field_named_in(&message));
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid-json",
        "Invalid JSON body",
        message,
    )
    .with_field(field)
}

/// serde names a field in back-quotes in these messages only; in others (`invalid type:
/// integer `5``) the back-quotes hold the client's value, which is no field name.
fn field_named_in(message: &str) -> Option<String> {
    let rest = ["unknown field `", "missing field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))?;
    let field = &rest[..rest.find('`')?];
    (field.len() <= 64).then(|| field.to_owned())
}

impl From<crate::audit::AuditError> for ApiError {
    fn from(error: crate::audit::AuditError) -> Self {
        use crate::audit::AuditError::*;
        match error {
            NoSuchEntry(index) => Self::not_found(format!("no audit entry at index {index}")),
            OutOfRange(detail) => Self::new(
                StatusCode::NOT_FOUND,
                "out-of-range",
                "Out of range",
                detail,
            ),
            Store(e) => e.into(),
            KeyModule(cause) => Self::key_module_unavailable(cause),
            NoSyncStandby(cause) => Self::unavailable(
                "no synchronous standby holds the log's newest entries yet, so no checkpoint \
                 was signed; retry shortly",
            )
            .with_cause(cause)
            .with_retry_after(std::time::Duration::from_secs(5)),
            other => Self::internal(other),
        }
    }
}

impl From<crate::crypto::seal::SealError> for ApiError {
    fn from(error: crate::crypto::seal::SealError) -> Self {
        match error {
            crate::crypto::seal::SealError::Module(e) => Self::key_module_unavailable(e),
            other => Self::internal(other),
        }
    }
}

impl From<crate::pool::PoolError> for ApiError {
    fn from(error: crate::pool::PoolError) -> Self {
        match error {
            crate::pool::PoolError::Store(e) => e.into(),
            crate::pool::PoolError::Audit(e) => e.into(),
            crate::pool::PoolError::Sealing(e) => e.into(),
            other => Self::internal(other),
        }
    }
}

impl From<crate::pool::unseal::UnsealError> for ApiError {
    fn from(error: crate::pool::unseal::UnsealError) -> Self {
        use crate::pool::unseal::UnsealError::*;
        match error {
            Invalid { field, problem } => Self::bad_request(field, problem),
            NotFound => Self::not_found("no such unseal request"),
            AlreadyDecided => Self::conflict("already-decided", error.to_string()),
            SameOrWrongDecider => Self::forbidden("dual-control", error.to_string()),
            NotRequester | NotApproved | WindowClosed => {
                Self::forbidden("unseal-not-permitted", error.to_string())
            }
            Pool(e) => e.into(),
        }
    }
}

impl From<crate::pool::own_record::OwnRecordError> for ApiError {
    fn from(error: crate::pool::own_record::OwnRecordError) -> Self {
        use crate::pool::own_record::OwnRecordError::*;
        match error {
            NotLinked => Self::not_found("this account is not linked to an expert record"),
            NoSuchExpert => Self::not_found("no such expert"),
            AlreadyLinked => Self::conflict("conflict", "that expert already has a login"),
            Transition { .. } => Self::conflict("status-transition", error.to_string()),
            Invalid { field, problem } => Self::bad_request(field, problem),
            Pool(e) => e.into(),
        }
    }
}

impl From<crate::pool::change_request::ChangeRequestError> for ApiError {
    fn from(error: crate::pool::change_request::ChangeRequestError) -> Self {
        use crate::pool::change_request::ChangeRequestError::*;
        match error {
            Invalid { field, problem } => Self::bad_request(field, problem),
            NotLinked => Self::not_found("this account is not linked to an expert record"),
            NotFound => Self::not_found("no such change request"),
            AlreadyPending => Self::conflict("change-request-pending", error.to_string()),
            AlreadySettled => Self::conflict("already-decided", error.to_string()),
            Pool(e) => e.into(),
        }
    }
}

impl From<crate::draw::service::DrawServiceError> for ApiError {
    fn from(error: crate::draw::service::DrawServiceError) -> Self {
        use crate::draw::service::DrawServiceError::*;
        match error {
            Invalid { field, problem } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-draw-request",
                "Invalid draw request",
                format!("{field}: {problem}"),
            )
            .with_field(Some(field)),
            Timing(detail) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "outside-draw-window",
                "Outside the draw window",
                detail,
            )
            .with_field(Some("evaluation_start".into())),
            Refused { refusal, strata } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "eligible-set-too-small",
                "Too few eligible experts",
                format!("{refusal}; nothing was drawn"),
            )
            .with_field(Some("strata".into()))
            .with_problems(strata),
            NotFound => Self::not_found("no such draw"),
            NoSuchExpert => Self::not_found("no such expert"),
            AlreadyContributed => Self::conflict("already-contributed", error.to_string()),
            ContributionsClosed => Self::conflict("contributions-closed", error.to_string()),
            NotDrawn => Self::conflict("not-drawn", error.to_string()),
            NotSeated(_) => Self::conflict("not-seated", error.to_string()),
            NotConfirmed(_) => Self::conflict("not-confirmed", error.to_string()),
            EvaluationOver => Self::conflict("evaluation-over", error.to_string()),
            TenderTaken(detail) => Self::conflict("tender-already-drawn", detail)
                .with_field(Some("tender_reference".into())),
            Venue(e) => e.into(),
            Void => Self::conflict("draw-void", error.to_string()),
            Held(crate::draw::DrawHold::Suspended) => {
                Self::conflict("evaluation-suspended", error.to_string())
            }
            Held(crate::draw::DrawHold::Cancelled) => {
                Self::conflict("evaluation-cancelled", error.to_string())
            }
            Store(e) => e.into(),
            Audit(e) => e.into(),
            Randomness => Self::unavailable("randomness is unavailable; retry shortly"),
            crate::draw::service::DrawServiceError::Sealing(e) => e.into(),
            other => Self::internal(other),
        }
    }
}

impl From<crate::notify::invitations::InvitationError> for ApiError {
    fn from(error: crate::notify::invitations::InvitationError) -> Self {
        use crate::notify::invitations::InvitationError::*;
        let unauthorised = |slug, detail: String| {
            Self::new(StatusCode::UNAUTHORIZED, slug, "Not authentic", detail)
        };
        match error {
            Invalid { field, problem } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-answer",
                "Invalid request",
                format!("{field}: {problem}"),
            )
            .with_field(Some(field.to_owned())),
            NotFound => Self::not_found("no such invitation"),
            Settled => Self::conflict("already-answered", error.to_string()),
            Late => Self::conflict("answer-too-late", error.to_string()),
            Forged => unauthorised("bad-signature", error.to_string()),
            Stale => unauthorised("stale-callback", error.to_string()),
            // No shared secret, so no callback can be authentic.
            NoGateway => unauthorised("gateway-not-configured", error.to_string()),
            Draw(e) => e.into(),
            Store(e) => e.into(),
            Audit(e) => e.into(),
            Randomness => Self::unavailable("randomness is unavailable; retry shortly"),
            crate::notify::invitations::InvitationError::Sealing(e) => e.into(),
            other => Self::internal(other),
        }
    }
}

impl From<crate::publication::PublicationError> for ApiError {
    fn from(error: crate::publication::PublicationError) -> Self {
        use crate::publication::PublicationError::*;
        match error {
            // The slug publication shared with invitations' answers when it lived beside them.
            Invalid { field, problem } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-answer",
                "Invalid request",
                format!("{field}: {problem}"),
            )
            .with_field(Some(field.to_owned())),
            NoSuchDraw => Self::not_found("no such draw"),
            Incomplete => Self::conflict("committee-incomplete", error.to_string()),
            AlreadyApproved => Self::conflict("already-approved", error.to_string()),
            EvaluationNotClosed(_) => Self::conflict("evaluation-not-closed", error.to_string()),
            NotPublished => Self::forbidden("not-published", error.to_string()),
            Draw(e) => e.into(),
            Store(e) => e.into(),
            Audit(e) => e.into(),
            other => Self::internal(other),
        }
    }
}

impl From<crate::conduct::service::ConductError> for ApiError {
    fn from(error: crate::conduct::service::ConductError) -> Self {
        use crate::conduct::service::ConductError::*;
        match error {
            Invalid { field, problem } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-request",
                "Invalid request",
                format!("{field}: {problem}"),
            )
            .with_field(Some(field.to_owned())),
            NoSuchDraw => Self::not_found("no such draw"),
            NoSuchRating => Self::not_found("no such rating"),
            NoSuchAppeal => Self::not_found("no such appeal"),
            NotFound(what) => Self::not_found(what),
            NotAnExpert => Self::forbidden("not-an-expert", error.to_string()),
            Conflict(detail) => Self::conflict("conflict", detail),
            TooEarly(detail) => Self::conflict("evaluation-not-over", detail),
            Store(e) => e.into(),
            Audit(e) => e.into(),
            other => Self::internal(other),
        }
    }
}

impl From<crate::analytics::service::AnalyticsError> for ApiError {
    fn from(error: crate::analytics::service::AnalyticsError) -> Self {
        use crate::analytics::service::AnalyticsError::*;
        match error {
            Invalid { field, problem } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-request",
                "Invalid request",
                format!("{field}: {problem}"),
            )
            .with_field(Some(field.to_owned())),
            InvalidField { field, problem } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-request",
                "Invalid request",
                format!("{field}: {problem}"),
            )
            .with_field(Some(field)),
            NotFound(what) => Self::not_found(what),
            Conflict(detail) => Self::conflict("conflict", detail),
            Store(e) => e.into(),
            Audit(e) => e.into(),
            other => Self::internal(other),
        }
    }
}

impl From<crate::interruption::InterruptionError> for ApiError {
    fn from(error: crate::interruption::InterruptionError) -> Self {
        use crate::interruption::InterruptionError::*;
        match error {
            Invalid { field, problem } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-request",
                "Invalid request",
                format!("{field}: {problem}"),
            )
            .with_field(Some(field.to_owned())),
            NoSuchDraw => Self::not_found("no such draw"),
            NotFound => Self::not_found("no such interruption request"),
            Conflict(detail) => Self::conflict("conflict", detail),
            Draw(e) => e.into(),
            Session(e) => e.into(),
            Venue(e) => e.into(),
            Store(e) => e.into(),
            Audit(e) => e.into(),
            Randomness => Self::unavailable("randomness is unavailable; retry shortly"),
            other => Self::internal(other),
        }
    }
}

impl From<crate::session::SessionError> for ApiError {
    fn from(error: crate::session::SessionError) -> Self {
        use crate::session::SessionError::*;
        match error {
            Invalid { field, problem } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-session-request",
                "Invalid session request",
                format!("{field}: {problem}"),
            )
            .with_field(Some(field)),
            NotFound => Self::not_found("no such session"),
            NoSuchDraw => Self::not_found("no such draw"),
            Forbidden(detail) => Self::forbidden("forbidden", detail),
            Conflict(detail) => Self::conflict("conflict", detail),
            WrongPhase { .. } => Self::conflict("wrong-phase", error.to_string()),
            Preconditions { ref missing, .. } => {
                let missing = missing.clone();
                Self::conflict("precondition-failed", error.to_string()).with_problems(missing)
            }
            BadTicket(detail) => Self::unauthenticated(detail),
            TooManyConnections { .. } => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-connections",
                "Too many connections",
                error.to_string(),
            ),
            WrongJoinCode => Self::forbidden("wrong-join-code", error.to_string()),
            Venue(e) => e.into(),
            Draw(e) => e.into(),
            Store(e) => e.into(),
            Audit(e) => e.into(),
            Randomness => Self::unavailable("randomness is unavailable; retry shortly"),
            crate::session::SessionError::Sealing(e) => e.into(),
            other => Self::internal(other),
        }
    }
}

impl From<crate::venue::VenueError> for ApiError {
    fn from(error: crate::venue::VenueError) -> Self {
        use crate::venue::VenueError::*;
        let field = error.field();
        match error {
            Invalid { field, problem } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-venue-request",
                "Invalid venue request",
                format!("{field}: {problem}"),
            )
            .with_field(Some(field)),
            NotFound => Self::not_found("no such venue"),
            NoSuchRequest => Self::not_found("no such sub-venue request"),
            Forbidden(detail) => Self::forbidden("not-your-venue", detail),
            Full(full) => Self::conflict("venue-full", full.to_string())
                .with_field(field)
                .with_problems([*full]),
            Closed { .. } => Self::conflict("venue-closed", error.to_string()).with_field(field),
            AlreadyAnswered(_) => Self::conflict("already-answered", error.to_string()),
            Store(e) => e.into(),
            Audit(e) => e.into(),
        }
    }
}

impl From<crate::auth::signing_keys::SigningKeyError> for ApiError {
    fn from(error: crate::auth::signing_keys::SigningKeyError) -> Self {
        use crate::auth::signing_keys::SigningKeyError::*;
        match error {
            Invalid { field, problem } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-request",
                "Invalid request",
                format!("{field}: {problem}"),
            )
            .with_field(Some(field.to_owned())),
            NotFound => Self::not_found("no such signing key"),
            AlreadyEnrolled => Self::conflict("already-enrolled", "this key is already enrolled"),
            NotPending(status) => Self::conflict(
                "not-pending",
                format!("the signing key is {status}, not pending"),
            ),
            AlreadyRevoked => {
                Self::conflict("already-revoked", "the signing key is already revoked")
            }
            NotAMember => Self::forbidden(
                "forbidden",
                "only committee members (expert accounts) enrol signing keys",
            ),
            Store(e) => e.into(),
            Audit(e) => e.into(),
            other => Self::internal(other),
        }
    }
}
