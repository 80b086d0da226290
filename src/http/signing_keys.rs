//! Committee members' signing keys (issue 19 §1): enrolment, the member's own list, an
//! admin's approval of a further key, revocation. The signature itself travels with the
//! session's `sign` request (docs/PROTOCOL.md).

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;

use super::extract::{Authorized, Checked, Json, may};
use super::{AppState, problem::ApiError};
use crate::auth::signing_keys::{AccountSigningKeyView, Enrolment, SigningKeyKind, SigningKeyView};

type Problem = super::problem::Problem;

/// A key to enrol: its kind, the public key (or a certificate's chain) and a label for the
/// member's own list.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EnrolmentBody {
    /// `webcrypto`, `key_file`, `pkcs11`, or `certificate` (a certificate from a CA the server
    /// trusts, `signing_keys.trusted_cas`).
    kind: SigningKeyKind,
    /// For every kind but `certificate`: the ECDSA P-256 public key, PEM (`-----BEGIN PUBLIC
    /// KEY-----`) or base64 of the DER SubjectPublicKeyInfo (WebCrypto's `exportKey("spki")`).
    #[serde(default)]
    public_key: Option<String>,
    /// For kind `certificate`: the PEM chain, the member's certificate first, then any
    /// intermediates (not the root). Checked for chain, validity, key usage
    /// (digitalSignature or nonRepudiation) and the CA's CRL now and at every signature.
    #[serde(default)]
    certificate_chain: Option<String>,
    /// 1–100 characters naming the device ("office laptop").
    label: String,
}

/// Enrol a signing key for the caller (a committee member). The first key is in force at once;
/// a further one is `pending` until an admin approves it. Logged (`signing_key.enrolled`).
#[utoipa::path(
    request_body = EnrolmentBody,
    responses((status = 201, body = SigningKeyView),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/me/signing-keys")]
pub(crate) async fn enrol(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::EnrolSigningKeys, Json<EnrolmentBody>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let key = state
        .signing_keys
        .enrol(
            &principal,
            Enrolment {
                kind: body.kind,
                public_key: body.public_key,
                certificate_chain: body.certificate_chain,
                label: body.label,
            },
        )
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/me/signing-keys/{}", key.id)))
        .json(key))
}

/// The caller's own signing keys, oldest first, revoked ones included.
#[utoipa::path(
    responses((status = 200, body = Vec<SigningKeyView>)),
    security(("bearer" = []))
)]
#[get("/api/v1/me/signing-keys")]
pub(crate) async fn own(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::EnrolSigningKeys>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.signing_keys.own(&principal).await?))
}

/// Every member's signing keys not yet revoked, pending ones first, with whose they are: what
/// an admin approves or revokes.
#[utoipa::path(
    responses((status = 200, body = Vec<AccountSigningKeyView>),
              (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/signing-keys")]
pub(crate) async fn unrevoked(
    state: web::Data<AppState>,
    Authorized { .. }: Authorized<may::ApproveSigningKeys>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.signing_keys.unrevoked().await?))
}

/// An admin puts a member's pending key in force. Logged (`signing_key.approved`).
#[utoipa::path(
    params(("key_id" = String, Path)),
    responses((status = 200, body = SigningKeyView),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/signing-keys/{key_id}/approve")]
pub(crate) async fn approve(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ApproveSigningKeys>,
    key_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.signing_keys.approve(&principal, &key_id).await?))
}

/// Its owner or an admin revokes a key; it signs nothing after, and what it signed before
/// stays valid. Logged (`signing_key.revoked`).
#[utoipa::path(
    params(("key_id" = String, Path)),
    responses((status = 200, body = SigningKeyView),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/signing-keys/{key_id}/revoke")]
pub(crate) async fn revoke(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::RevokeSigningKeys>,
    key_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.signing_keys.revoke(&principal, &key_id).await?))
}
