//! Structured logs (JSON by default) and Prometheus metrics on a separate loopback listener, so
//! metrics are never exposed on the public port by accident.

use std::net::SocketAddr;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry};

/// Installs the global subscriber. `RUST_LOG`, when set, overrides the configured filter.
pub fn init_logging<W>(filter: &str, format: &str, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let registry = Registry::default().with(filter);
    let result = if format == "pretty" {
        registry
            .with(tracing_subscriber::fmt::layer().with_writer(writer))
            .try_init()
    } else {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer),
            )
            .try_init()
    };
    if result.is_err() {
        tracing::debug!("a global subscriber was already installed");
    }
}

/// The process-wide metrics recorder; installed once, rendered by every metrics listener.
pub(crate) fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!(
                    "a metrics recorder was already installed; sealdraw metrics are not recorded"
                );
            }
            handle
        })
        .clone()
}

/// Serves `GET /metrics` in plain HTTP on `address` (validated to be loopback unless the
/// operator opted out). Returns the bound address and the server to run.
pub(crate) fn metrics_server(
    address: &str,
) -> std::io::Result<(SocketAddr, actix_web::dev::Server)> {
    let handle = metrics_handle();
    let server = actix_web::HttpServer::new(move || {
        let handle = handle.clone();
        actix_web::App::new().route(
            "/metrics",
            actix_web::web::get().to(move || {
                let body = handle.render();
                async move {
                    actix_web::HttpResponse::Ok()
                        .content_type("text/plain; version=0.0.4")
                        .body(body)
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .bind(address)?;
    let bound = server.addrs()[0];
    Ok((bound, server.run()))
}
