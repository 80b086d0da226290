//! The only code that knows SQL. One interface, [`Store`] and its transaction [`Tx`], over two
//! backends: SQLite (embedded default) and PostgreSQL (production). Queries are written once
//! with `$n` placeholders, which both accept, and run on whichever backend the URL selected.
//! Each backend owns its migrations (`migrations/sqlite`, `migrations/postgres`).

pub(crate) mod accounts;
pub(crate) mod admission;
pub(crate) mod analytics;
pub(crate) mod archives;
pub mod audit;
pub(crate) mod conduct;
pub(crate) mod credit;
pub mod draws;
pub(crate) mod fees;
pub(crate) mod interruptions;
pub mod invitations;
pub(crate) mod member_certificates;
pub mod outbox;
pub(crate) mod pool;
pub(crate) mod primary;
pub(crate) mod scratch;
pub(crate) mod sessions;
pub(crate) mod signals;
pub mod signing_keys;
pub(crate) mod synthetic;
pub(crate) mod text_enum;
pub(crate) mod training;
pub(crate) mod venues;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Postgres, Sqlite, Transaction};

use crate::crypto::Suite;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a record with the same {0} already exists")]
    Conflict(&'static str),
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// No connection (or, on SQLite, no turn to write) within the wait: the database is busy
    /// or not reachable, and a retry may succeed.
    #[error("the database did not answer in time")]
    Unavailable,
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

/// A column that does not decode (a state's text that is none of its variants, say) is corrupt
/// data, not a database failure.
impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::ColumnDecode { .. } => StoreError::Corrupt(error.to_string()),
            sqlx::Error::PoolTimedOut => StoreError::Unavailable,
            // The connection broke (the database stopped, or a failover is under way) or the
            // server is not accepting work now: a retry on a new connection may succeed. The
            // transaction rolled back, unless the break came during its COMMIT, whose outcome
            // is then unknown (docs/OPERATIONS.md, "Failover": requests carry their own ids).
            sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
                StoreError::Unavailable
            }
            sqlx::Error::Database(ref database) if is_transient(database.code().as_deref()) => {
                StoreError::Unavailable
            }
            other => StoreError::Database(other),
        }
    }
}

/// PostgreSQL's answers that mean "not now" rather than "never": a connection exception
/// (class 08), the server shutting down or starting (57P01–57P03), a standby refusing a write
/// after a demotion (25006), too many connections (53300).
fn is_transient(sqlstate: Option<&str>) -> bool {
    sqlstate.is_some_and(|code| {
        code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "25006" | "53300")
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
/// The deployment's cipher suite travels with the store: the audit log's hashes are computed
/// where entries are appended, inside a transaction.
pub enum Store {
    Sqlite(SqlitePool, WriterQueue, WriteHealth, Suite),
    Postgres(PgPool, WriteHealth, Suite),
}

/// SQLite has one writer at a time. Writers of this process wait for it here, in arrival
/// order, instead of in SQLite's busy handler, which polls with sleeps of up to 100 ms and
/// turned a few queued writers into tail latencies of seconds (BENCHMARKS.md, Draws).
#[derive(Clone, Default)]
pub struct WriterQueue(std::sync::Arc<tokio::sync::Mutex<()>>);

/// How long a writer waits for its turn; the same bound as SQLite's own busy timeout.
const WRITER_WAIT: Duration = Duration::from_secs(5);

/// Whether the last write transaction failed to commit. Readiness needs to know: a probe that
/// rolls back cannot see a failing commit, since SQLite writes nothing to disk before COMMIT.
#[derive(Clone, Default)]
pub struct WriteHealth(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl WriteHealth {
    fn record(&self, committed: bool) {
        let was_failing = self
            .0
            .swap(!committed, std::sync::atomic::Ordering::Relaxed);
        match (was_failing, committed) {
            (false, false) => {
                tracing::warn!("a database write failed to commit; readiness now needs a commit")
            }
            (true, true) => tracing::info!("database writes commit again"),
            _ => {}
        }
    }

    fn commit_failed(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Alive while any clone of its store is: lets a background task end with the store.
    fn watch(&self) -> std::sync::Weak<std::sync::atomic::AtomicBool> {
        std::sync::Arc::downgrade(&self.0)
    }
}

/// A transaction on either backend. Dropping it without `commit` rolls it back, with the
/// audit entries appended in it (see [`audit::PendingAudit`]).
pub enum Tx {
    Sqlite(SqliteTx),
    Postgres(PgTx),
}

/// A SQLite transaction, holding this process's writer turn when it writes.
pub struct SqliteTx {
    transaction: Transaction<'static, Sqlite>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// Where a write transaction reports whether it committed; `None` for reads.
    health: Option<WriteHealth>,
    pending_audit: audit::PendingAudit,
    pool_version_bumped: bool,
}

/// A PostgreSQL transaction.
pub struct PgTx {
    transaction: Transaction<'static, Postgres>,
    /// Where a write transaction reports whether it committed; `None` for reads.
    health: Option<WriteHealth>,
    pending_audit: audit::PendingAudit,
    /// Whether this transaction has counted a change of the pool already
    /// ([`Tx::bump_pool_version`]): once is enough, and once per row made an import of
    /// 100,000 experts update one PostgreSQL row 100,000 times in a transaction, each update
    /// walking the dead versions before it.
    pool_version_bumped: bool,
}

impl PgTx {
    fn new(
        transaction: Transaction<'static, Postgres>,
        health: Option<WriteHealth>,
        suite: Suite,
    ) -> Self {
        Self {
            transaction,
            health,
            pending_audit: audit::PendingAudit::new(suite),
            pool_version_bumped: false,
        }
    }
}

impl std::ops::Deref for PgTx {
    type Target = sqlx::PgConnection;

    fn deref(&self) -> &Self::Target {
        &self.transaction
    }
}

impl std::ops::DerefMut for PgTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.transaction
    }
}

impl std::ops::Deref for SqliteTx {
    type Target = sqlx::SqliteConnection;

    fn deref(&self) -> &Self::Target {
        &self.transaction
    }
}

impl std::ops::DerefMut for SqliteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.transaction
    }
}

