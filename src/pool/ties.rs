//! Ties to organisations beyond employment that 政府采购法实施条例 §9 counts as interests:
//! director, supervisor (监事), shareholder, actual controller. One form for the import column,
//! the API and the sealed field, each parsed here once: a kind, the organisation's credit code,
//! and the tie's period (no end: it holds now).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::TieKind;
use super::validate::CreditCode;

/// At most this many ties per expert.
pub(crate) const MAX_TIES: usize = 50;

/// One tie, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tie {
    pub(crate) kind: TieKind,
    pub(crate) credit_code: CreditCode,
    pub(crate) from: Option<NaiveDate>,
    /// The last day of the tie; none while it holds.
    pub(crate) to: Option<NaiveDate>,
}

/// A tie as the API takes and shows it, and as the record keeps it sealed (`ties`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TieEntry {
    /// director (董事), supervisor (监事), shareholder (股东) or actual_controller (实际控制人).
    pub(crate) kind: TieKind,
    /// The organisation's 18-character unified social credit code (统一社会信用代码).
    pub(crate) credit_code: String,
    /// First day of the tie (YYYY-MM-DD), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    pub(crate) from: Option<NaiveDate>,
    /// Last day of the tie (YYYY-MM-DD); absent while it holds. A tie that ended more than
    /// `draw.avoidance_years` before an evaluation no longer avoids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    pub(crate) to: Option<NaiveDate>,
}

impl Tie {
    pub(crate) fn entry(&self) -> TieEntry {
        TieEntry {
            kind: self.kind,
            credit_code: self.credit_code.as_str().to_owned(),
            from: self.from,
            to: self.to,
        }
    }
}

/// Checks a list of ties; a problem names the entry (`[i].credit_code`, `[i].to`) under the
/// caller's field.
pub(crate) fn parse_entries(entries: &[TieEntry]) -> Result<Vec<Tie>, (String, String)> {
    if entries.len() > MAX_TIES {
        return Err((String::new(), format!("give at most {MAX_TIES} ties")));
    }
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let credit_code = CreditCode::parse(&entry.credit_code)
                .map_err(|problem| (format!("[{i}].credit_code"), problem))?;
            check_period(entry.from, entry.to).map_err(|problem| (format!("[{i}].to"), problem))?;
            Ok(Tie {
                kind: entry.kind,
                credit_code,
                from: entry.from,
                to: entry.to,
            })
        })
        .collect()
}

fn check_period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<(), String> {
    match (from, to) {
        (Some(from), Some(to)) if from > to => Err("the tie ends before it starts".into()),
        _ => Ok(()),
    }
}

