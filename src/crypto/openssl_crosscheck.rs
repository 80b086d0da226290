//! The national suite checked against OpenSSL 3's command-line tool, a second implementation
//! written apart from the RustCrypto crates the suite uses (issue 18 §2). The standards' own
//! vectors are in `suite`, `seal` and `signing`; here arbitrary inputs of awkward lengths go
//! through both and must agree. The test command ensures `openssl` is installed (.ci/run).

use std::io::Write;
use std::process::{Command, Stdio};

use super::seal::SealingKey;
use super::signing::{PublicKey, SignatureAlgorithm, Signer};
use super::{Rng, Suite};

/// Runs `openssl args…` with `input` on stdin and returns stdout, failing the test on any error.
fn openssl(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the openssl command (Debian package openssl) runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The hex digest at the end of `openssl dgst`'s `NAME(stdin)= hex` line.
fn dgst_hex(output: &[u8]) -> String {
    String::from_utf8_lossy(output)
        .trim()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_lowercase()
}

fn inputs() -> Vec<Vec<u8>> {
    let rng = Rng::danger_deterministic(b"openssl crosscheck");
    // Around SM3's 64-byte block and its 56-byte padding boundary, and a long one.
    [0usize, 1, 3, 55, 56, 63, 64, 65, 119, 1000]
        .iter()
        .map(|&len| {
            let mut bytes = vec![0u8; len];
            rng.fill(&mut bytes).unwrap();
            bytes
        })
        .collect()
}

#[test]
fn sm3_agrees_with_openssl() {
    for input in inputs() {
        let theirs = dgst_hex(&openssl(&["dgst", "-sm3", "-hex"], &input));
        assert_eq!(
            Suite::Gm2024.hex_hash(&input),
            theirs,
            "{} bytes",
            input.len()
        );
    }
}

#[test]
fn hmac_sm3_agrees_with_openssl_for_short_and_long_keys() {
    for key_len in [1usize, 32, 64, 100] {
        let key = vec![0x5a_u8 ^ key_len as u8; key_len];
        let hexkey = format!("hexkey:{}", hex::encode(&key));
        for input in inputs() {
            let theirs = openssl(
                &["mac", "-digest", "SM3", "-macopt", &hexkey, "HMAC"],
                &input,
            );
            let theirs = String::from_utf8_lossy(&theirs).trim().to_lowercase();
            assert_eq!(
                hex::encode(Suite::Gm2024.mac(&key, &[&input])),
                theirs,
                "key {key_len}, input {}",
                input.len()
            );
        }
    }
}

/// OpenSSL's `enc` has no GCM mode; GCM's ciphertext is CTR from the counter block after J0
/// (nonce ‖ 00000002 for a 96-bit nonce, NIST SP 800-38D §7.1), so the sealed bytes must equal
/// OpenSSL's SM4-CTR there. The tag is held to RFC 8998's vector in `seal`.
#[test]
fn sm4_gcm_ciphertext_is_openssl_sm4_ctr_after_j0() {
    let key = [0x42u8; 16];
    let sealing = SealingKey::new(Suite::Gm2024, "k".into(), &key).unwrap();
    let rng = Rng::danger_deterministic(b"sm4 ctr");
    for plaintext in inputs().into_iter().filter(|p| !p.is_empty()) {
        let sealed = sealing.seal(&rng, "context", &plaintext).unwrap();
        // 0x01 ‖ id length ‖ "k" ‖ nonce (12) ‖ ciphertext ‖ tag (16).
        let nonce = &sealed[3..15];
        let ciphertext = &sealed[15..sealed.len() - 16];
        let iv = format!("{}00000002", hex::encode(nonce));
        let theirs = openssl(
            &["enc", "-sm4-ctr", "-K", &hex::encode(key), "-iv", &iv],
            &plaintext,
        );
        assert_eq!(ciphertext, theirs.as_slice(), "{} bytes", plaintext.len());
    }
}

/// SEC 1 point → SubjectPublicKeyInfo (id-ecPublicKey, curve SM2), as `openssl pkey` reads it.
fn spki_der(point: &[u8]) -> Vec<u8> {
    let mut der = hex::decode("3059301306072a8648ce3d020106082a811ccf5501822d034200").unwrap();
    der.extend_from_slice(point);
    der
}

/// r ‖ s → the DER SEQUENCE of two INTEGERs OpenSSL signs and verifies.
fn signature_der(raw: &[u8]) -> Vec<u8> {
    let integer = |bytes: &[u8]| {
        let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
        let mut value = if trimmed.first().is_some_and(|&b| b & 0x80 != 0) {
            vec![0]
        } else {
            Vec::new()
        };
        value.extend(trimmed);
        let mut out = vec![0x02, value.len() as u8];
        out.extend(value);
        out
    };
    let body = [integer(&raw[..32]), integer(&raw[32..])].concat();
    [vec![0x30, body.len() as u8], body].concat()
}

/// The DER SEQUENCE { r, s } → r ‖ s.
fn signature_raw(der: &[u8]) -> Vec<u8> {
    assert_eq!(der[0], 0x30);
    let mut at = 2;
    let mut raw = Vec::new();
    for _ in 0..2 {
        assert_eq!(der[at], 0x02);
        let len = usize::from(der[at + 1]);
        let value = &der[at + 2..at + 2 + len];
        let value: Vec<u8> = value.iter().copied().skip_while(|&b| b == 0).collect();
        raw.extend(std::iter::repeat_n(0, 32 - value.len()));
        raw.extend(value);
        at += 2 + len;
    }
    raw
}

#[test]
fn sm2_signatures_verify_across_both_implementations_under_each_identifier() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let message = "sealdraw.example/log\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    std::fs::write(path("message"), message).unwrap();
    for distinguishing_id in ["1234567812345678", "sealdraw@example.gov.cn"] {
        let algorithm = SignatureAlgorithm::Sm2 {
            distinguishing_id: distinguishing_id.into(),
        };
        let distid = format!("distid:{distinguishing_id}");

        // Ours, verified by OpenSSL.
        let ours = Signer::with_algorithm(&algorithm, &[0x17; 32]).unwrap();
        std::fs::write(path("ours.pub.der"), spki_der(ours.public_key().as_bytes())).unwrap();
        std::fs::write(
            path("ours.sig"),
            signature_der(&ours.sign(message.as_bytes()).unwrap()),
        )
        .unwrap();
        let verified = openssl(
            &[
                "pkeyutl",
                "-verify",
                "-pubin",
                "-keyform",
                "DER",
                "-inkey",
                &path("ours.pub.der"),
                "-rawin",
                "-digest",
                "sm3",
                "-pkeyopt",
                &distid,
                "-in",
                &path("message"),
                "-sigfile",
                &path("ours.sig"),
            ],
            b"",
        );
        assert!(
            String::from_utf8_lossy(&verified).contains("Verified Successfully"),
            "{distinguishing_id}"
        );

        // OpenSSL's, verified by ours; and not under another identifier.
        openssl(
            &["genpkey", "-algorithm", "SM2", "-out", &path("theirs.pem")],
            b"",
        );
        let public_der = openssl(
            &[
                "pkey",
                "-in",
                &path("theirs.pem"),
                "-pubout",
                "-outform",
                "DER",
            ],
            b"",
        );
        let point = &public_der[public_der.len() - 65..];
        let signature = openssl(
            &[
                "pkeyutl",
                "-sign",
                "-inkey",
                &path("theirs.pem"),
                "-rawin",
                "-digest",
                "sm3",
                "-pkeyopt",
                &distid,
                "-in",
                &path("message"),
            ],
            b"",
        );
        let public = PublicKey::new(algorithm.clone(), point).unwrap();
        let raw = signature_raw(&signature);
        assert!(
            public.verifies(message.as_bytes(), &raw),
            "{distinguishing_id}"
        );
        assert!(!public.verifies(b"another message\n", &raw));
        let other_id = PublicKey::new(
            SignatureAlgorithm::Sm2 {
                distinguishing_id: "another identifier".into(),
            },
            point,
        )
        .unwrap();
        assert!(!other_id.verifies(message.as_bytes(), &raw));
    }
}
