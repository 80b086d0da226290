//! Who is calling: the client certificate verified during the TLS handshake, or a bearer token.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};

use super::{AppState, problem, problem::ApiError};
use crate::auth::{AuthError, Principal};

/// SHA-256 of the DER of a client certificate that rustls verified against the configured
/// client CA, stored in the connection's extensions at accept time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerCertificate(pub [u8; 32]);

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let certificate = request.conn_data::<PeerCertificate>().copied();
        let forwarded = request
            .headers()
            .get(FORWARDED_CLIENT_CERT)
            .map(|value| value.as_bytes().to_vec());
        let bearer = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(|value| bearer_token(value).map(str::to_owned));
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let certificate = match forwarded {
                None => certificate,
                Some(value) => Some(forwarded_certificate(&state, certificate, &value)?),
            };
            let principal = match (certificate, bearer) {
                // A certificate alone is a center's system; with a token as well, both must
                // name the same account.
                (Some(certificate), bearer) => {
                    let principal = state.auth.authenticate_certificate(&certificate.0).await?;
                    if let Some(Some(token)) = bearer {
                        let by_token = state.auth.authenticate_token(&token).await?;
                        if by_token.account_id != principal.account_id {
                            return Err(AuthError::Forbidden.into());
                        }
                        return Ok(by_token);
                    }
                    principal
                }
                (None, Some(Some(token))) => state.auth.authenticate_token(&token).await?,
                (None, Some(None)) => {
                    return Err(ApiError::unauthenticated(
                        "the Authorization header must be \"Bearer <token>\"",
                    ));
                }
                (None, None) => return Err(AuthError::Unauthenticated.into()),
            };
            Ok(principal)
        })
    }
}

/// The header a TLCP gateway forwards its client's certificate in: the PEM, percent-encoded as
/// nginx's `$ssl_client_escaped_cert` writes it (docs/OPERATIONS notes in SECURITY.md).
const FORWARDED_CLIENT_CERT: &str = "x-forwarded-client-cert";

/// The identity a configured gateway vouches for: the fingerprint of the certificate its own
/// client presented to it over TLCP. Anyone else who sends the header is refused, never
/// ignored, so a misrouted or forged identity is visible; a malformed value is refused too.
fn forwarded_certificate(
    state: &AppState,
    connection: Option<PeerCertificate>,
    value: &[u8],
) -> Result<PeerCertificate, ApiError> {
    let from_gateway = connection.is_some_and(|peer| state.gateways.contains(&peer.0));
    if !from_gateway {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "forwarded-identity",
            "Forwarded identity refused",
            "a forwarded client certificate is accepted only from a configured gateway",
        ));
    }
    let malformed = || {
        ApiError::new(
            actix_web::http::StatusCode::BAD_REQUEST,
            "forwarded-identity",
            "Forwarded identity refused",
            "X-Forwarded-Client-Cert must hold one percent-encoded PEM certificate",
        )
    };
    let pem: Vec<u8> = percent_encoding::percent_decode(value).collect();
    crate::tls::fingerprint_of_pem(&pem)
        .map(PeerCertificate)
        .ok_or_else(malformed)
}

/// A JSON request body. Like `web::Json`, but a refusal names the field at fault by its path:
/// serde_json alone says which value had the wrong type, not where it was.
pub(crate) struct Json<T>(pub T);

impl<T> Json<T> {
    pub(crate) fn into_inner(self) -> T {
        self.0
    }
}

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        use actix_web::mime;
        let is_json = matches!(
            request.mime_type(),
            Ok(Some(kind)) if kind.subtype() == mime::JSON || kind.suffix() == Some(mime::JSON)
        );
        let limit = request
            .app_data::<web::Data<AppState>>()
            .map(|state| state.max_body_bytes);
        // Reads up to the `web::PayloadConfig` limit; not polled at all for a wrong type.
        let body = web::Bytes::from_request(request, payload);
        Box::pin(async move {
            if !is_json {
                return Err(problem::unsupported_media_type());
            }
            let bytes = body.await.map_err(|error| {
                match (error.as_error::<actix_web::error::PayloadError>(), limit) {
                    (Some(actix_web::error::PayloadError::Overflow), Some(limit)) => {
                        problem::body_too_large(limit)
                    }
                    _ => problem::unreadable_body(),
                }
            })?;
            Self::parse(&bytes).map(Json)
        })
    }
}

impl<T: serde::de::DeserializeOwned> Json<T> {
    /// A body already read (within its route's limit), parsed and checked as the extractor does.
    pub(crate) fn parse(bytes: &[u8]) -> Result<T, ApiError> {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let value = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|error| problem::json_parse_error(error.inner(), Some(error.path())))?;
        deserializer
            .end()
            .map_err(|error| problem::json_parse_error(&error, None))?;
        // PostgreSQL cannot store NUL in text, and no field of ours has a use for one.
        if contains_escaped_nul(bytes)
            && let Some(field) = serde_json::from_slice(bytes)
                .ok()
                .and_then(|json| nul_string_path(&json, String::new()))
        {
            return Err(ApiError::bad_request(
                field,
                "may not contain the NUL character (\\u0000)",
            ));
        }
        Ok(value)
    }
}