/// The import column: `kind:credit_code[:from[:to]]` entries separated by `;`, dates
/// `YYYY-MM-DD`, an empty `from` when only the end is known
/// (`director:91420100MA4K00001X::2023-06-30`).
pub(crate) fn parse_column(text: &str) -> Result<Vec<Tie>, String> {
    let mut ties = Vec::new();
    for part in text
        .split([';', '；'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let fields: Vec<&str> = part.split(':').map(str::trim).collect();
        let (kind, code, from, to) = match fields[..] {
            [kind, code] => (kind, code, "", ""),
            [kind, code, from] => (kind, code, from, ""),
            [kind, code, from, to] => (kind, code, from, to),
            _ => {
                return Err(format!("{part:?} is not kind:credit_code[:from[:to]]"));
            }
        };
        let kind = TieKind::parse(kind).ok_or_else(|| {
            format!(
                "{kind:?} is not a kind of tie: director, supervisor, shareholder or \
                 actual_controller"
            )
        })?;
        let credit_code = CreditCode::parse(code)?;
        let date = |text: &str| {
            (!text.is_empty())
                .then(|| {
                    NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .map_err(|_| format!("{text:?} is not a date YYYY-MM-DD"))
                })
                .transpose()
        };
        let (from, to) = (date(from)?, date(to)?);
        check_period(from, to).map_err(|problem| format!("{part:?}: {problem}"))?;
        ties.push(Tie {
            kind,
            credit_code,
            from,
            to,
        });
    }
    if ties.len() > MAX_TIES {
        return Err(format!("give at most {MAX_TIES} ties"));
    }
    Ok(ties)
}

/// The sealed field's text: a JSON array of [`TieEntry`].
pub(crate) fn sealed_text(ties: &[Tie]) -> String {
    let entries: Vec<TieEntry> = ties.iter().map(Tie::entry).collect();
    // A list of plain structs of strings and dates always serialises.
    serde_json::to_string(&entries).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::validate::complete_credit_code;

    fn code(serial: u32) -> String {
        complete_credit_code(&format!("91420100MA4K{serial:05}")).unwrap()
    }

    #[test]
    fn the_import_column_takes_each_kind_with_or_without_its_period() {
        let text = format!(
            "director:{}; supervisor:{}:2019-01-01 ;shareholder:{}:2015-03-01:2022-12-31；actual_controller:{}::2020-06-30",
            code(1),
            code(2),
            code(3),
            code(4)
        );
        let ties = parse_column(&text).unwrap();
        assert_eq!(
            ties.iter().map(|t| t.kind).collect::<Vec<_>>(),
            TieKind::ALL
        );
        assert_eq!((ties[0].from, ties[0].to), (None, None));
        assert_eq!(ties[1].from, NaiveDate::from_ymd_opt(2019, 1, 1));
        assert_eq!(ties[2].to, NaiveDate::from_ymd_opt(2022, 12, 31));
        assert_eq!(
            (ties[3].from, ties[3].to),
            (None, NaiveDate::from_ymd_opt(2020, 6, 30))
        );
        assert!(parse_column("").unwrap().is_empty());
        let sealed = sealed_text(&ties);
        let back: Vec<TieEntry> = serde_json::from_str(&sealed).unwrap();
        assert_eq!(back, ties.iter().map(Tie::entry).collect::<Vec<_>>());
        assert!(
            sealed.starts_with(r#"[{"kind":"director","credit_code":""#),
            "{sealed}"
        );
    }

    #[test]
    fn unknown_kinds_bad_codes_and_backward_periods_are_refused_by_name() {
        let unknown = parse_column(&format!("partner:{}", code(1))).unwrap_err();
        assert!(
            unknown.contains("\"partner\" is not a kind of tie"),
            "{unknown}"
        );
        let mut bad = code(1);
        bad.pop();
        bad.push(if code(1).ends_with('0') { '1' } else { '0' });
        assert!(parse_column(&format!("director:{bad}")).is_err());
        let backwards = parse_column(&format!("director:{}:2020-01-02:2020-01-01", code(1)));
        assert!(backwards.unwrap_err().contains("ends before it starts"));
        assert!(parse_column(&format!("director:{}:1:2:3", code(1))).is_err());
        assert!(parse_column(&format!("director:{}:2020-13-01", code(1))).is_err());

        let entry = |credit_code: &str, to: Option<NaiveDate>| TieEntry {
            kind: TieKind::Director,
            credit_code: credit_code.into(),
            from: NaiveDate::from_ymd_opt(2020, 1, 1),
            to,
        };
        let (field, _) = parse_entries(&[entry(&code(1), None), entry(&bad, None)]).unwrap_err();
        assert_eq!(field, "[1].credit_code");
        let (field, _) =
            parse_entries(&[entry(&code(1), NaiveDate::from_ymd_opt(2019, 1, 1))]).unwrap_err();
        assert_eq!(field, "[0].to");
        let many = vec![entry(&code(1), None); MAX_TIES + 1];
        assert_eq!(parse_entries(&many).unwrap_err().0, "");
        let good = [entry(&code(1).to_lowercase(), None)];
        assert_eq!(
            parse_entries(&good).unwrap()[0].entry().credit_code,
            code(1)
        );
    }
}
