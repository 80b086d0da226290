//! PostgreSQL with a standby (docs/OPERATIONS.md, "Failover"): the URL may name several hosts,
//! libpq-style (`postgres://sealdraw@db-a:5432,db-b:5432/sealdraw`), and the pool writes to
//! whichever of them is the primary. Patroni decides which one that is; the server only follows:
//!
//! - every new connection asks `pg_is_in_recovery()` and a standby's is closed at once, so no
//!   request ever runs on a standby (it would fail on its first write, half-way through);
//! - a follower task asks the current host once a second and, when it is gone or has become a
//!   standby, finds the host that is now the primary and points the pool's new connections
//!   there. Requests meanwhile wait for a connection up to the acquire timeout and then answer
//!   a retryable 503 (`StoreError::Unavailable`).
//!
//! The same task samples the primary's replication state for the metrics the alert rules read
//! (`sealdraw_db_sync_standbys`, `sealdraw_db_standby_replay_lag_bytes`).

use std::str::FromStr;
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgPool};

use super::StoreError;

/// How often the follower asks whether the host it writes to is still the primary: a bound on
/// how long after a promotion the server keeps trying the old host.
const FOLLOW_INTERVAL: Duration = Duration::from_secs(1);
/// How long one host may take to answer that question.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The hosts a PostgreSQL URL names, each as its own connect options, in the URL's order.
pub(crate) fn candidates(url: &str) -> Result<Vec<PgConnectOptions>, StoreError> {
    let invalid = |why: String| StoreError::Database(sqlx::Error::Configuration(why.into()));
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| invalid("a PostgreSQL URL starts with postgres://".into()))?;
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (user, hosts) = match authority.rsplit_once('@') {
        Some((user, hosts)) => (format!("{user}@"), hosts),
        None => (String::new(), authority),
    };
    let tail = without_target_session_attrs(tail).map_err(invalid)?;
    hosts
        .split(',')
        .map(|host| {
            if host.is_empty() {
                return Err(invalid("database.url names an empty host".into()));
            }
            PgConnectOptions::from_str(&format!("{scheme}://{user}{host}{tail}"))
                .map_err(StoreError::Database)
        })
        .collect()
}

/// libpq's `target_session_attrs` is how a multi-host URL asks for the primary; the server
/// always needs the primary, so `read-write` and `primary` are accepted and dropped (sqlx does
/// not know the parameter), and any other target is refused rather than ignored.
fn without_target_session_attrs(tail: &str) -> Result<String, String> {
    let Some((path, query)) = tail.split_once('?') else {
        return Ok(tail.to_owned());
    };
    let mut kept = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("target_session_attrs", "read-write" | "primary")) => {}
            Some(("target_session_attrs", other)) => {
                return Err(format!(
                    "database.url: target_session_attrs={other} is not supported; the server \
                     writes, so it always connects to the primary (read-write)"
                ));
            }
            _ => kept.push(pair),
        }
    }
    Ok(if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    })
}

/// Whether a connection is to a primary; a standby's is refused before the pool hands it out.
pub(crate) async fn refuse_standby(connection: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&mut *connection)
        .await?;
    if in_recovery {
        // The connect loop retries until the acquire timeout: meanwhile the follower finds
        // the new primary, or the request answers a retryable 503.
        return Err(sqlx::Error::Protocol(
            "connected to a standby (in recovery); writes need the primary".into(),
        ));
    }
    Ok(())
}

/// Whether `host` answers and is a primary now.
async fn is_primary(host: &PgConnectOptions) -> bool {
    let probe = async {
        let mut connection = sqlx::PgConnection::connect_with(host).await?;
        let outcome = refuse_standby(&mut connection).await;
        let _ = connection.close().await;
        outcome
    };
    matches!(tokio::time::timeout(PROBE_TIMEOUT, probe).await, Ok(Ok(())))
}

/// The first of `candidates` that is a primary now, with its position.
pub(crate) async fn find_primary(candidates: &[PgConnectOptions]) -> Option<usize> {
    for (position, host) in candidates.iter().enumerate() {
        if is_primary(host).await {
            return Some(position);
        }
    }
    None
}

