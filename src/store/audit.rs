//! The audit log's tables: entries, Merkle nodes, the head row and signed checkpoints; and the
//! witness's one table, the latest checkpoint it cosigned per log origin.

use std::collections::HashMap;

use super::{StoreError, Tx, on_conn};
use crate::clock::Millis;

pub(crate) type NodeId = (u8, u64);

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CheckpointRow {
    pub size: i64,
    pub root: Vec<u8>,
    pub note: String,
    pub signed_at: i64,
}

/// What a witness last cosigned for one log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct WitnessStateRow {
    pub size: i64,
    pub root: Vec<u8>,
    pub note: String,
}

/// Audit rows appended in a transaction and not yet written. Appending only computes them (the
/// head row is locked and read once, at the first append); [`Tx::commit`] writes them all in
/// one multi-row statement per table and one head update, instead of four statements per
/// entry: a draw's result appends nineteen entries (BENCHMARKS.md, Draws). Nothing in a
/// transaction reads the audit tables after appending to them, so nothing can miss the rows.
#[derive(Debug)]
pub(crate) struct PendingAudit {
    /// The deployment's suite: the hash of every leaf and node appended.
    pub(crate) suite: crate::crypto::Suite,
    /// The head (serialised frontier) after the last append; `None` before the first.
    pub(crate) head: Option<Vec<u8>>,
    /// `(index, entry bytes, time)` in index order.
    pub entries: Vec<(u64, Vec<u8>, Millis)>,
    /// Merkle nodes the appends completed.
    pub(crate) nodes: Vec<(u8, u64, [u8; 32])>,
}

impl PendingAudit {
    pub(crate) fn new(suite: crate::crypto::Suite) -> Self {
        Self {
            suite,
            head: None,
            entries: Vec::new(),
            nodes: Vec::new(),
        }
    }
}

fn to_i64(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt("log index exceeds 2^63".into()))
}

impl Tx {
    /// Reads the head row, locking it until the transaction ends so appends are serialised
    /// across connections and instances. SQLite's `BEGIN IMMEDIATE` already holds the database
    /// write lock; PostgreSQL needs the row lock.
    pub(crate) async fn lock_audit_head(&mut self) -> Result<Vec<u8>, StoreError> {
        Ok(match self {
            Tx::Sqlite(tx) => {
                sqlx::query_scalar::<_, Vec<u8>>("SELECT frontier FROM audit_head WHERE id = 1")
                    .fetch_one(&mut **tx)
                    .await?
            }
            Tx::Postgres(tx) => {
                sqlx::query_scalar::<_, Vec<u8>>(
                    "SELECT frontier FROM audit_head WHERE id = 1 FOR UPDATE",
                )
                .fetch_one(&mut **tx)
                .await?
            }
        })
    }

    /// The suite this database was made under, and records `suite` if none is recorded yet
    /// (the first start after migration 0034, or of a new deployment). Returns the suite that
    /// was recorded before, if any; the caller refuses to go on when it differs.
    pub(crate) async fn record_deployment_suite(
        &mut self,
        suite: crate::crypto::Suite,
        now: Millis,
    ) -> Result<Option<crate::crypto::Suite>, StoreError> {
        // Instances starting together on a new database race to record it: the first insert
        // wins, the others insert nothing and read what it recorded.
        let inserted = on_conn!(self, conn => sqlx::query(
            "INSERT INTO deployment (id, suite, recorded_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO NOTHING")
            .bind(suite.name())
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        if inserted == 1 {
            return Ok(None);
        }
        let name = on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT suite FROM deployment WHERE id = 1")
            .fetch_one(conn)
            .await)?;
        crate::crypto::Suite::from_name(&name)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown suite {name:?} recorded")))
    }

    /// PostgreSQL's WAL position now, which covers every transaction committed before this one
    /// began; `None` on SQLite, which has no standby.
    pub(crate) async fn wal_position(&mut self) -> Result<Option<String>, StoreError> {
        Ok(match self {
            Tx::Sqlite(_) => None,
            Tx::Postgres(tx) => Some(super::primary::current_wal_position(tx).await?),
        })
    }

