//! An application's body and its checks. The identity, contact, employer, specialty and region
//! fields go through the import's own row check (`pool::import::validate_row`), so an
//! application is refused exactly where an import line would be; the evidence per specialty,
//! the ties (as change requests name them) and the declarations are checked here.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::pool::import::{self, ExpertInput, Row};
use crate::pool::ties::{self, TieEntry};
use crate::text::{BoundedText, Lines, TextProblem};

/// At most this many specialties per application.
pub(crate) const MAX_SPECIALTIES: usize = 10;

/// The current employer, as on import.
#[derive(Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmployerEntry {
    /// Up to 100 characters.
    pub(crate) name: String,
    /// The 18-character unified social credit code (统一社会信用代码).
    pub(crate) credit_code: String,
}

/// One specialty with what shows the applicant qualifies in it.
#[derive(Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpecialtyEvidence {
    /// A code of the specialty classification (e.g. A0101).
    pub(crate) code: String,
    /// 1 中级, 2 副高级, 3 正高级.
    pub(crate) title: i32,
    /// Years in the field, 0 to 70.
    pub(crate) years: i32,
    /// A short reference the reviewer checks, e.g. the title certificate's number (up to 200
    /// characters).
    pub(crate) evidence: String,
}

/// What the applicant declares; each must be true.
#[derive(Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Declarations {
    /// No record that disqualifies from evaluation work (招标投标法实施条例 §71 and the like).
    pub(crate) no_disqualifying_record: bool,
    /// What the application says is true.
    pub(crate) data_true: bool,
    /// The applicant accepts the pool's rules.
    pub(crate) accepts_rules: bool,
}

/// An application to join the pool. No `Debug`: it carries an identity, wiped when dropped.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApplicationBody {
    /// Up to 50 characters. Sealed on arrival.
    pub(crate) name: String,
    /// 18-character resident ID number (GB 11643). Sealed on arrival.
    pub(crate) id_number: String,
    /// Mainland mobile number; the login is sent to it on approval. Sealed on arrival.
    pub(crate) phone: String,
    #[serde(default)]
    pub(crate) email: Option<String>,
    pub(crate) employer: EmployerEntry,
    /// 1 to 10 specialties, each with its evidence.
    pub(crate) specialties: Vec<SpecialtyEvidence>,
    /// Director, supervisor, shareholder or actual-controller ties, as change requests name them.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub(crate) ties: Option<Vec<TieEntry>>,
    /// Prefecture-level region code, e.g. 420100.
    pub(crate) region: String,
    pub(crate) declarations: Declarations,
    /// The recruiting call the application answers, if any.
    #[serde(default)]
    pub(crate) recruiting_call_id: Option<String>,
}

impl Drop for ApplicationBody {
    fn drop(&mut self) {
        self.name.zeroize();
        self.id_number.zeroize();
        self.phone.zeroize();
        if let Some(email) = self.email.as_mut() {
            email.zeroize();
        }
    }
}

/// What is sealed on arrival and opened to approve: the body once checked, normalised.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SealedApplication {
    pub(crate) name: String,
    pub(crate) id_number: String,
    pub(crate) phone: String,
    pub(crate) email: Option<String>,
    pub(crate) employer: EmployerEntry,
    pub(crate) specialties: Vec<SpecialtyEvidence>,
    pub(crate) ties: Vec<TieEntry>,
    pub(crate) region: String,
    pub(crate) declarations: Declarations,
}

impl Drop for SealedApplication {
    fn drop(&mut self) {
        self.name.zeroize();
        self.id_number.zeroize();
        self.phone.zeroize();
        if let Some(email) = self.email.as_mut() {
            email.zeroize();
        }
    }
}

/// One refused value, named by its path in the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct FieldProblem {
    pub(crate) field: String,
    pub(crate) problem: String,
}

/// A checked application: the record it becomes and the sealed form it is kept in.
pub(crate) struct CheckedApplication {
    pub(crate) expert: ExpertInput,
    pub(crate) sealed: SealedApplication,
}

