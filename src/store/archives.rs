//! Evaluation archive packages (docs/ARCHIVE.md §10): one row per package kept in
//! `archive.dir`, by its id.

use super::{StoreError, Tx, conflict_as, on_conn};
use crate::clock::Millis;

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ArchiveRow {
    pub(crate) id: String,
    pub(crate) subject_kind: String,
    pub(crate) subject_id: String,
    pub(crate) draw_id: String,
    pub(crate) checkpoint_size: i64,
    pub(crate) bytes: i64,
    pub(crate) created_at: Millis,
    pub(crate) expires_at: Millis,
    pub(crate) deleted_at: Option<Millis>,
}

const ARCHIVE_COLUMNS: &str = "id, subject_kind, subject_id, draw_id, checkpoint_size, bytes, \
     created_at, expires_at, deleted_at";

impl Tx {
    /// Records a package; a second package of the same subject is a conflict.
    pub(crate) async fn insert_archive(&mut self, row: &ArchiveRow) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO archives (id, subject_kind, subject_id, draw_id, checkpoint_size, bytes, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&row.id)
            .bind(&row.subject_kind)
            .bind(&row.subject_id)
            .bind(&row.draw_id)
            .bind(row.checkpoint_size)
            .bind(row.bytes)
            .bind(row.created_at)
            .bind(row.expires_at)
            .execute(conn)
            .await
            .map(drop)
            .map_err(conflict_as("archive subject")))
    }

    pub(crate) async fn archive(&mut self, id: &str) -> Result<Option<ArchiveRow>, StoreError> {
        let sql = format!("SELECT {ARCHIVE_COLUMNS} FROM archives WHERE id = $1");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, ArchiveRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?)
    }

    pub(crate) async fn archive_of_subject(
        &mut self,
        subject_id: &str,
    ) -> Result<Option<ArchiveRow>, StoreError> {
        let sql = format!("SELECT {ARCHIVE_COLUMNS} FROM archives WHERE subject_id = $1");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, ArchiveRow>(&sql)
            .bind(subject_id)
            .fetch_optional(conn)
            .await)?)
    }

    /// Packages still kept, newest first, strictly before `(created_at, id)` when given.
    pub(crate) async fn archives_before(
        &mut self,
        before: Option<(Millis, &str)>,
        limit: i64,
    ) -> Result<Vec<ArchiveRow>, StoreError> {
        let (at, id) = before.unwrap_or((Millis::MAX, ""));
        let sql = format!(
            "SELECT {ARCHIVE_COLUMNS} FROM archives WHERE deleted_at IS NULL \
             AND (created_at < $1 OR (created_at = $1 AND id < $2)) \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        );
        Ok(on_conn!(self, conn => sqlx::query_as::<_, ArchiveRow>(&sql)
            .bind(at)
            .bind(id)
            .bind(limit)
            .fetch_all(conn)
            .await)?)
    }

    /// Marks an expired package deleted; false if it was not there to delete (already deleted,
    /// or not expired at `now`).
    pub(crate) async fn mark_archive_deleted(
        &mut self,
        id: &str,
        by: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let done = on_conn!(self, conn => sqlx::query(
            "UPDATE archives SET deleted_at = $3, deleted_by = $2 \
             WHERE id = $1 AND deleted_at IS NULL AND expires_at <= $3")
            .bind(id)
            .bind(by)
            .bind(now)
            .execute(conn)
            .await
            .map(|result| result.rows_affected()))?;
        Ok(done == 1)
    }
}
