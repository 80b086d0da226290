//! Problem details in Simplified Chinese (issue 24 §4). The code writes every detail in English
//! (logs, the API's documented language); a request preferring Chinese gets the same sentence
//! from [`catalogue`], with the values the code filled in carried over. A sentence the catalogue
//! lacks stays English rather than being guessed at, so a missing entry costs readability, never
//! meaning.

mod catalogue;

use std::sync::LazyLock;

/// One catalogue entry: the English text cut at its `{}` values, and the Chinese text.
struct Template {
    literals: Vec<&'static str>,
    chinese: &'static str,
}

static TEMPLATES: LazyLock<Vec<Template>> = LazyLock::new(|| {
    catalogue::CATALOGUE
        .iter()
        .map(|(english, chinese)| Template {
            literals: english.split("{}").collect(),
            chinese,
        })
        .collect()
});

/// How deep values inside values are translated; sentences nest one or two levels in practice.
const MAX_DEPTH: usize = 4;

/// `detail` in Chinese, or `None` when no part of it is in the catalogue.
pub(crate) fn translate(detail: &str) -> Option<String> {
    let translated = sentence(detail, 0)?;
    (translated != detail).then_some(translated)
}

/// A sentence, a "field: sentence" pair, or sentences joined by "; " (the preconditions of a
/// phase move), each translated.
fn sentence(text: &str, depth: usize) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    if let Some(whole) = by_template(text, depth) {
        return Some(whole);
    }
    // "sentence (Expert 2, Expert 4)": what is missing, and where.
    if let Some((head, tail)) = text.rsplit_once(" (")
        && let Some(inside) = tail.strip_suffix(')')
        && let Some(head) = by_template(head, depth)
    {
        return Some(format!("{head}（{}）", value_text(inside, depth)));
    }
    if let Some((field, rest)) = text.split_once(": ")
        && is_field_path(field)
        && let Some(rest) = sentence(rest, depth + 1)
    {
        return Some(format!("{field}：{rest}"));
    }
    if text.contains("; ") {
        let parts: Vec<String> = text
            .split("; ")
            .map(|part| sentence(part, depth + 1).unwrap_or_else(|| part.to_owned()))
            .collect();
        if parts
            .iter()
            .zip(text.split("; "))
            .any(|(new, old)| new != old)
        {
            return Some(parts.join("；"));
        }
    }
    None
}

/// A request field as the server names it: `strata[0].regions_require`, `phone`, `ties[2]`.
fn is_field_path(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '-'))
}

/// The first catalogue entry whose English matches all of `text`, filled with its values.
fn by_template(text: &str, depth: usize) -> Option<String> {
    TEMPLATES.iter().find_map(|template| {
        let values = matches(&template.literals, text)?;
        let mut chinese = template.chinese.to_owned();
        for (index, value) in values.iter().enumerate() {
            chinese = chinese.replace(&format!("{{{index}}}"), &value_text(value, depth));
        }
        Some(chinese)
    })
}

/// A value inside a sentence: a word or sentence of the catalogue in Chinese, a list of words
/// or seats item by item, anything else (a name, a number, a code) as it is.
fn value_text(value: &str, depth: usize) -> String {
    if let Some(word) = word(value) {
        return word;
    }
    let items: Option<Vec<String>> = value.split(", ").map(word).collect();
    if let Some(items) = items.filter(|items| items.len() > 1) {
        return items.join("、");
    }
    sentence(value, depth + 1).unwrap_or_else(|| value.to_owned())
}

/// A word of [`catalogue::WORDS`], or a seat's label ("Expert 3", "Representative 6", as
/// `session::seat_label` and `session::representative_label` write them), in Chinese.
fn word(value: &str) -> Option<String> {
    for (english, chinese) in [("Expert ", "专家"), ("Representative ", "招标人代表")] {
        if let Some(seat) = value.strip_prefix(english)
            && !seat.is_empty()
            && seat.chars().all(|c| c.is_ascii_digit())
        {
            return Some(format!("{chinese} {seat}"));
        }
    }
    catalogue::WORDS
        .iter()
        .find(|(english, _)| *english == value)
        .map(|(_, chinese)| (*chinese).to_owned())
}

/// The values of `text` when it is `literals` joined by non-empty values; the shortest values
/// that let the rest match (values hold names and numbers, seldom the literals that follow).
fn matches<'t>(literals: &[&str], text: &'t str) -> Option<Vec<&'t str>> {
    let (first, rest) = literals.split_first()?;
    let remaining = text.strip_prefix(first)?;
    let mut values = Vec::with_capacity(rest.len());
    fill(rest, remaining, &mut values).then_some(values)
}

