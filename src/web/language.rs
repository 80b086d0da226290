//! The reader's language for problem details (issue 24 §4): Simplified Chinese when the request's
//! `Accept-Language` prefers it, English otherwise. Only the human-readable `detail` changes;
//! the problem `type`, `field` and status stay the same in both, so clients branch on those.

use actix_web::http::header::{ACCEPT_LANGUAGE, HeaderMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Language {
    #[default]
    English,
    Chinese,
}

impl Language {
    /// The `Content-Language` of a problem written in this language.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Chinese => "zh-CN",
        }
    }

    /// The language an `Accept-Language` header prefers among the two we write: the highest
    /// quality value wins, the earlier entry on a tie; anything else (a malformed header, only
    /// other languages, `*`) is English, the language the API documents.
    pub(crate) fn negotiate(headers: &HeaderMap) -> Self {
        let Some(value) = headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
        else {
            return Language::English;
        };
        let mut best: Option<(f32, Language)> = None;
        for entry in value.split(',').take(32) {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality = parts
                .find_map(|parameter| parameter.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .filter(|q| (0.0..=1.0).contains(q));
            let Some(quality) = quality.filter(|q| *q > 0.0) else {
                continue;
            };
            let language = if tag == "zh" || tag.starts_with("zh-") {
                Language::Chinese
            } else if tag == "en" || tag.starts_with("en-") {
                Language::English
            } else {
                continue;
            };
            if best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, language));
            }
        }
        best.map_or(Language::English, |(_, language)| language)
    }
}

tokio::task_local! {
    static LANGUAGE: Language;
}

/// The language of the request being handled (English outside a request).
pub(crate) fn current() -> Language {
    LANGUAGE.try_with(|language| *language).unwrap_or_default()
}

/// Runs `work` with `language` as the request's language.
pub(crate) async fn scope<F: std::future::Future>(language: Language, work: F) -> F::Output {
    LANGUAGE.scope(language, work).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn negotiated(value: &str) -> Language {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_str(value).unwrap());
        Language::negotiate(&headers)
    }

    #[test]
    fn chinese_is_chosen_only_when_preferred() {
        assert_eq!(negotiated("zh-CN"), Language::Chinese);
        assert_eq!(negotiated("zh"), Language::Chinese);
        assert_eq!(
            negotiated("zh-Hans-CN,zh;q=0.9,en;q=0.8"),
            Language::Chinese
        );
        assert_eq!(negotiated("en-GB,zh-CN;q=0.9"), Language::English);
        assert_eq!(negotiated("en;q=0.5, zh-CN;q=0.8"), Language::Chinese);
        assert_eq!(negotiated("fr, zh;q=0.1"), Language::Chinese);
        assert_eq!(negotiated("fr, de"), Language::English);
        assert_eq!(negotiated("zh;q=0, en"), Language::English);
        assert_eq!(negotiated("zh;q=abc"), Language::English);
        assert_eq!(negotiated("*"), Language::English);
        assert_eq!(negotiated(""), Language::English);
        assert_eq!(Language::negotiate(&HeaderMap::new()), Language::English);
    }
}
