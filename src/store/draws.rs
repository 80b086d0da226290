//! The draw tables, and the pool reads a draw's filter needs.

use super::{StoreError, Tx, conflict_as, on_conn, values_placeholders};
use crate::clock::Millis;
use crate::draw::filter::EvaluationMode;
use crate::draw::project::{ProjectCategory, ValueBand};
use crate::draw::{CandidateState, ContributorRole, DrawStatus, LinkState, VacancyReason};
use crate::pool::Relation;
use crate::pool::own_record::ExpertStatus;

/// One (expert, specialty) pair under a requested prefix, with what the pool rules look at.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CandidateRow {
    pub id: String,
    pub status: ExpertStatus,
    pub suspended_until: Option<i64>,
    pub birth_year: i32,
    pub title_level: i32,
    pub years_in_field: i32,
    pub region_code: String,
    pub code: String,
    pub(crate) tier: crate::pool::assessment::Tier,
    pub(crate) term_end: Option<String>,
}

/// A tie between an expert and one of the avoided organisations.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct TieRow {
    pub expert_id: String,
    pub(crate) relation: Relation,
    pub(crate) to_date: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DrawRow {
    pub id: String,
    pub(crate) center_id: String,
    pub(crate) parent_draw_id: Option<String>,
    /// The parent's stratum this linked draw fills a seat of.
    pub(crate) parent_stratum: Option<i32>,
    pub(crate) link_reason: Option<VacancyReason>,
    pub(crate) tender_reference: String,
    pub(crate) tender_name: String,
    pub(crate) venue: Option<String>,
    pub(crate) mode: EvaluationMode,
    pub(crate) evaluation_start: i64,
    pub(crate) evaluation_minutes: i32,
    pub(crate) status: DrawStatus,
    pub(crate) filter_json: String,
    pub(crate) exclusions_json: String,
    pub(crate) intent_json: String,
    pub intent_hash: Vec<u8>,
    pub(crate) intent_index: i64,
    pub(crate) sealed_secret: Vec<u8>,
    pub(crate) contribution_deadline: i64,
    pub(crate) secret: Option<Vec<u8>>,
    pub(crate) seed: Option<Vec<u8>>,
    pub(crate) result_index: Option<i64>,
    pub(crate) created_at: i64,
    pub(crate) executed_at: Option<i64>,
    /// 1 for draws made before families were chained (intent `sealdraw-draw-v1`), 2 after.
    pub(crate) spec_version: i32,
    pub(crate) lot: String,
    /// Hex of the v2 intent's tender commitment; `None` for v1 rows.
    pub(crate) tender_key: Option<String>,
    /// A v2 linked draw's excluded family tokens, 32 bytes each, sorted.
    pub(crate) family_excluded: Option<Vec<u8>>,
}

impl DrawRow {
    /// The root of this draw's family: itself, or the draw it is linked to.
    pub(crate) fn root_id(&self) -> &str {
        self.parent_draw_id.as_deref().unwrap_or(&self.id)
    }
}

impl DrawRow {
    /// When the evaluation the draw is for is due to end.
    pub(crate) fn evaluation_end(&self) -> i64 {
        self.evaluation_start + i64::from(self.evaluation_minutes) * 60_000
    }
}

const DRAW_COLUMNS: &str = "id, center_id, parent_draw_id, parent_stratum, link_reason, tender_reference, \
     tender_name, venue, mode, evaluation_start, evaluation_minutes, status, filter_json, \
     exclusions_json, intent_json, intent_hash, intent_index, sealed_secret, \
     contribution_deadline, secret, seed, result_index, created_at, executed_at, spec_version, \
     lot, tender_key, family_excluded";

/// What a root draw's request said of its project (issue 21 §1), as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct DrawProjectRow {
    pub(crate) category: Option<ProjectCategory>,
    pub(crate) government_invested: Option<bool>,
    pub(crate) value_band: Option<ValueBand>,
    pub(crate) transaction_code: Option<String>,
}

/// What places a root draw in a supervisor's jurisdiction (issue 16 §5).
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct DrawJurisdiction {
    /// The project's region, or the requesting center's when the request named none.
    pub(crate) region: Option<String>,
    /// One of `auth::jurisdiction::INDUSTRIES`.
    pub(crate) industry: Option<String>,
    /// The project must be tendered by law (依法必须招标): a supervisor's contribution is awaited.
    pub(crate) statutory_tender: bool,
}

