//! Audit entries: canonical JSON (RFC 8785) so that the same event always has the same bytes and
//! the same leaf hash, whichever server or language produces it.
//!
//! Entries carry ids, roles, pseudonymous tokens and salted commitments: never a name, an ID
//! number, a phone number or a hash of one (those are guessable).
//!
//! Canonical form: serde_json with its default sorted (`BTreeMap`) objects, compact output, and
//! integers only. For ASCII keys and integer-only values that is exactly RFC 8785: keys sorted by
//! code unit, no whitespace, the same minimal string escapes. Floats, whose RFC 8785 form differs
//! from serde_json's, are refused.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::auth::{Principal, Role};
use crate::clock::{Millis, to_rfc3339};

pub(crate) const ENTRY_VERSION: u64 = 1;

/// Who caused an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Account {
        id: String,
        role: Role,
    },
    /// An operator at the server's command line (`sealdraw user …`, `keys …`).
    CommandLine,
    /// The server itself (timeouts, scheduled work).
    System,
}

impl Actor {
    pub(crate) fn of(principal: &Principal) -> Self {
        Self::Account {
            id: principal.account_id.clone(),
            role: principal.role,
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Self::Account { id, role } => serde_json::json!({"account": id, "role": role.as_str()}),
            Self::CommandLine => serde_json::json!({"system": "command-line"}),
            Self::System => serde_json::json!({"system": "server"}),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuditEntry {
    kind: &'static str,
    time: Millis,
    actor: Actor,
    refs: Map<String, Value>,
    data: Map<String, Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    #[error("audit entries hold integers only; {0} is not one")]
    NotCanonical(String),
    #[error("audit entry is larger than a tile entry may be ({0} bytes)")]
    TooLarge(usize),
}

impl AuditEntry {
    pub fn new(kind: &'static str, time: Millis, actor: Actor) -> Self {
        Self {
            kind,
            time,
            actor,
            refs: Map::new(),
            data: Map::new(),
        }
    }

    /// A reference to another record, e.g. `("draw", draw_id)`.
    pub fn reference(mut self, name: &str, id: impl Into<String>) -> Self {
        self.refs.insert(name.to_owned(), Value::String(id.into()));
        self
    }

    pub fn data(mut self, name: &str, value: impl Serialize) -> Self {
        // Serialising plain data into a Value cannot fail; a failure would surface as null and
        // then be visible in the entry rather than silently dropped.
        self.data.insert(
            name.to_owned(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }

    pub fn kind(&self) -> &'static str {
        self.kind
    }

    pub(crate) fn time(&self) -> Millis {
        self.time
    }

    pub(crate) fn to_value(&self) -> Value {
        serde_json::json!({
            "v": ENTRY_VERSION,
            "type": self.kind,
            "time": to_rfc3339(self.time),
            "actor": self.actor.to_value(),
            "refs": Value::Object(self.refs.clone()),
            "data": Value::Object(self.data.clone()),
        })
    }

    /// The bytes that are hashed into the log.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, EntryError> {
        canonical_json(&self.to_value())
    }
}

pub fn canonical_json(value: &Value) -> Result<Vec<u8>, EntryError> {
    reject_floats(value, "$")?;
    // Serialising a Value cannot fail.
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    if bytes.len() > super::tiles::MAX_ENTRY_LEN {
        return Err(EntryError::TooLarge(bytes.len()));
    }
    Ok(bytes)
}

fn reject_floats(value: &Value, path: &str) -> Result<(), EntryError> {
    match value {
        Value::Number(number) if !(number.is_i64() || number.is_u64()) => {
            Err(EntryError::NotCanonical(path.to_owned()))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| reject_floats(item, &format!("{path}[{i}]"))),
        Value::Object(fields) => fields
            .iter()
            .try_for_each(|(key, item)| reject_floats(item, &format!("{path}.{key}"))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_serialise_with_sorted_keys_and_no_whitespace() {
        let entry = AuditEntry::new("account.created", 1_764_000_000_000, Actor::CommandLine)
            .reference("account", "a-1")
            .data("role", "supervisor")
            .data("b", 2)
            .data("a", [1, 2]);
        let text = String::from_utf8(entry.canonical_bytes().unwrap()).unwrap();
        assert_eq!(
            text,
            r#"{"actor":{"system":"command-line"},"data":{"a":[1,2],"b":2,"role":"supervisor"},"refs":{"account":"a-1"},"time":"2025-11-24T16:00:00.000Z","type":"account.created","v":1}"#
        );
    }

    #[test]
    fn strings_use_the_rfc8785_escapes() {
        let value = serde_json::json!({"s": "\u{1}\n\"\\é€"});
        assert_eq!(
            String::from_utf8(canonical_json(&value).unwrap()).unwrap(),
            "{\"s\":\"\\u0001\\n\\\"\\\\é€\"}"
        );
    }

    #[test]
    fn floats_are_refused_naming_where() {
        let value = serde_json::json!({"x": {"y": [1, 2.5]}});
        let error = canonical_json(&value).unwrap_err().to_string();
        assert!(error.contains("$.x.y[1]"), "{error}");
    }
}