/// Keeps `pool`'s new connections going to the primary among `candidates` (starting at
/// `current`) and samples replication for the metrics, until the pool closes or its store is
/// gone (`store_alive` no longer upgrades; this task's own clone must not keep the pool open).
pub(crate) async fn follow(
    pool: PgPool,
    candidates: Vec<PgConnectOptions>,
    mut current: usize,
    store_alive: std::sync::Weak<std::sync::atomic::AtomicBool>,
) {
    let mut ticks = tokio::time::interval(FOLLOW_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if pool.is_closed() {
            return;
        }
        if store_alive.strong_count() == 0 {
            pool.close().await;
            return;
        }
        if candidates.len() > 1 && !is_primary(&candidates[current]).await {
            if let Some(position) = find_primary(&candidates).await
                && position != current
            {
                tracing::warn!(
                    from = host_name(&candidates[current]),
                    to = host_name(&candidates[position]),
                    "the database primary moved; new connections go to the new primary"
                );
                pool.set_connect_options(candidates[position].clone());
                current = position;
            }
            continue;
        }
        sample_replication(&pool).await;
    }
}

/// `host:port`, for logs (never the user or password).
fn host_name(options: &PgConnectOptions) -> String {
    format!("{}:{}", options.get_host(), options.get_port())
}

/// The primary's view of its standbys, as the pg_monitor role sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Replication {
    /// Synchronous standbys connected now (`sync` or `quorum`).
    pub(crate) sync_standbys: i64,
    /// How far the furthest-behind standby's replay is behind the primary's WAL, in bytes.
    pub(crate) replay_lag_bytes: i64,
}

const REPLICATION_QUERY: &str = "SELECT \
       count(*) FILTER (WHERE sync_state IN ('sync', 'quorum') AND replay_lsn IS NOT NULL), \
       COALESCE(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0)::bigint \
     FROM pg_stat_replication";

pub(crate) async fn replication(
    connection: &mut sqlx::PgConnection,
) -> Result<Replication, sqlx::Error> {
    let (sync_standbys, replay_lag_bytes): (i64, i64) = sqlx::query_as(REPLICATION_QUERY)
        .fetch_one(&mut *connection)
        .await?;
    Ok(Replication {
        sync_standbys,
        replay_lag_bytes,
    })
}

async fn sample_replication(pool: &PgPool) {
    // A busy pool is not starved for a metric: the sample waits for the next idle connection.
    let Some(mut connection) = pool.try_acquire() else {
        return;
    };
    if let Ok(Ok(state)) = tokio::time::timeout(PROBE_TIMEOUT, replication(&mut connection)).await {
        metrics::gauge!("sealdraw_db_sync_standbys").set(state.sync_standbys as f64);
        metrics::gauge!("sealdraw_db_standby_replay_lag_bytes").set(state.replay_lag_bytes as f64);
    }
}

/// Until which WAL position a synchronous standby must have replayed for everything committed
/// before this call to survive a failover.
pub(crate) async fn current_wal_position(
    connection: &mut sqlx::PgConnection,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
        .fetch_one(&mut *connection)
        .await
}

/// Whether a synchronous standby has replayed up to `position`.
pub(crate) async fn standby_has_replayed(
    connection: &mut sqlx::PgConnection,
    position: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_replication \
           WHERE sync_state IN ('sync', 'quorum') AND replay_lsn >= $1::pg_lsn)",
    )
    .bind(position)
    .fetch_one(&mut *connection)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(url: &str) -> Vec<(String, u16, String)> {
        candidates(url)
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o.get_host().to_owned(),
                    o.get_port(),
                    o.get_database().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn a_url_with_several_hosts_gives_one_candidate_each_in_order() {
        assert_eq!(
            hosts(
                "postgres://sealdraw:pw@db-a:5432,db-b:6543/sealdraw?target_session_attrs=read-write&sslmode=disable"
            ),
            vec![
                ("db-a".into(), 5432, "sealdraw".into()),
                ("db-b".into(), 6543, "sealdraw".into())
            ]
        );
        assert_eq!(
            hosts("postgresql://127.0.0.1:5000/x"),
            vec![("127.0.0.1".into(), 5000, "x".into())]
        );
    }

    #[test]
    fn a_target_other_than_the_primary_or_an_empty_host_is_refused() {
        for url in [
            "postgres://a:1,b:2/db?target_session_attrs=read-only",
            "postgres://a:1,,b:2/db",
            "postgres://a:1,b:2/db?target_session_attrs=standby",
        ] {
            assert!(candidates(url).is_err(), "{url}");
        }
    }

    #[test]
    fn only_the_target_parameter_is_dropped() {
        assert_eq!(
            without_target_session_attrs("/db?sslmode=require&target_session_attrs=primary")
                .unwrap(),
            "/db?sslmode=require"
        );
        assert_eq!(
            without_target_session_attrs("/db?target_session_attrs=read-write").unwrap(),
            "/db"
        );
        assert_eq!(without_target_session_attrs("/db").unwrap(), "/db");
    }
}
