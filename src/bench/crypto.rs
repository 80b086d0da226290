//! `sealdraw bench crypto`: the two suites' primitives side by side, in one run, on one thread
//! (docs/CRYPTO.md): each operation the server performs — a hash at the sizes the log hashes, an
//! HMAC of a token's size, sealing and opening a field, signing and verifying a checkpoint —
//! through the same `crypto` interface the server uses, so the ratio is what a deployment pays
//! for choosing the national suite, before any I/O.

use std::time::Duration;

use super::audit::{BenchStart, Samples, ops_per_sec, primitive_names, thousands};
use crate::crypto::seal::SealingKey;
use crate::crypto::{MacPrefix, Rng, Signer, Suite};

/// Each sample runs for this long.
const WINDOW: Duration = Duration::from_millis(400);

pub(crate) struct CryptoBenchOptions {
    pub(crate) runs: u64,
    pub(crate) command: String,
}

struct Row {
    what: String,
    unit: &'static str,
    /// Per suite, in `Suite::ALL` order.
    rates: Vec<Samples>,
}

pub(crate) fn crypto(options: &CryptoBenchOptions) -> anyhow::Result<String> {
    let start = BenchStart::begin(&std::env::temp_dir())?;
    let runs = options.runs.max(3);
    let rng = Rng::danger_deterministic(b"sealdraw bench crypto");
    let mut rows: Vec<Row> = Vec::new();
    let mut add = |what: String, unit: &'static str, measure: &dyn Fn(Suite) -> f64| {
        let rates = Suite::ALL
            .iter()
            .map(|&suite| Samples::collect(runs, || measure(suite)))
            .collect();
        rows.push(Row { what, unit, rates });
    };
    for (length, why) in [
        (65, "an RFC 6962 node"),
        (300, "a leaf of a ~250-byte entry"),
        (4096, "a 4 KiB document"),
    ] {
        let input = vec![0x5a_u8; length];
        add(
            format!("hash, {length} bytes ({why})"),
            "hashes/s",
            &|suite| {
                ops_per_sec(WINDOW, || {
                    std::hint::black_box(suite.hash(std::hint::black_box(&input)));
                })
            },
        );
    }
    // A draw token: the key and the draw's prefix absorbed once, then lp(expert id).
    let expert = b"\0\0\0\0\0\0\0\x24018f2a3c-7d4e-7b21-9c3a-5e6f7a8b9c0d";
    add(
        "HMAC, one draw token (prefix absorbed)".into(),
        "MACs/s",
        &|suite| {
            let macs = MacPrefix::new(suite, &[7; 32], b"sealdraw-draw-v1/token draw-0001");
            ops_per_sec(WINDOW, || {
                std::hint::black_box(macs.mac(&[std::hint::black_box(expert)]));
            })
        },
    );
    add(
        "HMAC, key schedule and 100 bytes".into(),
        "MACs/s",
        &|suite| {
            let message = [0x33_u8; 100];
            ops_per_sec(WINDOW, || {
                std::hint::black_box(suite.mac(&[7; 32], &[std::hint::black_box(&message)]));
            })
        },
    );
    let field = [0x61_u8; 32];
    let context = "expert/018f2a3c-7d4e-7b21-9c3a-5e6f7a8b9c0d/name";
    add(
        "seal a 32-byte field (AEAD, fresh nonce, context)".into(),
        "seals/s",
        &|suite| {
            let key = sealing_key(suite);
            ops_per_sec(WINDOW, || {
                std::hint::black_box(key.seal(&rng, context, std::hint::black_box(&field)).ok());
            })
        },
    );
    // A draw's sealed members list: tens of kilobytes in one value (BENCHMARKS.md, Draws).
    let bulk = vec![0x62_u8; 64 * 1024];
    add(
        "seal a 64 KiB value (a stratum's members list)".into(),
        "seals/s",
        &|suite| {
            let key = sealing_key(suite);
            ops_per_sec(WINDOW, || {
                std::hint::black_box(key.seal(&rng, context, std::hint::black_box(&bulk)).ok());
            })
        },
    );
    add("open a 32-byte field".into(), "opens/s", &|suite| {
        let key = sealing_key(suite);
        let sealed = key.seal(&rng, context, &field).unwrap_or_default();
        ops_per_sec(WINDOW, || {
            std::hint::black_box(key.open(context, std::hint::black_box(&sealed)).ok());
        })
    });
    let note = vec![b'c'; 100];
    add(
        "sign a 100-byte checkpoint".into(),
        "signatures/s",
        &|suite| {
            let Ok(signer) = Signer::from_seed(suite, &[7; 32]) else {
                return f64::NAN;
            };
            ops_per_sec(WINDOW, || {
                let _ = std::hint::black_box(signer.sign(std::hint::black_box(&note)));
            })
        },
    );
    add("verify it".into(), "verifications/s", &|suite| {
        let Ok(signer) = Signer::from_seed(suite, &[7; 32]) else {
            return f64::NAN;
        };
        let public = signer.public_key();
        let Ok(signature) = signer.sign(&note) else {
            return f64::NAN;
        };
        ops_per_sec(WINDOW, || {
            std::hint::black_box(public.verifies(std::hint::black_box(&note), &signature));
        })
    });

    let mut out = String::new();
    out.push_str("# sealdraw bench crypto\n\n");
    out.push_str(&format!("Command: `{}`  \n", options.command));
    out.push_str(&format!(
        "Started {}; took {:.0} s. One thread; medians of {runs} samples of {} ms each. \
         CPU: {}; nproc {}; load before: {}.\n\n",
        start.started_at,
        start.started.elapsed().as_secs_f64(),
        WINDOW.as_millis(),
        start.machine.cpu,
        start.machine.nproc,
        start.machine.load_before,
    ));
    let (intl_hash, intl_sign) = primitive_names(Suite::Intl2024);
    let (gm_hash, gm_sign) = primitive_names(Suite::Gm2024);
    out.push_str(&format!(
        "intl2024: {intl_hash}, HMAC-SHA256, AES-256-GCM (ring), {intl_sign}.  \ngm2024: \
         {gm_hash}, HMAC-SM3, SM4-GCM (RustCrypto sm4 + aes-gcm), {gm_sign}.\n\n"
    ));
    out.push_str("| operation | intl2024 | gm2024 | gm ÷ intl (rate) |\n|---|---:|---:|---:|\n");
    for row in &rows {
        let intl = row.rates[0].median();
        let gm = row.rates[1].median();
        out.push_str(&format!(
            "| {} | {} {} | {} {} | {:.2} |\n",
            row.what,
            thousands(intl),
            row.unit,
            thousands(gm),
            row.unit,
            gm / intl
        ));
    }
    Ok(out)
}

fn sealing_key(suite: Suite) -> SealingKey {
    let bytes = vec![0x42_u8; suite.sealing_key_len()];
    // Cannot fail: the length is the suite's own sealing key length.
    SealingKey::new(suite, "bench".into(), &bytes)
        .unwrap_or_else(|_| unreachable!("a key of the suite's length"))
}