/// Whether JSON text holds a `\u0000` escape (raw NUL bytes are not valid JSON at all): the
/// escape counts when an odd number of backslashes precede `u0000`.
fn contains_escaped_nul(bytes: &[u8]) -> bool {
    bytes.windows(5).enumerate().any(|(at, window)| {
        window == b"u0000"
            && bytes[..at]
                .iter()
                .rev()
                .take_while(|&&b| b == b'\\')
                .count()
                % 2
                == 1
    })
}

/// The JSON path (`a.b[2]`) of the first string holding a NUL character.
fn nul_string_path(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(text) if text.contains('\0') => Some(path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_string_path(item, format!("{path}[{i}]"))),
        Value::Object(fields) => fields
            .iter()
            .find_map(|(key, item)| nul_string_path(item, join(key))),
        _ => None,
    }
}

/// The token of an `Authorization: Bearer <token>` value. The scheme is case-insensitive and
/// followed by one or more spaces (RFC 9110 §11.1, §11.4).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim_start_matches(' ');
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

pub(crate) fn client_address(request: &HttpRequest) -> Option<std::net::IpAddr> {
    request.peer_addr().map(|address| address.ip())
}

/// What a route requires; one marker type per [`Permission`](crate::auth::Permission).
pub(crate) trait Requires {
    const PERMISSION: crate::auth::Permission;
}

/// The markers: `Authorized<may::ReadAudit>` in a handler's arguments.
pub(crate) mod may {
    macro_rules! markers {
        ($($name:ident),* $(,)?) => {$(
            pub(crate) struct $name;
            impl super::Requires for $name {
                const PERMISSION: crate::auth::Permission = crate::auth::Permission::$name;
            }
        )*};
    }
    markers!(
        Session,
        ManageAccounts,
        ReadAudit,
        ManagePool,
        ReadExpertRecords,
        ReadPoolStatistics,
        RequestUnseal,
        DecideUnseal,
        OwnExpertRecord,
        RequestDraw,
        NominateExperts,
        ContributeEntropy,
        ViewDraws,
        ReadDrawReports,
        AnswerInvitations,
        ApprovePublication,
        HostSessions,
        JoinSessions,
        RateConduct,
        ReadVenues,
        ManageVenues,
        AnswerVenueRequests,
        ReadDirectory,
        DecideAppeals,
        RequestInterruption,
        DecideInterruption,
        ConfigureAlerts,
        ReadAlertRules,
        HandleAlerts,
        EnrolSigningKeys,
        ApproveSigningKeys,
        RevokeSigningKeys,
        ReadArchives,
        DeleteArchives
    );
}

/// An authenticated caller whose role holds `P`'s permission. As an extractor it runs before
/// any body is parsed, so a caller without the role learns nothing about the body's rules.
pub(crate) struct Authorized<P> {
    pub(crate) principal: Principal,
    permission: std::marker::PhantomData<P>,
}

impl<P: Requires + 'static> FromRequest for Authorized<P> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let principal = Principal::from_request(request, payload);
        Box::pin(async move {
            let principal = principal.await?;
            principal.require(P::PERMISSION)?;
            Ok(Self {
                principal,
                permission: std::marker::PhantomData,
            })
        })
    }
}

/// The permission check, and only then the body or query `T`: `Checked<may::X, Json<Body>>`.
/// (actix runs a handler's extractors side by side and answers with the first that fails,
/// so a separate body extractor could answer 400 to a caller who should get 403.)
pub(crate) struct Checked<P, T> {
    pub(crate) principal: Principal,
    pub(crate) input: T,
    permission: std::marker::PhantomData<P>,
}

impl<P: Requires + 'static, T: FromRequest + 'static> FromRequest for Checked<P, T>
where
    T::Error: Into<actix_web::Error>,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let principal = Principal::from_request(&request, &mut Payload::None).await?;
            principal.require(P::PERMISSION).map_err(ApiError::from)?;
            let input = T::from_request(&request, &mut payload)
                .await
                .map_err(Into::into)?;
            Ok(Self {
                principal,
                input,
                permission: std::marker::PhantomData,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaped_nul_is_found_only_where_it_is_an_escape() {
        assert!(super::contains_escaped_nul(br#"{"a":"x\u0000"}"#));
        assert!(super::contains_escaped_nul(br#"{"a":"\\\u0000"}"#));
        assert!(!super::contains_escaped_nul(br#"{"a":"\\u0000"}"#));
        assert!(!super::contains_escaped_nul(br#"{"a":"u0000"}"#));
    }

    #[test]
    fn the_bearer_scheme_is_read_whatever_its_case() {
        for value in ["Bearer sdt_x", "bearer sdt_x", "BEARER   sdt_x"] {
            assert_eq!(super::bearer_token(value), Some("sdt_x"), "{value}");
        }
        for value in [
            "Basic sdt_x",
            "Bearersdt_x",
            "Bearer ",
            "Bearer",
            "Bear sdt_x",
        ] {
            assert_eq!(super::bearer_token(value), None, "{value}");
        }
    }

    #[test]
    fn the_nul_is_named_by_its_path() {
        let json: serde_json::Value =
            serde_json::from_str(r#"{"a":[{"b":"ok"},{"b":"x\u0000"}]}"#).unwrap();
        assert_eq!(
            super::nul_string_path(&json, String::new()).as_deref(),
            Some("a[1].b")
        );
    }
}
