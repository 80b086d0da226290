//! Invitations to drawn experts, and committee-list publications.

use super::{StoreError, Tx, on_conn};
use crate::clock::Millis;
use crate::notify::{DeclineReason, InvitationState};

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct InvitationRow {
    pub id: String,
    pub draw_id: String,
    pub token: Vec<u8>,
    pub(crate) expert_tag: Vec<u8>,
    pub state: InvitationState,
    pub(crate) code_index: Vec<u8>,
    pub(crate) deadline: i64,
    pub(crate) answered_at: Option<i64>,
    pub(crate) channel: Option<String>,
    pub(crate) decline_reason: Option<DeclineReason>,
    pub(crate) sealed_relationship: Option<Vec<u8>>,
    pub(crate) sealed_join_code: Option<Vec<u8>>,
    pub(crate) created_at: i64,
}

const COLUMNS: &str = "id, draw_id, token, expert_tag, state, code_index, deadline, answered_at, \
     channel, decline_reason, sealed_relationship, sealed_join_code, created_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PublicationRow {
    pub draw_id: String,
    pub(crate) requested_by: String,
    pub(crate) requested_at: i64,
    pub(crate) reason: String,
    pub(crate) approved_by: Option<String>,
    pub(crate) approved_at: Option<i64>,
}

/// How an invitation was settled.
pub(crate) struct Answer<'a> {
    pub state: InvitationState,
    pub(crate) channel: &'a str,
    pub(crate) decline_reason: Option<DeclineReason>,
    pub(crate) sealed_relationship: Option<&'a [u8]>,
    pub(crate) sealed_join_code: Option<&'a [u8]>,
    pub(crate) at: Millis,
}

impl Tx {
    /// Inserts invitations in one statement per 50 (a draw's result invites every seat).
    pub(crate) async fn insert_invitations(
        &mut self,
        rows: &[InvitationRow],
    ) -> Result<(), StoreError> {
        for chunk in rows.chunks(50) {
            let sql = format!(
                "INSERT INTO invitations ({COLUMNS}) VALUES {}",
                super::values_placeholders(chunk.len(), 13)
            );
            on_conn!(self, conn => {
                let mut query = sqlx::query(&sql);
                for row in chunk {
                    query = query
                        .bind(&row.id)
                        .bind(&row.draw_id)
                        .bind(&row.token)
                        .bind(&row.expert_tag)
                        .bind(row.state)
                        .bind(&row.code_index)
                        .bind(row.deadline)
                        .bind(row.answered_at)
                        .bind(&row.channel)
                        .bind(row.decline_reason)
                        .bind(&row.sealed_relationship)
                        .bind(&row.sealed_join_code)
                        .bind(row.created_at);
                }
                query.execute(conn).await.map(|r| r.rows_affected())
            })
            .map_err(super::conflict_as("one-time code"))?;
        }
        Ok(())
    }

