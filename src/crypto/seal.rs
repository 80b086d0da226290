//! Sealing: AES-256-GCM (international suite) or SM4-GCM (national suite, RFC 8998) with a
//! fresh random nonce per value. The associated data binds each ciphertext to where it lives
//! (for example `account/<id>/totp`) and to the id of the key that sealed it, so a ciphertext
//! copied to another row or field, or relabelled with another key id, fails to open. Every
//! ciphertext names its key id so keys can be rotated.
//!
//! Layout: `0x01 ‖ key id length (1 byte) ‖ key id ‖ nonce (12) ‖ ciphertext ‖ tag (16)`, the
//! same in both suites: the key id says which key, and the key knows its cipher.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{AeadInOut, KeyInit};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use std::sync::Arc;

use zeroize::Zeroizing;

use super::module::Module;
use super::{Rng, Suite};

const FORMAT_VERSION: u8 = 1;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("randomness unavailable")]
    Randomness,
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed value names key id {0:?}, which this key ring does not hold")]
    UnknownKey(String),
    #[error("sealed value does not open: wrong key, wrong context or tampered")]
    DoesNotOpen,
    /// The master key is in a module that failed: the value is neither sealed nor opened (no
    /// software fallback).
    #[error(transparent)]
    Module(#[from] super::module::ModuleError),
}

pub(crate) struct SealingKey {
    pub(super) id: String,
    key: Cipher,
}

/// Both boxed: a key ring holds a few of them behind `Arc`s, and the expanded key schedules
/// (AES's over 500 bytes) need not sit inline. SM4's is zeroised on drop (its crate's `zeroize`
/// feature).
enum Cipher {
    Aes256Gcm(Box<LessSafeKey>),
    Sm4Gcm(Box<aes_gcm::AesGcm<sm4::Sm4, U12>>),
    /// AES-256-GCM inside a PKCS#11 module: the key is the token's object, named by its id.
    InModule {
        module: Arc<Module>,
        object_id: Vec<u8>,
    },
}

#[derive(Debug, thiserror::Error)]
#[error("a {suite} sealing key is {expected} bytes, not {actual}")]
pub struct WrongKeyLength {
    suite: Suite,
    expected: usize,
    actual: usize,
}

impl SealingKey {
    /// A key of `suite`'s sealing cipher: 32 bytes for AES-256-GCM, 16 for SM4-GCM.
    pub(crate) fn new(suite: Suite, id: String, key_bytes: &[u8]) -> Result<Self, WrongKeyLength> {
        let wrong = || WrongKeyLength {
            suite,
            expected: suite.sealing_key_len(),
            actual: key_bytes.len(),
        };
        if key_bytes.len() != suite.sealing_key_len() {
            return Err(wrong());
        }
        let key = match suite {
            Suite::Intl2024 => Cipher::Aes256Gcm(Box::new(LessSafeKey::new(
                UnboundKey::new(&AES_256_GCM, key_bytes).map_err(|_| wrong())?,
            ))),
            Suite::Gm2024 => Cipher::Sm4Gcm(Box::new(
                aes_gcm::AesGcm::<sm4::Sm4, U12>::new_from_slice(key_bytes).map_err(|_| wrong())?,
            )),
        };
        Ok(Self { id, key })
    }

    /// A master key held in `module` under `object_id`: it seals and opens there, in the
    /// international suite's layout (AES-256-GCM, 96-bit nonce, 128-bit tag), so a value reads
    /// the same whichever backend sealed it.
    pub(crate) fn in_module(id: String, module: Arc<Module>, object_id: Vec<u8>) -> Self {
        Self {
            id,
            key: Cipher::InModule { module, object_id },
        }
    }