impl SqliteTx {
    fn reading(transaction: Transaction<'static, Sqlite>, suite: Suite) -> Self {
        Self {
            transaction,
            _turn: None,
            health: None,
            pending_audit: audit::PendingAudit::new(suite),
            pool_version_bumped: false,
        }
    }
}

/// Runs the same query code on whichever backend a transaction belongs to.
macro_rules! on_conn {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
            $crate::store::Tx::Postgres(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
        }
    };
}
pub(crate) use on_conn;

pub struct ConnectOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Store {
    /// Connects to the database of a deployment whose cipher suite is `suite` (the key file's;
    /// startup checks that the database was made under the same one).
    pub async fn connect(
        url: &str,
        options: &ConnectOptions,
        suite: Suite,
    ) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let candidates = primary::candidates(url)?;
            // At start the primary is looked for among all hosts; none answering as one is a
            // failed start (the service manager retries), not a server that cannot write.
            let current = primary::find_primary(&candidates).await.unwrap_or(0);
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                .after_connect(|connection, _| Box::pin(primary::refuse_standby(connection)))
                .connect_with(candidates[current].clone())
                .await?;
            let health = WriteHealth::default();
            tokio::spawn(primary::follow(
                pool.clone(),
                candidates,
                current,
                health.watch(),
            ));
            return Ok(Self::Postgres(pool, health, suite));
        }
        let connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // The audit log's durability matters more than write latency.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let file = connect.get_filename().to_path_buf();
        let on_disk = file.as_os_str() != ":memory:" && !file.as_os_str().is_empty();
        if on_disk {
            prepare_private_database(&file).map_err(|e| StoreError::Database(e.into()))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .after_release(|connection, _| {
                Box::pin(async move {
                    // The connection's worker runs the rollback of a dropped transaction after
                    // the drop; a ping queued behind it waits until it has run.
                    sqlx::Connection::ping(connection).await?;
                    Ok(fit_for_reuse(connection))
                })
            })
            .connect_with(connect)
            .await?;
        if on_disk {
            // SQLite gives its -wal and -shm files the database file's mode; this covers ones
            // made otherwise (by the sqlite3 shell, say) while the server was not running.
            for companion in companions(&file) {
                crate::private_files::restrict(&companion)
                    .map_err(|e| StoreError::Database(e.into()))?;
            }
        }
        Ok(Self::Sqlite(
            pool,
            WriterQueue::default(),
            WriteHealth::default(),
            suite,
        ))
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(..) => Backend::Sqlite,
            Self::Postgres(..) => Backend::Postgres,
        }
    }

    fn health(&self) -> &WriteHealth {
        match self {
            Self::Sqlite(_, _, health, _) | Self::Postgres(_, health, _) => health,
        }
    }

    /// The deployment's cipher suite.
    pub fn suite(&self) -> Suite {
        match self {
            Self::Sqlite(.., suite) | Self::Postgres(.., suite) => *suite,
        }
    }

    pub(crate) async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(pool, ..) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Self::Postgres(pool, ..) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// A transaction that will write. SQLite takes the write lock up front (`BEGIN IMMEDIATE`)
    /// so that two writers never deadlock upgrading read locks.
    pub async fn write(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Self::Sqlite(pool, queue, health, suite) => {
                let turn = tokio::time::timeout(WRITER_WAIT, queue.0.clone().lock_owned())
                    .await
                    .map_err(|_| StoreError::Unavailable)?;
                Tx::Sqlite(SqliteTx {
                    transaction: pool.begin_with("BEGIN IMMEDIATE").await?,
                    _turn: Some(turn),
                    health: Some(health.clone()),
                    pending_audit: audit::PendingAudit::new(*suite),
                    pool_version_bumped: false,
                })
            }
            Self::Postgres(pool, health, suite) => {
                Tx::Postgres(PgTx::new(pool.begin().await?, Some(health.clone()), *suite))
            }
        })
    }

    /// A transaction that only reads: a consistent snapshot that does not block writers.
    pub async fn read(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Self::Sqlite(pool, .., suite) => {
                Tx::Sqlite(SqliteTx::reading(pool.begin().await?, *suite))
            }
            Self::Postgres(pool, _, suite) => {
                Tx::Postgres(PgTx::new(pool.begin().await?, None, *suite))
            }
        })
    }

    /// A read-only transaction that sees one consistent state of every table for its whole
    /// life (SQLite's read transactions already do; PostgreSQL needs REPEATABLE READ).
    pub(crate) async fn snapshot(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Self::Sqlite(pool, .., suite) => {
                Tx::Sqlite(SqliteTx::reading(pool.begin().await?, *suite))
            }
            Self::Postgres(pool, _, suite) => Tx::Postgres(PgTx::new(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
                None,
                *suite,
            )),
        })
    }

    /// Readiness: whether an action could be written now. Every action appends to the audit
    /// log, so the probe does what an append does — takes the write lock and the log's head
    /// and inserts an entry (a placeholder at index -1, which no reader ever sees) — and rolls
    /// back. After a failed commit that is not enough: only a commit reaches the disk, so the
    /// probe then deletes its placeholder and commits, and a commit that works clears the
    /// failure.
    pub async fn probe_writes(&self) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        tx.lock_audit_head().await?;
        tx.insert_probe_entry().await?;
        if self.health().commit_failed() {
            tx.delete_probe_entry().await?;
            tx.commit().await
        } else {
            tx.rollback().await
        }
    }

    /// Whether a synchronous standby has replayed the WAL up to `position`
    /// ([`Tx::wal_position`]); always true on SQLite, which has no standby.
    pub(crate) async fn standby_has_replayed(&self, position: &str) -> Result<bool, StoreError> {
        match self {
            Self::Sqlite(..) => Ok(true),
            Self::Postgres(pool, ..) => {
                let mut connection = pool.acquire().await?;
                Ok(primary::standby_has_replayed(&mut connection, position).await?)
            }
        }
    }

    pub async fn close(&self) {
        match self {
            Self::Sqlite(pool, ..) => pool.close().await,
            Self::Postgres(pool, ..) => pool.close().await,
        }
    }
}

