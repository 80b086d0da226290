//! Parsing of the identifiers an expert record carries, each by its national standard, so that
//! a typo is caught at import rather than discovered at the draw. Parsed values are normalised:
//! the blind index of a value is computed over this form, so that "1380013 8000" and
//! "+86 13800138000" match.
//!
//! Identity values (ID number, phone) are wrapped so they cannot be printed by accident.

use zeroize::Zeroizing;

/// A resident identity card number (GB 11643-1999): 17 digits and a check character.
pub(crate) struct IdNumber(Zeroizing<String>);

/// A mainland mobile number, 11 digits starting 13–19, without country code.
pub(crate) struct Phone(Zeroizing<String>);

/// A unified social credit code (GB 32100-2015) of an organisation. Not personal data.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct CreditCode(String);

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";
const CREDIT_CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

impl IdNumber {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let value = Zeroizing::new(text.trim().to_ascii_uppercase());
        let bytes = value.as_bytes();
        if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
            return Err("must be 18 characters: 17 digits and a check digit or X".into());
        }
        let (year, month, day) = (
            digits(&bytes[6..10]),
            digits(&bytes[10..12]),
            digits(&bytes[12..14]),
        );
        if chrono::NaiveDate::from_ymd_opt(year as i32, month, day).is_none()
            || !(1900..=2100).contains(&year)
        {
            return Err("the birth date in positions 7–14 is not a real date".into());
        }
        if bytes[17] != id_check_character(bytes) {
            return Err("the check digit does not match (GB 11643)".into());
        }
        Ok(Self(value))
    }

    pub(crate) fn birth_year(&self) -> u32 {
        digits(&self.0.as_bytes()[6..10])
    }

    pub(crate) fn normalised(&self) -> &str {
        &self.0
    }
}

/// The check character of an ID number's first 17 digits.
pub(crate) fn id_check_character(bytes: &[u8]) -> u8 {
    let sum: u32 = bytes[..17]
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    ID_CHECK[(sum % 11) as usize]
}

/// Appends the check character to 17 digits: for synthetic (demo and test) ID numbers.
pub fn complete_id_number(first_17_digits: &str) -> String {
    let check = id_check_character(first_17_digits.as_bytes());
    format!("{first_17_digits}{}", char::from(check))
}

/// Appends the check character to 17 characters of a credit code: for synthetic data.
pub fn complete_credit_code(first_17: &str) -> Option<String> {
    let positions: Option<Vec<u32>> = first_17
        .chars()
        .map(|c| CREDIT_CHARSET.find(c).map(|p| p as u32))
        .collect();
    let positions = positions.filter(|p| p.len() == 17)?;
    let sum: u32 = positions
        .iter()
        .zip(CREDIT_WEIGHTS)
        .map(|(p, w)| p * w)
        .sum();
    let check = CREDIT_CHARSET
        .chars()
        .nth(((31 - sum % 31) % 31) as usize)?;
    Some(format!("{first_17}{check}"))
}

impl Phone {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut digits: Zeroizing<String> =
            Zeroizing::new(text.chars().filter(|c| !matches!(c, ' ' | '-')).collect());
        if let Some(rest) = digits.strip_prefix("+86") {
            digits = Zeroizing::new(rest.to_owned());
        }
        let bytes = digits.as_bytes();
        if bytes.len() == 11
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1])
            && bytes.iter().all(u8::is_ascii_digit)
        {
            Ok(Self(digits))
        } else {
            Err("must be an 11-digit mainland mobile number such as 13800138000".into())
        }
    }

    pub(crate) fn normalised(&self) -> &str {
        &self.0
    }
}

impl CreditCode {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let value = text.trim().to_ascii_uppercase();
        let positions: Option<Vec<u32>> = value
            .chars()
            .map(|c| CREDIT_CHARSET.find(c).map(|p| p as u32))
            .collect();
        let Some(positions) = positions.filter(|p| p.len() == 18) else {
            return Err(
                "must be 18 characters of digits and capital letters other than I, O, Z, S, V"
                    .into(),
            );
        };
        let sum: u32 = positions[..17]
            .iter()
            .zip(CREDIT_WEIGHTS)
            .map(|(p, w)| p * w)
            .sum();
        if positions[17] != (31 - sum % 31) % 31 {
            return Err("the check character does not match (GB 32100)".into());
        }
        Ok(Self(value))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A specialty code of the national classification for public-resource evaluation experts:
/// a letter, then up to three two-digit levels (A, A01, A0101, A010101). Draws match by prefix.
pub(crate) fn parse_specialty(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    let bytes = code.as_bytes();
    let shaped = matches!(bytes.len(), 1 | 3 | 5 | 7)
        && bytes[0].is_ascii_uppercase()
        && bytes[1..].iter().all(u8::is_ascii_digit);
    if shaped {
        Ok(code)
    } else {
        Err(format!(
            "{text:?} is not a specialty code like A, A01, A0101 or A010101"
        ))
    }
}

pub(crate) fn parse_email(text: &str) -> Result<String, String> {
    let email = text.trim();
    crate::text::check(email, crate::text::Lines::One)?;
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.matches('@').count() == 1;
    if valid {
        Ok(email.to_owned())
    } else {
        Err("is not an email address".into())
    }
}

/// The prefecture-level divisions of Hubei (GB/T 2260), bundled from the province's list.
pub(crate) fn hubei_regions() -> &'static [(String, String)] {
    static REGIONS: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    REGIONS.get_or_init(|| {
        include_str!("data/hubei-regions.csv")
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut fields = line.split(',');
                Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
            })
            .collect()
    })
}