impl SealedApplication {
    /// The body's values as they are kept (before checks).
    pub(crate) fn from_body(body: &ApplicationBody) -> Self {
        Self {
            name: body.name.clone(),
            id_number: body.id_number.clone(),
            phone: body.phone.clone(),
            email: body.email.clone().filter(|email| !email.trim().is_empty()),
            employer: body.employer.clone(),
            specialties: body.specialties.clone(),
            ties: body.ties.clone().unwrap_or_default(),
            region: body.region.clone(),
            declarations: body.declarations,
        }
    }

    /// Every check an import makes, and the application's own; every problem is named.
    pub(crate) fn check(
        self,
        known_specialties: &HashSet<String>,
    ) -> Result<CheckedApplication, Vec<FieldProblem>> {
        let mut problems: Vec<FieldProblem> = Vec::new();
        let push = |problems: &mut Vec<FieldProblem>, field: String, problem: String| {
            problems.push(FieldProblem { field, problem });
        };
        if self.specialties.is_empty() {
            push(
                &mut problems,
                "specialties".into(),
                "at least one specialty code is required".into(),
            );
        }
        if self.specialties.len() > MAX_SPECIALTIES {
            push(
                &mut problems,
                "specialties".into(),
                format!("give at most {MAX_SPECIALTIES} specialties"),
            );
        }
        for (i, specialty) in self.specialties.iter().enumerate() {
            if !(1..=3).contains(&specialty.title) {
                push(
                    &mut problems,
                    format!("specialties[{i}].title"),
                    "must be 1 (中级), 2 (副高级) or 3 (正高级)".into(),
                );
            }
            if !(0..=70).contains(&specialty.years) {
                push(
                    &mut problems,
                    format!("specialties[{i}].years"),
                    "must be a whole number from 0 to 70".into(),
                );
            }
            if let Err(problem) = BoundedText::parse(&specialty.evidence, Lines::One, 1..=200) {
                push(
                    &mut problems,
                    format!("specialties[{i}].evidence"),
                    text_problem(problem, 200),
                );
            }
        }
        let ties = match ties::parse_entries(&self.ties) {
            Ok(ties) => Some(ties),
            Err((at, problem)) => {
                push(&mut problems, format!("ties{at}"), problem);
                None
            }
        };
        for (field, declared) in [
            (
                "declarations.no_disqualifying_record",
                self.declarations.no_disqualifying_record,
            ),
            ("declarations.data_true", self.declarations.data_true),
            (
                "declarations.accepts_rules",
                self.declarations.accepts_rules,
            ),
        ] {
            if !declared {
                push(&mut problems, field.into(), "must be true".into());
            }
        }
        let id_problem;
        let row = {
            let mut row = Row::new();
            let mut put = |column: &str, value: String| {
                row.insert(column.to_owned(), Zeroizing::new(value));
            };
            put("name", self.name.clone());
            put("id_number", self.id_number.clone());
            put("phone", self.phone.clone());
            put("email", self.email.clone().unwrap_or_default());
            put("employer", self.employer.name.clone());
            put("employer_credit_code", self.employer.credit_code.clone());
            let codes: Vec<&str> = self.specialties.iter().map(|s| s.code.as_str()).collect();
            put("specialties", codes.join(";"));
            put("region", self.region.clone());
            // The record keeps one title and one length of service: the highest given.
            let title = self.specialties.iter().map(|s| s.title).max().unwrap_or(0);
            let years = self.specialties.iter().map(|s| s.years).max().unwrap_or(0);
            put("title", title.to_string());
            put("years", years.to_string());
            // The birth year is the ID number's; the import's check that they agree holds.
            let parsed = crate::pool::validate::IdNumber::parse(&self.id_number);
            id_problem = parsed.is_err();
            let birth_year = parsed.map(|id| id.birth_year().to_string());
            put("birth_year", birth_year.unwrap_or_default());
            row
        };
        let specialty_problem = problems.iter().any(|p| p.field.starts_with("specialties"));
        let expert = match import::validate_row(1, &row, known_specialties) {
            Ok(expert) => Some(expert),
            Err(row_problems) => {
                for problem in row_problems {
                    let Some(column) = problem.field.as_deref() else {
                        continue;
                    };
                    let field = match column {
                        // Said already of the ID number, or of a specialty's own values.
                        "birth_year" if id_problem => continue,
                        "title" | "years" if specialty_problem => {
                            continue;
                        }
                        "employer" => "employer.name",
                        "employer_credit_code" => "employer.credit_code",
                        other => other,
                    };
                    push(&mut problems, field.into(), problem.problem);
                }
                None
            }
        };
        match (expert, ties) {
            (Some(mut expert), Some(ties)) if problems.is_empty() => {
                expert.ties = Some(ties);
                let mut sealed = self;
                // Kept as the record keeps them, so the approval reads what was checked.
                sealed.id_number = expert.id_number.normalised().to_owned();
                sealed.phone = expert.phone.normalised().to_owned();
                sealed.region = expert.region_code.clone();
                Ok(CheckedApplication { expert, sealed })
            }
            _ => Err(problems),
        }
    }
}

