//! What supervision's statistics read (issue 21): the qualifying projects of a window.

use super::{StoreError, Tx, on_conn};
use crate::clock::Millis;
use crate::draw::filter::EvaluationMode;

/// A root draw whose request said `works` and `government_invested`, neither void nor
/// cancelled, with where it belongs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct QualifyingRow {
    pub(crate) id: String,
    pub(crate) tender_reference: String,
    pub(crate) tender_name: String,
    pub(crate) mode: EvaluationMode,
    pub(crate) evaluation_start: i64,
    pub(crate) region: Option<String>,
    pub(crate) industry: Option<String>,
}

impl Tx {
    /// The qualifying projects whose evaluation starts in `[from, until)`, by start.
    pub(crate) async fn qualifying_projects(
        &mut self,
        from: Millis,
        until: Millis,
    ) -> Result<Vec<QualifyingRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, QualifyingRow>(
            "SELECT d.id, d.tender_reference, d.tender_name, d.mode, d.evaluation_start, \
             j.region, j.industry \
             FROM draws d JOIN draw_projects p ON p.draw_id = d.id \
             LEFT JOIN draw_jurisdictions j ON j.draw_id = d.id \
             WHERE d.parent_draw_id IS NULL AND d.voided_at IS NULL \
             AND (d.hold IS NULL OR d.hold <> 'cancelled') \
             AND p.category = 'works' AND p.government_invested = TRUE \
             AND d.evaluation_start >= $1 AND d.evaluation_start < $2 \
             ORDER BY d.evaluation_start, d.id")
            .bind(from)
            .bind(until)
            .fetch_all(conn)
            .await)?)
    }
}
