//! The loop of the background tasks that domain services run on their own schedule (executing
//! overdue draws, expiring invitations); `startup` spawns them and owns their stop signal.

use std::time::Duration;

/// Runs `round` every `interval` until `stop` turns true; a failed round is logged and the next
/// one comes as usual.
pub(crate) async fn every<F, Fut, E>(
    interval: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
    what: &'static str,
    mut round: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
        if let Err(error) = round().await {
            tracing::error!(%error, "{what} failed");
        }
    }
}
