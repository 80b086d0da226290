//! A member's signing key on their own PKCS#11 token (a USB key, a smart card; SoftHSM2 in
//! tests), for `sealdraw client` (issue 19 §1). The key is ECDSA P-256 like every member key
//! ([`super::member_key`]): generated inside the token, never extractable, and it signs there —
//! CKM_ECDSA over the SHA-256 of the statement, computed here, which gives the `r ‖ s` form
//! the server verifies. Sessions and logins are the server's own module code
//! ([`super::module::Module`]); only the PIN differs: a person types it (or sets it in the
//! environment for a script), and it is never an argument, which other users of the machine
//! could read.

use std::path::Path;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::Rng;
use super::member_key::{MemberPublicKey, MemberSigningKey, SIGNATURE_LEN, digest};
use super::module::{Module, ModuleError, OBJECT_ID_LEN};

/// Where a member's token key is: `pkcs11:<token label>/<key label>` on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenKeyAddress {
    pub token: String,
    pub key: String,
}

impl TokenKeyAddress {
    pub const PREFIX: &str = "pkcs11:";

    /// `pkcs11:<token label>/<key label>`; `None` for anything else (a key file's path).
    pub fn parse(text: &str) -> Option<Result<Self, String>> {
        let rest = text.strip_prefix(Self::PREFIX)?;
        Some(match rest.split_once('/') {
            Some((token, key)) if !token.is_empty() && !key.is_empty() && !key.contains('/') => {
                Ok(Self {
                    token: token.to_owned(),
                    key: key.to_owned(),
                })
            }
            _ => Err(format!(
                "{text:?}: a token key is named pkcs11:<token label>/<key label>"
            )),
        })
    }
}

impl std::fmt::Display for TokenKeyAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}/{}", Self::PREFIX, self.token, self.key)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenKeyError {
    #[error(transparent)]
    Module(#[from] ModuleError),
    #[error("the token holds no key labelled {0:?}; make one with `signing-key init --pkcs11`")]
    NoSuchKey(String),
    #[error("the token's key {0:?} is not an ECDSA P-256 key")]
    NotP256(String),
    #[error("the token's signature is not a 64-byte P-256 signature")]
    BadSignature,
    #[error("randomness unavailable")]
    Randomness,
}

/// A member's P-256 key on a token, logged in. No key material here: the token's object id.
pub struct MemberTokenKey {
    module: Arc<Module>,
    object_id: Vec<u8>,
    public_key: MemberPublicKey,
    address: TokenKeyAddress,
}

impl MemberTokenKey {
    /// The key `address` names, on the token of the PKCS#11 `library`.
    pub fn open(
        library: &Path,
        address: &TokenKeyAddress,
        pin: Zeroizing<String>,
    ) -> Result<Self, TokenKeyError> {
        let module = Module::open_with_typed_pin(library, &address.token, pin)?;
        let object_id = module
            .ec_key_labelled(&address.key)?
            .ok_or_else(|| TokenKeyError::NoSuchKey(address.key.clone()))?;
        Self::with_object(module, object_id, address)
    }

    /// The key `address` names, generated inside the token first if it holds none of that
    /// label. The second value says whether it was generated now.
    pub fn open_or_generate(
        library: &Path,
        address: &TokenKeyAddress,
        pin: Zeroizing<String>,
        rng: &Rng,
    ) -> Result<(Self, bool), TokenKeyError> {
        let module = Module::open_with_typed_pin(library, &address.token, pin)?;
        if let Some(object_id) = module.ec_key_labelled(&address.key)? {
            return Ok((Self::with_object(module, object_id, address)?, false));
        }
        let object_id = rng
            .bytes::<OBJECT_ID_LEN>()
            .map_err(|_| TokenKeyError::Randomness)?;
        module.generate_p256_key(&address.key, object_id)?;
        Ok((
            Self::with_object(module, object_id.to_vec(), address)?,
            true,
        ))
    }

    fn with_object(
        module: Arc<Module>,
        object_id: Vec<u8>,
        address: &TokenKeyAddress,
    ) -> Result<Self, TokenKeyError> {
        let point = module
            .p256_point(&object_id)
            .map_err(|_| TokenKeyError::NotP256(address.key.clone()))?;
        let public_key = MemberPublicKey::from_uncompressed_point(&point)
            .map_err(|_| TokenKeyError::NotP256(address.key.clone()))?;
        Ok(Self {
            module,
            object_id,
            public_key,
            address: address.clone(),
        })
    }

    pub fn public_key(&self) -> &MemberPublicKey {
        &self.public_key
    }

    pub fn address(&self) -> &TokenKeyAddress {
        &self.address
    }

    /// The ECDSA P-256 SHA-256 signature of `message`, made inside the token: `r ‖ s`.
    pub fn sign(&self, message: &[u8]) -> Result<[u8; SIGNATURE_LEN], TokenKeyError> {
        let signature = self
            .module
            .sign_ecdsa_digest(&self.object_id, &digest(message))?;
        let signature: [u8; SIGNATURE_LEN] = signature
            .try_into()
            .map_err(|_| TokenKeyError::BadSignature)?;
        // A token that signed with another key, or garbled its answer, is caught here rather
        // than by the server's refusal.
        if !self.public_key.verify(message, &signature) {
            return Err(TokenKeyError::BadSignature);
        }
        Ok(signature)
    }
}

/// Whatever holds a member's key for `sealdraw client`: a key file's key in memory, or a key
/// on a token.
pub enum MemberSigner {
    KeyFile(MemberSigningKey),
    Token(MemberTokenKey),
}

impl MemberSigner {
    pub fn public_key(&self) -> MemberPublicKey {
        match self {
            Self::KeyFile(key) => key.public_key(),
            Self::Token(key) => key.public_key().clone(),
        }
    }

    pub fn sign(&self, message: &[u8]) -> Result<[u8; SIGNATURE_LEN], TokenKeyError> {
        match self {
            Self::KeyFile(key) => Ok(key.sign(message)),
            Self::Token(key) => key.sign(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_key_addresses_name_a_token_and_a_key_and_nothing_else() {
        assert_eq!(
            TokenKeyAddress::parse("pkcs11:my token/member key"),
            Some(Ok(TokenKeyAddress {
                token: "my token".into(),
                key: "member key".into()
            }))
        );
        assert_eq!(TokenKeyAddress::parse("/home/member/member.key"), None);
        for bad in [
            "pkcs11:",
            "pkcs11:token",
            "pkcs11:/key",
            "pkcs11:token/",
            "pkcs11:a/b/c",
        ] {
            assert!(matches!(TokenKeyAddress::parse(bad), Some(Err(_))), "{bad}");
        }
        let address = TokenKeyAddress::parse("pkcs11:t/k").unwrap().unwrap();
        assert_eq!(address.to_string(), "pkcs11:t/k");
    }
}
