//! Stage 1 of every record check (`docs/DRAW-SPEC.md` §9): the document's shape, walked in an
//! order fixed by the schema rather than by how the document happens to be written, so that
//! two independent verifiers name the same field for the same faulty document. Types only;
//! values are stage 2 (`draw::verify` and the published-record verifiers).
//!
//! The walk, per object: a member named twice, then the first required member missing (schema
//! order), then the first unknown member (by the UTF-8 bytes of its name), then each present
//! member in schema order, recursively. Integers are plain decimal digits within their width;
//! `-0`, `1.0`, `1e3` and negative numbers are not integers here.

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};

use super::VerifyError;

/// What a JSON value must look like.
pub(crate) enum Shape {
    Object(&'static [Member]),
    Array(&'static Shape),
    String,
    /// A cipher suite other than the default: `gm2024`.
    Suite,
    /// Lowercase hex of exactly 32 bytes.
    Hex32,
    /// Lowercase hex of any whole number of bytes.
    Hex,
    U32,
    U64,
}

pub(crate) struct Member {
    name: &'static str,
    shape: Shape,
    required: bool,
}

const fn required(name: &'static str, shape: Shape) -> Member {
    Member {
        name,
        shape,
        required: true,
    }
}

const fn optional(name: &'static str, shape: Shape) -> Member {
    Member {
        name,
        shape,
        required: false,
    }
}

const STRATUM: Shape = Shape::Object(&[
    required("prefixes", Shape::Array(&Shape::String)),
    required("k", Shape::U32),
    required("m", Shape::U32),
    required("eligible_count", Shape::U64),
    required("eligible_root", Shape::Hex32),
    required("tokens", Shape::Array(&Shape::Hex32)),
    optional("regions_exclude", Shape::Array(&Shape::String)),
    optional("regions_require", Shape::Array(&Shape::String)),
    optional("venue_id", Shape::String),
    optional("venue_region", Shape::String),
    optional("venue_scope", Shape::String),
    optional("venue_candidates", Shape::Array(&VENUE_CANDIDATE)),
]);

const VENUE_CANDIDATE: Shape = Shape::Object(&[
    required("venue_id", Shape::String),
    required("venue_region", Shape::String),
]);

const STRATUM_RESULT: Shape = Shape::Object(&[
    required("drawn", Shape::Array(&Shape::Hex32)),
    required("reserves", Shape::Array(&Shape::Hex32)),
    optional("venue_accepted", Shape::Array(&Shape::String)),
    optional("venue_id", Shape::String),
]);

const FAMILY: Shape = Shape::Object(&[
    required("root_draw_id", Shape::String),
    required("root_intent_hash", Shape::Hex32),
    required("root_stratum", Shape::U32),
    required("vacated_draw_id", Shape::String),
    required("vacated_token", Shape::Hex32),
    required("excluded_count", Shape::U64),
    required("excluded_root", Shape::Hex32),
    required("excluded", Shape::Array(&Shape::Hex32)),
]);

/// The §9 verification record, in the order the spec lists its fields.
pub(crate) const RECORD: Shape = Shape::Object(&[
    required("algorithm", Shape::String),
    optional("suite", Shape::Suite),
    required("draw_id", Shape::String),
    required("pool_snapshot", Shape::String),
    required("filter_sha256", Shape::Hex32),
    required("min_multiple", Shape::U32),
    required("secret_commitment", Shape::Hex32),
    required("strata", Shape::Array(&STRATUM)),
    required("intent_hash", Shape::Hex32),
    required("contributions", Shape::Array(&Shape::Hex)),
    required("secret", Shape::Hex32),
    required("seed", Shape::Hex32),
    required("result", Shape::Array(&STRATUM_RESULT)),
    optional("tender_sha256", Shape::Hex32),
    optional("family", FAMILY),
]);

/// The §9a published record of a v1 draw.
pub(crate) const PUBLISHED_V1: Shape = Shape::Object(&[
    required("format", Shape::String),
    required("draw", RECORD),
    required("intent_proof", Shape::String),
    required("result_proof", Shape::String),
    required("replacement_proofs", Shape::Array(&Shape::String)),
]);

/// The §9b record of a draw family.
pub(crate) const FAMILY_RECORD: Shape = Shape::Object(&[
    required("format", Shape::String),
    required("root_draw_id", Shape::String),
    required("draws", Shape::Array(&RECORD)),
    required("entries", Shape::Array(&Shape::String)),
    required("head", Shape::String),
]);

/// Parses `bytes` as JSON and walks it against `shape`; the first fault is `MALFORMED` at its
/// path (`$` for the document itself).
pub(crate) fn check(bytes: &[u8], shape: &Shape) -> Result<(), VerifyError> {
    let node: Node = serde_json::from_slice(bytes)
        .map_err(|error| VerifyError::malformed("$", format!("not JSON: {error}")))?;
    walk(&node, shape, "$")
}

/// A JSON value as written: members in document order (so a repeated name is seen), numbers
/// as written (so only plain non-negative integers are integers).
enum Node {
    Null,
    Bool,
    Integer(u64),
    /// A negative number, a fraction, an exponent or an integer too large for 64 bits.
    OtherNumber,
    String(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Bool)
    }

    fn visit_u64<E>(self, value: u64) -> Result<Node, E> {
        Ok(Node::Integer(value))
    }

    // serde_json hands a negative integer here and `-0` (as -0.0), fractions, exponents and
    // integers beyond 64 bits to `visit_f64`: none of them is an integer in a record.
    fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
        Ok(Node::OtherNumber)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
        Ok(Node::OtherNumber)
    }

