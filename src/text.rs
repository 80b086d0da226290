//! The one rule for the characters of text that people type: names, references, reasons,
//! labels, in the API and in pool imports alike.
//!
//! Besides control characters it refuses the format characters that make text display
//! differently from what it holds: bidirectional controls (a right-to-left override shows the
//! rest of a name backwards; CVE-2021-42574, "Trojan Source") and invisible characters (a
//! zero-width space or a soft hyphen makes two different names look the same, or one name fail
//! to match itself). Nobody types them on purpose into a tender name or an employer, and
//! the people who read such text here (supervisors, committee members) must see what is stored.

use std::ops::RangeInclusive;

/// Whether a text may span lines: a question or a dissent may hold newlines and tabs; a name
/// or a reference may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lines {
    One,
    Many,
}

/// `Ok` when every character of `text` is allowed; otherwise the problem, naming the first
/// refused character by its code point (for a problem detail after the field's name).
pub(crate) fn check(text: &str, lines: Lines) -> Result<(), String> {
    match text
        .chars()
        .find_map(|c| refusal(c, lines).map(|kind| (c, kind)))
    {
        None => Ok(()),
        Some((c, kind)) => Err(format!("must not contain U+{:04X} ({kind})", u32::from(c))),
    }
}

/// Text a person typed, checked once: its characters by [`check`], its length within bounds.
/// The length is counted in characters of the trimmed text, which is what it holds: the text
/// as it will be stored and shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BoundedText(String);

/// Why a text is not a [`BoundedText`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TextProblem {
    /// A refused character; the problem names it (see [`check`]).
    Character(String),
    /// Too short or too long: `chars` is the trimmed text's length (0 for a blank text).
    Length {
        min: usize,
        max: usize,
        chars: usize,
    },
}

impl std::fmt::Display for TextProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Character(problem) => f.write_str(problem),
            Self::Length { min, max, .. } => write!(f, "must be {min} to {max} characters"),
        }
    }
}

impl From<TextProblem> for String {
    fn from(problem: TextProblem) -> Self {
        problem.to_string()
    }
}

impl BoundedText {
    /// `text` trimmed, if every character of it is allowed and the trimmed text has a length
    /// in `chars`. The characters are checked first, so a refused one is named even in a text
    /// of the wrong length.
    pub(crate) fn parse(
        text: &str,
        lines: Lines,
        chars: RangeInclusive<usize>,
    ) -> Result<Self, TextProblem> {
        check(text, lines).map_err(TextProblem::Character)?;
        let trimmed = text.trim();
        let length = trimmed.chars().count();
        if chars.contains(&length) {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(TextProblem::Length {
                min: *chars.start(),
                max: *chars.end(),
                chars: length,
            })
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

fn refusal(c: char, lines: Lines) -> Option<&'static str> {
    if c.is_control() {
        let line_break = lines == Lines::Many && matches!(c, '\n' | '\t');
        return (!line_break).then_some("a control character");
    }
    if is_bidi_control(c) {
        return Some("a character that changes the direction of text");
    }
    if matches!(c, '\u{2028}' | '\u{2029}') {
        return Some("a line or paragraph separator");
    }
    is_invisible(c).then_some("an invisible character")
}

/// The explicit bidirectional formatting characters (Unicode Standard Annex #9, §2).
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Every format character (general category Cf, Unicode 15.1) and the fillers that render as
/// nothing: zero-width spaces and joiners, the word joiner and invisible operators, the byte
/// order mark, the soft hyphen, interlinear annotation and tag characters, the combining
/// grapheme joiner and the Hangul fillers. Variation selectors stay allowed: they choose a
/// glyph for the character before them and hide nothing.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{0600}'..='\u{0605}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_findings_characters_are_refused_by_code_point() {
        for (c, kind) in [
            ('\u{202E}', "direction"),
            ('\u{061C}', "direction"),
            ('\u{2067}', "direction"),
            ('\u{200B}', "invisible"),
            ('\u{200D}', "invisible"),
            ('\u{2060}', "invisible"),
            ('\u{2064}', "invisible"),
            ('\u{FEFF}', "invisible"),
            ('\u{00AD}', "invisible"),
            ('\u{3164}', "invisible"),
            ('\u{E0041}', "invisible"),
            ('\u{2028}', "separator"),
            ('\u{0007}', "control"),
        ] {
            let problem = check(&format!("某医院{c}工程"), Lines::Many).unwrap_err();
            let code = format!("U+{:04X}", u32::from(c));
            assert!(problem.contains(&code), "{problem}");
            assert!(problem.contains(kind), "{problem}");
        }
    }

    #[test]
    fn ordinary_text_of_every_script_is_allowed() {
        for text in [
            "某医院门诊楼建设工程施工",
            "Bidder A (Hubei) Co., Ltd. – 第2标段",
            "ئۈرۈمچی شەھىرى",
            "Ж·Ё·ü·é·ß",
            "👍🏽 葛\u{E0100}",
            "a\u{FE0F}",
        ] {
            assert_eq!(check(text, Lines::One), Ok(()), "{text}");
        }
    }

    #[test]
    fn bounded_text_is_trimmed_counted_in_characters_and_checked_once() {
        let text = BoundedText::parse("  第2标段 ", Lines::One, 1..=4).unwrap();
        assert_eq!(text.as_str(), "第2标段");
        assert_eq!(
            BoundedText::parse("   ", Lines::One, 1..=4),
            Err(TextProblem::Length {
                min: 1,
                max: 4,
                chars: 0
            })
        );
        let long = BoundedText::parse("第2标段x", Lines::One, 1..=4).unwrap_err();
        assert_eq!(long.to_string(), "must be 1 to 4 characters");
        // The character rule first, whatever the length.
        let refused = BoundedText::parse("a\u{202E}bcdef", Lines::One, 1..=4).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "must not contain U+202E (a character that changes the direction of text)"
        );
        assert!(BoundedText::parse("a\nb", Lines::One, 1..=4).is_err());
        assert!(BoundedText::parse("a\nb", Lines::Many, 1..=4).is_ok());
    }

    #[test]
    fn only_multi_line_text_may_hold_newlines_and_tabs() {
        assert_eq!(check("line one\n\tline two", Lines::Many), Ok(()));
        assert!(check("line one\nline two", Lines::One).is_err());
        assert!(check("a\rb", Lines::Many).is_err());
        assert_eq!(
            check("a\u{0}b", Lines::Many),
            Err("must not contain U+0000 (a control character)".into())
        );
    }
}
