//! The only code that knows SQL. One interface, [`Store`] and its transaction [`Tx`], over two
//! backends: SQLite (embedded default) and PostgreSQL (production). Queries are written once
//! with `$n` placeholders, which both accept, and run on whichever backend the URL selected.
//! Each backend owns its migrations (`migrations/sqlite`, `migrations/postgres`).

pub mod accounts;
pub mod audit;
pub mod draws;
pub mod invitations;
pub mod outbox;
pub mod pool;
pub mod scratch;
pub mod sessions;
pub mod text_enum;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Postgres, Sqlite, Transaction};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a record with the same {0} already exists")]
    Conflict(&'static str),
    #[error("database error")]
    Database(#[source] sqlx::Error),
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
            other => StoreError::Database(other),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub enum Store {
    Sqlite(SqlitePool, WriterQueue),
    Postgres(PgPool),
}

/// SQLite has one writer at a time. Writers of this process wait for it here, in arrival
/// order, instead of in SQLite's busy handler, which polls with sleeps of up to 100 ms and
/// turned a few queued writers into tail latencies of seconds (BENCHMARKS.md, Draws).
#[derive(Clone, Default)]
pub struct WriterQueue(std::sync::Arc<tokio::sync::Mutex<()>>);

/// How long a writer waits for its turn; the same bound as SQLite's own busy timeout.
const WRITER_WAIT: Duration = Duration::from_secs(5);

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
    pending_audit: audit::PendingAudit,
}

/// A PostgreSQL transaction.
pub struct PgTx {
    transaction: Transaction<'static, Postgres>,
    pending_audit: audit::PendingAudit,
}

impl PgTx {
    fn new(transaction: Transaction<'static, Postgres>) -> Self {
        Self {
            transaction,
            pending_audit: audit::PendingAudit::default(),
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
    fn reading(transaction: Transaction<'static, Sqlite>) -> Self {
        Self {
            transaction,
            _turn: None,
            pending_audit: audit::PendingAudit::default(),
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
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                .connect(url)
                .await?;
            return Ok(Self::Postgres(pool));
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
        Ok(Self::Sqlite(pool, WriterQueue::default()))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(..) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(pool, _) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Self::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// A transaction that will write. SQLite takes the write lock up front (`BEGIN IMMEDIATE`)
    /// so that two writers never deadlock upgrading read locks.
    pub async fn write(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Self::Sqlite(pool, queue) => {
                let turn = tokio::time::timeout(WRITER_WAIT, queue.0.clone().lock_owned())
                    .await
                    .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))?;
                Tx::Sqlite(SqliteTx {
                    transaction: pool.begin_with("BEGIN IMMEDIATE").await?,
                    _turn: Some(turn),
                    pending_audit: audit::PendingAudit::default(),
                })
            }
            Self::Postgres(pool) => Tx::Postgres(PgTx::new(pool.begin().await?)),
        })
    }

    /// A transaction that only reads: a consistent snapshot that does not block writers.
    pub async fn read(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Self::Sqlite(pool, _) => Tx::Sqlite(SqliteTx::reading(pool.begin().await?)),
            Self::Postgres(pool) => Tx::Postgres(PgTx::new(pool.begin().await?)),
        })
    }

    /// A read-only transaction that sees one consistent state of every table for its whole
    /// life (SQLite's read transactions already do; PostgreSQL needs REPEATABLE READ).
    pub async fn snapshot(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Self::Sqlite(pool, _) => Tx::Sqlite(SqliteTx::reading(pool.begin().await?)),
            Self::Postgres(pool) => Tx::Postgres(PgTx::new(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            )),
        })
    }

    /// Readiness: the store answers and accepts a write transaction.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        on_conn!(&mut tx, conn => sqlx::query("SELECT 1").execute(conn).await.map(|r| r.rows_affected()))?;
        tx.rollback().await
    }

    pub async fn close(&self) {
        match self {
            Self::Sqlite(pool, _) => pool.close().await,
            Self::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    /// Writes the audit entries appended in this transaction, then commits.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        self.write_pending_audit().await?;
        match self {
            Self::Sqlite(t) => t.transaction.commit().await?,
            Self::Postgres(t) => t.transaction.commit().await?,
        }
        Ok(())
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
        _ => StoreError::Database(error),
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
    fn placeholders_number_rows_then_columns() {
        assert_eq!(
            super::values_placeholders(2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(super::values_placeholders(1, 1), "($1)");
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