    fn visit_str<E>(self, value: &str) -> Result<Node, E> {
        Ok(Node::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Node, E> {
        Ok(Node::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut members = Vec::new();
        while let Some((name, value)) = map.next_entry::<String, Node>()? {
            members.push((name, value));
        }
        Ok(Node::Object(members))
    }
}

fn child(path: &str, name: &str) -> String {
    if path == "$" {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn walk(node: &Node, shape: &Shape, path: &str) -> Result<(), VerifyError> {
    let malformed = |detail: &str| Err(VerifyError::malformed(path, detail));
    match shape {
        Shape::Object(members) => {
            let Node::Object(present) = node else {
                return malformed("expected an object");
            };
            for (i, (name, _)) in present.iter().enumerate() {
                if present[..i].iter().any(|(earlier, _)| earlier == name) {
                    return malformed(&format!("member {name:?} appears twice"));
                }
            }
            let find = |name: &str| present.iter().find(|(n, _)| n == name).map(|(_, v)| v);
            if let Some(missing) = members
                .iter()
                .find(|m| m.required && find(m.name).is_none())
            {
                return malformed(&format!("missing member {:?}", missing.name));
            }
            if let Some(unknown) = present
                .iter()
                .map(|(name, _)| name)
                .filter(|name| !members.iter().any(|m| m.name == name.as_str()))
                .min()
            {
                return malformed(&format!("unknown member {unknown:?}"));
            }
            for member in *members {
                if let Some(value) = find(member.name) {
                    walk(value, &member.shape, &child(path, member.name))?;
                }
            }
            Ok(())
        }
        Shape::Array(item) => {
            let Node::Array(items) = node else {
                return malformed("expected an array");
            };
            for (i, value) in items.iter().enumerate() {
                walk(
                    value,
                    item,
                    &format!("{}[{i}]", if path == "$" { "" } else { path }),
                )?;
            }
            Ok(())
        }
        Shape::String => match node {
            Node::String(_) => Ok(()),
            _ => malformed("expected a string"),
        },
        Shape::Suite => match node {
            // The default suite is written by leaving the member out: one spelling per record.
            Node::String(name) if name == crate::crypto::Suite::Gm2024.name() => Ok(()),
            _ => malformed(
                "expected \"gm2024\" (intl2024, the default, is written by leaving it out)",
            ),
        },
        Shape::Hex32 | Shape::Hex => {
            let Node::String(text) = node else {
                return malformed("expected lowercase hex");
            };
            let digits = text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            match shape {
                Shape::Hex32 if !digits || text.len() != 64 => {
                    malformed("expected 64 lowercase hex digits")
                }
                _ if !digits || text.len() % 2 != 0 => malformed("expected lowercase hex"),
                _ => Ok(()),
            }
        }
        Shape::U32 | Shape::U64 => {
            let maximum = if matches!(shape, Shape::U32) {
                u64::from(u32::MAX)
            } else {
                u64::MAX
            };
            match node {
                Node::Integer(value) if *value <= maximum => Ok(()),
                _ => malformed(&format!("expected an integer from 0 to {maximum}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Shape = Shape::Object(&[
        required("a", Shape::U32),
        required("b", Shape::Array(&Shape::Hex32)),
        optional("c", Shape::String),
    ]);

    fn named(json: &str) -> String {
        check(json.as_bytes(), &SMALL).unwrap_err().to_string()
    }

    #[test]
    fn the_walk_names_the_same_field_whatever_order_the_members_are_written_in() {
        let hex = "ab".repeat(32);
        // Two faults: a is not an integer, b[0] is not hex. Schema order names a first.
        for json in [
            r#"{"a":"x","b":["zz"]}"#.to_owned(),
            r#"{"b":["zz"],"a":"x"}"#.to_owned(),
        ] {
            assert!(named(&json).starts_with("MALFORMED a:"), "{}", named(&json));
        }
        assert!(check(format!(r#"{{"b":["{hex}"],"a":7}}"#).as_bytes(), &SMALL).is_ok());
        // Missing before unknown before types; unknown members by name.
        assert!(named(r#"{"z":1,"y":2,"b":[]}"#).contains("missing member \"a\""));
        assert!(named(r#"{"z":1,"y":2,"a":1,"b":[]}"#).contains("unknown member \"y\""));
        assert!(named(r#"{"a":1,"a":2,"b":[]}"#).contains("appears twice"));
        assert!(named(r#"[1]"#).starts_with("MALFORMED $:"));
    }

    #[test]
    fn only_plain_non_negative_integers_within_their_width_are_integers() {
        for bad in [
            "-0",
            "-1",
            "1.0",
            "1e3",
            "4294967296",
            "18446744073709551616",
            "null",
        ] {
            let json = format!(r#"{{"a":{bad},"b":[]}}"#);
            assert!(
                named(&json).starts_with("MALFORMED a:"),
                "{bad}: {}",
                named(&json)
            );
        }
        assert!(check(br#"{"a":4294967295,"b":[]}"#, &SMALL).is_ok());
    }

    #[test]
    fn hex_is_lowercase_and_of_its_length() {
        let upper = "AB".repeat(32);
        let short = "ab".repeat(31);
        for bad in [upper, short] {
            let json = format!(r#"{{"a":1,"b":["{bad}"]}}"#);
            assert!(
                named(&json).starts_with("MALFORMED b[0]:"),
                "{}",
                named(&json)
            );
        }
    }
}