    pub(crate) async fn invitation(
        &mut self,
        id: &str,
    ) -> Result<Option<InvitationRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM invitations WHERE id = $1");
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, InvitationRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    pub(crate) async fn invitation_by_code(
        &mut self,
        code_index: &[u8],
    ) -> Result<Option<InvitationRow>, StoreError> {
        // An open invitation first; else the newest that used the code (a replayed answer).
        let sql = format!(
            "SELECT {COLUMNS} FROM invitations WHERE code_index = $1 \
             ORDER BY CASE WHEN state = 'pending' THEN 0 ELSE 1 END, created_at DESC LIMIT 1"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, InvitationRow>(&sql)
            .bind(code_index)
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// Which of these codes (by blind index) an open invitation already uses.
    pub(crate) async fn open_codes_in_use(
        &mut self,
        code_indexes: &[Vec<u8>],
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut used = Vec::new();
        for chunk in code_indexes.chunks(200) {
            let sql = format!(
                "SELECT code_index FROM invitations WHERE state = 'pending' AND code_index IN ({})",
                (1..=chunk.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            used.extend(on_conn!(self, conn => {
                let mut query = sqlx::query_scalar::<_, Vec<u8>>(&sql);
                for index in chunk {
                    query = query.bind(index);
                }
                query.fetch_all(conn).await
            })?);
        }
        Ok(used)
    }

    /// Withdraws a seat's invitation, whether pending or accepted: the seat is gone, so is
    /// any tender detail and join code its expert could see.
    pub(crate) async fn withdraw_invitation(
        &mut self,
        draw_id: &str,
        token: &[u8],
        now: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE invitations SET state = 'withdrawn', channel = COALESCE(channel, 'replacement'), \
             sealed_join_code = NULL, answered_at = COALESCE(answered_at, $3) \
             WHERE draw_id = $1 AND token = $2 AND state IN ('pending', 'accepted')")
            .bind(draw_id)
            .bind(token)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Newest first.
    pub(crate) async fn invitations_of(
        &mut self,
        expert_tag: &[u8],
        limit: i64,
    ) -> Result<Vec<InvitationRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM invitations WHERE expert_tag = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, InvitationRow>(&sql)
            .bind(expert_tag)
            .bind(limit)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Moves the reply deadline of every pending invitation of a root draw's family `by`
    /// later: a suspension's length, so that no expert's time to answer ran out while answers
    /// were refused. Returns how many moved.
    pub(crate) async fn extend_pending_invitations(
        &mut self,
        root_id: &str,
        by: Millis,
    ) -> Result<u64, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query(
            "UPDATE invitations SET deadline = deadline + $2 WHERE state = 'pending' \
             AND draw_id IN (SELECT id FROM draws WHERE id = $1 OR parent_draw_id = $1)")
            .bind(root_id)
            .bind(by)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?)
    }

    /// Pending invitations whose deadline has passed (never of a suspended or cancelled
    /// evaluation's draw): (id, draw id).
    pub(crate) async fn overdue_invitations(
        &mut self,
        now: Millis,
        limit: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (String, String)>(
            "SELECT i.id, i.draw_id FROM invitations i JOIN draws d ON d.id = i.draw_id \
             WHERE i.state = 'pending' AND i.deadline <= $1 \
             AND NOT EXISTS (SELECT 1 FROM draws h WHERE h.hold IS NOT NULL \
                             AND h.id = COALESCE(d.parent_draw_id, d.id)) \
             ORDER BY i.deadline LIMIT $2")
            .bind(now)
            .bind(limit)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Settles a pending invitation. False if it was no longer pending.
    pub(crate) async fn settle_invitation(
        &mut self,
        id: &str,
        answer: &Answer<'_>,
    ) -> Result<bool, StoreError> {
        let affected = on_conn!(self, conn => sqlx::query(
            "UPDATE invitations SET state = $2, channel = $3, decline_reason = $4, \
             sealed_relationship = $5, sealed_join_code = $6, answered_at = $7 \
             WHERE id = $1 AND state = 'pending'")
            .bind(id)
            .bind(answer.state)
            .bind(answer.channel)
            .bind(answer.decline_reason)
            .bind(answer.sealed_relationship)
            .bind(answer.sealed_join_code)
            .bind(answer.at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    /// A seated candidate becomes confirmed. False if it was not seated.
    pub async fn confirm_seat(&mut self, draw_id: &str, token: &[u8]) -> Result<bool, StoreError> {
        let affected = on_conn!(self, conn => sqlx::query(
            "UPDATE draw_candidates SET state = 'confirmed' \
             WHERE draw_id = $1 AND token = $2 AND state = 'seated'")
            .bind(draw_id)
            .bind(token)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    pub(crate) async fn publication(
        &mut self,
        draw_id: &str,
    ) -> Result<Option<PublicationRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, PublicationRow>(
            "SELECT draw_id, requested_by, requested_at, reason, approved_by, approved_at \
             FROM draw_publications WHERE draw_id = $1")
            .bind(draw_id)
            .fetch_optional(conn)
            .await)?)
    }

    /// Publication requests, those awaiting a supervisor first, newest first.
    pub(crate) async fn publications(
        &mut self,
        limit: i64,
    ) -> Result<Vec<PublicationRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, PublicationRow>(
            "SELECT draw_id, requested_by, requested_at, reason, approved_by, approved_at \
             FROM draw_publications \
             ORDER BY CASE WHEN approved_by IS NULL THEN 0 ELSE 1 END, requested_at DESC, draw_id \
             LIMIT $1")
            .bind(limit)
            .fetch_all(conn)
            .await)?)
    }

    pub(crate) async fn request_publication(
        &mut self,
        draw_id: &str,
        requested_by: &str,
        reason: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO draw_publications (draw_id, requested_by, requested_at, reason) \
             VALUES ($1, $2, $3, $4)")
            .bind(draw_id)
            .bind(requested_by)
            .bind(now)
            .bind(reason)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(super::conflict_as("publication request for this draw"))?;
        Ok(())
    }

    /// False if already approved.
    pub(crate) async fn approve_publication(
        &mut self,
        draw_id: &str,
        approved_by: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let affected = on_conn!(self, conn => sqlx::query(
            "UPDATE draw_publications SET approved_by = $2, approved_at = $3 \
             WHERE draw_id = $1 AND approved_by IS NULL")
            .bind(draw_id)
            .bind(approved_by)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }
}