pub(crate) fn parse_region(text: &str) -> Result<String, String> {
    let code = text.trim();
    if hubei_regions().iter().any(|(known, _)| known == code) {
        Ok(code.to_owned())
    } else {
        Err(format!(
            "{code:?} is not a prefecture-level division code of Hubei (e.g. 420100 Wuhan)"
        ))
    }
}

/// A region code prefix a draw may name (GB/T 2260): 2, 4 or 6 digits that begin one of
/// Hubei's divisions in [`hubei_regions`] — the province `42`, a prefecture such as `4206`, or
/// a division's whole code. The pool records an expert's region at that level, so a prefix
/// that begins none of them (a county's code, another province) would match nobody.
pub(crate) fn parse_region_prefix(text: &str) -> Result<String, String> {
    let well_formed = matches!(text.len(), 2 | 4 | 6) && text.bytes().all(|b| b.is_ascii_digit());
    if !well_formed {
        return Err("must be a region code prefix of 2, 4 or 6 digits, e.g. 42 or 4201".into());
    }
    if hubei_regions()
        .iter()
        .any(|(code, _)| code.starts_with(text))
    {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} begins none of Hubei's region codes (42 the province, 4201 Wuhan, \
             420600 Xiangyang, …; experts' regions are recorded at prefecture level)"
        ))
    }
}

fn digits(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0, |n, b| n * 10 + u32::from(b - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_are_checked_per_gb_11643() {
        let id = IdNumber::parse("11010519491231002x").ok().unwrap();
        assert_eq!(id.normalised(), "11010519491231002X");
        assert_eq!(id.birth_year(), 1949);
        assert!(
            IdNumber::parse("110105194912310021")
                .err()
                .unwrap()
                .contains("check digit")
        );
        assert!(
            IdNumber::parse("110105194913310028")
                .err()
                .unwrap()
                .contains("birth date")
        );
        assert!(IdNumber::parse("1101051949123100").is_err());
        assert!(IdNumber::parse("1101051949123100２X").is_err());
    }

    #[test]
    fn credit_codes_are_checked_per_gb_32100() {
        assert_eq!(
            CreditCode::parse("91350100m000100y43").unwrap().as_str(),
            "91350100M000100Y43"
        );
        CreditCode::parse("91110000802100433B").unwrap();
        assert!(
            CreditCode::parse("91350100M000100Y44")
                .unwrap_err()
                .contains("check character")
        );
        assert!(
            CreditCode::parse("91350100M000100I43").is_err(),
            "I is not in the charset"
        );
        assert!(CreditCode::parse("9135").is_err());
    }

    #[test]
    fn phones_are_normalised_mainland_mobiles() {
        assert_eq!(
            Phone::parse("+86 138-0013-8000").ok().unwrap().normalised(),
            "13800138000"
        );
        for bad in ["12800138000", "1380013800", "138001380000", "1380013800a"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn specialty_codes_have_one_to_four_levels() {
        for good in ["A", "a01", "A0101", "B010203"] {
            assert!(parse_specialty(good).is_ok(), "{good}");
        }
        for bad in ["", "AA", "A1", "A0101010", "1A"] {
            assert!(parse_specialty(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_region_prefix_must_begin_one_of_hubeis_divisions() {
        for known in ["42", "4201", "4228", "4290", "420100", "429021"] {
            assert_eq!(parse_region_prefix(known).as_deref(), Ok(known));
        }
        for unknown in ["11", "4204", "420102", "4299"] {
            assert!(
                parse_region_prefix(unknown)
                    .unwrap_err()
                    .contains("begins none"),
                "{unknown}"
            );
        }
        for malformed in ["4", "420", "4201x", "４２", " 42", "42010000"] {
            assert!(
                parse_region_prefix(malformed)
                    .unwrap_err()
                    .contains("2, 4 or 6 digits"),
                "{malformed}"
            );
        }
    }

    #[test]
    fn regions_are_the_seventeen_prefecture_level_divisions_of_hubei() {
        assert_eq!(hubei_regions().len(), 17);
        assert!(parse_region("420100").is_ok());
        assert!(parse_region("110100").is_err());
    }

    #[test]
    fn emails_need_one_at_and_a_dotted_domain() {
        assert!(parse_email("li.ming@example.cn").is_ok());
        for bad in ["nope", "a@b", "a@@b.cn", "a b@c.cn", "@c.cn"] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
    }
}
