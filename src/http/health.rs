//! Liveness and readiness for load balancers and orchestrators.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use super::{AppState, problem::ApiError};
use crate::clock::{Clock, Millis, SharedClock};
use crate::store::Store;

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Status {
    pub(crate) status: &'static str,
}

/// The process is up.
#[utoipa::path(responses((status = 200, body = Status)))]
#[get("/healthz")]
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// The process can serve: its store answers and can take a write (an audit entry) now.
#[utoipa::path(responses(
    (status = 200, body = Status),
    (status = 503, body = super::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/readyz")]
pub(crate) async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match state.readiness.check().await {
        Ok(()) => Ok(HttpResponse::Ok().json(Status { status: "ready" })),
        Err(detail) => Err(ApiError::unavailable(detail)),
    }
}

/// How long a readiness answer is reused, so that however often load balancers (or anyone
/// else: the route is public) poll, an instance probes its database at most once a second.
const READINESS_FRESH_MS: Millis = 1_000;

/// The readiness probe. It keeps a store handle of its own, the one exception to "handlers
/// reach data only through services": what it asks is whether the store itself can take a
/// write, which is no domain service's question, and it reads nothing.
pub(crate) struct Readiness {
    store: Store,
    clock: SharedClock,
    last: LastAnswer,
}

impl Readiness {
    pub(crate) fn new(store: Store, clock: SharedClock) -> Self {
        Self {
            store,
            clock,
            last: LastAnswer::default(),
        }
    }

    async fn check(&self) -> Result<(), &'static str> {
        let probe = async {
            match tokio::time::timeout(Duration::from_secs(2), self.store.probe_writes()).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(error)) => {
                    tracing::warn!(cause = %error, "readiness check failed");
                    Err("the store cannot take writes")
                }
                Err(_) => {
                    tracing::warn!("readiness check timed out");
                    Err("the store did not answer in time")
                }
            }
        };
        self.last.check(&*self.clock, probe).await
    }
}

/// The last readiness answer and when it was found. One probe runs at a time; polls that
/// arrive meanwhile wait for it and share its answer.
#[derive(Default)]
struct LastAnswer(tokio::sync::Mutex<Option<(Millis, Result<(), &'static str>)>>);

impl LastAnswer {
    async fn check(
        &self,
        clock: &dyn Clock,
        probe: impl Future<Output = Result<(), &'static str>>,
    ) -> Result<(), &'static str> {
        let mut last = self.0.lock().await;
        let now = clock.now_millis();
        if let Some((found_at, answer)) = *last
            && (found_at..found_at.saturating_add(READINESS_FRESH_MS)).contains(&now)
        {
            return answer;
        }
        let answer = probe.await;
        *last = Some((clock.now_millis(), answer));
        answer
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::clock::ManualClock;

    async fn counted(
        probes: &AtomicUsize,
        answer: Result<(), &'static str>,
    ) -> Result<(), &'static str> {
        probes.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await;
        answer
    }

    #[tokio::test]
    async fn polls_within_a_second_share_one_probe_and_later_ones_probe_again() {
        let readiness = LastAnswer::default();
        let clock = ManualClock::starting_at(1_000_000);
        let probes = AtomicUsize::new(0);
        let answers = futures_util::future::join_all(
            (0..20).map(|_| readiness.check(&clock, counted(&probes, Ok(())))),
        )
        .await;
        assert!(answers.iter().all(Result::is_ok));
        assert_eq!(probes.load(Ordering::SeqCst), 1);

        clock.advance(Duration::from_millis(999));
        let cached = readiness.check(&clock, counted(&probes, Err("down"))).await;
        assert_eq!((cached, probes.load(Ordering::SeqCst)), (Ok(()), 1));

        clock.advance(Duration::from_millis(1));
        let fresh = readiness.check(&clock, counted(&probes, Err("down"))).await;
        assert_eq!((fresh, probes.load(Ordering::SeqCst)), (Err("down"), 2));
    }

    #[tokio::test]
    async fn a_clock_set_back_does_not_keep_an_old_answer() {
        let readiness = LastAnswer::default();
        let probes = AtomicUsize::new(0);
        let clock = ManualClock::starting_at(1_000_000);
        let _ = readiness.check(&clock, counted(&probes, Err("down"))).await;
        let earlier = ManualClock::starting_at(1_000_000 - 60_000);
        let answer = readiness.check(&earlier, counted(&probes, Ok(()))).await;
        assert_eq!((answer, probes.load(Ordering::SeqCst)), (Ok(()), 2));
    }
}
