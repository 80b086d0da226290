#!/usr/bin/env python3
"""Independent verifier for sealdraw draws ("sealdraw-draw-v3", "-v2" and "-v1").

Written from docs/DRAW-SPEC.md alone, using only the Python standard library
(hashlib, hmac, json, base64) and, for draws of the national suite (gm2024:
SM3, HMAC-SM3, SM2-signed logs), `gmssl` through gm.py, so that a bug in the
server's Rust implementation is not silently shared by its verifier. The published records' log proofs are
checked from the public specifications too: Ed25519 from RFC 8032 section 5.1,
C2SP signed-note, tlog-checkpoint and tlog-proof, RFC 6962/9162 inclusion.

Commands:
  record FILE    Verify a bare verification record (spec section 9).
  vectors FILE   Recompute every test vector (spec section 11) from its inputs,
                 compare every expected value, and verify its record.
  published FILE VKEY [VKEY ...]
                 Verify a published record: a v1 draw's (spec section 9a) or a
                 draw family's (section 9b), told apart by its "format", against
                 the audit log's verifier keys (signed-note vkeys, as
                 `sealdraw audit key` prints them; the first key's name is the
                 log's origin).
  selftest       Check the Ed25519 code against RFC 8032 section 7.1 tests 1-3.

Output: "OK ..." and exit 0; or the first failure as
"MISMATCH <field>: <detail>" / "MALFORMED <field>: <detail>" and exit 1;
exit 2 when the input cannot be used at all (an unreadable file, a file that
is not JSON, or a verifier key that is not usable).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import sys

import gm

ALGORITHM_V1 = "sealdraw-draw-v1"
ALGORITHM_V2 = "sealdraw-draw-v2"
ALGORITHM_V3 = "sealdraw-draw-v3"
TAG_TOKEN = b"sealdraw-draw-v1/token"
TAG_SECRET_COMMITMENT = b"sealdraw-draw-v1/secret-commitment"
TAG_SEED = b"sealdraw-draw-v1/seed"
TAG_RANK = b"sealdraw-draw-v1/rank"
TAG_TENDER = b"sealdraw-draw-v2/tender"
TAG_VENUE = b"sealdraw-draw-v3/venue"
MAX_DRAW_ID_BYTES = 128
MAX_STRATA = 16
MAX_PREFIXES = 32
MAX_PREFIX_BYTES = 64
MAX_REGIONS = 32
REGION_LISTS = ("regions_exclude", "regions_require")
# Section 5a: a venue-bound v3 stratum names its venue with these three, all or none.
VENUE_FIELDS = ("venue_id", "venue_region", "venue_scope")
VENUE_SCOPES = ("prefecture", "province")
# Sections 5 and 7a: a stratum whose sub-venue is chosen at random lists its candidates.
MAX_VENUE_CANDIDATES = 32
MAX_CONTRIBUTIONS = 16
MAX_CONTRIBUTION_LEN = 1024
MAX_INTENT_LEN = 65535
U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1


class Failure(Exception):
    """A verification failure: kind is MISMATCH or MALFORMED, field a JSON path."""

    def __init__(self, kind: str, field: str, detail: str):
        super().__init__(f"{kind} {field}: {detail}")
        self.kind = kind
        self.field = field
        self.detail = detail

    def within(self, prefix: str) -> Failure:
        """The same failure with its field as a path inside `prefix` ($ becomes prefix)."""
        if self.field == "$":
            field = prefix
        elif self.field.startswith("["):
            field = prefix + self.field
        else:
            field = f"{prefix}.{self.field}"
        return Failure(self.kind, field, self.detail)


def mismatch(field: str, detail: str) -> Failure:
    return Failure("MISMATCH", field, detail)


def malformed(field: str, detail: str) -> Failure:
    return Failure("MALFORMED", field, detail)


# --- section 2: encodings ----------------------------------------------------


def u64(n: int) -> bytes:
    return n.to_bytes(8, "big")


def lp(data: bytes) -> bytes:
    return u64(len(data)) + data


SUITES = ("intl2024", "gm2024")
# The suite of the record being verified (spec section 1a), and of the log whose keys were
# given (set by main; a published record's draws must be of it).
CURRENT = {"suite": "intl2024", "log": None}


def use_suite(name: str) -> None:
    CURRENT["suite"] = name


def H(data: bytes) -> bytes:
    """The suite's hash: SHA-256, or SM3 in gm2024."""
    if CURRENT["suite"] == "gm2024":
        return gm.sm3(data)
    return hashlib.sha256(data).digest()


def MAC(key: bytes, message: bytes) -> bytes:
    """The suite's HMAC: HMAC-SHA256, or HMAC-SM3 in gm2024."""
    if CURRENT["suite"] == "gm2024":
        return gm.hmac_sm3(key, message)
    return hmac.new(key, message, hashlib.sha256).digest()


def digest_field(what: str) -> str:
    """An audit entry's digest field: `sha256`/`reasons_sha256`, or `sm3`/`reasons_sm3`."""
    name = "sm3" if CURRENT["suite"] == "gm2024" else "sha256"
    return f"{what}_{name}" if what else name


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


class Members(list):
    """A JSON object as written: its (name, value) pairs in order, a repeated name kept."""


class Number:
    """A JSON number as written, so that -0, 1.0 and 1e3 are not read as 0, 1 and 1000."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


# Arrays and objects nest at most this deep in a document a verifier reads (section 9a): the
# depth at which serde_json, which the reference implementation reads with, stops.
MAX_DEPTH = 127


def read_json(raw: bytes):
    """A document as written (objects as Members, numbers as Number); ValueError if not JSON."""

    def constant(name):
        raise ValueError(f"{name} is not JSON")

    value = json.loads(
        raw.decode("utf-8"),
        object_pairs_hook=Members,
        parse_int=Number,
        parse_float=Number,
        parse_constant=constant,
    )
    # JSON text is Unicode: an escaped lone surrogate ("\ud800") is no character at all. And a
    # document nested deeper than MAX_DEPTH levels is not one a verifier reads (section 9a).
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (Members, list)) and depth > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, Members):
            for name, member in item:
                name.encode("utf-8")
                pending.append((member, depth + 1))
        elif isinstance(item, list):
            pending.extend((member, depth + 1) for member in item)
        elif isinstance(item, str):
            item.encode("utf-8")
    return value


# --- section 4: tokens and the eligible root ---------------------------------


def token(token_key: bytes, domain: str, expert_id: str) -> bytes:
    message = lp(TAG_TOKEN) + lp(domain.encode("utf-8")) + lp(expert_id.encode("utf-8"))
    return MAC(token_key, message)


# Unicode's White_Space property (PropList.txt), which tender_key removes (section 5). Python's
# str.isspace() is a different set (it adds U+001C-U+001F), so the list is spelled out.
WHITE_SPACE = frozenset(
    [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029,
     0x202F, 0x205F, 0x3000]
)


def tender_key(text: str) -> str:
    """Section 5: full-width ASCII forms to ASCII, whitespace removed, a-z to A-Z."""
    out = []
    for c in text:
        code = ord(c)
        if code in WHITE_SPACE:
            continue
        if 0xFF01 <= code <= 0xFF5E:
            c = chr(code - 0xFEE0)
        if "a" <= c <= "z":
            c = c.upper()
        out.append(c)
    return "".join(out)


def tender_commitment(reference: str, lot: str) -> bytes:
    return H(lp(TAG_TENDER) + lp(tender_key(reference).encode("utf-8"))
                  + lp(tender_key(lot).encode("utf-8")))


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 Merkle Tree Hash over raw leaf entries."""
    n = len(leaves)
    if n == 0:
        return H(b"")
    if n == 1:
        return H(b"\x00" + leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return H(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:]))


# --- section 5: the intent -----------------------------------------------------


def secret_commitment(secret: bytes) -> bytes:
    return H(lp(TAG_SECRET_COMMITMENT) + lp(secret))


def intent_hash(intent: dict) -> bytes:
    return H(b"\x00" + canonical_json(intent))


# --- sections 6 and 7: seed and ranking ------------------------------------------


def seed_of(secret: bytes, intent_digest: bytes, contributions: list[bytes]) -> bytes:
    message = lp(TAG_SEED) + lp(intent_digest) + u64(len(contributions))
    for contribution in contributions:
        message += lp(contribution)
    return MAC(secret, message)


def score(seed: bytes, index: int, tok: bytes) -> bytes:
    return MAC(seed, lp(TAG_RANK) + u64(index) + lp(tok))


def ranking(seed: bytes, index: int, tokens: list[bytes]) -> list[bytes]:
    return sorted(tokens, key=lambda t: (score(seed, index, t), t))


def venue_ranking(seed: bytes, index: int, venue_ids: list[str]) -> list[str]:
    """Section 7a: candidate venues by (score, id), the order a stratum is seated in."""
    def key(venue_id: str):
        encoded = venue_id.encode("utf-8")
        return (MAC(seed, lp(TAG_VENUE) + u64(index) + lp(encoded)), encoded)
    return sorted(venue_ids, key=key)


def select(seed: bytes, strata: list[tuple[int, int, list[bytes]]]) -> list[tuple[list, list]]:
    taken: set[bytes] = set()
    results = []
    for index, (k, m, tokens) in enumerate(strata):
        order = [t for t in ranking(seed, index, tokens) if t not in taken]
        drawn, reserves = order[:k], order[k : k + m]
        taken.update(drawn)
        taken.update(reserves)
        results.append((drawn, reserves))
    return results


# --- section 8: rules checked before randomness ----------------------------------