    pub(crate) fn seal(
        &self,
        rng: &Rng,
        context: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        let nonce_bytes: [u8; NONCE_LEN] = rng.bytes().map_err(|_| SealError::Randomness)?;
        let mut in_out = plaintext.to_vec();
        let aad = associated_data(context, &self.id);
        match &self.key {
            Cipher::Aes256Gcm(key) => key
                .seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(nonce_bytes),
                    Aad::from(aad),
                    &mut in_out,
                )
                .map_err(|_| SealError::Malformed)?,
            Cipher::Sm4Gcm(key) => key
                .encrypt_in_place(&nonce_bytes.into(), &aad, &mut in_out)
                .map_err(|_| SealError::Malformed)?,
            Cipher::InModule { module, object_id } => {
                in_out = module.encrypt(object_id, &nonce_bytes, &aad, plaintext)?;
            }
        }
        let id = self.id.as_bytes();
        let mut out = Vec::with_capacity(2 + id.len() + NONCE_LEN + in_out.len());
        out.push(FORMAT_VERSION);
        out.push(u8::try_from(id.len()).map_err(|_| SealError::Malformed)?);
        out.extend_from_slice(id);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&in_out);
        Ok(out)
    }

    pub(crate) fn open(
        &self,
        context: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let parts = SealedParts::parse(sealed)?;
        if parts.key_id != self.id {
            return Err(SealError::UnknownKey(parts.key_id.to_owned()));
        }
        let mut in_out = Zeroizing::new(parts.ciphertext.to_vec());
        let aad = associated_data(context, &self.id);
        match &self.key {
            Cipher::Aes256Gcm(key) => {
                let plain_len = key
                    .open_in_place(
                        Nonce::assume_unique_for_key(parts.nonce),
                        Aad::from(aad),
                        &mut in_out,
                    )
                    .map_err(|_| SealError::DoesNotOpen)?
                    .len();
                in_out.truncate(plain_len);
            }
            // Decrypts in place and truncates the tag; on failure the buffer is left as it was
            // (ciphertext only), and is wiped on drop either way.
            Cipher::Sm4Gcm(key) => key
                .decrypt_in_place(&parts.nonce.into(), &aad, &mut *in_out)
                .map_err(|_| SealError::DoesNotOpen)?,
            Cipher::InModule { module, object_id } => {
                in_out = module
                    .decrypt(object_id, &parts.nonce, &aad, parts.ciphertext)?
                    .ok_or(SealError::DoesNotOpen)?;
            }
        }
        Ok(in_out)
    }
}

/// `context ‖ 0x00 ‖ key id`: the zero byte keeps (context, key id) pairs unambiguous.
fn associated_data(context: &str, key_id: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(context.len() + 1 + key_id.len());
    aad.extend_from_slice(context.as_bytes());
    aad.push(0);
    aad.extend_from_slice(key_id.as_bytes());
    aad
}

pub struct SealedParts<'a> {
    pub key_id: &'a str,
    nonce: [u8; NONCE_LEN],
    ciphertext: &'a [u8],
}

