//! Parsing and validating an import file (CSV with a header row, or JSON Lines). Every row is
//! checked before anything is written; the report names each bad line and field. Identity
//! values are held in zeroising, unprintable types from the moment they are parsed.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;
use zeroize::Zeroizing;

use super::ties::{self, Tie};
use super::validate::{CreditCode, IdNumber, Phone, parse_email, parse_region, parse_specialty};
use crate::text::{BoundedText, Lines, TextProblem};

pub(crate) const REQUIRED_COLUMNS: [&str; 11] = [
    "name",
    "id_number",
    "phone",
    "email",
    "employer",
    "employer_credit_code",
    "specialties",
    "region",
    "title",
    "years",
    "birth_year",
];
pub(crate) const OPTIONAL_COLUMNS: [&str; 2] = ["past_employers", "ties"];
pub(crate) const MAX_IMPORT_ROWS: usize = 200_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct ImportProblem {
    /// 1-based line in the file (the header is line 1 in CSV).
    pub(crate) line: usize,
    pub field: Option<String>,
    pub(crate) problem: String,
}

pub(crate) struct PastEmployer {
    pub(crate) credit_code: CreditCode,
    pub(crate) from: NaiveDate,
    pub(crate) to: NaiveDate,
}

/// One validated row. Deliberately without `Debug`.
pub(crate) struct ExpertInput {
    pub name: Zeroizing<String>,
    pub(crate) id_number: IdNumber,
    pub(crate) phone: Phone,
    pub(crate) email: Option<Zeroizing<String>>,
    pub(crate) employer: Zeroizing<String>,
    pub(crate) employer_credit_code: CreditCode,
    pub(crate) specialties: Vec<String>,
    pub region_code: String,
    pub title_level: i32,
    pub years_in_field: i32,
    pub birth_year: i32,
    pub past_employers: Vec<PastEmployer>,
    /// Director, supervisor, shareholder and actual-controller ties; `None` when the file has
    /// no `ties` column, which leaves a re-imported person's ties as they are.
    pub(crate) ties: Option<Vec<Tie>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Csv,
    JsonLines,
}

impl Format {
    /// From a file name or a content type.
    pub(crate) fn guess(hint: &str) -> Option<Self> {
        let hint = hint.to_ascii_lowercase();
        if hint.ends_with(".csv") || hint.contains("text/csv") {
            Some(Self::Csv)
        } else if hint.ends_with(".jsonl")
            || hint.ends_with(".ndjson")
            || hint.contains("jsonl")
            || hint.contains("ndjson")
        {
            Some(Self::JsonLines)
        } else {
            None
        }
    }
}

/// Parses and validates a whole file against the known specialty codes. Either every row is
/// valid, or the problems are returned and nothing may be written.
pub(crate) fn parse_file(
    bytes: &[u8],
    format: Format,
    known_specialties: &HashSet<String>,
) -> Result<Vec<ExpertInput>, Vec<ImportProblem>> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let line = bytes[..error.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            return Err(vec![problem(line, None, "the file is not UTF-8 text")]);
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rows = match format {
        Format::Csv => csv_rows(text)?,
        Format::JsonLines => json_rows(text)?,
    };
    if rows.is_empty() {
        return Err(vec![problem(1, None, "the file has no rows")]);
    }
    if rows.len() > MAX_IMPORT_ROWS {
        return Err(vec![problem(
            1,
            None,
            &format!("the file has more than {MAX_IMPORT_ROWS} rows; split it"),
        )]);
    }
    let mut problems = Vec::new();
    let mut experts = Vec::with_capacity(rows.len());
    // Keyed by a digest, so the set of people in the file is never held in clear twice.
    let mut seen: HashMap<[u8; 32], usize> = HashMap::new();
    for (line, row) in rows {
        match validate_row(line, &row, known_specialties) {
            Ok(expert) => {
                let key = crate::crypto::untrusted_digest(expert.id_number.normalised().as_bytes());
                if let Some(first) = seen.insert(key, line) {
                    problems.push(problem(
                        line,
                        Some("id_number"),
                        &format!("the same person as line {first}"),
                    ));
                }
                experts.push(expert);
            }
            Err(mut row_problems) => problems.append(&mut row_problems),
        }
    }
    if problems.is_empty() {
        Ok(experts)
    } else {
        Err(problems)
    }
}

/// One row's fields by column name, as a file's line or an application's body gives them.
pub(crate) type Row = BTreeMap<String, Zeroizing<String>>;

