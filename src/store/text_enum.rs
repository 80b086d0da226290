//! Domain states kept in TEXT columns. Each is a type of the module that owns it (a draw's
//! status in `draw`, a seat's state in `session`, …), declared with [`text_enum!`]: it is
//! parsed once, where a row is read, so a stored value that is no variant is corrupt data
//! refused at the boundary, and it is bound as its text when written, so the columns keep
//! exactly the strings they always held. Domain code matches on variants, never on strings.

/// A stored (or offered) text that names none of a type's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {text:?}")]
pub struct UnknownText {
    what: &'static str,
    text: String,
}

impl UnknownText {
    /// At most this much of the offending text is kept: corrupt data can be anything.
    const SHOWN_CHARS: usize = 64;

    pub(crate) fn new(what: &'static str, text: &str) -> Self {
        Self {
            what,
            text: text.chars().take(Self::SHOWN_CHARS).collect(),
        }
    }
}

/// Declares an enum of unit variants, each with its text: `as_str` (a `const fn`), `parse`,
/// `ALL` (every variant, in declaration order), `NAMES` (their texts), `FromStr`, `Display`,
/// and the column impls of [`text_column!`]. Derives (serde, utoipa, …) are the caller's;
/// serde must name each variant by its text, which [`assert_serde_is_text`] checks.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $($(#[$variant_meta])* $variant),+
        }

        impl $name {
            // Every type gets the whole vocabulary; not every one lists its values.
            #[allow(dead_code, reason = "generated for every text enum, used by some")]
            $vis const ALL: [Self; [$($text),+].len()] = [$(Self::$variant),+];
            #[allow(dead_code, reason = "generated for every text enum, used by some")]
            $vis const NAMES: &'static [&'static str] = &[$($text),+];

            $vis const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            $vis fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::store::text_enum::UnknownText;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
                    .ok_or_else(|| $crate::store::text_enum::UnknownText::new(stringify!($name), text))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #[cfg(test)]
        impl $crate::store::text_enum::TextEnum for $name {
            fn variants() -> &'static [Self] {
                &Self::ALL
            }

            fn text(self) -> &'static str {
                self.as_str()
            }
        }

        $crate::store::text_enum::text_column!($name);
    };
}
pub(crate) use text_enum;

/// Makes a type with `FromStr` and `Display` a TEXT column on both backends: decoded with
/// `FromStr` (a failure is a column decode error, which the store reports as corrupt data) and
/// bound as its `Display` text.
macro_rules! text_column {
    ($name:ty) => {
        impl<DB: ::sqlx::Database> ::sqlx::Type<DB> for $name
        where
            String: ::sqlx::Type<DB>,
        {
            fn type_info() -> <DB as ::sqlx::Database>::TypeInfo {
                <String as ::sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &<DB as ::sqlx::Database>::TypeInfo) -> bool {
                <String as ::sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: ::sqlx::Database> ::sqlx::Decode<'r, DB> for $name
        where
            &'r str: ::sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as ::sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, ::sqlx::error::BoxDynError> {
                Ok(<&'r str as ::sqlx::Decode<'r, DB>>::decode(value)?.parse::<$name>()?)
            }
        }

        impl<'q, DB: ::sqlx::Database> ::sqlx::Encode<'q, DB> for $name
        where
            String: ::sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as ::sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
                <String as ::sqlx::Encode<'q, DB>>::encode(self.to_string(), buf)
            }
        }
    };
}
pub(crate) use text_column;

/// What the serde check below needs of a [`text_enum!`] type.
#[cfg(test)]
pub(crate) trait TextEnum: Copy + std::fmt::Debug + PartialEq + 'static {
    fn variants() -> &'static [Self];
    fn text(self) -> &'static str;
}

/// Every variant serialises as its stored text and deserialises from it, so views and events
/// carry exactly the strings the columns hold.
#[cfg(test)]
pub(crate) fn assert_serde_is_text<T>()
where
    T: TextEnum + serde::Serialize + serde::de::DeserializeOwned,
{
    for &variant in T::variants() {
        let json = serde_json::to_value(variant).unwrap();
        assert_eq!(json, variant.text(), "{variant:?}");
        assert_eq!(serde_json::from_value::<T>(json).unwrap(), variant);
    }
}

#[cfg(test)]
mod tests {
    text_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Light {
            Red = "red",
            Amber = "amber_light",
        }
    }

    #[test]
    fn a_text_enum_knows_its_texts_and_nothing_else() {
        assert_eq!(Light::ALL, [Light::Red, Light::Amber]);
        assert_eq!(Light::NAMES, ["red", "amber_light"]);
        for light in Light::ALL {
            assert_eq!(Light::parse(light.as_str()), Some(light));
            assert_eq!(light.to_string().parse::<Light>(), Ok(light));
        }
        assert_eq!(Light::parse("Red"), None);
        assert_eq!(
            "green".parse::<Light>().unwrap_err().to_string(),
            "unknown Light \"green\""
        );
    }

    #[test]
    fn an_unknown_text_keeps_only_its_start() {
        let long = "x".repeat(1000);
        let error = long.parse::<Light>().unwrap_err().to_string();
        assert!(error.len() < 100, "{error}");
    }
}