    pub(crate) async fn audit_head(&mut self) -> Result<Vec<u8>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, Vec<u8>>(
            "SELECT frontier FROM audit_head WHERE id = 1")
            .fetch_one(conn)
            .await)?)
    }

    pub async fn set_audit_head(&mut self, frontier: &[u8]) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query("UPDATE audit_head SET frontier = $1 WHERE id = 1")
            .bind(frontier)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The readiness probe's placeholder entry (see [`super::Store::probe_writes`]): index -1,
    /// which no log index can be, written only inside the probe's own transaction.
    pub(super) async fn insert_probe_entry(&mut self) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO audit_entries (idx, entry, created_at) VALUES (-1, $1, 0)")
            .bind(Vec::<u8>::new())
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(super) async fn delete_probe_entry(&mut self) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query("DELETE FROM audit_entries WHERE idx = -1")
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The deployment's cipher suite.
    pub(crate) fn suite(&mut self) -> crate::crypto::Suite {
        self.pending_audit().suite
    }

    /// The audit rows this transaction has appended so far.
    pub(crate) fn pending_audit(&mut self) -> &mut PendingAudit {
        match self {
            Tx::Sqlite(tx) => &mut tx.pending_audit,
            Tx::Postgres(tx) => &mut tx.pending_audit,
        }
    }

    /// Writes the pending audit rows (see [`PendingAudit`]); a no-op when there are none.
    pub(super) async fn write_pending_audit(&mut self) -> Result<(), StoreError> {
        let suite = self.suite();
        let pending = std::mem::replace(self.pending_audit(), PendingAudit::new(suite));
        let Some(head) = pending.head else {
            return Ok(());
        };
        self.insert_audit_entries(&pending.entries).await?;
        self.insert_audit_nodes(&pending.nodes).await?;
        self.set_audit_head(&head).await
    }

    /// Inserts entries in one statement per 200.
    async fn insert_audit_entries(
        &mut self,
        entries: &[(u64, Vec<u8>, Millis)],
    ) -> Result<(), StoreError> {
        for chunk in entries.chunks(200) {
            let sql = format!(
                "INSERT INTO audit_entries (idx, entry, created_at) VALUES {}",
                super::values_placeholders(chunk.len(), 3)
            );
            on_conn!(self, conn => {
                let mut query = sqlx::query(&sql);
                for (index, entry, time) in chunk {
                    query = query.bind(to_i64(*index)?).bind(entry.as_slice()).bind(*time);
                }
                query.execute(conn).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    /// Inserts nodes in one statement per call; an append completes one to ~log n nodes.
    async fn insert_audit_nodes(
        &mut self,
        nodes: &[(u8, u64, [u8; 32])],
    ) -> Result<(), StoreError> {
        for chunk in nodes.chunks(200) {
            let sql = format!(
                "INSERT INTO audit_nodes (level, idx, hash) VALUES {}",
                super::values_placeholders(chunk.len(), 3)
            );
            on_conn!(self, conn => {
                let mut query = sqlx::query(&sql);
                for (level, index, hash) in chunk {
                    query = query.bind(i32::from(*level)).bind(to_i64(*index)?).bind(hash.to_vec());
                }
                query.execute(conn).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    pub async fn audit_nodes(
        &mut self,
        needs: &[NodeId],
    ) -> Result<HashMap<NodeId, [u8; 32]>, StoreError> {
        let mut found = HashMap::with_capacity(needs.len());
        for chunk in needs.chunks(200) {
            let mut sql = String::from("SELECT level, idx, hash FROM audit_nodes WHERE ");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(" OR ");
                }
                sql.push_str(&format!(
                    "(level = ${} AND idx = ${})",
                    2 * i + 1,
                    2 * i + 2
                ));
            }
            let rows = on_conn!(self, conn => {
                let mut query = sqlx::query_as::<_, (i32, i64, Vec<u8>)>(&sql);
                for (level, index) in chunk {
                    query = query.bind(i32::from(*level)).bind(to_i64(*index)?);
                }
                query.fetch_all(conn).await
            })?;
            for (level, index, hash) in rows {
                found.insert(node_id(level, index)?, to_hash(&hash)?);
            }
        }
        Ok(found)
    }

    /// The nodes of one level in `[start, end)`, as hash tiles need.
    pub(crate) async fn audit_node_range(
        &mut self,
        level: u8,
        start: u64,
        end: u64,
    ) -> Result<HashMap<NodeId, [u8; 32]>, StoreError> {
        let rows = on_conn!(self, conn => sqlx::query_as::<_, (i32, i64, Vec<u8>)>(
            "SELECT level, idx, hash FROM audit_nodes WHERE level = $1 AND idx >= $2 AND idx < $3")
            .bind(i32::from(level))
            .bind(to_i64(start)?)
            .bind(to_i64(end)?)
            .fetch_all(conn)
            .await)?;
        rows.into_iter()
            .map(|(level, index, hash)| Ok((node_id(level, index)?, to_hash(&hash)?)))
            .collect()
    }

    pub(crate) async fn audit_entries(
        &mut self,
        start: u64,
        end: u64,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let rows = on_conn!(self, conn => sqlx::query_as::<_, (i64, Vec<u8>)>(
            "SELECT idx, entry FROM audit_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx")
            .bind(to_i64(start)?)
            .bind(to_i64(end)?)
            .fetch_all(conn)
            .await)?;
        rows.into_iter()
            .map(|(index, entry)| {
                Ok((
                    u64::try_from(index).map_err(|_| corrupt("negative index"))?,
                    entry,
                ))
            })
            .collect()
    }

    pub(crate) async fn latest_audit_checkpoint(
        &mut self,
    ) -> Result<Option<CheckpointRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, CheckpointRow>(
            "SELECT size, root, note, signed_at FROM audit_checkpoints ORDER BY size DESC LIMIT 1")
            .fetch_optional(conn)
            .await)?)
    }

    pub(crate) async fn audit_checkpoint_at(
        &mut self,
        size: u64,
    ) -> Result<Option<CheckpointRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, CheckpointRow>(
            "SELECT size, root, note, signed_at FROM audit_checkpoints WHERE size = $1")
            .bind(to_i64(size)?)
            .fetch_optional(conn)
            .await)?)
    }

    /// Records a signed checkpoint; another instance may have signed the same size first, in
    /// which case theirs stands (both sign the same tree).
    pub(crate) async fn insert_audit_checkpoint(
        &mut self,
        size: u64,
        root: &[u8; 32],
        note: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let inserted = on_conn!(self, conn => sqlx::query(
            "INSERT INTO audit_checkpoints (size, root, note, signed_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (size) DO NOTHING")
            .bind(to_i64(size)?)
            .bind(root.to_vec())
            .bind(note)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(inserted == 1)
    }

    /// Replaces the note of a checkpoint with one carrying more (witness) signatures.
    pub(crate) async fn update_audit_checkpoint_note(
        &mut self,
        size: u64,
        note: &str,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query("UPDATE audit_checkpoints SET note = $1 WHERE size = $2")
            .bind(note)
            .bind(to_i64(size)?)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Reads a checkpoint for replacing its note, locking the row until the transaction ends so
    /// that two instances adding cosignatures do not drop each other's.
    pub(crate) async fn lock_audit_checkpoint_at(
        &mut self,
        size: u64,
    ) -> Result<Option<CheckpointRow>, StoreError> {
        let size = to_i64(size)?;
        Ok(match self {
            Tx::Sqlite(tx) => {
                sqlx::query_as::<_, CheckpointRow>(
                    "SELECT size, root, note, signed_at FROM audit_checkpoints WHERE size = $1",
                )
                .bind(size)
                .fetch_optional(&mut **tx)
                .await?
            }
            Tx::Postgres(tx) => {
                sqlx::query_as::<_, CheckpointRow>(
                    "SELECT size, root, note, signed_at FROM audit_checkpoints WHERE size = $1 \
                     FOR UPDATE",
                )
                .bind(size)
                .fetch_optional(&mut **tx)
                .await?
            }
        })
    }

    /// The witness's state for `origin`, locked until the transaction ends: checking a request
    /// against it and storing the new state must be one atomic step (tlog-witness), or two
    /// requests could roll the state back. A log never seen gets the row `(0, empty_root, "")`
    /// inserted first, so that PostgreSQL has a row to lock; it persists only if the
    /// transaction commits, which it does only after a successful cosigning that replaces it.
    /// SQLite's `BEGIN IMMEDIATE` already holds the database write lock.
    pub(crate) async fn lock_witness_state(
        &mut self,
        origin: &str,
        empty_root: &[u8; 32],
    ) -> Result<WitnessStateRow, StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO witness_state (origin, size, root, note) VALUES ($1, 0, $2, '') \
             ON CONFLICT (origin) DO NOTHING")
            .bind(origin)
            .bind(empty_root.to_vec())
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(match self {
            Tx::Sqlite(tx) => {
                sqlx::query_as::<_, WitnessStateRow>(
                    "SELECT size, root, note FROM witness_state WHERE origin = $1",
                )
                .bind(origin)
                .fetch_one(&mut **tx)
                .await?
            }
            Tx::Postgres(tx) => {
                sqlx::query_as::<_, WitnessStateRow>(
                    "SELECT size, root, note FROM witness_state WHERE origin = $1 FOR UPDATE",
                )
                .bind(origin)
                .fetch_one(&mut **tx)
                .await?
            }
        })
    }

    /// The witness's state for `origin` without locking it, if it ever cosigned for that log.
    pub(crate) async fn witness_state(
        &mut self,
        origin: &str,
    ) -> Result<Option<WitnessStateRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, WitnessStateRow>(
            "SELECT size, root, note FROM witness_state WHERE origin = $1")
            .bind(origin)
            .fetch_optional(conn)
            .await)?)
    }

    /// Every log the witness has cosigned for, by origin.
    pub(crate) async fn witness_states(
        &mut self,
    ) -> Result<Vec<(String, WitnessStateRow)>, StoreError> {
        let rows = on_conn!(self, conn => sqlx::query_as::<_, (String, i64, Vec<u8>, String)>(
            "SELECT origin, size, root, note FROM witness_state ORDER BY origin")
            .fetch_all(conn)
            .await)?;
        Ok(rows
            .into_iter()
            .map(|(origin, size, root, note)| (origin, WitnessStateRow { size, root, note }))
            .collect())
    }

    /// Replaces the witness's state for `origin`; the row must have been locked by
    /// [`Tx::lock_witness_state`] in this transaction.
    pub(crate) async fn set_witness_state(
        &mut self,
        origin: &str,
        size: u64,
        root: &[u8; 32],
        note: &str,
    ) -> Result<(), StoreError> {
        let updated = on_conn!(self, conn => sqlx::query(
            "UPDATE witness_state SET size = $1, root = $2, note = $3 WHERE origin = $4")
            .bind(to_i64(size)?)
            .bind(root.to_vec())
            .bind(note)
            .bind(origin)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        if updated != 1 {
            return Err(corrupt("the witness state row vanished while locked"));
        }
        Ok(())
    }
}

fn node_id(level: i32, index: i64) -> Result<NodeId, StoreError> {
    Ok((
        u8::try_from(level).map_err(|_| corrupt("node level out of range"))?,
        u64::try_from(index).map_err(|_| corrupt("negative node index"))?,
    ))
}

fn to_hash(bytes: &[u8]) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| corrupt("stored hash is not 32 bytes"))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.into())
}
