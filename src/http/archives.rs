//! Evaluation archive packages (issue 19 §2; docs/ARCHIVE.md §10): a closed session's (or an
//! on-site evaluation's draw's) package as one zip, the list of kept packages, and deleting one
//! whose retention period has passed.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Authorized, Checked, may};
use super::{AppState, problem::ApiError};
use crate::archive::service::{ArchiveError, ArchiveView, Reader};

type Problem = super::problem::Problem;

impl From<ArchiveError> for ApiError {
    fn from(error: ArchiveError) -> Self {
        match error {
            ArchiveError::NotFound => Self::not_found("no such session or draw"),
            ArchiveError::NoPackage => Self::not_found("no such archive package"),
            ArchiveError::Conflict(detail) => Self::conflict("conflict", detail),
            ArchiveError::Gone(detail) => Self::new(StatusCode::GONE, "gone", "Gone", detail),
            ArchiveError::Forbidden(detail) => Self::forbidden("forbidden", detail),
            ArchiveError::Publication(e) => e.into(),
            ArchiveError::Store(e) => e.into(),
            ArchiveError::Audit(e) => e.into(),
            ArchiveError::Draw(e) => e.into(),
            // The font or the renderer is missing on this server: nothing was kept, and a
            // retry after the operator fixes it succeeds. The cause goes to the log only.
            ArchiveError::Pdf(cause) => Self::unavailable(
                "the archive's readable report cannot be rendered on this server \
                     (archive.font, or the renderer); nothing was kept",
            )
            .with_cause(cause.to_string()),
            // The CA's CRL as the server holds it now dates a certificate's revocation at or
            // before a signature the server accepted (a backdated revocation): the record and
            // the CA disagree, which is for people to resolve, not a fault of this server.
            ArchiveError::SelfCheck(failure) if failure.field.starts_with("certificate_chain") => {
                Self::conflict(
                    "conflict",
                    format!(
                        "the package would not verify, so nothing was kept: {failure}; the CA's \
                         revocation list contradicts a signature accepted earlier, which an admin \
                         must take up with the CA"
                    ),
                )
            }
            other => Self::internal(other),
        }
    }
}

/// A closed session's package (or an on-site evaluation's draw's), as one zip of the files
/// docs/ARCHIVE.md specifies: built and kept on the first request, the kept one after.
#[utoipa::path(
    params(("id" = String, Path, description = "a session id, or the draw id of an on-site evaluation")),
    responses(
        (status = 200, content_type = "application/zip", description = "the package; `Sealdraw-Archive-Id` names its id"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 410, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/archives/{id}")]
pub(crate) async fn export(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ReadArchives>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (view, package) = state
        .archives
        .package(Reader::Account(&principal), &id)
        .await?;
    let zip = package.to_zip().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header(("Sealdraw-Archive-Id", view.id.clone()))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"archive-{}.zip\"", view.id),
        ))
        .body(zip))
}

/// The readable report with the committee's names, for a supervisor within jurisdiction once
/// the committee list is published (each read logged): rendered on request, never kept.
#[utoipa::path(
    params(("id" = String, Path, description = "a closed session's id")),
    responses(
        (status = 200, content_type = "application/pdf", description = "the named readable report"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/archives/{id}/named-report")]
pub(crate) async fn named_report(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ReadArchives>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let pdf = state
        .archives
        .named_report(&principal, &id, &state.publications, &state.pool)
        .await?;
    Ok(HttpResponse::Ok().content_type("application/pdf").body(pdf))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// 1 to 200, default 50.
    pub(crate) limit: Option<i64>,
    /// The id of the last package of the previous page: the list continues after it.
    pub(crate) before: Option<String>,
}

/// Kept packages the reader may see (an admin all, a supervisor those within jurisdiction),
/// newest first.
#[utoipa::path(
    params(ListQuery),
    responses((status = 200, body = Vec<ArchiveView>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/archives")]
pub(crate) async fn list(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: query,
        ..
    }: Checked<may::ReadArchives, web::Query<ListQuery>>,
) -> Result<HttpResponse, ApiError> {
    let views = state
        .archives
        .list(
            &principal,
            query.before.as_deref(),
            query.limit.unwrap_or(50),
        )
        .await?;
    Ok(HttpResponse::Ok().json(views))
}

/// Deletes a package whose retention period (`archive.retention_years`) has passed: an
/// admin's act, in the audit log. Refused before it expires.
#[utoipa::path(
    params(("package_id" = String, Path)),
    responses(
        (status = 204),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 410, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
#[delete("/api/v1/archives/{package_id}")]
pub(crate) async fn remove(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::DeleteArchives>,
    package_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.archives.delete(&principal, &package_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