fn text_problem(problem: TextProblem, max: usize) -> String {
    match problem {
        TextProblem::Character(problem) => problem,
        TextProblem::Length { chars: 0, .. } => "is required".into(),
        TextProblem::Length { .. } => format!("must be at most {max} characters"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::validate::{complete_credit_code, complete_id_number};

    fn known() -> HashSet<String> {
        ["A", "A01", "A0101"]
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    fn body() -> SealedApplication {
        SealedApplication {
            name: "王五".into(),
            id_number: complete_id_number("42010619750101001"),
            phone: "13800138000".into(),
            email: None,
            employer: EmployerEntry {
                name: "湖北某设计院".into(),
                credit_code: complete_credit_code("91420100MA4K00001").unwrap(),
            },
            specialties: vec![
                SpecialtyEvidence {
                    code: "A0101".into(),
                    title: 2,
                    years: 12,
                    evidence: "证书编号 1234".into(),
                },
                SpecialtyEvidence {
                    code: "A01".into(),
                    title: 3,
                    years: 9,
                    evidence: "证书编号 5678".into(),
                },
            ],
            ties: Vec::new(),
            region: "420100".into(),
            declarations: Declarations {
                no_disqualifying_record: true,
                data_true: true,
                accepts_rules: true,
            },
        }
    }

    fn fields(problems: Vec<FieldProblem>) -> Vec<String> {
        problems.into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn a_valid_application_becomes_the_record_an_import_would_write() {
        let checked = body().check(&known()).ok().unwrap();
        assert_eq!(checked.expert.title_level, 3, "the highest title");
        assert_eq!(checked.expert.years_in_field, 12, "the longest service");
        assert_eq!(checked.expert.birth_year, 1975, "from the ID number");
        assert_eq!(checked.expert.specialties, ["A0101", "A01"]);
        assert!(checked.expert.ties.as_ref().unwrap().is_empty());
    }

    #[test]
    fn every_bad_value_is_named_by_its_path_in_the_body() {
        let mut bad = body();
        bad.id_number = "420106197501010010".into();
        bad.employer.credit_code = "X".into();
        bad.specialties[1].title = 4;
        bad.specialties[0].evidence = String::new();
        bad.declarations.data_true = false;
        bad.ties = vec![TieEntry {
            kind: crate::pool::TieKind::Director,
            credit_code: "Y".into(),
            from: None,
            to: None,
        }];
        let fields = fields(bad.check(&known()).err().unwrap());
        for expected in [
            "id_number",
            "employer.credit_code",
            "specialties[1].title",
            "specialties[0].evidence",
            "declarations.data_true",
            "ties[0].credit_code",
        ] {
            assert!(
                fields.iter().any(|f| f == expected),
                "{expected}: {fields:?}"
            );
        }
        assert!(!fields.iter().any(|f| f == "birth_year"), "{fields:?}");
    }

    #[test]
    fn an_unknown_specialty_and_no_specialty_are_refused() {
        let mut unknown = body();
        unknown.specialties[0].code = "Z99".into();
        assert_eq!(
            fields(unknown.check(&known()).err().unwrap()),
            ["specialties"]
        );
        let mut none = body();
        none.specialties.clear();
        assert!(
            fields(none.check(&known()).err().unwrap())
                .iter()
                .all(|f| f == "specialties")
        );
    }
}
