#!/usr/bin/env python3
"""Independent verifier for sealdraw draws (algorithm "sealdraw-draw-v1").

Written from docs/DRAW-SPEC.md alone, using only the Python standard library
(hashlib, hmac, json), so that a bug in the server's Rust implementation is not
silently shared by its verifier.

Commands:
  record FILE    Verify a verification record (spec section 9).
  vectors FILE   Recompute every test vector (spec section 11) from its inputs,
                 compare every expected value, and verify its record.

Output: "OK ..." and exit 0; or the first failure as
"MISMATCH <field>: <detail>" / "MALFORMED <field>: <detail>" and exit 1;
exit 2 when the input cannot be read at all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys

ALGORITHM = "sealdraw-draw-v1"
TAG_TOKEN = b"sealdraw-draw-v1/token"
TAG_SECRET_COMMITMENT = b"sealdraw-draw-v1/secret-commitment"
TAG_SEED = b"sealdraw-draw-v1/seed"
TAG_RANK = b"sealdraw-draw-v1/rank"
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


def mismatch(field: str, detail: str) -> Failure:
    return Failure("MISMATCH", field, detail)


def malformed(field: str, detail: str) -> Failure:
    return Failure("MALFORMED", field, detail)


# --- section 2: encodings ----------------------------------------------------


def u64(n: int) -> bytes:
    return n.to_bytes(8, "big")


def lp(data: bytes) -> bytes:
    return u64(len(data)) + data


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


# --- section 4: tokens and the eligible root ---------------------------------


def token(token_key: bytes, draw_id: str, expert_id: str) -> bytes:
    message = lp(TAG_TOKEN) + lp(draw_id.encode("utf-8")) + lp(expert_id.encode("utf-8"))
    return hmac_sha256(token_key, message)


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 Merkle Tree Hash over raw leaf entries."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return sha256(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:]))


# --- section 5: the intent -----------------------------------------------------


def secret_commitment(secret: bytes) -> bytes:
    return sha256(lp(TAG_SECRET_COMMITMENT) + lp(secret))


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def intent_hash(intent: dict) -> bytes:
    return sha256(b"\x00" + canonical_json(intent))


# --- sections 6 and 7: seed and ranking ------------------------------------------


def seed_of(secret: bytes, intent_digest: bytes, contributions: list[bytes]) -> bytes:
    message = lp(TAG_SEED) + lp(intent_digest) + u64(len(contributions))
    for contribution in contributions:
        message += lp(contribution)
    return hmac_sha256(secret, message)


def score(seed: bytes, index: int, tok: bytes) -> bytes:
    return hmac_sha256(seed, lp(TAG_RANK) + u64(index) + lp(tok))


def ranking(seed: bytes, index: int, tokens: list[bytes]) -> list[bytes]:
    return sorted(tokens, key=lambda t: (score(seed, index, t), t))


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


# --- section 9: parsing a record strictly ----------------------------------------


def fields(value, path: str, names: list[str]) -> dict:
    if not isinstance(value, dict):
        raise malformed(path or "$", "expected an object")
    for name in names:
        if name not in value:
            raise malformed(path or "$", f"missing field {name}")
    for name in value:
        if name not in names:
            raise malformed(path or "$", f"unknown field {name}")
    return value


def child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def integer(value, path: str, maximum: int) -> int:
    if type(value) is not int or not 0 <= value <= maximum:
        raise malformed(path, f"expected an integer from 0 to {maximum}")
    return value


def string(value, path: str) -> str:
    if not isinstance(value, str):
        raise malformed(path, "expected a string")
    return value


def array(value, path: str) -> list:
    if not isinstance(value, list):
        raise malformed(path, "expected an array")
    return value


def hex_bytes(value, path: str, length: int | None = None) -> bytes:
    text = string(value, path)
    if len(text) % 2 or any(c not in "0123456789abcdef" for c in text):
        raise malformed(path, "expected lowercase hex")
    if length is not None and len(text) != 2 * length:
        raise malformed(path, f"expected {2 * length} lowercase hex digits")
    return bytes.fromhex(text)


RECORD_FIELDS = [
    "algorithm", "draw_id", "pool_snapshot", "filter_sha256", "min_multiple",
    "secret_commitment", "strata", "intent_hash", "contributions", "secret", "seed", "result",
]
STRATUM_FIELDS = ["prefixes", "k", "m", "eligible_count", "eligible_root", "tokens"]
RESULT_FIELDS = ["drawn", "reserves"]


def parse_record(data) -> dict:
    fields(data, "", RECORD_FIELDS)
    record = {
        "algorithm": string(data["algorithm"], "algorithm"),
        "draw_id": string(data["draw_id"], "draw_id"),
        "pool_snapshot": string(data["pool_snapshot"], "pool_snapshot"),
        "filter_sha256": hex_bytes(data["filter_sha256"], "filter_sha256", 32),
        "min_multiple": integer(data["min_multiple"], "min_multiple", U32_MAX),
        "secret_commitment": hex_bytes(data["secret_commitment"], "secret_commitment", 32),
        "intent_hash": hex_bytes(data["intent_hash"], "intent_hash", 32),
        "secret": hex_bytes(data["secret"], "secret", 32),
        "seed": hex_bytes(data["seed"], "seed", 32),
        "strata": [],
        "contributions": [],
        "result": [],
    }
    for i, raw in enumerate(array(data["strata"], "strata")):
        path = f"strata[{i}]"
        fields(raw, path, STRATUM_FIELDS)
        prefixes = array(raw["prefixes"], child(path, "prefixes"))
        record["strata"].append({
            "prefixes": [string(p, f"{path}.prefixes[{j}]") for j, p in enumerate(prefixes)],
            "k": integer(raw["k"], child(path, "k"), U32_MAX),
            "m": integer(raw["m"], child(path, "m"), U32_MAX),
            "eligible_count": integer(raw["eligible_count"], child(path, "eligible_count"), U64_MAX),
            "eligible_root": hex_bytes(raw["eligible_root"], child(path, "eligible_root"), 32),
            "tokens": [
                hex_bytes(t, f"{path}.tokens[{j}]", 32)
                for j, t in enumerate(array(raw["tokens"], child(path, "tokens")))
            ],
        })
    for i, raw in enumerate(array(data["contributions"], "contributions")):
        record["contributions"].append(hex_bytes(raw, f"contributions[{i}]"))
    for i, raw in enumerate(array(data["result"], "result")):
        path = f"result[{i}]"
        fields(raw, path, RESULT_FIELDS)
        record["result"].append({
            name: [
                hex_bytes(t, f"{path}.{name}[{j}]", 32)
                for j, t in enumerate(array(raw[name], child(path, name)))
            ]
            for name in RESULT_FIELDS
        })
    return record


def intent_of(record: dict) -> dict:
    """The intent object of section 5, rebuilt from a parsed record."""
    return {
        "algorithm": record["algorithm"],
        "draw_id": record["draw_id"],
        "filter_sha256": record["filter_sha256"].hex(),
        "min_multiple": record["min_multiple"],
        "pool_snapshot": record["pool_snapshot"],
        "secret_commitment": record["secret_commitment"].hex(),
        "strata": [
            {
                "eligible_count": s["eligible_count"],
                "eligible_root": s["eligible_root"].hex(),
                "k": s["k"],
                "m": s["m"],
                "prefixes": s["prefixes"],
            }
            for s in record["strata"]
        ],
    }


def compare_list(field: str, claimed: list[bytes], expected: list[bytes]) -> None:
    for j, (c, e) in enumerate(zip(claimed, expected)):
        if c != e:
            raise mismatch(f"{field}[{j}]", f"recomputed {e.hex()}")
    if len(claimed) != len(expected):
        raise mismatch(field, f"{len(claimed)} tokens, recomputed {len(expected)}")


def verify_record(record: dict) -> tuple[bytes, list]:
    """The checks of section 9, in order. Returns (seed, [(drawn, reserves)])."""
    if record["algorithm"] != ALGORITHM:
        raise mismatch("algorithm", f"expected {ALGORITHM!r}")
    if record["min_multiple"] < 1:
        raise malformed("min_multiple", "must be at least 1")
    if not record["strata"]:
        raise malformed("strata", "no strata")
    for i, s in enumerate(record["strata"]):
        if s["k"] < 1:
            raise malformed(f"strata[{i}].k", "must be at least 1")
        prefixes = [p.encode("utf-8") for p in s["prefixes"]]
        if (
            not prefixes
            or any(not p for p in prefixes)
            or any(a >= b for a, b in zip(prefixes, prefixes[1:]))
        ):
            raise malformed(
                f"strata[{i}].prefixes", "must be non-empty strings in strictly ascending order"
            )
        tokens = s["tokens"]
        for j in range(1, len(tokens)):
            if tokens[j - 1] >= tokens[j]:
                raise malformed(
                    f"strata[{i}].tokens[{j}]", "tokens must be in strictly ascending byte order"
                )
        if s["eligible_count"] != len(tokens):
            raise mismatch(
                f"strata[{i}].eligible_count",
                f"claims {s['eligible_count']}, tokens list {len(tokens)}",
            )
        if merkle_root(tokens) != s["eligible_root"]:
            raise mismatch(f"strata[{i}].eligible_root", "is not the Merkle root of the tokens")
    shapes = [(s["k"], s["m"], s["tokens"]) for s in record["strata"]]
    check_strata(record["min_multiple"], shapes)
    if secret_commitment(record["secret"]) != record["secret_commitment"]:
        raise mismatch("secret_commitment", "is not H(secret)")
    if len(canonical_json(intent_of(record))) > MAX_INTENT_LEN:
        raise malformed("$", f"the intent's canonical JSON is over {MAX_INTENT_LEN} bytes")
    digest = intent_hash(intent_of(record))
    if digest != record["intent_hash"]:
        raise mismatch("intent_hash", f"recomputed {digest.hex()}")
    contributions = record["contributions"]
    if len(contributions) > MAX_CONTRIBUTIONS:
        raise malformed("contributions", f"more than {MAX_CONTRIBUTIONS}")
    for i, c in enumerate(contributions):
        if not 1 <= len(c) <= MAX_CONTRIBUTION_LEN:
            raise malformed(f"contributions[{i}]", f"must be 1 to {MAX_CONTRIBUTION_LEN} bytes")
    seed = seed_of(record["secret"], digest, contributions)
    if seed != record["seed"]:
        raise mismatch("seed", f"recomputed {seed.hex()}")
    results = select(seed, shapes)
    if len(record["result"]) != len(results):
        raise mismatch(
            "result", f"{len(record['result'])} strata in result, {len(results)} drawn"
        )
    for i, (claimed, (drawn, reserves)) in enumerate(zip(record["result"], results)):
        compare_list(f"result[{i}].drawn", claimed["drawn"], drawn)
        compare_list(f"result[{i}].reserves", claimed["reserves"], reserves)
    return seed, results


# --- section 11: test vectors --------------------------------------------------------


def expect(field: str, actual, expected) -> None:
    if actual != expected:
        raise mismatch(field, f"recomputed {actual!r}, vector says {expected!r}")


def check_vector(n: int, vector: dict) -> None:
    where = f"vectors[{n}]"
    inputs, expected = vector["inputs"], vector["expected"]
    token_key = bytes.fromhex(inputs["token_key"])
    draw_id = inputs["draw_id"]
    secret = bytes.fromhex(inputs["secret"])
    contributions = [bytes.fromhex(c) for c in inputs["contributions"]]
    filter_sha256 = sha256(inputs["filter_canonical"].encode("utf-8"))
    expect(f"{where}.expected.filter_sha256", filter_sha256.hex(), expected["filter_sha256"])

    names = {}
    strata = []
    for s in inputs["strata"]:
        tokens = []
        for expert_id in s["expert_ids"]:
            t = token(token_key, draw_id, expert_id)
            names[t] = expert_id
            expect(f"{where}.expected.tokens.{expert_id}", t.hex(), expected["tokens"][expert_id])
            tokens.append(t)
        prefixes = sorted(set(s["prefixes"]), key=lambda p: p.encode("utf-8"))
        strata.append((prefixes, s["k"], s["m"], sorted(tokens)))
    expect(f"{where}.expected.tokens", len(names), len(expected["tokens"]))

    shapes = [(k, m, tokens) for (_, k, m, tokens) in strata]
    check_strata(inputs["min_multiple"], shapes)
    roots = [merkle_root(tokens) for (_, _, _, tokens) in strata]
    expect(f"{where}.expected.eligible_roots", [r.hex() for r in roots], expected["eligible_roots"])
    commitment = secret_commitment(secret)
    expect(f"{where}.expected.secret_commitment", commitment.hex(), expected["secret_commitment"])

    intent = {
        "algorithm": ALGORITHM,
        "draw_id": draw_id,
        "filter_sha256": filter_sha256.hex(),
        "min_multiple": inputs["min_multiple"],
        "pool_snapshot": inputs["pool_snapshot"],
        "secret_commitment": commitment.hex(),
        "strata": [
            {"eligible_count": len(tokens), "eligible_root": root.hex(), "k": k, "m": m,
             "prefixes": prefixes}
            for (prefixes, k, m, tokens), root in zip(strata, roots)
        ],
    }
    expect(f"{where}.expected.intent_json", canonical_json(intent).decode("utf-8"),
           expected["intent_json"])
    digest = intent_hash(intent)
    expect(f"{where}.expected.intent_hash", digest.hex(), expected["intent_hash"])
    seed = seed_of(secret, digest, contributions)
    expect(f"{where}.expected.seed", seed.hex(), expected["seed"])

    for i, (_, _, _, tokens) in enumerate(strata):
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

    # The published record must verify and must say exactly what the inputs give.
    record = parse_record(vector["record"])
    record_seed, record_results = verify_record(record)
    expect(f"{where}.record.seed", record_seed, seed)
    expect(f"{where}.record.result", record_results, results)
    expect(f"{where}.record.intent", intent_of(record), intent)
    expect(f"{where}.record.contributions", record["contributions"], contributions)
    expect(f"{where}.record.tokens", [s["tokens"] for s in record["strata"]],
           [tokens for (_, _, _, tokens) in strata])


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("record", "vectors"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[2], "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        print(f"cannot read {argv[2]}: {error}", file=sys.stderr)
        return 2
    try:
        if argv[1] == "record":
            seed, _ = verify_record(parse_record(data))
            print(f"OK seed {seed.hex()}")
        else:
            if data.get("algorithm") != ALGORITHM:
                raise mismatch("algorithm", f"expected {ALGORITHM!r}")
            for n, vector in enumerate(data["vectors"]):
                check_vector(n, vector)
            print(f"OK {len(data['vectors'])} vectors")
    except Failure as failure:
        print(failure)
        return 1
    except (KeyError, TypeError, ValueError) as error:
        print(f"MALFORMED $: {type(error).__name__}: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
