//! Who is calling: the client certificate verified during the TLS handshake, or a bearer token.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};

use super::{AppState, problem, problem::ApiError};
use crate::auth::{AuthError, Principal};

/// SHA-256 of the DER of a client certificate that rustls verified against the configured
/// client CA, stored in the connection's extensions at accept time.
#[derive(Debug, Clone, Copy)]
pub struct PeerCertificate(pub [u8; 32]);

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let certificate = request.conn_data::<PeerCertificate>().copied();
        let bearer = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.strip_prefix("Bearer ").map(str::to_owned));
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
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

/// A JSON request body. Like `web::Json`, but a refusal names the field at fault by its path:
/// serde_json alone says which value had the wrong type, not where it was.
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
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
            let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
            let value = serde_path_to_error::deserialize(&mut deserializer)
                .map_err(|error| problem::json_parse_error(error.inner(), Some(error.path())))?;
            deserializer
                .end()
                .map_err(|error| problem::json_parse_error(&error, None))?;
            Ok(Json(value))
        })
    }
}

pub fn client_address(request: &HttpRequest) -> Option<std::net::IpAddr> {
    request.peer_addr().map(|address| address.ip())
}

/// Marks a request as authenticated for the access log, without the credential.
pub fn note_principal(request: &HttpRequest, principal: &Principal) {
    request.extensions_mut().insert(principal.role);
}