/// Whether a SQLite connection coming back to the pool may serve again. SQLite rolls a
/// transaction back by itself when a write fails with an I/O error or a full disk; sqlx's
/// `ROLLBACK` then fails ("no transaction is active") and sqlx keeps counting the connection as
/// inside a transaction, so every later `BEGIN IMMEDIATE` on it would be refused
/// (`InvalidSavePointStatement`) until a restart. Such a connection is closed and the pool opens
/// a fresh one. (sqlx's PostgreSQL side counts a dropped transaction closed as soon as it queues
/// the `ROLLBACK`, so its connections cannot get stuck this way.)
fn fit_for_reuse(connection: &sqlx::SqliteConnection) -> bool {
    let fit = !sqlx::Connection::is_in_transaction(connection);
    if !fit {
        tracing::warn!("discarding a database connection left inside a failed transaction");
    }
    fit
}

impl Tx {
    /// Writes the audit entries appended in this transaction, then commits. A write
    /// transaction reports the outcome to its store's [`WriteHealth`].
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let written = self.write_pending_audit().await;
        let (committed, health) = match self {
            Self::Sqlite(t) => match written {
                Ok(()) => (t.transaction.commit().await.map_err(Into::into), t.health),
                Err(error) => (Err(error), t.health),
            },
            Self::Postgres(t) => match written {
                Ok(()) => (t.transaction.commit().await.map_err(Into::into), t.health),
                Err(error) => (Err(error), t.health),
            },
        };
        if let Some(health) = health {
            health.record(committed.is_ok());
        }
        committed
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(t) => t.transaction.rollback().await?,
            Self::Postgres(t) => t.transaction.rollback().await?,
        }
        Ok(())
    }
}