fn fill<'t>(literals: &[&str], text: &'t str, values: &mut Vec<&'t str>) -> bool {
    let Some((literal, rest)) = literals.split_first() else {
        return text.is_empty();
    };
    if rest.is_empty() {
        // The last value runs to the text's end, less the closing literal.
        return match text.strip_suffix(literal) {
            Some(value) if !value.is_empty() => {
                values.push(value);
                true
            }
            _ => false,
        };
    }
    // Every place the literal occurs after a non-empty value, shortest value first.
    for (at, _) in text.match_indices(literal) {
        if at == 0 {
            continue;
        }
        values.push(&text[..at]);
        if fill(rest, &text[at + literal.len()..], values) {
            return true;
        }
        values.pop();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn zh(text: &str) -> String {
        translate(text).unwrap_or_else(|| panic!("no translation for {text:?}"))
    }

    #[test]
    fn every_entry_places_each_of_its_values_once_and_is_chinese() {
        let mut seen = HashSet::new();
        for (english, chinese) in catalogue::CATALOGUE {
            assert!(seen.insert(*english), "{english:?} is listed twice");
            let values = english.matches("{}").count();
            for index in 0..values {
                assert_eq!(
                    chinese.matches(&format!("{{{index}}}")).count(),
                    1,
                    "{chinese:?} must place value {index} of {english:?} once"
                );
            }
            assert!(
                !chinese.contains(&format!("{{{values}}}")),
                "{chinese:?} places a value {english:?} does not have"
            );
            assert!(
                chinese
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{chinese:?} is not Chinese"
            );
            assert!(
                english.replace("{}", "").trim() != "",
                "{english:?} matches anything"
            );
        }
    }

    #[test]
    fn field_problems_keep_the_field_and_translate_the_problem() {
        assert_eq!(zh("phone: is required"), "phone：必填");
        assert_eq!(
            zh("strata[0].count: must be from 1 to 50"),
            "strata[0].count：须在 1 至 50 之间"
        );
        assert_eq!(
            zh("reason: must be 10 to 500 characters"),
            "reason：须为 10 至 500 个字符"
        );
    }

    #[test]
    fn values_are_carried_over_in_the_chinese_order() {
        assert_eq!(
            zh(
                "4 of 5 seats are held by confirmed members; vacated seats wait for their replacements"
            ),
            "5 个席位中有 4 个由已确认的成员就座；空出的席位等待替补"
        );
        assert_eq!(
            zh(
                "the evaluation must start at least 30 minutes after the draw (no earlier than 2026-12-05T09:30:00+08:00, Beijing time)"
            ),
            "评标开始时间须在抽取后至少 30 分钟（不早于北京时间 2026-12-05T09:30:00+08:00）"
        );
    }

    #[test]
    fn a_representatives_seat_is_named_as_one() {
        assert_eq!(
            zh("Representative 6 has already voted on proposal 2"),
            "招标人代表 6 已对提议 2 投票"
        );
    }

    #[test]
    fn sentences_inside_sentences_and_words_are_translated() {
        assert_eq!(
            zh("stratum 1: 3 eligible, fewer than 3 × (k 2 + m 1) = 9; nothing was drawn"),
            "分组 1：符合条件 3 人，少于 3 ×（k 2 + m 1）= 9；未进行抽取"
        );
        assert_eq!(
            zh(
                "the move to summary is not possible yet: every seat must be checked in (Expert 2, Expert 4); every criterion must be scored"
            ),
            "还不能进入汇总阶段：每个席位都须签到（专家 2、专家 4）；每项评分标准都须打分"
        );
        assert_eq!(
            zh("the session is in check_in: check in first"),
            "评标会议当前处于签到阶段：请先签到"
        );
    }

    #[test]
    fn the_logs_and_the_stores_problems_are_translated_too() {
        assert_eq!(
            zh("no audit entry at index 140"),
            "没有序号为 140 的审计记录"
        );
        assert_eq!(
            zh("tile/0/000 reaches past the latest checkpoint (size 2)"),
            "tile/0/000 超出最新检查点（大小 2）"
        );
        assert_eq!(
            zh("query: invalid digit found in string"),
            "query：字符串中有无效的数字"
        );
        assert_eq!(zh("the store did not answer in time"), "数据库未能及时响应");
    }

    #[test]
    fn what_the_catalogue_lacks_stays_english() {
        assert_eq!(translate("something nobody wrote down"), None);
        assert_eq!(translate(""), None);
        // A field name alone is no sentence.
        assert_eq!(translate("phone: something nobody wrote down"), None);
    }

    #[test]
    fn matching_never_splits_a_character() {
        assert_eq!(
            zh("venue \"东湖厅\" is closed for maintenance and takes no bookings"),
            "场地 \"东湖厅\" 正在维护，不接受预约"
        );
    }
}