impl<'a> SealedParts<'a> {
    pub fn parse(sealed: &'a [u8]) -> Result<Self, SealError> {
        let (&version, rest) = sealed.split_first().ok_or(SealError::Malformed)?;
        if version != FORMAT_VERSION {
            return Err(SealError::Malformed);
        }
        let (&id_len, rest) = rest.split_first().ok_or(SealError::Malformed)?;
        let id_len = usize::from(id_len);
        if rest.len() < id_len + NONCE_LEN + 16 {
            return Err(SealError::Malformed);
        }
        let (id, rest) = rest.split_at(id_len);
        let key_id = std::str::from_utf8(id).map_err(|_| SealError::Malformed)?;
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let mut nonce_bytes = [0u8; NONCE_LEN];
        nonce_bytes.copy_from_slice(nonce);
        Ok(Self {
            key_id,
            nonce: nonce_bytes,
            ciphertext,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, byte: u8) -> SealingKey {
        SealingKey::new(Suite::Intl2024, id.into(), &[byte; 32]).unwrap()
    }

    fn sm4_key(id: &str, byte: u8) -> SealingKey {
        SealingKey::new(Suite::Gm2024, id.into(), &[byte; 16]).unwrap()
    }

    #[test]
    fn sm4_gcm_matches_rfc_8998_appendix_a_1() {
        let key = SealingKey::new(
            Suite::Gm2024,
            "k".into(),
            &hex::decode("0123456789abcdeffedcba9876543210").unwrap(),
        )
        .unwrap();
        let Cipher::Sm4Gcm(cipher) = &key.key else {
            panic!("an SM4 key");
        };
        let nonce: [u8; 12] = hex::decode("00001234567800000000abcd")
            .unwrap()
            .try_into()
            .unwrap();
        let aad = hex::decode("feedfacedeadbeeffeedfacedeadbeefabaddad2").unwrap();
        let mut in_out = hex::decode(
            "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd\
             eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa",
        )
        .unwrap();
        cipher
            .encrypt_in_place(&nonce.into(), &aad, &mut in_out)
            .unwrap();
        assert_eq!(
            hex::encode(&in_out),
            "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735\
             d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d\
             83de3541e4c2b58177e065a9bf7b62ec"
        );
    }

    #[test]
    fn sm4_sealed_values_open_only_in_their_context_and_detect_tampering() {
        let rng = Rng::danger_deterministic(b"seal");
        let k = sm4_key("k1", 3);
        let sealed = k.seal(&rng, "user/1/totp", b"secret").unwrap();
        assert_eq!(&*k.open("user/1/totp", &sealed).unwrap(), b"secret");
        assert_eq!(k.open("user/2/totp", &sealed), Err(SealError::DoesNotOpen));
        assert_eq!(
            sm4_key("k1", 4).open("user/1/totp", &sealed),
            Err(SealError::DoesNotOpen)
        );
        for i in 0..sealed.len() {
            let mut copy = sealed.clone();
            copy[i] ^= 0x40;
            assert!(k.open("user/1/totp", &copy).is_err(), "byte {i}");
        }
        // An AES key under the same id does not open an SM4 ciphertext, nor the reverse.
        assert_eq!(
            key("k1", 3).open("user/1/totp", &sealed),
            Err(SealError::DoesNotOpen)
        );
    }

    #[test]
    fn keys_of_the_wrong_length_for_their_suite_are_refused() {
        assert!(SealingKey::new(Suite::Gm2024, "k".into(), &[1; 32]).is_err());
        assert!(SealingKey::new(Suite::Intl2024, "k".into(), &[1; 16]).is_err());
    }

    #[test]
    fn sealed_value_opens_only_in_its_own_context_and_key() {
        let rng = Rng::danger_deterministic(b"seal");
        let k1 = key("k1", 7);
        let sealed = k1.seal(&rng, "user/1/totp", b"secret").unwrap();
        assert_eq!(&*k1.open("user/1/totp", &sealed).unwrap(), b"secret");
        assert_eq!(k1.open("user/2/totp", &sealed), Err(SealError::DoesNotOpen));
        let other_bytes_same_id = key("k1", 8);
        assert_eq!(
            other_bytes_same_id.open("user/1/totp", &sealed),
            Err(SealError::DoesNotOpen)
        );
        assert_eq!(
            key("k2", 7).open("user/1/totp", &sealed),
            Err(SealError::UnknownKey("k1".into()))
        );
    }

    #[test]
    fn relabelling_a_ciphertext_with_another_key_id_fails_even_under_the_same_key_bytes() {
        let rng = Rng::danger_deterministic(b"seal");
        let sealed = key("k1", 7).seal(&rng, "ctx", b"value").unwrap();
        let mut relabelled = sealed.clone();
        relabelled[3] = b'2'; // the id "k1" starts at byte 2
        assert_eq!(
            key("k2", 7).open("ctx", &relabelled),
            Err(SealError::DoesNotOpen)
        );
    }

    #[test]
    fn tampering_any_byte_is_detected() {
        let rng = Rng::danger_deterministic(b"seal");
        let k = key("k1", 1);
        let sealed = k.seal(&rng, "ctx", b"value").unwrap();
        for i in 0..sealed.len() {
            let mut copy = sealed.clone();
            copy[i] ^= 0x40;
            assert!(
                k.open("ctx", &copy).is_err(),
                "byte {i} flip went unnoticed"
            );
        }
        assert_eq!(k.open("ctx", &sealed[..5]), Err(SealError::Malformed));
    }

    #[test]
    fn the_same_plaintext_seals_differently_each_time() {
        let rng = Rng::danger_deterministic(b"seal");
        let k = key("k1", 1);
        assert_ne!(
            k.seal(&rng, "ctx", b"v").unwrap(),
            k.seal(&rng, "ctx", b"v").unwrap()
        );
    }
}
