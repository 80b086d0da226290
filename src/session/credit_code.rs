//! The unified social credit code (统一社会信用代码, GB 32100-2015) that names a bidder across
//! projects, so supervision's statistics can follow one company from tender to tender (issue 21
//! §1). Only the code's form and check character are verified here: whether it is registered is
//! the national registry's to say.

/// The 31 characters a code may use, in the order of their values (no I, O, S, V or Z).
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The weights of positions 1–17 (3^(i-1) mod 31).
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn value_of(character: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|c| *c == character)
        .and_then(|value| u32::try_from(value).ok())
}

/// Checks a code and returns it in its canonical (upper-case, trimmed) form, or says what is
/// wrong in words a clerk can act on.
pub(crate) fn check(code: &str) -> Result<String, String> {
    let code = code.trim().to_ascii_uppercase();
    if code.chars().count() != 18 {
        return Err(format!(
            "a unified social credit code has 18 characters; this has {}",
            code.chars().count()
        ));
    }
    let bytes = code.as_bytes();
    let mut values = [0u32; 18];
    for (index, byte) in bytes.iter().enumerate() {
        values[index] = value_of(*byte).ok_or_else(|| {
            format!(
                "character {} ({}) is not one a unified social credit code uses \
                 (digits and capital letters but I, O, S, V and Z)",
                index + 1,
                char::from(*byte)
            )
        })?;
    }
    if !bytes[2..8].iter().all(u8::is_ascii_digit) {
        return Err(
            "characters 3 to 8 are the registering authority's region code: six digits".into(),
        );
    }
    let weighted: u32 = values[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(value, weight)| value * weight)
        .sum();
    let expected = (31 - weighted % 31) % 31;
    if values[17] != expected {
        return Err(
            "the check character (the 18th) does not match the other 17: a character was \
             mistyped"
                .into(),
        );
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a valid code from its first 17 characters, by the standard's rule.
    fn with_check(first: &str) -> String {
        let weighted: u32 = first
            .bytes()
            .zip(WEIGHTS)
            .map(|(c, w)| value_of(c).unwrap() * w)
            .sum();
        let check = (31 - weighted % 31) % 31;
        format!("{first}{}", char::from(ALPHABET[check as usize]))
    }

    #[test]
    fn published_codes_pass() {
        // Codes of the form printed on business licences (companies and a public institution).
        for code in [
            "91350100M000100Y43",
            "91110000802100433B",
            "91440300708461136T",
            "12100000400000624D",
        ] {
            assert_eq!(check(code).as_deref(), Ok(code), "{code}");
        }
        assert_eq!(
            check(" 91350100m000100y43 ").as_deref(),
            Ok("91350100M000100Y43")
        );
    }

    #[test]
    fn the_check_character_catches_a_single_mistyped_character() {
        let good = with_check("91420100MA4K12345");
        assert!(check(&good).is_ok());
        for position in 0..17 {
            for replacement in ALPHABET.iter().copied() {
                let mut bytes = good.clone().into_bytes();
                if bytes[position] == replacement
                    || ((2..8).contains(&position) && !replacement.is_ascii_digit())
                {
                    continue;
                }
                bytes[position] = replacement;
                let changed = String::from_utf8(bytes).unwrap();
                assert!(check(&changed).is_err(), "{changed} passed");
            }
        }
    }

    #[test]
    fn malformed_codes_are_named() {
        assert!(check("9142010").unwrap_err().contains("18 characters"));
        assert!(
            check("91420100MA4K1234I5")
                .unwrap_err()
                .contains("character 17 (I)")
        );
        assert!(check("9142A100MA4K123456").unwrap_err().contains("region"));
    }
}