fn csv_rows(text: &str) -> Result<Vec<(usize, Row)>, Vec<ImportProblem>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(headers) => headers
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect(),
        Err(error) => {
            return Err(vec![problem(
                1,
                None,
                &format!("the header row cannot be read: {error}"),
            )]);
        }
    };
    if headers.iter().all(String::is_empty) {
        return Err(vec![problem(1, None, "the file has no rows")]);
    }
    check_columns(&headers, 1)?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line() as usize);
                let row = headers
                    .iter()
                    .cloned()
                    .zip(record.iter().map(|v| Zeroizing::new(v.to_owned())))
                    .collect();
                rows.push((line, row));
            }
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line() as usize);
                problems.push(problem(
                    line,
                    None,
                    "the row does not have the header's number of columns",
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

fn json_rows(text: &str) -> Result<Vec<(usize, Row)>, Vec<ImportProblem>> {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let object = match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(raw) {
            Ok(object) => object,
            Err(_) => {
                problems.push(problem(line, None, "is not a JSON object"));
                continue;
            }
        };
        let columns: Vec<String> = object.keys().cloned().collect();
        if let Err(mut column_problems) = check_columns(&columns, line) {
            problems.append(&mut column_problems);
            continue;
        }
        let row = object
            .into_iter()
            .map(|(key, value)| {
                let text = match value {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Array(items) => items
                        .iter()
                        .map(|item| {
                            item.as_str()
                                .map_or_else(|| item.to_string(), str::to_owned)
                        })
                        .collect::<Vec<_>>()
                        .join(";"),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                (key, Zeroizing::new(text))
            })
            .collect();
        rows.push((line, row));
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

fn check_columns(columns: &[String], line: usize) -> Result<(), Vec<ImportProblem>> {
    let mut problems: Vec<ImportProblem> = REQUIRED_COLUMNS
        .iter()
        .filter(|required| !columns.iter().any(|c| c == *required))
        .map(|missing| problem(line, Some(missing), "this column is missing"))
        .collect();
    problems.extend(
        columns
            .iter()
            .filter(|c| {
                !REQUIRED_COLUMNS.contains(&c.as_str()) && !OPTIONAL_COLUMNS.contains(&c.as_str())
            })
            .map(|unknown| problem(line, Some(unknown), "this column is not known")),
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Checks one row as an import does (applications go through the same checks).
pub(crate) fn validate_row(
    line: usize,
    row: &Row,
    known_specialties: &HashSet<String>,
) -> Result<ExpertInput, Vec<ImportProblem>> {
    let mut problems = Vec::new();
    let value = |field: &str| row.get(field).map(|v| v.trim()).unwrap_or("");
    let mut check = |field: &'static str, result: Result<(), String>| {
        if let Err(message) = result {
            problems.push(problem(line, Some(field), &message));
        }
    };

    let name = value("name");
    check("name", text_field(name, 50));
    let id_number = IdNumber::parse(value("id_number"));
    check(
        "id_number",
        id_number.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let phone = Phone::parse(value("phone"));
    check("phone", phone.as_ref().map(|_| ()).map_err(Clone::clone));
    let email = match value("email") {
        "" => Ok(None),
        text => parse_email(text).map(Some),
    };
    check("email", email.as_ref().map(|_| ()).map_err(Clone::clone));
    let employer = value("employer");
    check("employer", text_field(employer, 100));
    let employer_code = CreditCode::parse(value("employer_credit_code"));
    check(
        "employer_credit_code",
        employer_code.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let specialties = parse_specialties(value("specialties"), known_specialties);
    check(
        "specialties",
        specialties.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let region = parse_region(value("region"));
    check("region", region.as_ref().map(|_| ()).map_err(Clone::clone));
    let title = parse_title(value("title"));
    check("title", title.as_ref().map(|_| ()).map_err(Clone::clone));
    let years = parse_number(value("years"), 0, 70);
    check("years", years.as_ref().map(|_| ()).map_err(Clone::clone));
    let birth_year = parse_number(value("birth_year"), 1900, 2100);
    check(
        "birth_year",
        birth_year.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    if let (Ok(id), Ok(year)) = (&id_number, &birth_year)
        && id.birth_year() as i32 != *year
    {
        check(
            "birth_year",
            Err("does not match the birth date in the ID number".into()),
        );
    }
    let past = parse_past_employers(value("past_employers"));
    check(
        "past_employers",
        past.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let ties = row
        .contains_key("ties")
        .then(|| ties::parse_column(value("ties")))
        .transpose();
    check("ties", ties.as_ref().map(|_| ()).map_err(Clone::clone));

    match (
        id_number,
        phone,
        email,
        employer_code,
        specialties,
        region,
        title,
        years,
        birth_year,
        past,
        ties,
    ) {
        (
            Ok(id_number),
            Ok(phone),
            Ok(email),
            Ok(code),
            Ok(specialties),
            Ok(region),
            Ok(title),
            Ok(years),
            Ok(birth_year),
            Ok(past),
            Ok(ties),
        ) if problems.is_empty() => Ok(ExpertInput {
            name: Zeroizing::new(name.to_owned()),
            id_number,
            phone,
            email: email.map(Zeroizing::new),
            employer: Zeroizing::new(employer.to_owned()),
            employer_credit_code: code,
            specialties,
            region_code: region,
            title_level: title,
            years_in_field: years,
            birth_year,
            past_employers: past,
            ties,
        }),
        _ => Err(problems),
    }
}

fn problem(line: usize, field: Option<&str>, message: &str) -> ImportProblem {
    ImportProblem {
        line,
        field: field.map(str::to_owned),
        problem: message.to_owned(),
    }
}

/// A required field of one line (already trimmed, as [`validate_row`] reads every field).
fn text_field(text: &str, max_chars: usize) -> Result<(), String> {
    match BoundedText::parse(text, Lines::One, 1..=max_chars) {
        Ok(_) => Ok(()),
        Err(TextProblem::Character(problem)) => Err(problem),
        Err(TextProblem::Length { chars: 0, .. }) => Err("is required".into()),
        Err(TextProblem::Length { .. }) => Err(format!("must be at most {max_chars} characters")),
    }
}

fn parse_specialties(text: &str, known: &HashSet<String>) -> Result<Vec<String>, String> {
    let mut codes = Vec::new();
    for part in text
        .split([';', '；'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let code = parse_specialty(part)?;
        if !known.contains(&code) {
            return Err(format!("{code} is not in the specialty classification"));
        }
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    if codes.is_empty() {
        Err("at least one specialty code is required".into())
    } else {
        Ok(codes)
    }
}

/// 1 中级 (intermediate), 2 副高级 (associate senior), 3 正高级 (senior).
fn parse_title(text: &str) -> Result<i32, String> {
    match text {
        "1" | "中级" => Ok(1),
        "2" | "副高级" | "副高" => Ok(2),
        "3" | "正高级" | "正高" => Ok(3),
        _ => Err("must be 1 (中级), 2 (副高级) or 3 (正高级)".into()),
    }
}

fn parse_number(text: &str, min: i32, max: i32) -> Result<i32, String> {
    text.parse::<i32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| format!("must be a whole number from {min} to {max}"))
}

fn parse_past_employers(text: &str) -> Result<Vec<PastEmployer>, String> {
    let mut employers = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let fields: Vec<&str> = part.split(':').collect();
        let [code, from, to] = fields[..] else {
            return Err(format!("{part:?} is not credit_code:YYYY-MM-DD:YYYY-MM-DD"));
        };
        let credit_code = CreditCode::parse(code)?;
        let date = |text: &str| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| format!("{text:?} is not a date YYYY-MM-DD"))
        };
        let (from, to) = (date(from)?, date(to)?);
        if from > to {
            return Err(format!("{part:?} ends before it starts"));
        }
        employers.push(PastEmployer {
            credit_code,
            from,
            to,
        });
    }
    Ok(employers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::validate::{complete_credit_code, complete_id_number};

    const HEADER: &str = "name,id_number,phone,email,employer,employer_credit_code,specialties,region,title,years,birth_year,past_employers";

    fn known() -> HashSet<String> {
        ["A", "A01", "A0101", "B0201"]
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    fn row(serial: u32) -> String {
        let id = complete_id_number(&format!("42010619700101{serial:03}"));
        let code = complete_credit_code("91420100MA4K00001").unwrap();
        let past = complete_credit_code("91420100MA4K00002").unwrap();
        format!(
            "张{serial},{id},1380013{serial:04},e{serial}@example.cn,武汉市建设集团,{code},A0101;B0201,420100,正高级,20,1970,{past}:2015-01-01:2020-06-30"
        )
    }

    fn parse(text: &str) -> Result<Vec<ExpertInput>, Vec<ImportProblem>> {
        parse_file(text.as_bytes(), Format::Csv, &known())
    }

    #[test]
    fn a_valid_csv_parses_into_normalised_rows() {
        let experts = parse(&format!("{HEADER}\n{}\n{}\n", row(1), row(2)))
            .ok()
            .unwrap();
        assert_eq!(experts.len(), 2);
        assert_eq!(experts[0].specialties, ["A0101", "B0201"]);
        assert_eq!(experts[0].title_level, 3);
        assert_eq!(experts[0].past_employers.len(), 1);
    }

    #[test]
    fn json_lines_with_arrays_parse_too() {
        let id = complete_id_number("42010619700101001");
        let code = complete_credit_code("91420100MA4K00001").unwrap();
        let line = serde_json::json!({
            "name": "李四", "id_number": id, "phone": "13800130001", "email": "", "employer": "某公司",
            "employer_credit_code": code, "specialties": ["A01"], "region": "420100", "title": 2,
            "years": 8, "birth_year": 1970
        });
        let experts = parse_file(line.to_string().as_bytes(), Format::JsonLines, &known())
            .ok()
            .unwrap();
        assert_eq!(experts[0].title_level, 2);
        assert!(experts[0].email.is_none());
    }

    #[test]
    fn every_bad_field_is_reported_with_its_line() {
        let bad_checksum = row(3).replacen("42010619700101003", "42010619700101004", 1);
        let unknown_code = row(4).replace("A0101;B0201", "Z99");
        let problems = parse(&format!(
            "{HEADER}\n{}\n{bad_checksum}\n{unknown_code}\n",
            row(1)
        ))
        .err()
        .unwrap();
        assert!(
            problems
                .iter()
                .any(|p| p.line == 3 && p.field.as_deref() == Some("id_number")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.line == 4 && p.field.as_deref() == Some("specialties")),
            "{problems:?}"
        );
        assert!(!problems.iter().any(|p| p.line == 2), "{problems:?}");
    }

    #[test]
    fn the_same_person_twice_in_one_file_is_refused() {
        let problems = parse(&format!("{HEADER}\n{}\n{}\n", row(1), row(1)))
            .err()
            .unwrap();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 3);
        assert!(problems[0].problem.contains("line 2"));
    }

    #[test]
    fn missing_and_unknown_columns_empty_files_and_non_utf8_are_refused() {
        let problems = parse("name,id_number\n").err().unwrap();
        assert!(problems.iter().any(|p| p.field.as_deref() == Some("phone")));
        let problems = parse(&format!("{HEADER},shoe_size\n")).err().unwrap();
        assert!(
            problems
                .iter()
                .any(|p| p.field.as_deref() == Some("shoe_size"))
        );
        assert_eq!(parse("").err().unwrap()[0].problem, "the file has no rows");
        assert_eq!(
            parse(&format!("{HEADER}\n")).err().unwrap()[0].problem,
            "the file has no rows"
        );
        let mut latin1 = format!("{HEADER}\n").into_bytes();
        latin1.extend_from_slice(b"\xe9t\xe9\n");
        let problems = parse_file(&latin1, Format::Csv, &known()).err().unwrap();
        assert_eq!(problems[0].line, 2);
        assert!(problems[0].problem.contains("UTF-8"));
    }

    #[test]
    fn the_ties_column_is_optional_and_an_unknown_kind_or_bad_code_is_named() {
        let experts = parse(&format!("{HEADER}\n{}\n", row(1))).ok().unwrap();
        assert!(
            experts[0].ties.is_none(),
            "no column: ties are left as they are"
        );
        let director = complete_credit_code("91420100MA4K00007").unwrap();
        let with_ties = format!(
            "{HEADER},ties\n{},director:{director}:2018-01-01\n{},\n",
            row(1),
            row(2)
        );
        let experts = parse(&with_ties).ok().unwrap();
        let ties = experts[0].ties.as_ref().unwrap();
        assert_eq!(ties.len(), 1);
        assert_eq!(ties[0].kind, crate::pool::TieKind::Director);
        assert_eq!(ties[0].to, None);
        assert!(
            experts[1].ties.as_ref().unwrap().is_empty(),
            "an empty cell clears them"
        );

        let bad = format!(
            "{HEADER},ties\n{},partner:{director}\n{},director:91420100MA4K000070\n",
            row(1),
            row(2)
        );
        let problems = parse(&bad).err().unwrap();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().all(|p| p.field.as_deref() == Some("ties")));
        assert!(
            problems[0].problem.contains("not a kind of tie"),
            "{problems:?}"
        );
        assert_eq!((problems[0].line, problems[1].line), (2, 3));
    }

    #[test]
    fn the_birth_year_must_agree_with_the_id_number() {
        let mismatched = row(1).replace(",20,1970,", ",20,1971,");
        let problems = parse(&format!("{HEADER}\n{mismatched}\n")).err().unwrap();
        assert_eq!(problems[0].field.as_deref(), Some("birth_year"));
    }
}
