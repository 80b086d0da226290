//! Sealing: AES-256-GCM with a fresh random nonce per value. The associated data binds each
//! ciphertext to where it lives (for example `account/<id>/totp`) and to the id of the key that
//! sealed it, so a ciphertext copied to another row or field, or relabelled with another key
//! id, fails to open. Every ciphertext names its key id so keys can be rotated.
//!
//! Layout: `0x01 ‖ key id length (1 byte) ‖ key id ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroizing;

use super::Rng;

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
}

pub(crate) struct SealingKey {
    pub(super) id: String,
    pub(super) key: LessSafeKey,
}

impl SealingKey {
    pub(crate) fn new(id: String, key_bytes: &[u8; 32]) -> Self {
        // Invariant: AES-256 keys are exactly 32 bytes, which the array type guarantees.
        let unbound = UnboundKey::new(&AES_256_GCM, key_bytes).expect("32-byte AES-256 key");
        Self {
            id,
            key: LessSafeKey::new(unbound),
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
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(associated_data(context, &self.id)),
                &mut in_out,
            )
            .map_err(|_| SealError::Malformed)?;
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
        let plain_len = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(parts.nonce),
                Aad::from(associated_data(context, &self.id)),
                &mut in_out,
            )
            .map_err(|_| SealError::DoesNotOpen)?
            .len();
        in_out.truncate(plain_len);
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
        SealingKey::new(id.into(), &[byte; 32])
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