/// See [`Tx::family_state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FamilyState {
    pub draws: i64,
    pub(crate) awaiting: i64,
    pub(crate) candidates: i64,
}

/// One audit entry of a v2 draw family, in log order.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct FamilyEntryRow {
    pub seq: i64,
    pub draw_id: String,
    pub kind: String,
    pub(crate) log_index: i64,
    pub(crate) leaf: Vec<u8>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct StratumRow {
    pub stratum: i32,
    pub(crate) prefixes: String,
    pub(crate) k: i32,
    pub(crate) m: i32,
    pub(crate) eligible_count: i64,
    pub(crate) eligible_root: Vec<u8>,
    pub tokens: Vec<u8>,
    pub(crate) sealed_members: Vec<u8>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContributionRow {
    pub(crate) position: i32,
    pub(crate) contributor_id: String,
    pub role: ContributorRole,
    pub(crate) bytes: Vec<u8>,
    pub(crate) received_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CandidateSeatRow {
    pub stratum: i32,
    pub(crate) rank: i32,
    pub token: Vec<u8>,
    pub sealed_expert: Vec<u8>,
    pub state: CandidateState,
    pub(crate) replaced_reason: Option<VacancyReason>,
    pub(crate) replaced_index: Option<i64>,
    pub(crate) seated_at: Option<i64>,
    pub(crate) link_state: Option<LinkState>,
    pub(crate) linked_draw_id: Option<String>,
}

const SEAT_COLUMNS: &str = "stratum, rank, token, sealed_expert, state, replaced_reason, \
     replaced_at, replaced_index, seated_at, link_state, linked_draw_id";

/// A candidate row to insert when a draw is executed.
pub(crate) struct NewCandidate {
    pub stratum: i32,
    pub(crate) rank: i32,
    pub token: Vec<u8>,
    pub sealed_expert: Vec<u8>,
    pub(crate) seated: bool,
}

impl Tx {
    /// Every (expert, specialty) pair of the pool, for the in-memory copy draws filter over.
    pub(crate) async fn all_draw_candidates(&mut self) -> Result<Vec<CandidateRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, CandidateRow>(
            "SELECT e.id, e.status, e.suspended_until, e.birth_year, e.title_level, e.years_in_field, \
             e.region_code, s.code, e.tier, e.term_end \
             FROM expert_specialties s JOIN experts e ON e.id = s.expert_id")
            .fetch_all(conn)
            .await)?)
    }

    /// Experts with leave overlapping `[from, to)`.
    pub(crate) async fn experts_on_leave(
        &mut self,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT DISTINCT expert_id FROM expert_leave WHERE from_at < $2 AND to_at > $1")
            .bind(from)
            .bind(to)
            .fetch_all(conn)
            .await)?)
    }

    /// Experts with a penalty in force at `at`.
    pub(crate) async fn experts_penalised(
        &mut self,
        at: Millis,
    ) -> Result<Vec<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT DISTINCT expert_id FROM expert_penalties \
             WHERE imposed_at <= $1 AND (until_at IS NULL OR until_at > $1)")
            .bind(at)
            .fetch_all(conn)
            .await)?)
    }

    /// Ties of any expert to any of the organisations (by blind index).
    pub(crate) async fn organisation_ties(
        &mut self,
        org_indexes: &[[u8; 32]],
    ) -> Result<Vec<TieRow>, StoreError> {
        if org_indexes.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=org_indexes.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT expert_id, relation, to_date FROM expert_organisations WHERE org_index IN ({})",
            placeholders.join(", ")
        );
        on_conn!(self, conn => {
            let mut query = sqlx::query_as::<_, TieRow>(&sql);
            for index in org_indexes {
                query = query.bind(index.as_slice());
            }
            Ok(query.fetch_all(conn).await?)
        })
    }

    /// Seats per expert since `since_day` (days since the epoch), for those with at least `min`
    /// (the frequency cap asks with the cap; the frequency report with 1).
    pub(crate) async fn selection_counts(
        &mut self,
        since_day: i64,
        min: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, (String, i64)>(
            "SELECT expert_id, COUNT(*) FROM expert_selections WHERE day >= $1 \
             GROUP BY expert_id HAVING COUNT(*) >= $2")
            .bind(since_day)
            .bind(min)
            .fetch_all(conn)
            .await)?)
    }

    /// The strata of the draws executed since `since` (linked ones too), each with its sealed
    /// members and how many of its candidates were ever seated, for the fairness test.
    pub(crate) async fn strata_seated_since(
        &mut self,
        since: i64,
    ) -> Result<Vec<(String, i32, Vec<u8>, i64)>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (String, i32, Vec<u8>, i64)>(
            "SELECT s.draw_id, s.stratum, s.sealed_members, \
             (SELECT COUNT(*) FROM draw_candidates c WHERE c.draw_id = s.draw_id \
                 AND c.stratum = s.stratum AND c.state IN ('seated', 'confirmed', 'replaced')) \
             FROM draw_strata s JOIN draws d ON d.id = s.draw_id \
             WHERE d.executed_at >= $1 ORDER BY s.draw_id, s.stratum")
            .bind(since)
            .fetch_all(conn)
            .await)?,
        )
    }

    pub(crate) async fn insert_selections(
        &mut self,
        expert_ids: &[String],
        day: i64,
    ) -> Result<(), StoreError> {
        if expert_ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO expert_selections (expert_id, day) VALUES {}",
            values_placeholders(expert_ids.len(), 2)
        );
        on_conn!(self, conn => {
            let mut query = sqlx::query(&sql);
            for id in expert_ids {
                query = query.bind(id).bind(day);
            }
            query.execute(conn).await?;
        });
        // One row at a time in id order: concurrent draws that seat the same experts then
        // take their row locks in the same order and cannot deadlock (PostgreSQL did, with
        // one `IN (…)` update per draw).
        let mut sorted: Vec<&String> = expert_ids.iter().collect();
        sorted.sort_unstable();
        for id in sorted {
            on_conn!(self, conn => sqlx::query("UPDATE experts SET draws = draws + 1 WHERE id = $1")
                .bind(id)
                .execute(conn)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    pub(crate) async fn insert_penalty(
        &mut self,
        id: &str,
        expert_id: &str,
        reason_code: &str,
        imposed_at: Millis,
        until_at: Option<Millis>,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO expert_penalties (id, expert_id, reason_code, imposed_at, until_at) \
             VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(expert_id)
            .bind(reason_code)
            .bind(imposed_at)
            .bind(until_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(crate) async fn insert_draw(&mut self, row: &DrawRow) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO draws ({DRAW_COLUMNS}) VALUES {}",
            values_placeholders(1, 28)
        );
        on_conn!(self, conn => sqlx::query(&sql)
            .bind(&row.id)
            .bind(&row.center_id)
            .bind(&row.parent_draw_id)
            .bind(row.parent_stratum)
            .bind(row.link_reason)
            .bind(&row.tender_reference)
            .bind(&row.tender_name)
            .bind(&row.venue)
            .bind(row.mode)
            .bind(row.evaluation_start)
            .bind(row.evaluation_minutes)
            .bind(row.status)
            .bind(&row.filter_json)
            .bind(&row.exclusions_json)
            .bind(&row.intent_json)
            .bind(&row.intent_hash)
            .bind(row.intent_index)
            .bind(&row.sealed_secret)
            .bind(row.contribution_deadline)
            .bind(&row.secret)
            .bind(&row.seed)
            .bind(row.result_index)
            .bind(row.created_at)
            .bind(row.executed_at)
            .bind(row.spec_version)
            .bind(&row.lot)
            .bind(&row.tender_key)
            .bind(&row.family_excluded)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(conflict_as("tender"))?;
        Ok(())
    }

    /// The root draw already made for a tender: by its v2 key, or (for draws made before
    /// keys existed) by the reference as it was stored, for a tender without lots.
    pub(crate) async fn root_draw_for_tender(
        &mut self,
        tender_key: &str,
        legacy_reference: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT id FROM draws WHERE parent_draw_id IS NULL AND voided_at IS NULL \
             AND (tender_key = $1 OR (tender_key IS NULL AND $2 IS NOT NULL \
                  AND tender_reference = $2)) \
             ORDER BY created_at LIMIT 1")
            .bind(tender_key)
            .bind(legacy_reference)
            .fetch_optional(conn)
            .await)?)
    }

    /// A v2 family's entries so far, in order.
    pub(crate) async fn family_entries(
        &mut self,
        root_id: &str,
    ) -> Result<Vec<FamilyEntryRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, FamilyEntryRow>(
            "SELECT seq, draw_id, kind, log_index, leaf FROM draw_family_entries \
             WHERE root_draw_id = $1 ORDER BY seq")
            .bind(root_id)
            .fetch_all(conn)
            .await)?)
    }

    /// The newest entry of a v2 family: its seq and leaf hash.
    pub(crate) async fn family_head(
        &mut self,
        root_id: &str,
    ) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, (i64, Vec<u8>)>(
            "SELECT seq, leaf FROM draw_family_entries WHERE root_draw_id = $1 \
             ORDER BY seq DESC LIMIT 1")
            .bind(root_id)
            .fetch_optional(conn)
            .await)?)
    }

    pub(crate) async fn insert_family_entry(
        &mut self,
        root_id: &str,
        entry: &FamilyEntryRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO draw_family_entries (root_draw_id, seq, draw_id, kind, log_index, leaf) \
             VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(root_id)
            .bind(entry.seq)
            .bind(&entry.draw_id)
            .bind(&entry.kind)
            .bind(entry.log_index)
            .bind(&entry.leaf)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// What a linked draw's exclusions depend on, for one family: how many of its draws wait
    /// for their result, and how many draws and candidates it has. A linked draw is planned
    /// from one reading and written only if a second reading, under the family's writer
    /// order, is the same with nothing waiting.
    pub(crate) async fn family_state(&mut self, root_id: &str) -> Result<FamilyState, StoreError> {
        let (draws, awaiting) = on_conn!(self, conn => sqlx::query_as::<_, (i64, i64)>(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'awaiting_entropy' THEN 1 ELSE 0 END), 0) \
             FROM draws WHERE id = $1 OR parent_draw_id = $1")
            .bind(root_id)
            .fetch_one(conn)
            .await)?;
        let candidates = on_conn!(self, conn => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM draw_candidates c JOIN draws d ON d.id = c.draw_id \
             WHERE d.id = $1 OR d.parent_draw_id = $1")
            .bind(root_id)
            .fetch_one(conn)
            .await)?;
        Ok(FamilyState {
            draws,
            awaiting,
            candidates,
        })
    }

    pub(crate) async fn insert_draw_strata(
        &mut self,
        draw_id: &str,
        strata: &[StratumRow],
    ) -> Result<(), StoreError> {
        for stratum in strata {
            on_conn!(self, conn => sqlx::query(
                "INSERT INTO draw_strata (draw_id, stratum, prefixes, k, m, eligible_count, \
                 eligible_root, tokens, sealed_members) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(draw_id)
                .bind(stratum.stratum)
                .bind(&stratum.prefixes)
                .bind(stratum.k)
                .bind(stratum.m)
                .bind(stratum.eligible_count)
                .bind(&stratum.eligible_root)
                .bind(&stratum.tokens)
                .bind(&stratum.sealed_members)
                .execute(conn)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// Serialises writers of one draw (contributions, replacements, execution's readers) until
    /// the transaction ends. SQLite's `BEGIN IMMEDIATE` already holds the database's write lock;
    /// PostgreSQL needs the row lock, or two replacements could seat the same reserve, and a
    /// contribution could be inserted after execution read the contributions (the published
    /// record would then not verify). Statements after the lock see the latest committed row.
    ///
    /// The log's writer order (the audit head's lock) is taken first. Every draw writer
    /// appends to the log, and a transaction holding the head must never wait for a draw row
    /// that another holds while waiting for the head (a linked draw's insert takes a key-share
    /// lock on its root's row): taking the head before any draw row makes that cycle
    /// impossible, as on SQLite, where one writer holds the whole database.
    pub(crate) async fn lock_draw(&mut self, id: &str) -> Result<(), StoreError> {
        if let Tx::Postgres(_) = self {
            if self.pending_audit().head.is_none() {
                let head = self.lock_audit_head().await?;
                self.pending_audit().head = Some(head);
            }
            if let Tx::Postgres(tx) = self {
                sqlx::query("SELECT id FROM draws WHERE id = $1 FOR UPDATE")
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    pub async fn draw(&mut self, id: &str) -> Result<Option<DrawRow>, StoreError> {
        let sql = format!("SELECT {DRAW_COLUMNS} FROM draws WHERE id = $1");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, DrawRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?)
    }

    /// Newest first; only `center_id`'s when given.
    pub async fn draws(
        &mut self,
        center_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<DrawRow>, StoreError> {
        let sql = format!(
            "SELECT {DRAW_COLUMNS} FROM draws WHERE ($1 IS NULL OR center_id = $1) \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        Ok(on_conn!(self, conn => sqlx::query_as::<_, DrawRow>(&sql)
            .bind(center_id)
            .bind(limit)
            .fetch_all(conn)
            .await)?)
    }

    pub(crate) async fn linked_draw_ids(
        &mut self,
        parent: &str,
    ) -> Result<Vec<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT id FROM draws WHERE parent_draw_id = $1 ORDER BY created_at, id")
            .bind(parent)
            .fetch_all(conn)
            .await)?)
    }

    /// `(draw id, contributor role)` of every contribution to a draw still without a result,
    /// grouped by draw. Few draws await contributions at a time, each with at most a handful.
    pub(crate) async fn contributors_of_awaiting_draws(
        &mut self,
    ) -> Result<Vec<(String, ContributorRole)>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (String, ContributorRole)>(
            "SELECT c.draw_id, c.role FROM draw_contributions c \
             JOIN draws d ON d.id = c.draw_id \
             WHERE d.status = 'awaiting_entropy' AND d.voided_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM draws h WHERE h.hold IS NOT NULL \
                             AND h.id = COALESCE(d.parent_draw_id, d.id)) \
             ORDER BY c.draw_id, c.position")
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Draws whose contribution window has closed without a result.
    pub(crate) async fn overdue_draws(
        &mut self,
        now: Millis,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT d.id FROM draws d WHERE d.status = 'awaiting_entropy' \
             AND d.voided_at IS NULL AND d.contribution_deadline <= $1 \
             AND NOT EXISTS (SELECT 1 FROM draws h WHERE h.hold IS NOT NULL \
                             AND h.id = COALESCE(d.parent_draw_id, d.id)) \
             ORDER BY d.contribution_deadline LIMIT $2")
            .bind(now)
            .bind(limit)
            .fetch_all(conn)
            .await)?)
    }

    pub(crate) async fn draw_strata(
        &mut self,
        draw_id: &str,
    ) -> Result<Vec<StratumRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, StratumRow>(
            "SELECT stratum, prefixes, k, m, eligible_count, eligible_root, tokens, sealed_members \
             FROM draw_strata WHERE draw_id = $1 ORDER BY stratum")
            .bind(draw_id)
            .fetch_all(conn)
            .await)?)
    }

    pub(crate) async fn insert_contribution(
        &mut self,
        draw_id: &str,
        contribution: &ContributionRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO draw_contributions (draw_id, position, contributor_id, role, bytes, \
             received_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(draw_id)
            .bind(contribution.position)
            .bind(&contribution.contributor_id)
            .bind(contribution.role)
            .bind(&contribution.bytes)
            .bind(contribution.received_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(super::conflict_as("contributor for this draw"))?;
        Ok(())
    }

    pub async fn contributions(
        &mut self,
        draw_id: &str,
    ) -> Result<Vec<ContributionRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, ContributionRow>(
            "SELECT position, contributor_id, role, bytes, received_at FROM draw_contributions \
             WHERE draw_id = $1 ORDER BY position")
            .bind(draw_id)
            .fetch_all(conn)
            .await)?)
    }

    /// Moves a draw from awaiting entropy to drawn. False when it was not awaiting (someone
    /// else executed it first): the caller must then do nothing, which is what makes a draw
    /// impossible to execute twice, on one instance or several.
    pub(crate) async fn claim_draw_for_execution(
        &mut self,
        id: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let affected = on_conn!(self, conn => sqlx::query(
            "UPDATE draws SET status = 'drawn', executed_at = $2 \
             WHERE id = $1 AND status = 'awaiting_entropy' AND voided_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    /// Makes an unexecuted draw void, freeing its tender for a new root draw: false when it
    /// had executed or was void already.
    pub(crate) async fn void_draw(
        &mut self,
        id: &str,
        reason: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let affected = on_conn!(self, conn => sqlx::query(
            "UPDATE draws SET void_reason = $2, voided_at = $3 \
             WHERE id = $1 AND status = 'awaiting_entropy' AND voided_at IS NULL")
            .bind(id)
            .bind(reason)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    /// Unexecuted, not yet void draws one of whose sub-venues refused (issue 15): each is made
    /// void by the executor.
    pub(crate) async fn draws_refused_by_a_venue(&mut self) -> Result<Vec<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT DISTINCT d.id FROM draws d JOIN venue_consents c \
             ON c.holder_kind = 'draw' AND c.holder_id = d.id \
             WHERE d.status = 'awaiting_entropy' AND d.voided_at IS NULL \
             AND c.state = 'refused' ORDER BY d.id")
            .fetch_all(conn)
            .await)?)
    }

    /// Records the venue chosen for a stratum whose sub-venue the draw chose at random (spec
    /// §7a), with the candidates that had accepted (their ids, sorted, as JSON).
    pub(crate) async fn insert_venue_choice(
        &mut self,
        draw_id: &str,
        stratum: i32,
        venue_id: &str,
        accepted_json: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO draw_venue_choices (draw_id, stratum, venue_id, accepted_json, chosen_at) \
             VALUES ($1, $2, $3, $4, $5)")
            .bind(draw_id)
            .bind(stratum)
            .bind(venue_id)
            .bind(accepted_json)
            .bind(now)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// A draw's venues chosen at random: `(stratum, venue id, accepted ids as JSON)`, by
    /// stratum.
    pub(crate) async fn venue_choices(
        &mut self,
        draw_id: &str,
    ) -> Result<Vec<(i32, String, String)>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (i32, String, String)>(
            "SELECT stratum, venue_id, accepted_json FROM draw_venue_choices \
             WHERE draw_id = $1 ORDER BY stratum")
            .bind(draw_id)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Unexecuted, not yet void root draws whose evaluation starts at or before `now` while a
    /// sub-venue's center has not answered: each is made void by the executor.
    pub(crate) async fn draws_unanswered_at_start(
        &mut self,
        now: Millis,
    ) -> Result<Vec<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT DISTINCT d.id FROM draws d JOIN venue_consents c \
             ON c.holder_kind = 'draw' AND c.holder_id = d.id \
             WHERE d.status = 'awaiting_entropy' AND d.voided_at IS NULL \
             AND d.evaluation_start <= $1 AND c.state = 'requested' ORDER BY d.id")
            .bind(now)
            .fetch_all(conn)
            .await)?)
    }

    /// Places a root draw in a jurisdiction (issue 16 §5).
    pub(crate) async fn insert_draw_jurisdiction(
        &mut self,
        draw_id: &str,
        jurisdiction: &DrawJurisdiction,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO draw_jurisdictions (draw_id, region, industry, statutory_tender) \
             VALUES ($1, $2, $3, $4)")
            .bind(draw_id)
            .bind(&jurisdiction.region)
            .bind(&jurisdiction.industry)
            .bind(jurisdiction.statutory_tender)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// The committee a root draw's request planned (issue 16 §1).
    pub(crate) async fn insert_draw_committee(
        &mut self,
        draw_id: &str,
        experts: u32,
        representatives: u32,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO draw_committees (draw_id, experts, representatives) VALUES ($1, $2, $3)")
            .bind(draw_id)
            .bind(experts as i32)
            .bind(representatives as i32)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// What a root draw's request said of its project (issue 21 §1).
    pub(crate) async fn insert_draw_project(
        &mut self,
        draw_id: &str,
        project: &DrawProjectRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO draw_projects (draw_id, category, government_invested, value_band, \
             transaction_code) VALUES ($1, $2, $3, $4, $5)")
            .bind(draw_id)
            .bind(project.category)
            .bind(project.government_invested)
            .bind(project.value_band)
            .bind(&project.transaction_code)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// What a root draw's request said of its project; `None` when it said nothing.
    pub(crate) async fn draw_project(
        &mut self,
        draw_id: &str,
    ) -> Result<Option<DrawProjectRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, DrawProjectRow>(
            "SELECT category, government_invested, value_band, transaction_code \
             FROM draw_projects WHERE draw_id = $1")
            .bind(draw_id)
            .fetch_optional(conn)
            .await)?)
    }

    /// The committee a root draw's request planned, as (experts, representatives); `None` when
    /// it planned none (its committee is its experts alone).
    pub(crate) async fn draw_committee(
        &mut self,
        root_draw_id: &str,
    ) -> Result<Option<(i32, i32)>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, (i32, i32)>(
            "SELECT experts, representatives FROM draw_committees WHERE draw_id = $1")
            .bind(root_draw_id)
            .fetch_optional(conn)
            .await)?)
    }

    /// The jurisdiction of a root draw; `None` for a draw made before draws carried one.
    pub(crate) async fn draw_jurisdiction(
        &mut self,
        root_draw_id: &str,
    ) -> Result<Option<DrawJurisdiction>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, DrawJurisdiction>(
            "SELECT region, industry, statutory_tender FROM draw_jurisdictions WHERE draw_id = $1")
            .bind(root_draw_id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// Why and when a draw became void, if it did.
    pub(crate) async fn draw_void(
        &mut self,
        id: &str,
    ) -> Result<Option<(String, Millis)>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (String, Millis)>(
            "SELECT void_reason, voided_at FROM draws \
             WHERE id = $1 AND void_reason IS NOT NULL AND voided_at IS NOT NULL")
            .bind(id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// The void root draws of a tender (by its tender commitment), newest first: a new root
    /// draw for the tender names the newest.
    pub(crate) async fn void_roots_of_tender(
        &mut self,
        tender_key: &str,
    ) -> Result<Vec<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT id FROM draws WHERE parent_draw_id IS NULL AND voided_at IS NOT NULL \
             AND tender_key = $1 ORDER BY voided_at DESC, id DESC")
            .bind(tender_key)
            .fetch_all(conn)
            .await)?)
    }

    pub(crate) async fn set_draw_result(
        &mut self,
        id: &str,
        secret: &[u8],
        seed: &[u8],
        result_index: i64,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE draws SET secret = $2, seed = $3, result_index = $4 WHERE id = $1")
            .bind(id)
            .bind(secret)
            .bind(seed)
            .bind(result_index)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(crate) async fn insert_candidates(
        &mut self,
        draw_id: &str,
        candidates: &[NewCandidate],
        now: Millis,
    ) -> Result<(), StoreError> {
        if candidates.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO draw_candidates (draw_id, stratum, rank, token, sealed_expert, state, \
             seated_at) VALUES {}",
            values_placeholders(candidates.len(), 7)
        );
        on_conn!(self, conn => {
            let mut query = sqlx::query(&sql);
            for candidate in candidates {
                query = query
                    .bind(draw_id)
                    .bind(candidate.stratum)
                    .bind(candidate.rank)
                    .bind(&candidate.token)
                    .bind(&candidate.sealed_expert)
                    .bind(if candidate.seated {
                        CandidateState::Seated
                    } else {
                        CandidateState::Reserve
                    })
                    .bind(candidate.seated.then_some(now));
            }
            query.execute(conn).await?;
        });
        Ok(())
    }

    pub async fn draw_seats(&mut self, draw_id: &str) -> Result<Vec<CandidateSeatRow>, StoreError> {
        let sql = format!(
            "SELECT {SEAT_COLUMNS} FROM draw_candidates WHERE draw_id = $1 ORDER BY stratum, rank"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, CandidateSeatRow>(&sql)
            .bind(draw_id)
            .fetch_all(conn)
            .await)?,
        )
    }

    pub(crate) async fn draw_seat(
        &mut self,
        draw_id: &str,
        token: &[u8],
    ) -> Result<Option<CandidateSeatRow>, StoreError> {
        let sql =
            format!("SELECT {SEAT_COLUMNS} FROM draw_candidates WHERE draw_id = $1 AND token = $2");
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, CandidateSeatRow>(&sql)
            .bind(draw_id)
            .bind(token)
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// Marks a seated or confirmed candidate replaced. False if it was not (a concurrent
    /// replacement got there first).
    pub(crate) async fn mark_seat_replaced(
        &mut self,
        draw_id: &str,
        token: &[u8],
        reason: VacancyReason,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let affected = on_conn!(self, conn => sqlx::query(
            "UPDATE draw_candidates SET state = 'replaced', replaced_reason = $3, replaced_at = $4 \
             WHERE draw_id = $1 AND token = $2 AND state IN ('seated', 'confirmed')")
            .bind(draw_id)
            .bind(token)
            .bind(reason)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    pub(crate) async fn set_replacement_index(
        &mut self,
        draw_id: &str,
        token: &[u8],
        index: i64,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE draw_candidates SET replaced_index = $3 WHERE draw_id = $1 AND token = $2")
            .bind(draw_id)
            .bind(token)
            .bind(index)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Seats the stratum's first unused reserve in rank order, if any.
    pub(crate) async fn seat_next_reserve(
        &mut self,
        draw_id: &str,
        stratum: i32,
        now: Millis,
    ) -> Result<Option<CandidateSeatRow>, StoreError> {
        let sql = format!(
            "SELECT {SEAT_COLUMNS} FROM draw_candidates WHERE draw_id = $1 AND stratum = $2 \
             AND state = 'reserve' ORDER BY rank LIMIT 1"
        );
        // The update takes the reserve only if it still is one: on PostgreSQL a concurrent
        // replacement may have seated it since the select, and then the next one is taken.
        loop {
            let next = on_conn!(self, conn => sqlx::query_as::<_, CandidateSeatRow>(&sql)
                .bind(draw_id)
                .bind(stratum)
                .fetch_optional(conn)
                .await)?;
            let Some(mut next) = next else {
                return Ok(None);
            };
            let taken = on_conn!(self, conn => sqlx::query(
                "UPDATE draw_candidates SET state = 'seated', seated_at = $4 \
                 WHERE draw_id = $1 AND stratum = $2 AND rank = $3 AND state = 'reserve'")
                .bind(draw_id)
                .bind(stratum)
                .bind(next.rank)
                .bind(now)
                .execute(conn)
                .await
                .map(|r| r.rows_affected()))?;
            if taken == 1 {
                next.state = CandidateState::Seated;
                next.seated_at = Some(now);
                return Ok(Some(next));
            }
        }
    }

    /// Marks a vacated seat as waiting for a linked draw, in the replacement's transaction, so
    /// the seat is filled even if the process stops before the linked draw starts.
    pub(crate) async fn mark_link_pending(
        &mut self,
        draw_id: &str,
        token: &[u8],
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE draw_candidates SET link_state = 'pending' WHERE draw_id = $1 AND token = $2")
            .bind(draw_id)
            .bind(token)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Seats waiting for a linked draw: (draw id, token).
    pub(crate) async fn pending_links(
        &mut self,
        limit: i64,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (String, Vec<u8>)>(
            "SELECT draw_id, token FROM draw_candidates WHERE link_state = 'pending' \
             ORDER BY replaced_at LIMIT $1")
            .bind(limit)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Settles a pending link (started with its draw, or refused). False if it was no longer
    /// pending: another instance got there first, and the caller must write nothing.
    pub(crate) async fn settle_link(
        &mut self,
        draw_id: &str,
        token: &[u8],
        state: LinkState,
        linked_draw_id: Option<&str>,
    ) -> Result<bool, StoreError> {
        let affected = on_conn!(self, conn => sqlx::query(
            "UPDATE draw_candidates SET link_state = $3, linked_draw_id = $4 \
             WHERE draw_id = $1 AND token = $2 AND link_state = 'pending'")
            .bind(draw_id)
            .bind(token)
            .bind(state)
            .bind(linked_draw_id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    /// A root draw's committee across its family: per root stratum, the confirmed seats of the
    /// root and of every linked draw that fills a seat of that stratum.
    pub(crate) async fn family_confirmed(
        &mut self,
        root_id: &str,
    ) -> Result<Vec<(i32, i64)>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, (i32, i64)>(
            "SELECT stratum, COUNT(*) FROM draw_candidates \
             WHERE draw_id = $1 AND state = 'confirmed' GROUP BY stratum \
             UNION ALL \
             SELECT d.parent_stratum, COUNT(*) FROM draw_candidates c \
             JOIN draws d ON d.id = c.draw_id \
             WHERE d.parent_draw_id = $1 AND c.state = 'confirmed' GROUP BY d.parent_stratum")
            .bind(root_id)
            .fetch_all(conn)
            .await)?)
    }
}
