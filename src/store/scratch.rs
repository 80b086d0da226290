//! Databases beside the server's own: throwaway ones and durability facts for `sealdraw bench`,
//! and the online copy `sealdraw backup` makes. Kept here because this module is the only code
//! that knows SQL; nothing in the server calls it.

use sqlx::{Connection, Executor, PgConnection};

use super::{Store, StoreError};

/// A PostgreSQL database created for one benchmark run. Drop it with
/// [`ScratchDatabase::danger_drop`]; an interrupted run leaves a `sealdraw_bench_…` database behind.
pub(crate) struct ScratchDatabase {
    server_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    /// Creates `name` on the server `server_url` points at (any database the user can connect to).
    /// `name` must be a plain identifier; it is refused otherwise because it is spliced into SQL.
    pub(crate) async fn create(server_url: &str, name: &str) -> Result<Self, StoreError> {
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::Corrupt(format!(
                "{name:?} is not a plain database name"
            )));
        }
        let url = with_database(server_url, name).ok_or_else(|| {
            StoreError::Corrupt(
                "the PostgreSQL URL has no host part to put a database name after".into(),
            )
        })?;
        let mut admin = PgConnection::connect(server_url).await?;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await?;
        admin.close().await?;
        Ok(Self {
            server_url: server_url.to_owned(),
            name: name.to_owned(),
            url,
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Deletes the database and everything in it. Close every pool on it first.
    pub(crate) async fn danger_drop(self) -> Result<(), StoreError> {
        let mut admin = PgConnection::connect(&self.server_url).await?;
        // sqlx 0.8's `Pool::close` can return while a connection it was handed back is still
        // open (sqlx issue #3217); DROP DATABASE would then wait and fail ("database is being
        // accessed by other users"). Those sessions are ours and idle, so end them first.
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&self.name)
        .execute(&mut admin)
        .await?;
        admin
            .execute(format!("DROP DATABASE IF EXISTS {}", self.name).as_str())
            .await?;
        admin.close().await?;
        Ok(())
    }
}

impl Store {
    /// Writes a consistent copy of the SQLite database into `file`, which must be empty (made
    /// beforehand with the mode the copy keeps). `VACUUM INTO` reads one snapshot in a read
    /// transaction, so the server keeps writing meanwhile and the copy holds every transaction
    /// committed before it began and none after. PostgreSQL has no such statement: its copies
    /// are pgBackRest's, which also archives the WAL between them.
    pub(crate) async fn copy_sqlite_into(&self, file: &std::path::Path) -> Result<(), StoreError> {
        let Self::Sqlite(pool, ..) = self else {
            return Err(StoreError::Corrupt(
                "only the embedded SQLite database can be copied online by sealdraw".into(),
            ));
        };
        let path = file.to_str().ok_or_else(|| {
            StoreError::Corrupt(format!("{} is not a UTF-8 path", file.display()))
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Moves everything in the SQLite write-ahead log into the database file and empties the
    /// log, so that the file alone is the whole database (a copy about to be moved away from its
    /// `-wal`). Closing the pool would do the same, but only if no connection outlives the
    /// close, which sqlx 0.8 does not promise (sqlx issue #3217). Fails if a reader kept it
    /// from completing.
    pub(crate) async fn merge_sqlite_wal(&self) -> Result<(), StoreError> {
        let Self::Sqlite(pool, ..) = self else {
            return Ok(());
        };
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(pool)
            .await?;
        if busy != 0 {
            return Err(StoreError::Unavailable);
        }
        Ok(())
    }

    /// The settings that decide what a commit costs, as the server reports them, so that a
    /// benchmark states the durability it measured under.
    pub(crate) async fn durability_settings(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut facts = Vec::new();
        match self {
            Self::Sqlite(pool, ..) => {
                let version: String = sqlx::query_scalar("SELECT sqlite_version()")
                    .fetch_one(pool)
                    .await?;
                let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
                    .fetch_one(pool)
                    .await?;
                let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
                    .fetch_one(pool)
                    .await?;
                let synchronous = match synchronous {
                    0 => "OFF".to_owned(),
                    1 => "NORMAL".to_owned(),
                    2 => "FULL".to_owned(),
                    3 => "EXTRA".to_owned(),
                    other => other.to_string(),
                };
                facts.push(("sqlite version".into(), version));
                facts.push(("journal_mode".into(), journal));
                facts.push(("synchronous".into(), synchronous));
            }
            Self::Postgres(pool, ..) => {
                for setting in [
                    "server_version",
                    "fsync",
                    "synchronous_commit",
                    "wal_sync_method",
                    "full_page_writes",
                ] {
                    let value: String = sqlx::query_scalar(&format!("SHOW {setting}"))
                        .fetch_one(pool)
                        .await?;
                    facts.push((setting.into(), value));
                }
            }
        }
        Ok(facts)
    }
}

/// `server_url` with its database path replaced by `name`, keeping any query string.
fn with_database(server_url: &str, name: &str) -> Option<String> {
    let (without_query, query) = match server_url.split_once('?') {
        Some((url, query)) => (url, Some(query)),
        None => (server_url, None),
    };
    let authority_start = without_query.find("://")? + 3;
    let base = match without_query[authority_start..].find('/') {
        Some(slash) => &without_query[..authority_start + slash],
        None => without_query,
    };
    if base.len() == authority_start {
        return None;
    }
    Some(match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    })
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_replaces_the_path_and_keeps_the_query() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:55432/postgres", "b1").as_deref(),
            Some("postgres://postgres@127.0.0.1:55432/b1")
        );
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=require", "b1").as_deref(),
            Some("postgresql://u:p@h/b1?sslmode=require")
        );
        assert_eq!(
            with_database("postgres://h:5432", "b1").as_deref(),
            Some("postgres://h:5432/b1")
        );
        assert_eq!(with_database("postgres:///db", "b1"), None);
        assert_eq!(with_database("not a url", "b1"), None);
    }
}