def check_strata(multiple: int, strata: list[tuple[int, int, list[bytes]]]) -> None:
    earlier: set[bytes] = set()
    taken_before = 0
    for j, (k, m, tokens) in enumerate(strata):
        eligible = len(tokens)
        needed = k + m
        required = multiple * needed
        if eligible < required:
            raise mismatch(
                f"strata[{j}]",
                f"{eligible} eligible, fewer than {multiple} x (k {k} + m {m}) = {required}",
            )
        shared = sum(1 for t in tokens if t in earlier)
        if eligible - min(shared, taken_before) < needed:
            raise mismatch(
                f"strata[{j}]",
                f"{eligible} eligible, {shared} shared with earlier strata taking up to "
                f"{taken_before}; fewer than {needed} might remain",
            )
        earlier.update(tokens)
        taken_before += needed


# --- section 9, stage 1: the shape walk -------------------------------------------
#
# A schema is ("object", [(name, schema, required), ...]) with members in the order the spec
# lists them, ("array", item schema), or a leaf kind. The walk reads documents as written
# (Members, Number) and values parsed from canonical audit entries (dict, int) alike, and
# returns plain JSON values: dict, list, str and int.

STRING, U32, U64, HEX32, HEX = "string", "u32", "u64", "hex32", "hex"
INTEGER_MAXIMA = {U32: U32_MAX, U64: U64_MAX}


# The third item of a member, which may then be absent (it is required without one).
OPTIONAL = False


def obj(*members) -> tuple:
    return ("object", [(m[0], m[1], len(m) < 3 or m[2]) for m in members])


def arr(item) -> tuple:
    return ("array", item)


STRATUM_SCHEMA = obj(
    ("prefixes", arr(STRING)),
    ("k", U32),
    ("m", U32),
    ("eligible_count", U64),
    ("eligible_root", HEX32),
    ("tokens", arr(HEX32)),
    ("regions_exclude", arr(STRING), OPTIONAL),
    ("regions_require", arr(STRING), OPTIONAL),
    ("venue_id", STRING, OPTIONAL),
    ("venue_region", STRING, OPTIONAL),
    ("venue_scope", STRING, OPTIONAL),
    ("venue_candidates", arr(obj(("venue_id", STRING), ("venue_region", STRING))), OPTIONAL),
)
RESULT_SCHEMA = obj(
    ("drawn", arr(HEX32)),
    ("reserves", arr(HEX32)),
    ("venue_accepted", arr(STRING), OPTIONAL),
    ("venue_id", STRING, OPTIONAL),
)
FAMILY_LINK_MEMBERS = [
    ("excluded_count", U64),
    ("excluded_root", HEX32),
    ("root_draw_id", STRING),
    ("root_intent_hash", HEX32),
    ("root_stratum", U32),
    ("vacated_draw_id", STRING),
    ("vacated_token", HEX32),
]
RECORD_SCHEMA = obj(
    ("algorithm", STRING),
    ("suite", STRING, OPTIONAL),
    ("draw_id", STRING),
    ("pool_snapshot", STRING),
    ("filter_sha256", HEX32),
    ("min_multiple", U32),
    ("secret_commitment", HEX32),
    ("strata", arr(STRATUM_SCHEMA)),
    ("intent_hash", HEX32),
    ("contributions", arr(HEX)),
    ("secret", HEX32),
    ("seed", HEX32),
    ("result", arr(RESULT_SCHEMA)),
    ("tender_sha256", HEX32, OPTIONAL),
    ("family", obj(*FAMILY_LINK_MEMBERS, ("excluded", arr(HEX32))), OPTIONAL),
)
# The intent of section 5, as a draw.intent entry of a family logs it (section 9b).
INTENT_SCHEMA = obj(
    ("algorithm", STRING),
    ("draw_id", STRING),
    ("family", obj(*FAMILY_LINK_MEMBERS), OPTIONAL),
    ("filter_sha256", HEX32),
    ("min_multiple", U32),
    ("pool_snapshot", STRING),
    ("secret_commitment", HEX32),
    (
        "strata",
        arr(
            obj(
                ("eligible_count", U64),
                ("eligible_root", HEX32),
                ("k", U32),
                ("m", U32),
                ("prefixes", arr(STRING)),
                ("regions_exclude", arr(STRING), OPTIONAL),
                ("regions_require", arr(STRING), OPTIONAL),
                ("venue_id", STRING, OPTIONAL),
                ("venue_region", STRING, OPTIONAL),
                ("venue_scope", STRING, OPTIONAL),
                (
                    "venue_candidates",
                    arr(obj(("venue_id", STRING), ("venue_region", STRING))),
                    OPTIONAL,
                ),
            )
        ),
    ),
    ("suite", STRING, OPTIONAL),
    ("tender_sha256", HEX32, OPTIONAL),
)


def child(path: str, name: str) -> str:
    return name if path == "$" else f"{path}.{name}"


def pairs_of(value) -> list | None:
    if isinstance(value, Members):
        return list(value)
    if isinstance(value, dict):
        return list(value.items())
    return None


def integer_of(value) -> int | None:
    """An integer as section 2 writes it: decimal digits, no sign, fraction or exponent."""
    if isinstance(value, Number):
        text = value.text
        if not text or any(c not in "0123456789" for c in text):
            return None
        # Longer than any u64; not converted, so no digit limit is ever reached.
        return int(text) if len(text) <= 20 else U64_MAX + 1
    if type(value) is int and value >= 0:
        return value
    return None


def is_hex(value, length: int | None) -> bool:
    return (
        isinstance(value, str)
        and len(value) % 2 == 0
        and (length is None or len(value) == 2 * length)
        and all(c in "0123456789abcdef" for c in value)
    )


def walk(value, schema, path: str):
    """Stage 1 of section 9 over one value; the first shape fault, in walk order, is raised."""
    if isinstance(schema, tuple) and schema[0] == "object":
        return walk_object(value, schema[1], path)
    if isinstance(schema, tuple):
        if type(value) is not list:
            raise malformed(path, "expected an array")
        return [walk(item, schema[1], f"{path}[{i}]") for i, item in enumerate(value)]
    if schema == STRING:
        if not isinstance(value, str):
            raise malformed(path, "expected a string")
        return value
    if schema in INTEGER_MAXIMA:
        number = integer_of(value)
        if number is None or number > INTEGER_MAXIMA[schema]:
            raise malformed(path, f"expected an integer from 0 to {INTEGER_MAXIMA[schema]}")
        return number
    if schema == HEX32 and not is_hex(value, 32):
        raise malformed(path, "expected 64 lowercase hex digits")
    if schema == HEX and not is_hex(value, None):
        raise malformed(path, "expected lowercase hex")
    return value


def walk_object(value, members: list, path: str) -> dict:
    pairs = pairs_of(value)
    if pairs is None:
        raise malformed(path, "expected an object")
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            raise malformed(path, f"member {name!r} appears twice")
        seen.add(name)
    for name, _, required in members:
        if required and name not in seen:
            raise malformed(path, f"missing member {name!r}")
    known = {name for name, _, _ in members}
    unknown = sorted((name for name in seen if name not in known), key=lambda n: n.encode("utf-8"))
    if unknown:
        raise malformed(path, f"unknown member {unknown[0]!r}")
    given = dict(pairs)
    return {
        name: walk(given[name], schema, child(path, name))
        for name, schema, _ in members
        if name in given
    }


# --- section 9, stage 2: the values -----------------------------------------------


