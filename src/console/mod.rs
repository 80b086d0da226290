//! The web console: one page of ES modules for experts, trading centers, supervisors and
//! admins, embedded in the binary and served over the same TLS listener as the API.
//!
//! Government networks are closed, so nothing is fetched from elsewhere: no CDN, no web font,
//! no build step. The console talks only to the public API (`/api/v1/…`) with the same bearer
//! tokens as any other client; it has no privileges of its own.

use std::borrow::Cow;
use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

/// The console's own policy, stricter than a browser's defaults where it matters: scripts and
/// styles only from this origin and never inline, no frames, no plugins, no forms posted
/// anywhere, and Trusted Types so that no code path can assign markup to the DOM.
/// `connect-src 'self'` also covers the session websocket on the same host.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; manifest-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'; \
     require-trusted-types-for 'script'; trusted-types 'none'";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! assets {
    ($(($name:literal, $type:expr)),* $(,)?) => {
        &[$(Asset {
            name: $name,
            content_type: $type,
            bytes: include_bytes!(concat!("assets/", $name)),
        }),*]
    };
}

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: &[Asset] = assets![
    ("index.html", "text/html; charset=utf-8"),
    ("style.css", "text/css; charset=utf-8"),
    ("favicon.svg", "image/svg+xml"),
    ("app.js", JS),
    ("api.js", JS),
    ("dom.js", JS),
    ("validate.js", JS),
    ("i18n.js", JS),
    ("expert.js", JS),
    ("self-service.js", JS),
    ("strings/self-service.js", JS),
    ("session.js", JS),
    ("fees.js", JS),
    ("strings/fees.js", JS),
    ("money.js", JS),
    ("signing.js", JS),
    ("signing-key.js", JS),
    ("strings/signing.js", JS),
    ("session/signed-decision.js", JS),
    ("interruptions.js", JS),
    ("alerts.js", JS),
    ("analytics.js", JS),
    ("strings/alerts.js", JS),
    ("strings/analytics.js", JS),
    ("strings/interruptions.js", JS),
    ("session/room.js", JS),
    ("session/connection.js", JS),
    ("session/state.js", JS),
    ("session/labels.js", JS),
    ("session/report-digest.js", JS),
    ("session/report-view.js", JS),
    ("session/signature-status.js", JS),
    ("session/shared-panels.js", JS),
    ("session/expert-panel.js", JS),
    ("session/host-panel.js", JS),
    ("session/supervisor-panel.js", JS),
    ("center.js", JS),
    ("draw-request.js", JS),
    ("region-picker.js", JS),
    ("venues.js", JS),
    ("supervisor.js", JS),
    ("audit.js", JS),
    ("tlog.js", JS),
    ("sm.js", JS),
    ("vendor/sm-crypto-v2.js", JS),
    // Its licence, served beside it as its terms ask.
    ("vendor/LICENCE-sm-crypto-v2", "text/plain; charset=utf-8"),
    ("admin.js", JS),
    ("ratings.js", JS),
    ("strings/app.js", JS),
    ("strings/expert.js", JS),
    ("strings/session.js", JS),
    ("strings/center.js", JS),
    ("strings/venues.js", JS),
    ("strings/supervisor.js", JS),
    ("strings/audit.js", JS),
    ("strings/admin.js", JS),
    ("assessment.js", JS),
    ("strings/assessment.js", JS),
    ("training-input.js", JS),
    ("apply.js", JS),
    ("strings/apply.js", JS),
    ("applications.js", JS),
    ("strings/applications.js", JS),
    ("renewal-window.js", JS),
];

/// Content hashes, computed once: the browser revalidates on every load (`no-cache`) and gets
/// a 304 until the binary changes, so an upgrade is never mixed with cached old modules.
static ETAGS: LazyLock<Vec<String>> =
    LazyLock::new(|| ASSETS.iter().map(|asset| etag_of(asset.bytes)).collect());

fn etag_of(bytes: &[u8]) -> String {
    let digest = crate::crypto::untrusted_digest(bytes);
    format!("\"{}\"", hex::encode(&digest[..12]))
}

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(to_console))
        .route("/console", web::get().to(to_console))
        .route("/console/", web::get().to(index))
        // A path, not one segment: modules sit in folders (`session/`, `strings/`). Only names in
        // the table are served, so no path can reach anything else.
        .route("/console/{file:.+}", web::get().to(asset));
}