/// The database file and its directory, readable by the server's account only (sqlx leaves
/// them to SQLite, which creates files 0644 under the usual umask): the directory 0700 if it is
/// made here, the file and any companions left from before 0600.
fn prepare_private_database(file: &std::path::Path) -> std::io::Result<()> {
    if let Some(parent) = file.parent() {
        crate::private_files::create_dir_all(parent)?;
    }
    crate::private_files::create_file(file)?;
    for companion in companions(file) {
        crate::private_files::restrict(&companion)?;
    }
    Ok(())
}

/// The files SQLite keeps beside a database: the write-ahead log, its index, a rollback journal.
fn companions(file: &std::path::Path) -> [std::path::PathBuf; 3] {
    ["-wal", "-shm", "-journal"].map(|suffix| {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        name.into()
    })
}

/// `($1, $2), ($3, $4), …` for a multi-row `VALUES` of `rows` rows of `columns` columns: one
/// round trip instead of one per row, which is what bulk writes cost on PostgreSQL.
pub(crate) fn values_placeholders(rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(row * columns + column + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`] naming what collided.
pub(crate) fn conflict_as(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => error.into(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn versions(dir: &str) -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".sql"))
            .collect()
    }

    #[test]
    fn a_broken_connection_or_a_server_not_taking_work_now_is_retryable() {
        let broken = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert!(matches!(
            super::StoreError::from(sqlx::Error::Io(broken)),
            super::StoreError::Unavailable
        ));
        for code in ["08006", "08001", "57P01", "57P03", "25006", "53300"] {
            assert!(super::is_transient(Some(code)), "{code}");
        }
        // A constraint or a syntax error is not cured by retrying.
        for code in ["23505", "42601", "40001"] {
            assert!(!super::is_transient(Some(code)), "{code}");
        }
        assert!(!super::is_transient(None));
    }

    #[test]
    fn a_pool_timeout_is_the_store_being_unavailable_not_a_database_error() {
        assert!(matches!(
            super::StoreError::from(sqlx::Error::PoolTimedOut),
            super::StoreError::Unavailable
        ));
        assert!(matches!(
            super::conflict_as("name")(sqlx::Error::PoolTimedOut),
            super::StoreError::Unavailable
        ));
        assert!(matches!(
            super::StoreError::from(sqlx::Error::RowNotFound),
            super::StoreError::Database(_)
        ));
    }

    #[test]
    fn placeholders_number_rows_then_columns() {
        assert_eq!(
            super::values_placeholders(2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(super::values_placeholders(1, 1), "($1)");
    }

    async fn sqlite_store(dir: &tempfile::TempDir) -> super::Store {
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        let options = super::ConnectOptions {
            max_connections: 2,
            acquire_timeout: std::time::Duration::from_secs(5),
        };
        let store = super::Store::connect(&url, &options, crate::crypto::Suite::Intl2024)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        store
    }

    async fn execute(store: &super::Store, sql: &str) {
        let super::Store::Sqlite(pool, ..) = store else {
            unreachable!("a SQLite store")
        };
        sqlx::Executor::execute(pool, sql).await.unwrap();
    }

    /// SQL cannot make a SQLite COMMIT fail (the integration suite does it on PostgreSQL), so
    /// the failure is recorded as `Tx::commit` records one.
    #[tokio::test]
    async fn after_a_failed_commit_readiness_commits_its_probe_and_a_working_commit_clears_the_failure()
     {
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite_store(&dir).await;
        store.probe_writes().await.unwrap();
        store.health().record(false);
        // The disk still fails: SQLite rolls the transaction back on the first write.
        execute(
            &store,
            "CREATE TRIGGER failing_disk BEFORE INSERT ON audit_entries \
             BEGIN SELECT RAISE(ROLLBACK, 'disk I/O error'); END;",
        )
        .await;
        assert!(store.probe_writes().await.is_err());
        assert!(store.health().commit_failed());

        execute(&store, "DROP TRIGGER failing_disk").await;
        store.probe_writes().await.unwrap();
        assert!(!store.health().commit_failed());
        let mut tx = store.read().await.unwrap();
        let left: i64 = on_conn!(&mut tx, conn => sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_entries").fetch_one(conn).await)
        .unwrap();
        assert_eq!(left, 0, "the probe left an entry behind");
        assert_eq!(tx.audit_head().await.unwrap(), vec![0; 8]);
    }

    #[test]
    fn both_backends_have_the_same_migration_versions() {
        let root = env!("CARGO_MANIFEST_DIR");
        let sqlite = versions(&format!("{root}/migrations/sqlite"));
        let postgres = versions(&format!("{root}/migrations/postgres"));
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }
}