def tokens_of(hexes: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


def intent_of(record: dict) -> dict:
    """The intent of section 5, rebuilt from a record (a linked draw's family without excluded)."""
    intent = {
        "algorithm": record["algorithm"],
        "draw_id": record["draw_id"],
        "filter_sha256": record["filter_sha256"],
        "min_multiple": record["min_multiple"],
        "pool_snapshot": record["pool_snapshot"],
        "secret_commitment": record["secret_commitment"],
        "strata": [
            {
                "eligible_count": s["eligible_count"],
                "eligible_root": s["eligible_root"],
                "k": s["k"],
                "m": s["m"],
                "prefixes": s["prefixes"],
                **{
                    name: s[name]
                    for name in REGION_LISTS + VENUE_FIELDS + ("venue_candidates",)
                    if name in s
                },
            }
            for s in record["strata"]
        ],
    }
    if "tender_sha256" in record:
        intent["tender_sha256"] = record["tender_sha256"]
    if "suite" in record:
        intent["suite"] = record["suite"]
    if "family" in record:
        intent["family"] = {k: v for k, v in record["family"].items() if k != "excluded"}
    return intent


def first_not_ascending(items: list) -> int | None:
    """The first position j whose item is not above the one before it."""
    for j in range(1, len(items)):
        if items[j - 1] >= items[j]:
            return j
    return None


def compare_list(field: str, claimed: list[bytes], expected: list[bytes]) -> None:
    for j, (c, e) in enumerate(zip(claimed, expected)):
        if c != e:
            raise mismatch(f"{field}[{j}]", f"recomputed {e.hex()}")
    if len(claimed) != len(expected):
        raise mismatch(field, f"{len(claimed)} tokens, recomputed {len(expected)}")


def check_version(record: dict) -> None:
    """Check 1: the algorithm, and the members its version has (and has not)."""
    algorithm = record["algorithm"]
    if algorithm not in (ALGORITHM_V3, ALGORITHM_V2, ALGORITHM_V1):
        raise mismatch(
            "algorithm", f"expected {ALGORITHM_V3!r}, {ALGORITHM_V2!r} or {ALGORITHM_V1!r}"
        )
    if algorithm != ALGORITHM_V1 and "tender_sha256" not in record:
        raise malformed("tender_sha256", f"a {algorithm} record needs tender_sha256")
    if algorithm == ALGORITHM_V1:
        for name in ("tender_sha256", "family"):
            if name in record:
                raise malformed(name, f"a {ALGORITHM_V1} record has no {name}")
    # A v3 stratum names its region rule; an older one cannot (its intent committed none).
    v3 = algorithm == ALGORITHM_V3
    for i, s in enumerate(record["strata"]):
        for name in REGION_LISTS:
            if (name in s) != v3:
                detail = f"a {ALGORITHM_V3} stratum needs {name}" if v3 else (
                    f"a {algorithm} stratum has no {name}"
                )
                raise malformed(f"strata[{i}].{name}", detail)
        named = [name for name in VENUE_FIELDS if name in s]
        for name in VENUE_FIELDS:
            if named and (name not in s or not v3):
                detail = (
                    "a venue names venue_id, venue_region and venue_scope together" if v3
                    else f"a {algorithm} stratum has no venue"
                )
                raise malformed(f"strata[{i}].{name}", detail)
        if "venue_candidates" in s and (not v3 or named):
            detail = (
                "a stratum names its venue or candidates to choose one from, not both" if v3
                else f"a {algorithm} stratum has no venue candidates"
            )
            raise malformed(f"strata[{i}].venue_candidates", detail)


def region_list_problem(prefixes: list[str]) -> str | None:
    """Why a list of region prefixes is not in its canonical form (section 5), if it is not."""
    if len(prefixes) > MAX_REGIONS:
        return f"at most {MAX_REGIONS} region prefixes"
    for p in prefixes:
        if len(p) not in (2, 4, 6) or any(c not in "0123456789" for c in p):
            return f"{p!r} is not a region prefix of 2, 4 or 6 digits"
    for a, b in zip(prefixes, prefixes[1:]):
        if a >= b:
            return f"{b!r} does not come after {a!r}"
    for a, b in zip(prefixes, prefixes[1:]):
        if b.startswith(a):
            return f"{b!r} is already covered by {a!r}"
    return None


def check_stratum(i: int, s: dict) -> None:
    """Check 5 for stratum i."""
    if s["k"] < 1:
        raise malformed(f"strata[{i}].k", "must be at least 1")
    prefixes = [p.encode("utf-8") for p in s["prefixes"]]
    if (
        not 1 <= len(prefixes) <= MAX_PREFIXES
        or any(not 1 <= len(p) <= MAX_PREFIX_BYTES for p in prefixes)
        or first_not_ascending(prefixes) is not None
    ):
        raise malformed(
            f"strata[{i}].prefixes",
            f"must be 1 to {MAX_PREFIXES} strings of 1 to {MAX_PREFIX_BYTES} bytes in strictly "
            "ascending order",
        )
    tokens = tokens_of(s["tokens"])
    j = first_not_ascending(tokens)
    if j is not None:
        raise malformed(
            f"strata[{i}].tokens[{j}]", "tokens must be in strictly ascending byte order"
        )
    if s["eligible_count"] != len(tokens):
        raise mismatch(
            f"strata[{i}].eligible_count",
            f"claims {s['eligible_count']}, tokens list {len(tokens)}",
        )
    if merkle_root(tokens) != bytes.fromhex(s["eligible_root"]):
        raise mismatch(f"strata[{i}].eligible_root", "is not the Merkle root of the tokens")
    for name in REGION_LISTS:
        problem = region_list_problem(s[name]) if name in s else None
        if problem is not None:
            raise malformed(f"strata[{i}].{name}", problem)
    if "venue_id" in s:
        found = venue_problem(s["venue_id"], s["venue_region"], s["venue_scope"],
                              s.get("regions_require", []))
        if found is not None:
            raise malformed(f"strata[{i}].{found[0]}", found[1])
    if "venue_candidates" in s:
        found = candidates_problem(s["venue_candidates"], s.get("regions_exclude", []),
                                   s.get("regions_require", []))
        if found is not None:
            raise malformed(f"strata[{i}].{found[0]}", found[1])


def candidates_problem(candidates: list, exclude: list, require: list) -> tuple | None:
    """Check 5h: why a stratum's candidate venues do not fit its region rule, if they do not."""
    if not 1 <= len(candidates) <= MAX_VENUE_CANDIDATES:
        return ("venue_candidates", f"must list 1 to {MAX_VENUE_CANDIDATES} venues")
    if not require:
        return ("regions_require",
                "a stratum choosing its venue at random requires the regions it chooses from")
    for j, c in enumerate(candidates):
        venue_id = c["venue_id"].encode("utf-8")
        if not 1 <= len(venue_id) <= 64:
            return (f"venue_candidates[{j}].venue_id", "must be 1 to 64 bytes")
        if j > 0 and candidates[j - 1]["venue_id"].encode("utf-8") >= venue_id:
            return (f"venue_candidates[{j}].venue_id",
                    "candidates must be in strictly ascending order of venue_id")
        region = c["venue_region"]
        if len(region) != 6 or any(ch not in "0123456789" for ch in region):
            return (f"venue_candidates[{j}].venue_region", "must be a county's 6-digit region code")
        if any(region.startswith(p) for p in exclude) or not any(
            region.startswith(p) for p in require
        ):
            return (f"venue_candidates[{j}].venue_region",
                    f"{region} is outside the stratum's region rule")
    return None


def check_venue_choice(i: int, s: dict, claimed: dict, seed: bytes) -> None:
    """Check 14: the candidates that accepted, and the venue chosen among them (section 7a)."""
    if "venue_candidates" not in s:
        for name in ("venue_accepted", "venue_id"):
            if name in claimed:
                raise malformed(f"result[{i}].{name}",
                                "only a stratum with venue_candidates chooses a venue")
        return
    if "venue_accepted" not in claimed:
        raise malformed(f"result[{i}].venue_accepted",
                        "a stratum with venue_candidates lists those that accepted")
    if "venue_id" not in claimed:
        raise malformed(f"result[{i}].venue_id",
                        "a stratum with venue_candidates names the venue chosen")
    accepted = claimed["venue_accepted"]
    if not accepted:
        raise malformed(f"result[{i}].venue_accepted",
                        "at least one candidate accepted before the draw executed")
    ids = [c["venue_id"] for c in s["venue_candidates"]]
    for j, venue_id in enumerate(accepted):
        if j > 0 and accepted[j - 1].encode("utf-8") >= venue_id.encode("utf-8"):
            raise malformed(f"result[{i}].venue_accepted[{j}]", "must be in strictly ascending order")
        if venue_id not in ids:
            raise malformed(f"result[{i}].venue_accepted[{j}]",
                            "is not one of the stratum's venue_candidates")
    expected = next(v for v in venue_ranking(seed, i, ids) if v in accepted)
    if claimed["venue_id"] != expected:
        raise mismatch(f"result[{i}].venue_id", f"recomputed {expected}")


def prefecture_prefix(county: str) -> str:
    """Section 5a: the prefix naming a county's prefecture-level division: four digits, or all
    six for a county the province administers directly (xx90xx)."""
    return county if county[2:4] == "90" else county[:4]


def venue_problem(venue_id: str, region: str, scope: str, require: list) -> tuple | None:
    """Section 5a: why a stratum's committed venue does not fit its region rule, if it does not."""
    if not 1 <= len(venue_id.encode("utf-8")) <= 64:
        return ("venue_id", "must be 1 to 64 bytes")
    if len(region) != 6 or any(c not in "0123456789" for c in region):
        return ("venue_region", "must be a county's 6-digit region code")
    if scope not in VENUE_SCOPES:
        return ("venue_scope", "must be one of " + ", ".join(VENUE_SCOPES))
    prefix = prefecture_prefix(region)
    if scope == "prefecture" and (not require or any(not r.startswith(prefix) for r in require)):
        return ("regions_require",
                f"a prefecture-scoped venue requires regions under {prefix} only")
    return None


def check_family_exclusion(record: dict) -> None:
    """Check 6: a linked draw's excluded tokens are its intent's, and none is eligible."""
    family = record["family"]
    excluded = tokens_of(family["excluded"])
    j = first_not_ascending(excluded)
    if j is not None:
        raise malformed(f"family.excluded[{j}]", "tokens must be in strictly ascending byte order")
    if family["excluded_count"] != len(excluded):
        raise mismatch(
            "family.excluded_count",
            f"claims {family['excluded_count']}, excluded lists {len(excluded)}",
        )
    if merkle_root(excluded) != bytes.fromhex(family["excluded_root"]):
        raise mismatch("family.excluded_root", "is not the Merkle root of the excluded tokens")
    out = set(family["excluded"])
    for i, s in enumerate(record["strata"]):
        for j, t in enumerate(s["tokens"]):
            if t in out:
                raise mismatch(f"strata[{i}].tokens[{j}]", "is one of the family's excluded tokens")


def verify_record(record: dict) -> tuple[bytes, list]:
    """Stage 2 of section 9, checks 1 to 13 in order, over a record that passed stage 1.

    Returns (seed, [(drawn, reserves)]).
    """
    suite = record.get("suite", "intl2024")
    if suite not in SUITES or ("suite" in record and suite == "intl2024"):
        # The default is written by leaving the member out: one spelling per record.
        raise malformed("suite", f"must be absent (intl2024) or \"gm2024\", not {suite!r}")
    if CURRENT["log"] is not None and suite != CURRENT["log"]:
        raise mismatch("suite", f"the draw claims suite {suite}, but the log's keys are {CURRENT['log']}")
    use_suite(suite)
    check_version(record)
    if not 1 <= len(record["draw_id"].encode("utf-8")) <= MAX_DRAW_ID_BYTES:
        raise malformed("draw_id", f"must be 1 to {MAX_DRAW_ID_BYTES} bytes")
    if record["min_multiple"] < 1:
        raise malformed("min_multiple", "must be at least 1")
    if not 1 <= len(record["strata"]) <= MAX_STRATA:
        raise malformed("strata", f"must hold 1 to {MAX_STRATA} strata")
    for i, s in enumerate(record["strata"]):
        check_stratum(i, s)
    if "family" in record:
        check_family_exclusion(record)
    shapes = [(s["k"], s["m"], tokens_of(s["tokens"])) for s in record["strata"]]
    check_strata(record["min_multiple"], shapes)
    secret = bytes.fromhex(record["secret"])
    if secret_commitment(secret) != bytes.fromhex(record["secret_commitment"]):
        raise mismatch("secret_commitment", "is not H(secret)")
    intent = intent_of(record)
    if len(canonical_json(intent)) > MAX_INTENT_LEN:
        raise malformed("$", f"the intent's canonical JSON is over {MAX_INTENT_LEN} bytes")
    digest = intent_hash(intent)
    if digest != bytes.fromhex(record["intent_hash"]):
        raise mismatch("intent_hash", f"recomputed {digest.hex()}")
    contributions = tokens_of(record["contributions"])
    if len(contributions) > MAX_CONTRIBUTIONS:
        raise malformed("contributions", f"more than {MAX_CONTRIBUTIONS}")
    for i, c in enumerate(contributions):
        if not 1 <= len(c) <= MAX_CONTRIBUTION_LEN:
            raise malformed(f"contributions[{i}]", f"must be 1 to {MAX_CONTRIBUTION_LEN} bytes")
    seed = seed_of(secret, digest, contributions)
    if seed != bytes.fromhex(record["seed"]):
        raise mismatch("seed", f"recomputed {seed.hex()}")
    results = select(seed, shapes)
    if len(record["result"]) != len(results):
        raise mismatch("result", f"{len(record['result'])} strata in result, {len(results)} drawn")
    for i, (claimed, (drawn, reserves)) in enumerate(zip(record["result"], results)):
        compare_list(f"result[{i}].drawn", tokens_of(claimed["drawn"]), drawn)
        compare_list(f"result[{i}].reserves", tokens_of(claimed["reserves"]), reserves)
        check_venue_choice(i, record["strata"][i], claimed, seed)
    return seed, results


def verify_within(record: dict, prefix: str) -> None:
    try:
        verify_record(record)
    except Failure as failure:
        raise failure.within(prefix) from None


# --- section 11: test vectors --------------------------------------------------------


def expect(field: str, actual, expected) -> None:
    if actual != expected:
        raise mismatch(field, f"recomputed {actual!r}, vector says {expected!r}")


def check_vector(n: int, vector: dict) -> None:
    where = f"vectors[{n}]"
    inputs, expected = vector["inputs"], vector["expected"]
    algorithm = vector["algorithm"]
    if algorithm not in (ALGORITHM_V1, ALGORITHM_V2, ALGORITHM_V3):
        raise mismatch(f"{where}.algorithm", f"unknown algorithm {algorithm!r}")
    suite = inputs.get("suite", "intl2024")
    if suite not in SUITES:
        raise malformed(f"{where}.inputs.suite", f"unknown suite {suite!r}")
    # Section 1a: every hash and MAC of the vector is in its suite.
    use_suite(suite)
    token_key = bytes.fromhex(inputs["token_key"])
    draw_id = inputs["draw_id"]
    # Section 4: a v2 linked draw's tokens are under its root's id.
    domain = inputs.get("token_domain", draw_id)
    secret = bytes.fromhex(inputs["secret"])
    contributions = [bytes.fromhex(c) for c in inputs["contributions"]]
    filter_sha256 = H(inputs["filter_canonical"].encode("utf-8"))
    expect(f"{where}.expected.filter_sha256", filter_sha256.hex(), expected["filter_sha256"])

    names = {}
    strata = []
    for s in inputs["strata"]:
        tokens = []
        for expert_id in s["expert_ids"]:
            t = token(token_key, domain, expert_id)
            names[t] = expert_id
            expect(f"{where}.expected.tokens.{expert_id}", t.hex(), expected["tokens"][expert_id])
            tokens.append(t)
        prefixes = sorted(set(s["prefixes"]), key=lambda p: p.encode("utf-8"))
        # v3: the region rule is committed as the vector gives it (its canonical form).
        regions = {name: s[name] for name in REGION_LISTS + VENUE_FIELDS if name in s}
        if "venue_candidates" in s:
            # Section 5: the candidates in their one order, by the UTF-8 bytes of their ids.
            regions["venue_candidates"] = sorted(
                s["venue_candidates"], key=lambda c: c["venue_id"].encode("utf-8")
            )
        strata.append((prefixes, s["k"], s["m"], sorted(tokens), regions))
    expect(f"{where}.expected.tokens", len(names), len(expected["tokens"]))

    shapes = [(k, m, tokens) for (_, k, m, tokens, _) in strata]
    check_strata(inputs["min_multiple"], shapes)
    roots = [merkle_root(tokens) for (_, _, _, tokens, _) in strata]
    expect(f"{where}.expected.eligible_roots", [r.hex() for r in roots], expected["eligible_roots"])
    commitment = secret_commitment(secret)
    expect(f"{where}.expected.secret_commitment", commitment.hex(), expected["secret_commitment"])

    intent = {
        "algorithm": algorithm,
        "draw_id": draw_id,
        "filter_sha256": filter_sha256.hex(),
        "min_multiple": inputs["min_multiple"],
        "pool_snapshot": inputs["pool_snapshot"],
        "secret_commitment": commitment.hex(),
        "strata": [
            {"eligible_count": len(tokens), "eligible_root": root.hex(), "k": k, "m": m,
             "prefixes": prefixes, **regions}
            for (prefixes, k, m, tokens, regions), root in zip(strata, roots)
        ],
    }
    if suite != "intl2024":
        intent["suite"] = suite
    if algorithm in (ALGORITHM_V2, ALGORITHM_V3):
        tender = inputs["tender"]
        intent["tender_sha256"] = tender_commitment(tender["reference"], tender["lot"]).hex()
        expect(f"{where}.expected.tender_sha256", intent["tender_sha256"],
               expected["tender_sha256"])
    if "family" in inputs:
        family = inputs["family"]
        excluded = sorted(token(token_key, domain, e) for e in family["excluded_expert_ids"])
        if any(t in excluded for (_, _, _, tokens, _) in strata for t in tokens):
            raise mismatch(f"{where}.inputs.family", "an excluded expert is eligible")
        intent["family"] = {
            "excluded_count": len(excluded),
            "excluded_root": merkle_root(excluded).hex(),
            "root_draw_id": family["root_draw_id"],
            "root_intent_hash": family["root_intent_hash"],
            "root_stratum": family["root_stratum"],
            "vacated_draw_id": family["vacated_draw_id"],
            "vacated_token": token(token_key, domain, family["vacated_expert_id"]).hex(),
        }
    expect(f"{where}.expected.intent_json", canonical_json(intent).decode("utf-8"),
           expected["intent_json"])
    digest = intent_hash(intent)
    expect(f"{where}.expected.intent_hash", digest.hex(), expected["intent_hash"])
    seed = seed_of(secret, digest, contributions)
    expect(f"{where}.expected.seed", seed.hex(), expected["seed"])

    for i, (_, _, _, tokens, _) in enumerate(strata):
        ranked = [{"token": t.hex(), "score": score(seed, i, t).hex()}
                  for t in ranking(seed, i, tokens)]
        expect(f"{where}.expected.ranking[{i}]", ranked, expected["ranking"][i])
    results = select(seed, shapes)
    expect(f"{where}.expected.result",
           [{"drawn": [t.hex() for t in d], "reserves": [t.hex() for t in r]} for d, r in results],
           expected["result"])
    expect(f"{where}.expected.result_experts",
           [{"drawn": [names[t] for t in d], "reserves": [names[t] for t in r]}
            for d, r in results],
           expected["result_experts"])
    if "venue_ranking" in expected:
        rankings, chosen = [], []
        for i, s in enumerate(inputs["strata"]):
            ids = [c["venue_id"] for c in s.get("venue_candidates", [])]
            ranked = venue_ranking(seed, i, ids)
            rankings.append([
                {"venue_id": v, "score": MAC(
                    seed, lp(TAG_VENUE) + u64(i) + lp(v.encode("utf-8"))).hex()}
                for v in ranked
            ])
            accepted = s.get("venue_accepted", [])
            chosen.append(next((v for v in ranked if v in accepted), None))
        expect(f"{where}.expected.venue_ranking", rankings, expected["venue_ranking"])
        expect(f"{where}.expected.venue_chosen", chosen, expected["venue_chosen"])

    # The vector's record must verify and must say exactly what the inputs give.
    record = walk(vector["record"], RECORD_SCHEMA, "$")
    record_seed, record_results = verify_record(record)
    expect(f"{where}.record.seed", record_seed, seed)
    expect(f"{where}.record.result", record_results, results)
    expect(f"{where}.record.intent", intent_of(record), intent)
    expect(f"{where}.record.contributions", tokens_of(record["contributions"]), contributions)
    expect(f"{where}.record.tokens", [tokens_of(s["tokens"]) for s in record["strata"]],
           [tokens for (_, _, _, tokens, _) in strata])


# --- RFC 8032 section 5.1: Ed25519 signature verification --------------------------
#
# Pure integer arithmetic on the twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 over
# GF(p), points in extended coordinates (X:Y:Z:T) with x = X/Z, y = Y/Z, x*y = T/Z
# (section 5.1.4). Verification handles only public data, so constant time is not needed.

ED_P = 2**255 - 19
ED_L = 2**252 + 27742317777372353535851937790883648493  # the order of the base point
ED_D = -121665 * pow(121666, ED_P - 2, ED_P) % ED_P
ED_SQRT_M1 = pow(2, (ED_P - 1) // 4, ED_P)  # a square root of -1 (section 5.1.3 step 3)


def ed_add(P: tuple, Q: tuple) -> tuple:
    """The unified addition formula of section 5.1.4 (also valid for doubling)."""
    x1, y1, z1, t1 = P
    x2, y2, z2, t2 = Q
    a = (y1 - x1) * (y2 - x2) % ED_P
    b = (y1 + x1) * (y2 + x2) % ED_P
    c = 2 * ED_D * t1 * t2 % ED_P
    dd = 2 * z1 * z2 % ED_P
    e, f, g, h = b - a, dd - c, dd + c, b + a
    return (e * f % ED_P, g * h % ED_P, f * g % ED_P, e * h % ED_P)


ED_IDENTITY = (0, 1, 1, 0)


def ed_multiply(n: int, P: tuple) -> tuple:
    """[n]P by double-and-add over the bits of n, most significant first."""
    result = ED_IDENTITY
    for bit in bin(n)[2:] if n > 0 else "":
        result = ed_add(result, result)
        if bit == "1":
            result = ed_add(result, P)
    return result


def ed_equal(P: tuple, Q: tuple) -> bool:
    """Projective equality: X1/Z1 = X2/Z2 and Y1/Z1 = Y2/Z2."""
    return (P[0] * Q[2] - Q[0] * P[2]) % ED_P == 0 and (P[1] * Q[2] - Q[1] * P[2]) % ED_P == 0


def ed_recover_x(y: int, sign: int) -> int | None:
    """Section 5.1.3 steps 2-4: x from y and the sign bit, or None if there is none."""
    u = (y * y - 1) % ED_P
    v = (ED_D * y * y + 1) % ED_P
    # The candidate root x = u v^3 (u v^7)^((p-5)/8), since p = 5 (mod 8).
    x = u * pow(v, 3, ED_P) * pow(u * pow(v, 7, ED_P), (ED_P - 5) // 8, ED_P) % ED_P
    vxx = v * x * x % ED_P
    if vxx == u:
        pass
    elif vxx == (-u) % ED_P:
        x = x * ED_SQRT_M1 % ED_P
    else:
        return None
    if x == 0 and sign == 1:
        return None
    if x % 2 != sign:
        x = ED_P - x
    return x


def ed_decode_point(encoded: bytes) -> tuple | None:
    """Section 5.1.3: 32 bytes, little-endian y with the sign of x in the top bit."""
    if len(encoded) != 32:
        return None
    value = int.from_bytes(encoded, "little")
    y, sign = value & ((1 << 255) - 1), value >> 255
    if y >= ED_P:
        return None
    x = ed_recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % ED_P)


def ed_encode_point(P: tuple) -> bytes:
    """Section 5.1.2."""
    z_inverse = pow(P[2], ED_P - 2, ED_P)
    x, y = P[0] * z_inverse % ED_P, P[1] * z_inverse % ED_P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


# The base point B: y = 4/5 and x positive (even), section 5.1.
ED_B = ed_decode_point((4 * pow(5, ED_P - 2, ED_P) % ED_P).to_bytes(32, "little"))


def ed25519_public_key(secret: bytes) -> bytes:
    """Section 5.1.5, only for the self-test: the public key of a 32-byte private key."""
    h = bytearray(hashlib.sha512(secret).digest()[:32])
    h[0] &= 248
    h[31] &= 127
    h[31] |= 64
    return ed_encode_point(ed_multiply(int.from_bytes(h, "little"), ED_B))


# A record's proofs usually share one checkpoint; its signature is checked once.
@functools.lru_cache(maxsize=64)
def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Section 5.1.7."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    A = ed_decode_point(public_key)
    R = ed_decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if A is None or R is None or s >= ED_L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little")
    k %= ED_L
    # The cofactored group equation [8][S]B = [8]R + [8][k]A.
    left = ed_multiply(8 * s, ED_B)
    right = ed_multiply(8, ed_add(R, ed_multiply(k, A)))
    return ed_equal(left, right)


# RFC 8032 section 7.1, TEST 1 to TEST 3: (secret key, public key, message, signature).
RFC8032_VECTORS = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


def selftest() -> list[str]:
    """Every problem found; empty when the Ed25519 code reproduces RFC 8032."""
    problems = []
    for n, (secret, public, message, signature) in enumerate(RFC8032_VECTORS, start=1):
        secret_b, public_b = bytes.fromhex(secret), bytes.fromhex(public)
        message_b, signature_b = bytes.fromhex(message), bytes.fromhex(signature)
        if ed25519_public_key(secret_b) != public_b:
            problems.append(f"TEST {n}: the public key derived from the secret key differs")
        if not ed25519_verify(public_b, message_b, signature_b):
            problems.append(f"TEST {n}: the signature does not verify")
        if ed25519_verify(public_b, message_b + b"\x00", signature_b):
            problems.append(f"TEST {n}: the signature verifies for another message")
        flipped = bytearray(signature_b)
        flipped[n] ^= 0x10
        if ed25519_verify(public_b, message_b, bytes(flipped)):
            problems.append(f"TEST {n}: an altered signature verifies")
        # S + L is the same scalar; section 5.1.7 requires rejecting S >= L.
        malleable = signature_b[:32] + (int.from_bytes(signature_b[32:], "little") + ED_L).to_bytes(
            32, "little"
        )
        if ed25519_verify(public_b, message_b, malleable):
            problems.append(f"TEST {n}: a signature with S >= L verifies")
    return problems


# --- C2SP signed-note, tlog-checkpoint and tlog-proof -------------------------------

PROOF_HEADER = "c2sp.org/tlog-proof@v1"
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space
ED25519_TYPE = 0x01
MAX_NOTE_BYTES = 256 * 1024
MAX_NOTE_SIGNATURES = 100
MAX_PROOF_BYTES = MAX_NOTE_BYTES + 64 * 1024
MAX_PROOF_HASHES = 64


class ProofSyntax(Exception):
    """A proof, note or checkpoint that does not follow its format: MALFORMED."""


class ProofInvalid(Exception):
    """A well-formed proof that does not verify: MISMATCH."""


def canonical_b64(text: str, what: str) -> bytes:
    """RFC 4648 section 4 base64 with its one canonical spelling (padding, zero bits)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProofSyntax(f"{what} is not base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise ProofSyntax(f"{what} is not canonical base64")
    return raw


def canonical_decimal(text: str, what: str) -> int:
    if (
        not text
        or any(c not in "0123456789" for c in text)
        or (len(text) > 1 and text[0] == "0")
        or int(text) > U64_MAX
    ):
        raise ProofSyntax(f"{what} is not a decimal without leading zeroes below 2^64")
    return int(text)


def valid_key_name(name: str) -> bool:
    return bool(name) and not any(c.isspace() or c == "+" or c < " " for c in name)


SM2_NOTE_IDENTIFIER = b"sealdraw.gm/sm2-sm3"


class VerifierKey:
    """A log's verifier key, `name+hex key id+base64(type || public key)`: Ed25519 (type
    0x01, key id by SHA-256) or SM2 (0xff || "sealdraw.gm/sm2-sm3" || 0x00 || id || 0x00,
    then the 65-byte point; key id by SM3), per docs/AUDIT-LOG.md."""

    def __init__(self, vkey: str):
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise ValueError("expected name+keyid+keydata")
        name, id_hex, key_data = parts
        if not valid_key_name(name):
            raise ValueError(f"invalid key name {name!r}")
        if len(id_hex) != 8 or any(c not in "0123456789abcdefABCDEF" for c in id_hex):
            raise ValueError("the key id is not 8 hex digits")
        try:
            data = canonical_b64(key_data, "the key data")
        except ProofSyntax as error:
            raise ValueError(str(error)) from None
        hashed = name.encode("utf-8") + b"\n" + data
        if len(data) == 33 and data[0] == ED25519_TYPE:
            public_key = data[1:]
            self.suite = "intl2024"
            self.verify = lambda message, signature: ed25519_verify(public_key, message, signature)
            self.key_id = hashlib.sha256(hashed).digest()[:4]
        elif data[:1] == b"\xff" and data[1:].startswith(SM2_NOTE_IDENTIFIER + b"\x00"):
            rest = data[2 + len(SM2_NOTE_IDENTIFIER) :]
            end = rest.find(b"\x00")
            if end <= 0 or len(rest) != end + 1 + 65 or not rest[:end].isascii():
                raise ValueError("a malformed SM2 key")
            ident, point = rest[:end].decode("ascii"), rest[end + 1 :]
            self.suite = "gm2024"
            self.verify = lambda message, signature: gm.sm2_verify(point, ident, message, signature)
            self.key_id = gm.sm3(hashed)[:4]
        else:
            raise ValueError("neither an Ed25519 key (type 0x01) nor an SM2 key (type 0xff)")
        self.name = name
        if self.key_id != bytes.fromhex(id_hex):
            raise ValueError("the key id does not match the name and public key")


def parse_note(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """signed-note: (text, [(key name, key id, signature)]), strictly."""
    if len(note.encode("utf-8")) > MAX_NOTE_BYTES:
        raise ProofSyntax("the note is too large")
    if any(c < " " and c != "\n" for c in note):
        raise ProofSyntax("the note contains a control character")
    # Signature lines are never empty, so the last blank line separates text and signatures.
    separator = note.rfind("\n\n")
    if separator < 0:
        raise ProofSyntax("the note has no blank line before its signatures")
    text, block = note[: separator + 1], note[separator + 2 :]
    if not block:
        raise ProofSyntax("the note has no signatures")
    if not block.endswith("\n"):
        raise ProofSyntax("the note's last signature line has no newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_NOTE_SIGNATURES:
        raise ProofSyntax("the note has too many signatures")
    signatures = []
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX) or " " not in line[len(SIGNATURE_PREFIX) :]:
            raise ProofSyntax("a signature line is not '\u2014 name signature'")
        name, encoded = line[len(SIGNATURE_PREFIX) :].split(" ", 1)
        if not valid_key_name(name):
            raise ProofSyntax(f"a signature line names an invalid key {name!r}")
        blob = canonical_b64(encoded, "a signature")
        if len(blob) <= 4:
            raise ProofSyntax("a signature is no longer than its key id")
        signatures.append((name, blob[:4], blob[4:]))
    return text, signatures


def parse_checkpoint(text: str) -> tuple[str, int, bytes]:
    """tlog-checkpoint: (origin, tree size, root hash); extension lines are ignored."""
    if not text.endswith("\n"):
        raise ProofSyntax("the checkpoint does not end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise ProofSyntax("the checkpoint needs an origin, a size and a root hash line")
    if any(not line for line in lines):
        raise ProofSyntax("the checkpoint has an empty line")
    root = canonical_b64(lines[2], "the checkpoint's root hash")
    if len(root) != 32:
        raise ProofSyntax("the checkpoint's root hash is not 32 bytes")
    return lines[0], canonical_decimal(lines[1], "the checkpoint's tree size"), root


def parse_proof(text: str) -> dict:
    """tlog-proof: the extra data (or None), index, inclusion proof and checkpoint note."""
    if len(text.encode("utf-8")) > MAX_PROOF_BYTES:
        raise ProofSyntax("the proof is too large")
    # Header lines are never empty, so the first blank line ends them.
    if "\n\n" not in text:
        raise ProofSyntax("no blank line before the checkpoint")
    header, note = text.split("\n\n", 1)
    lines = header.split("\n")
    if lines[0] != PROOF_HEADER:
        raise ProofSyntax(f"the first line is not {PROOF_HEADER}")
    rest = lines[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        extra = canonical_b64(rest[0][len("extra ") :], "the extra data")
        if not extra:
            raise ProofSyntax("the extra data is empty")
        rest = rest[1:]
    if not rest or not rest[0].startswith("index "):
        raise ProofSyntax("the index line is missing")
    index = canonical_decimal(rest[0][len("index ") :], "the index")
    if len(rest) - 1 > MAX_PROOF_HASHES:
        raise ProofSyntax("the inclusion proof has too many hashes")
    path = []
    for line in rest[1:]:
        digest = canonical_b64(line, "an inclusion proof hash")
        if len(digest) != 32:
            raise ProofSyntax("an inclusion proof hash is not 32 bytes")
        path.append(digest)
    checkpoint_text, _ = parse_note(note)
    parse_checkpoint(checkpoint_text)
    return {"extra": extra, "index": index, "path": path, "note": note}


def open_note(note: str, keys: list[VerifierKey], what: str) -> str:
    """The text of a note signed by one of the keys.

    As signed-note says: signatures by unknown keys are ignored, a signature by a known key
    that does not verify rejects the note, and at least one known key must have signed.
    """
    text, signatures = parse_note(note)
    verified = False
    for name, kid, signature in signatures:
        for key in keys:
            if key.name == name and key.key_id == kid:
                if not key.verify(text.encode("utf-8"), signature):
                    raise ProofInvalid(f"the {what} signature by {name} does not verify")
                verified = True
    if not verified:
        raise ProofInvalid(f"the {what} carries no valid signature from a given key")
    return text


def open_checkpoint(note: str, keys: list[VerifierKey]) -> tuple[int, bytes]:
    """The (size, root) of a checkpoint signed by one of the keys, for the first key's origin."""
    origin, size, root = parse_checkpoint(open_note(note, keys, "checkpoint"))
    if origin != keys[0].name:
        raise ProofInvalid(f"the checkpoint is for origin {origin!r}, not the first key's name")
    return size, root


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        raise ProofInvalid(f"index {index} is outside the tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofInvalid("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = H(b"\x01" + p + r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = H(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofInvalid("the inclusion proof is too short")
    return r


# --- sections 9a and 9b: the logged entries --------------------------------------------

I64_MIN = -(2**63)


def strict_json(raw: bytes):
    """JSON without duplicate keys, floats or integers beyond 64 bits (what an entry holds)."""

    def pairs(items):
        keys = [k for k, _ in items]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate key")
        return dict(items)

    def number(text):
        raise ValueError(f"{text} is not an integer")

    def integer(text):
        value = int(text)
        if not I64_MIN <= value <= U64_MAX:
            raise ValueError(f"{text} does not fit in 64 bits")
        return value

    return json.loads(
        raw.decode("utf-8"),
        object_pairs_hook=pairs,
        parse_float=number,
        parse_int=integer,
        parse_constant=number,
    )


def open_entry(field: str, text: str, keys: list[VerifierKey]) -> dict:
    """Check 3 of section 9a for one proof: the logged entry, its index and its checkpoint."""
    try:
        proof = parse_proof(text)
        if proof["extra"] is None:
            raise ProofSyntax("the proof carries no entry (no extra data)")
    except ProofSyntax as error:
        raise malformed(field, str(error)) from None
    try:
        size, root = open_checkpoint(proof["note"], keys)
        leaf = H(b"\x00" + proof["extra"])
        if root_from_inclusion_proof(proof["index"], size, leaf, proof["path"]) != root:
            raise ProofInvalid("the inclusion proof does not lead to the checkpoint's root")
    except ProofInvalid as error:
        raise mismatch(field, str(error)) from None
    except ProofSyntax as error:
        raise malformed(field, str(error)) from None
    raw = proof["extra"]
    if len(raw) > MAX_INTENT_LEN:
        # The log's entry bundles carry at most 65,535 bytes per entry.
        raise malformed(field, f"the entry is over {MAX_INTENT_LEN} bytes")
    try:
        entry = strict_json(raw)
        canonical = canonical_json(entry)
    except (UnicodeError, ValueError, RecursionError) as error:
        raise malformed(field, f"the entry is not JSON: {error}") from None
    if canonical != raw:
        raise malformed(field, "the entry is not canonical JSON")
    if not (
        isinstance(entry, dict)
        and isinstance(entry.get("type"), str)
        and isinstance(entry.get("refs"), dict)
        and isinstance(entry.get("data"), dict)
    ):
        raise malformed(field, "the entry needs a string type and objects refs and data")
    return {
        "field": field,
        "index": proof["index"],
        "size": size,
        "root": root,
        "leaf": leaf,
        "type": entry["type"],
        "actor": entry.get("actor"),
        "refs": entry["refs"],
        "data": entry["data"],
    }


def data_field(entry: dict, name: str):
    if name not in entry["data"]:
        raise malformed(entry["field"], f"the entry has no data.{name}")
    return entry["data"][name]


def token_field(entry: dict, name: str, nullable: bool = False) -> str | None:
    value = data_field(entry, name)
    if value is None and nullable:
        return None
    if not is_hex(value, 32):
        raise malformed(entry["field"], f"data.{name} is not a token (64 lowercase hex digits)")
    return value


def count_field(entry: dict, name: str) -> int:
    value = data_field(entry, name)
    if type(value) is not int or value < 0:
        raise malformed(entry["field"], f"data.{name} is not a non-negative integer")
    return value


# --- section 9a: the published record of a v1 draw ---------------------------------------

V1_FORMAT = "sealdraw-draw-record-v1"
V1_RECORD_SCHEMA = obj(
    ("format", STRING),
    ("draw", RECORD_SCHEMA),
    ("intent_proof", STRING),
    ("result_proof", STRING),
    ("replacement_proofs", arr(STRING)),
)


def check_header(entry: dict, kind: str, draw_id: str, after: dict | None) -> None:
    field = entry["field"]
    if entry["type"] != kind:
        raise mismatch(field, f"the entry's type is {entry['type']!r}, expected {kind!r}")
    if entry["refs"].get("draw") != draw_id:
        raise mismatch(field, f"the entry's refs.draw is not {draw_id!r}")
    if after is not None and entry["index"] <= after["index"]:
        raise mismatch(
            field,
            f"the entry is at log index {entry['index']}, not after {after['field']} "
            f"(index {after['index']})",
        )


def verify_published_v1(record: dict, keys: list[VerifierKey]) -> str:
    """The checks of section 9a, in order, over a record that passed stage 1."""
    # 1 and 2: the format, then a v1 draw (section 9).
    if record["format"] != V1_FORMAT:
        raise mismatch("format", f"expected {V1_FORMAT!r}")
    draw = record["draw"]
    if draw["algorithm"] != ALGORITHM_V1:
        raise mismatch(
            "draw.algorithm",
            f"a {V1_FORMAT} record holds a {ALGORITHM_V1} draw; later draws are published "
            f"as {FAMILY_FORMAT}",
        )
    verify_within(draw, "draw")
    draw_id = draw["draw_id"]

    # 3: every proof, before any entry's content.
    intent = open_entry("intent_proof", record["intent_proof"], keys)
    result = open_entry("result_proof", record["result_proof"], keys)
    replacements = [
        open_entry(f"replacement_proofs[{i}]", text, keys)
        for i, text in enumerate(record["replacement_proofs"])
    ]

    # 4: the intent entry commits to exactly this draw's intent.
    check_header(intent, "draw.intent", draw_id, None)
    logged = data_field(intent, "intent")
    if H(b"\x00" + canonical_json(logged)).hex() != draw["intent_hash"]:
        raise mismatch("intent_proof", "data.intent is not the intent of draw.intent_hash")

    # 5: the result entry, after the intent, says what the record says.
    check_header(result, "draw.result", draw_id, intent)
    for name in ["intent_hash", "secret", "contributions", "seed", "result"]:
        if data_field(result, name) != draw[name]:
            raise mismatch("result_proof", f"data.{name} differs from draw.{name}")

    # 6: replacements in log order, each seating the next unused reserve.
    seated = [list(s["drawn"]) for s in draw["result"]]
    used = [0] * len(seated)
    previous = result
    for entry in replacements:
        field = entry["field"]
        check_header(entry, "draw.replacement", draw_id, previous)
        stratum = count_field(entry, "stratum")
        if stratum >= len(seated):
            raise mismatch(
                field,
                f"data.stratum {stratum} is not a stratum of the draw ({len(seated)} strata)",
            )
        replaced = data_field(entry, "replaced")
        if not isinstance(replaced, str):
            raise malformed(field, "data.replaced is not a string")
        if not isinstance(data_field(entry, "reason"), str):
            raise malformed(field, "data.reason is not a string")
        successor = data_field(entry, "successor")
        if successor is not None and not isinstance(successor, str):
            raise malformed(field, "data.successor is neither a string nor null")
        if replaced not in seated[stratum]:
            raise mismatch(field, f"data.replaced {replaced} is not seated in stratum {stratum}")
        reserves = draw["result"][stratum]["reserves"]
        following = reserves[used[stratum]] if used[stratum] < len(reserves) else None
        if successor != following:
            raise mismatch(
                field,
                f"data.successor is {successor or 'null'}, the next unused reserve of stratum "
                f"{stratum} is {following or 'none'}",
            )
        position = seated[stratum].index(replaced)
        if successor is None:
            del seated[stratum][position]
        else:
            seated[stratum][position] = successor
            used[stratum] += 1
        previous = entry

    size = max(e["size"] for e in [intent, result, *replacements])
    drawn = sum(len(s["drawn"]) for s in draw["result"])
    return (
        f"OK draw {draw_id}: {len(draw['strata'])} strata, {drawn} drawn, "
        f"{len(replacements)} replacements, log entries {intent['index']},{result['index']} "
        f"under checkpoint size {size}"
    )


# --- section 9b: the published record of a draw family ------------------------------------

FAMILY_FORMAT = "sealdraw-draw-record-v2"
FAMILY_RECORD_SCHEMA = obj(
    ("format", STRING),
    ("root_draw_id", STRING),
    ("draws", arr(RECORD_SCHEMA)),
    ("entries", arr(STRING)),
    ("head", STRING),
)
HEAD_KIND = "sealdraw draw-family head v1"
VACANCY_REASONS = ("declined", "no_answer", "recused", "withdrew")
CONTRIBUTOR_ROLES = ("center", "supervisor")


def parse_head(text: str) -> dict:
    """The head's eight lines (section 9b); ProofSyntax if they are not exactly that."""
    if not text.endswith("\n"):
        raise ProofSyntax("the head's text does not end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) != 8:
        raise ProofSyntax(f"the head's text has {len(lines)} lines, not 8")
    if lines[0] != HEAD_KIND:
        raise ProofSyntax(f"the head's first line is not {HEAD_KIND!r}")
    if not lines[1] or not lines[2]:
        raise ProofSyntax("the head names an empty origin or root draw id")
    leaf = canonical_b64(lines[5], "the newest entry's leaf hash")
    root = canonical_b64(lines[7], "the checkpoint's root hash")
    if len(leaf) != 32 or len(root) != 32:
        raise ProofSyntax("a hash of the head is not 32 bytes")
    return {
        "origin": lines[1],
        "root_draw_id": lines[2],
        "entries": canonical_decimal(lines[3], "the number of entries"),
        "last_index": canonical_decimal(lines[4], "the newest entry's index"),
        "last_leaf": leaf,
        "size": canonical_decimal(lines[6], "the checkpoint's tree size"),
        "root": root,
    }


def check_head(record: dict, entries: list[dict], keys: list[VerifierKey]) -> dict:
    """Check 4 of section 9b; returns the head."""
    try:
        head = parse_head(parse_note(record["head"])[0])
    except ProofSyntax as error:
        raise malformed("head", str(error)) from None
    try:
        open_note(record["head"], keys, "head")
    except ProofInvalid as error:
        raise mismatch("head", str(error)) from None
    if head["origin"] != keys[0].name:
        raise mismatch("head", f"the head names the log {head['origin']!r}, not the first key's")
    if head["root_draw_id"] != record["root_draw_id"]:
        raise mismatch(
            "head",
            f"the head is about family {head['root_draw_id']!r}, the record about "
            f"{record['root_draw_id']!r}",
        )
    if head["entries"] != len(entries):
        raise mismatch(
            "head",
            f"the family has {head['entries']} entries, the record proves {len(entries)}",
        )
    if not entries:
        raise mismatch("head", "the record proves no entry")
    last = entries[-1]
    if head["last_index"] != last["index"] or head["last_leaf"] != last["leaf"]:
        raise mismatch(
            "head",
            f"the family's newest entry is at index {head['last_index']}, the record's last is "
            f"at {last['index']}",
        )
    for entry in entries:
        if entry["size"] != head["size"] or entry["root"] != head["root"]:
            raise mismatch(
                entry["field"],
                f"the proof is under the checkpoint of size {entry['size']}, the head's is "
                f"{head['size']}",
            )
    return head


def check_chain(entries: list[dict], root_draw_id: str) -> None:
    """Check 5 of section 9b: each entry names the family, its place in it and the one before."""
    previous = None
    for seq, entry in enumerate(entries):
        field = entry["field"]
        link = entry["data"].get("family")
        if not isinstance(link, dict) or set(link) != {"root", "seq", "prev"}:
            raise malformed(field, "data.family is not an object of exactly root, seq and prev")
        if link["root"] != root_draw_id:
            raise mismatch(field, f"data.family.root is not {root_draw_id!r}")
        if type(link["seq"]) is not int or link["seq"] != seq:
            raise mismatch(
                field,
                f"data.family.seq is {link['seq']!r}, the entry is number {seq} of the family: "
                "an entry before it is missing or out of order",
            )
        expected = None if previous is None else previous["leaf"].hex()
        if link["prev"] != expected:
            raise mismatch(
                field, "data.family.prev is not the leaf hash of the family's previous entry"
            )
        if previous is not None and entry["index"] <= previous["index"]:
            raise mismatch(
                field,
                f"the entry is at log index {entry['index']}, not after the family's previous "
                f"entry (index {previous['index']})",
            )
        previous = entry


class Replay:
    """The family's state as its entries are replayed in order (check 6 of section 9b)."""

    def __init__(self, record: dict, positions: dict[str, int]):
        self.record = record
        self.positions = positions  # draw id -> its position in draws
        self.root = record["draws"][0]
        self.has_result: dict[str, bool] = {}  # every draw whose intent was seen
        self.logged: dict[str, list[str]] = {}  # per draw, the sha256 of each contribution
        self.by_center = 0
        self.by_supervisors = 0
        # Per stratum of the root, the seats held: (draw, its stratum, token).
        self.seats: list[list[tuple[str, int, str]]] = [[] for _ in self.root["strata"]]
        self.used: dict[tuple[str, int], int] = {}  # reserves used per (draw, stratum)
        self.vacancies: list[tuple[str, str, int]] = []  # (draw, token, root stratum)
        self.taken: set[str] = set()
        self.awaiting: str | None = None
        self.replacements = 0

    def draw(self, draw_id: str) -> dict | None:
        position = self.positions.get(draw_id)
        return None if position is None else self.record["draws"][position]

    def apply(self, entry: dict) -> None:
        draw_id = entry["refs"].get("draw")
        if not isinstance(draw_id, str):
            raise malformed(entry["field"], "the entry has no string refs.draw")
        step = {
            "draw.intent": self.intent,
            "draw.contribution": self.contribution,
            "draw.result": self.result,
            "draw.replacement": self.replacement,
            "draw.link_refused": self.link_refused,
        }.get(entry["type"])
        if step is None:
            raise mismatch(entry["field"], f"{entry['type']!r} is not an entry of a draw family")
        step(entry, draw_id)

    def intent(self, entry: dict, d: str) -> None:
        field = entry["field"]
        logged = data_field(entry, "intent")
        try:
            intent = walk(logged, INTENT_SCHEMA, "intent")
        except Failure as failure:
            raise malformed(field, f"data.{failure.field} {failure.detail}") from None
        if d in self.has_result or intent["draw_id"] != d:
            raise mismatch(field, f"the intent of draw {d!r} is not its first and only one")
        record = self.draw(d)
        digest = H(b"\x00" + canonical_json(logged)).hex()
        if record is not None and digest != record["intent_hash"]:
            raise mismatch(
                field, f"data.intent is not the intent of draws[{self.positions[d]}].intent_hash"
            )
        if (
            intent["algorithm"] != self.root["algorithm"]
            or intent.get("tender_sha256") != self.root["tender_sha256"]
        ):
            raise mismatch(field, "the draw is not a draw of the root's version and tender")
        if not self.has_result:
            if d != self.record["root_draw_id"] or "family" in intent:
                raise mismatch(field, "the family's first entry is not its root draw's intent")
        else:
            self.linked_intent(entry, d, intent)
        self.has_result[d] = False

    def linked_intent(self, entry: dict, d: str, intent: dict) -> None:
        field = entry["field"]
        family = intent.get("family")
        if family is None:
            raise mismatch(field, "a later draw's intent names no family")
        if (
            family["root_draw_id"] != self.record["root_draw_id"]
            or family["root_intent_hash"] != self.root["intent_hash"]
        ):
            raise mismatch(field, "the linked draw names another root draw")
        if len(intent["strata"]) != 1 or intent["strata"][0]["k"] != 1:
            raise mismatch(field, "a linked draw's intent must have one stratum drawing one expert")
        if self.awaiting is not None:
            raise mismatch(
                field, f"linked draw {self.awaiting!r} had no result yet: one linked draw at a time"
            )
        vacancy = (family["vacated_draw_id"], family["vacated_token"], family["root_stratum"])
        if vacancy not in self.vacancies:
            raise mismatch(
                field,
                f"the seat it fills ({vacancy[1]} in draw {vacancy[0]!r}, stratum {vacancy[2]}) "
                "is not a vacancy awaiting a linked draw",
            )
        self.vacancies.remove(vacancy)
        taken = tokens_of(sorted(self.taken))
        if family["excluded_count"] != len(taken) or family["excluded_root"] != merkle_root(
            taken
        ).hex():
            raise mismatch(
                field,
                f"the draw excluded {family['excluded_count']} tokens, the family had drawn or "
                f"reserved {len(taken)}: it did not exclude exactly the family's tokens",
            )
        self.awaiting = d

    def contribution(self, entry: dict, d: str) -> None:
        field = entry["field"]
        position = count_field(entry, "position")
        role = data_field(entry, "role")
        if not isinstance(role, str):
            raise malformed(field, "data.role is not a string")
        name = digest_field("")
        digest = data_field(entry, name)
        if not is_hex(digest, 32):
            raise malformed(field, f"data.{name} is not 64 lowercase hex digits")
        if self.has_result.get(d) is not False:
            raise mismatch(
                field,
                f"a contribution to draw {d!r} outside its window (before its intent or after "
                "its result)",
            )
        logged = self.logged.setdefault(d, [])
        if position != len(logged):
            raise mismatch(
                field, f"data.position is {position}, but {len(logged)} contributions came before"
            )
        actor = entry["actor"]
        if role not in CONTRIBUTOR_ROLES:
            raise mismatch(field, f"{role!r} may not contribute")
        if not isinstance(actor, dict) or "account" not in actor or actor.get("role") != role:
            raise mismatch(field, f"data.role is {role!r} but the actor is {actor!r}")
        if role == "center":
            self.by_center += 1
        else:
            self.by_supervisors += 1
        logged.append(digest)

    def result(self, entry: dict, d: str) -> None:
        field = entry["field"]
        data = {
            name: data_field(entry, name)
            for name in ["intent_hash", "secret", "contributions", "seed", "result"]
        }
        if self.has_result.get(d) is not False:
            raise mismatch(field, f"a result of draw {d!r} without its intent, or a second one")
        record = self.draw(d)
        if record is None:
            raise mismatch(field, f"the record holds no section 9 record of draw {d!r}")
        for name, value in data.items():
            if value != record[name]:
                raise mismatch(field, f"data.{name} differs from the draw's record")
        used = [H(c).hex() for c in tokens_of(record["contributions"])]
        logged = self.logged.pop(d, [])
        if logged != used:
            raise mismatch(
                field,
                f"the seed used {len(used)} contributions, {len(logged)} were logged before the "
                "result, or their SHA-256 differ",
            )
        for s in record["result"]:
            self.taken.update(s["drawn"], s["reserves"])
        if "family" not in record:
            for i, s in enumerate(record["result"]):
                self.seats[i] = [(d, i, t) for t in s["drawn"]]
        else:
            seats = self.seats[record["family"]["root_stratum"]]
            for i, s in enumerate(record["result"]):
                seats.extend((d, i, t) for t in s["drawn"])
            self.awaiting = None
        self.has_result[d] = True

    def replacement(self, entry: dict, d: str) -> None:
        field = entry["field"]
        stratum = count_field(entry, "stratum")
        replaced = token_field(entry, "replaced")
        reason = data_field(entry, "reason")
        if not isinstance(reason, str):
            raise malformed(field, "data.reason is not a string")
        successor = token_field(entry, "successor", nullable=True)
        record = self.draw(d) if self.has_result.get(d) else None
        if record is None:
            raise mismatch(field, f"a replacement in draw {d!r} before its result")
        if stratum >= len(record["result"]):
            raise mismatch(field, f"data.stratum {stratum} is not a stratum of draw {d!r}")
        if reason not in VACANCY_REASONS:
            raise mismatch(
                field, f"data.reason {reason!r} is not one of {', '.join(VACANCY_REASONS)}"
            )
        root_stratum = record["family"]["root_stratum"] if "family" in record else stratum
        seats = self.seats[root_stratum]
        holder = (d, stratum, replaced)
        if holder not in seats:
            raise mismatch(
                field,
                f"data.replaced {replaced} does not hold a seat of stratum {stratum} of draw {d!r}",
            )
        used = self.used.get((d, stratum), 0)
        reserves = record["result"][stratum]["reserves"]
        following = reserves[used] if used < len(reserves) else None
        if successor != following:
            raise mismatch(
                field,
                f"data.successor is {successor or 'null'}, the next unused reserve of stratum "
                f"{stratum} is {following or 'none'}",
            )
        at = seats.index(holder)
        if successor is None:
            del seats[at]
            self.vacancies.append((d, replaced, root_stratum))
        else:
            seats[at] = (d, stratum, successor)
            self.used[(d, stratum)] = used + 1
        self.replacements += 1

    def link_refused(self, entry: dict, d: str) -> None:
        vacated = token_field(entry, "token")
        stratum = count_field(entry, "stratum")
        if (d, vacated, stratum) in self.vacancies:
            self.vacancies.remove((d, vacated, stratum))
            return
        raise mismatch(
            entry["field"],
            "the refused link is not a vacancy (draw, token and stratum) awaiting a linked draw",
        )


def verify_family(record: dict, keys: list[VerifierKey]) -> str:
    """The checks of section 9b, in order, over a record that passed stage 1."""
    # 1 and 2: the format, then every draw: section 9, v2, the root first, no id twice.
    if record["format"] != FAMILY_FORMAT:
        raise mismatch("format", f"expected {FAMILY_FORMAT!r}")
    positions: dict[str, int] = {}
    for j, draw in enumerate(record["draws"]):
        field = f"draws[{j}]"
        verify_within(draw, field)
        # One family, one version: a linked draw follows its root's (v2 or v3).
        if draw["algorithm"] not in (ALGORITHM_V2, ALGORITHM_V3) or (
            draw["algorithm"] != record["draws"][0]["algorithm"]
        ):
            raise mismatch(
                f"{field}.algorithm",
                f"a family record holds {ALGORITHM_V2} or {ALGORITHM_V3} draws, all of the root's "
                "version",
            )
        is_root = draw["draw_id"] == record["root_draw_id"]
        if is_root != (j == 0) or is_root == ("family" in draw):
            raise mismatch(
                f"{field}.draw_id",
                "the root draw (no family) comes first, then linked draws (with a family)",
            )
        if draw["draw_id"] in positions:
            raise mismatch(f"{field}.draw_id", "the draw is listed twice")
        positions[draw["draw_id"]] = j
    if not record["draws"]:
        raise malformed("draws", "the root draw's record is missing")

    # 3 to 5: every entry's proof, the head, the chain.
    entries = [open_entry(f"entries[{i}]", text, keys) for i, text in enumerate(record["entries"])]
    head = check_head(record, entries, keys)
    check_chain(entries, record["root_draw_id"])

    # 6 and 7: the replay, then every draw's result was in it.
    replay = Replay(record, positions)
    for entry in entries:
        replay.apply(entry)
    for j, draw in enumerate(record["draws"]):
        if replay.has_result.get(draw["draw_id"]) is not True:
            raise mismatch(
                f"draws[{j}]",
                f"draw {draw['draw_id']!r} has no result entry among the family's entries",
            )

    held = sum(len(seats) for seats in replay.seats)
    seats = sum(s["k"] for s in replay.root["strata"])
    line = (
        f"OK draw family {record['root_draw_id']}: {len(record['draws'])} draws, "
        f"{len(entries)} entries complete under checkpoint size {head['size']}, contributions "
        f"{replay.by_center} by the center and {replay.by_supervisors} by supervisors, "
        f"{replay.replacements} replacements, {held}/{seats} seats held"
    )
    if replay.vacancies:
        line += f", {len(replay.vacancies)} awaiting a linked draw"
    if replay.awaiting is not None:
        line += f", linked draw {replay.awaiting} awaiting its result"
    return line


def verify_any_published(document, keys: list[VerifierKey]) -> str:
    """A published record of either format, told apart by its format (sections 9a and 9b)."""
    formats = [value for name, value in pairs_of(document) or [] if name == "format"]
    if formats[:1] == [FAMILY_FORMAT]:
        return verify_family(walk(document, FAMILY_RECORD_SCHEMA, "$"), keys)
    return verify_published_v1(walk(document, V1_RECORD_SCHEMA, "$"), keys)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else None
    if command == "selftest" and len(argv) == 2:
        problems = selftest()
        for problem in problems:
            print(f"FAIL {problem}")
        if problems:
            return 1
        print(f"OK Ed25519 reproduces RFC 8032 TEST 1-{len(RFC8032_VECTORS)}")
        return 0
    valid = (command in ("record", "vectors") and len(argv) == 3) or (
        command == "published" and len(argv) >= 4
    )
    if not valid:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[2], "rb") as handle:
            raw = handle.read()
        document = json.loads(raw) if command == "vectors" else read_json(raw)
    except (OSError, UnicodeError, ValueError, RecursionError) as error:
        print(f"cannot read {argv[2]}: {error}", file=sys.stderr)
        return 2
    keys = []
    for vkey in argv[3:]:
        # One unusable key voids the list: the operator meant a set of keys, not a subset.
        try:
            keys.append(VerifierKey(vkey))
        except ValueError as error:
            print(f"unusable verifier key {vkey}: {error}", file=sys.stderr)
            return 2
    if keys:
        # The log's suite is its keys': an SM2-signed log hashes with SM3.
        if len({key.suite for key in keys}) > 1:
            print("the verifier keys are of two suites; a log has one", file=sys.stderr)
            return 2
        CURRENT["log"] = keys[0].suite
        use_suite(keys[0].suite)
    try:
        if command == "record":
            seed, _ = verify_record(walk(document, RECORD_SCHEMA, "$"))
            print(f"OK seed {seed.hex()}")
        elif command == "published":
            print(verify_any_published(document, keys))
        else:
            for n, vector in enumerate(document["vectors"]):
                check_vector(n, vector)
            print(f"OK {len(document['vectors'])} vectors")
    except Failure as failure:
        print(failure)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