async fn to_console() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/"))
        .finish()
}

async fn index(request: HttpRequest) -> HttpResponse {
    serve(&request, "index.html")
}

async fn asset(request: HttpRequest, file: web::Path<String>) -> HttpResponse {
    serve(&request, &file)
}

fn serve(request: &HttpRequest, name: &str) -> HttpResponse {
    let Some(position) = ASSETS.iter().position(|asset| asset.name == name) else {
        return actix_web::ResponseError::error_response(&crate::web::ApiError::not_found(
            "no such console file",
        ));
    };
    let asset = &ASSETS[position];
    // A file edited on disk (debug builds) is revalidated by its own hash, like the embedded one.
    let (bytes, etag) = match dev_override(name) {
        Some(bytes) => {
            let etag = etag_of(&bytes);
            (Cow::Owned(bytes), Cow::Owned(etag))
        }
        None => (
            Cow::Borrowed(asset.bytes),
            Cow::Borrowed(ETAGS[position].as_str()),
        ),
    };
    let unchanged = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|value| value.as_bytes() == etag.as_bytes());
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, etag.as_ref()));
    if unchanged {
        return response.finish();
    }
    match bytes {
        Cow::Borrowed(bytes) => response.content_type(asset.content_type).body(bytes),
        Cow::Owned(bytes) => response.content_type(asset.content_type).body(bytes),
    }
}

/// Debug builds only: `SEALDRAW_CONSOLE_DIR=src/console/assets` serves the files from disk so
/// that editing the console needs no rebuild. Release builds always serve the embedded copy.
#[cfg(debug_assertions)]
fn dev_override(name: &str) -> Option<Vec<u8>> {
    let directory = std::env::var_os("SEALDRAW_CONSOLE_DIR")?;
    std::fs::read(std::path::Path::new(&directory).join(name)).ok()
}

#[cfg(not(debug_assertions))]
fn dev_override(_name: &str) -> Option<Vec<u8>> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_named_once_and_has_a_distinct_etag() {
        let mut names: Vec<_> = ASSETS.iter().map(|asset| asset.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ASSETS.len());
        assert_eq!(ETAGS.len(), ASSETS.len());
        assert!(ETAGS.iter().all(|etag| etag.len() == 26));
    }

    /// A file in `assets/` that the table does not list is a 404 in the browser, and a module
    /// that fails to load stops the whole console; a listed file that is gone fails the build.
    #[test]
    fn the_table_lists_every_file_in_the_assets_folder() {
        fn files(root: &std::path::Path, folder: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(folder).expect("the assets folder is readable") {
                let path = entry.expect("a readable folder entry").path();
                if path.is_dir() {
                    files(root, &path, found);
                } else {
                    let name = path.strip_prefix(root).expect("a path under the root");
                    found.push(name.to_string_lossy().into_owned());
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console/assets");
        let mut on_disk = Vec::new();
        files(&root, &root, &mut on_disk);
        on_disk.sort_unstable();
        let mut listed: Vec<String> = ASSETS.iter().map(|asset| asset.name.to_owned()).collect();
        listed.sort_unstable();
        assert_eq!(listed, on_disk);
    }

    #[test]
    fn no_asset_carries_inline_script_or_markup_sinks() {
        for asset in ASSETS {
            let text = std::str::from_utf8(asset.bytes).expect("assets are UTF-8 text");
            for forbidden in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "eval(",
                "document.write",
                "onclick=",
                "style=\"",
            ] {
                assert!(
                    !text.contains(forbidden),
                    "{} contains {forbidden}",
                    asset.name
                );
            }
            // The SVG namespace is a name, not a place anything is fetched from; nor is an
            // address in a comment (the vendored library cites its papers).
            let text = text
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n")
                .replace("http://www.w3.org/2000/svg", "");
            assert!(
                !text.contains("http://") && !text.contains("https://"),
                "{} names another origin",
                asset.name
            );
        }
    }
}
