//! What a draw's request says about its project for supervision's statistics (issue 21 §1):
//! the kind of procurement, whether government money pays for it, how large it is, and the
//! national transaction code that names it across platforms. None of it decides who is drawn,
//! so none of it is in the intent; it is logged with the intent entry and stored beside the
//! draw. Old draws, and requests that leave it out, have none.

use serde::{Deserialize, Serialize};

use crate::store::text_enum::text_enum;

text_enum! {
    /// 工程 / 货物 / 服务, as the Tendering Law and the Government Procurement Law divide
    /// procurement.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum ProjectCategory {
        /// 工程: construction works.
        Works = "works",
        /// 货物: goods.
        Goods = "goods",
        /// 服务: services.
        Services = "services",
    }
}

text_enum! {
    /// The project's estimated value (估算金额), in bands rather than figures: the bands the
    /// statistics group by, and nothing a bidder could use.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
    pub(crate) enum ValueBand {
        /// Under 4 million yuan (400 万元, the threshold for works that must be tendered).
        #[serde(rename = "under_4m")]
        Under4m = "under_4m",
        /// 4 to 10 million.
        #[serde(rename = "4m_to_10m")]
        From4mTo10m = "4m_to_10m",
        /// 10 to 100 million.
        #[serde(rename = "10m_to_100m")]
        From10mTo100m = "10m_to_100m",
        /// 100 million or more (1 亿元).
        #[serde(rename = "100m_and_above")]
        From100m = "100m_and_above",
    }
}

/// The project's facts as a request states them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct ProjectFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub(crate) category: Option<ProjectCategory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) government_invested: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub(crate) value_band: Option<ValueBand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) transaction_code: Option<String>,
}

impl From<crate::store::draws::DrawProjectRow> for ProjectFacts {
    fn from(row: crate::store::draws::DrawProjectRow) -> Self {
        Self {
            category: row.category,
            government_invested: row.government_invested,
            value_band: row.value_band,
            transaction_code: row.transaction_code,
        }
    }
}

impl From<&ProjectFacts> for crate::store::draws::DrawProjectRow {
    fn from(facts: &ProjectFacts) -> Self {
        Self {
            category: facts.category,
            government_invested: facts.government_invested,
            value_band: facts.value_band,
            transaction_code: facts.transaction_code.clone(),
        }
    }
}

impl ProjectFacts {
    /// Whether the request said anything of its project.
    pub(crate) fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// A national transaction code (交易项目编号 of the national public-resource trading
/// platform): 10 to 40 capitals, digits and hyphens, as the platforms print them. Lower case
/// is taken as capitals; anything else is refused with what is wrong.
pub(crate) fn transaction_code(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    if !(10..=40).contains(&code.len()) {
        return Err("must be 10 to 40 characters".into());
    }
    if let Some(bad) = code
        .chars()
        .find(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "may hold only capital letters, digits and hyphens, not {bad:?}"
        ));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::text_enum::assert_serde_is_text;

    #[test]
    fn project_facts_serialise_as_their_stored_text() {
        assert_serde_is_text::<ProjectCategory>();
        assert_serde_is_text::<ValueBand>();
    }

    #[test]
    fn a_transaction_code_is_capitals_digits_and_hyphens() {
        assert_eq!(
            transaction_code(" e4206000001000123001 ").unwrap(),
            "E4206000001000123001"
        );
        assert!(transaction_code("E42").is_err());
        assert!(transaction_code("E4206000001_000123").is_err());
        assert!(transaction_code("E4206000001０00123").is_err());
    }
}
