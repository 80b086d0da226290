//! Keys held in a cryptographic module over PKCS#11 (an HSM; SoftHSM2 in tests): the master
//! sealing keys are AES-256 keys generated inside the token as sensitive and never extractable,
//! and they encrypt and decrypt (AES-GCM) inside it; the log's signing keys are Ed25519 key
//! pairs generated inside it, and they sign inside it. The process holds object ids, never key
//! material.
//!
//! A module that cannot be reached, refuses the PIN or has lost a key makes the operation fail
//! with [`ModuleError`]; nothing here falls back to software keys. A session the module closed
//! (a restarted HSM, a network HSM's dropped connection) is reopened and logged in again once
//! per operation before the failure is reported.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Where the module is and how to log in: the PKCS#11 library, the token's label, and a file
/// holding the user PIN (read at each login, never kept in the key file or in memory between
/// logins).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleConfig {
    pub library: PathBuf,
    pub token: String,
    pub pin_file: PathBuf,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModuleError {
    #[error("cannot load the PKCS#11 library {library}: {reason}")]
    Library { library: String, reason: String },
    #[error("no token labelled {0:?} is present in the key module")]
    TokenNotFound(String),
    #[error("cannot read the key module's PIN file {path}: {reason}")]
    PinFile { path: String, reason: String },
    #[error("the key module refused the login: {0}")]
    Login(String),
    #[error("the key module holds no {kind} with id {id}")]
    KeyNotFound { kind: &'static str, id: String },
    #[error("the key module is unavailable: {0}")]
    Unavailable(String),
}

/// An AES-GCM tag is 128 bits, as in the software suite, so a value sealed in the module has
/// the same layout as one sealed in software.
const GCM_TAG_BITS: usize = 128;
/// The DER encoding of the Ed25519 curve's OID (1.3.101.112) for `CKA_EC_PARAMS`, which PKCS#11
/// 3.0 and SoftHSM2 accept.
const ED25519_PARAMS: [u8; 5] = [0x06, 0x03, 0x2b, 0x65, 0x70];
pub(crate) const OBJECT_ID_LEN: usize = 16;
/// The DER encoding of P-256's OID (prime256v1, 1.2.840.10045.3.1.7) for `CKA_EC_PARAMS`.
const P256_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// One token of one module, shared by every key ring of the process: PKCS#11 libraries are
/// initialised once per process, and a token's login is shared by all its sessions.
pub(crate) struct Module {
    config: ModuleConfig,
    context: Pkcs11,
    slot: Slot,
    /// Sessions not in use. A session is used by one thread at a time (it is not `Sync`).
    idle: Mutex<Vec<Session>>,
    handles: Mutex<HashMap<(ObjectKind, Vec<u8>), ObjectHandle>>,
    /// A PIN typed by a person (a member's token, `sealdraw client`), kept for the process's
    /// logins instead of the PIN file the server's modules read at each login.
    typed_pin: Option<Zeroizing<String>>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum ObjectKind {
    Sealing,
    Signing,
    Verifying,
}

impl ObjectKind {
    fn class(self) -> ObjectClass {
        match self {
            Self::Sealing => ObjectClass::SECRET_KEY,
            Self::Signing => ObjectClass::PRIVATE_KEY,
            Self::Verifying => ObjectClass::PUBLIC_KEY,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Sealing => "sealing key",
            Self::Signing => "signing key",
            Self::Verifying => "public key",
        }
    }
}

type Libraries = Mutex<HashMap<PathBuf, Pkcs11>>;
type Tokens = Mutex<HashMap<ModuleConfig, Arc<Module>>>;

fn libraries() -> &'static Libraries {
    static LIBRARIES: OnceLock<Libraries> = OnceLock::new();
    LIBRARIES.get_or_init(Default::default)
}

fn tokens() -> &'static Tokens {
    static TOKENS: OnceLock<Tokens> = OnceLock::new();
    TOKENS.get_or_init(Default::default)
}

fn unavailable(error: impl std::fmt::Display) -> ModuleError {
    ModuleError::Unavailable(error.to_string())
}

impl Module {
    /// The module for `config`, logged in; the same one for every caller of the process.
    pub(crate) fn open(config: &ModuleConfig) -> Result<Arc<Self>, ModuleError> {
        let mut tokens = tokens().lock().map_err(unavailable)?;
        if let Some(module) = tokens.get(config) {
            return Ok(module.clone());
        }
        let context = library(&config.library)?;
        let slot = find_token(&context, &config.token)?;
        let module = Arc::new(Self {
            config: config.clone(),
            context,
            slot,
            idle: Mutex::new(Vec::new()),
            handles: Mutex::new(HashMap::new()),
            typed_pin: None,
        });
        // Logs in now, so a wrong PIN or a missing token stops the start, not the first request.
        let session = module.new_session()?;
        module.put_back(session);
        tokens.insert(config.clone(), module.clone());
        Ok(module)
    }

    /// A member's own token (`sealdraw client`), logged in with the PIN they typed or set in
    /// the environment; not shared with the process's other modules.
    pub(crate) fn open_with_typed_pin(
        library: &Path,
        token: &str,
        pin: Zeroizing<String>,
    ) -> Result<Arc<Self>, ModuleError> {
        let context = self::library(library)?;
        let slot = find_token(&context, token)?;
        let module = Arc::new(Self {
            config: ModuleConfig {
                library: library.to_path_buf(),
                token: token.to_owned(),
                pin_file: PathBuf::new(),
            },
            context,
            slot,
            idle: Mutex::new(Vec::new()),
            handles: Mutex::new(HashMap::new()),
            typed_pin: Some(pin),
        });
        let session = module.new_session()?;
        module.put_back(session);
        Ok(module)
    }

    /// Generates an ECDSA P-256 key pair inside the token (a member's signing key): the
    /// private half sensitive, never extractable, signing only. Returns the public point
    /// (uncompressed, 65 bytes).
    pub(crate) fn generate_p256_key(
        &self,
        label: &str,
        object_id: [u8; OBJECT_ID_LEN],
    ) -> Result<Vec<u8>, ModuleError> {
        self.generate_signing_pair(label, object_id, &P256_PARAMS, Mechanism::EccKeyPairGen)?;
        self.p256_point(&object_id)
    }

    /// The object id of the EC private key labelled `label`, if the token holds one.
    pub(crate) fn ec_key_labelled(&self, label: &str) -> Result<Option<Vec<u8>>, ModuleError> {
        let ids = self.with_session(|session| {
            let template = [
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::KeyType(KeyType::EC),
                Attribute::Label(label.as_bytes().to_vec()),
            ];
            let mut ids = Vec::new();
            for handle in session.find_objects(&template)? {
                if let Some(Attribute::Id(id)) = session
                    .get_attributes(handle, &[AttributeType::Id])?
                    .into_iter()
                    .next()
                {
                    ids.push(id);
                }
            }
            Ok(ids)
        })?;
        match ids.as_slice() {
            [] => Ok(None),
            [id] => Ok(Some(id.clone())),
            _ => Err(unavailable(format!(
                "the token holds more than one key labelled {label:?}"
            ))),
        }
    }

    /// The public point of the P-256 key pair `object_id` (uncompressed, 65 bytes).
    pub(crate) fn p256_point(&self, object_id: &[u8]) -> Result<Vec<u8>, ModuleError> {
        let point = self.with_object(ObjectKind::Verifying, object_id, |session, key| {
            session.get_attributes(key, &[AttributeType::EcPoint])
        })?;
        let Some(Attribute::EcPoint(point)) = point.into_iter().next() else {
            return Err(ModuleError::KeyNotFound {
                kind: "public key",
                id: hex::encode(object_id),
            });
        };
        // PKCS#11 has the point as a DER OCTET STRING; some modules give it bare.
        match point.as_slice() {
            [0x04, 65, rest @ ..] if rest.len() == 65 => Ok(rest.to_vec()),
            bare if bare.len() == 65 && bare[0] == 0x04 => Ok(bare.to_vec()),
            _ => Err(unavailable("the module's P-256 public key is malformed")),
        }
    }

    /// An ECDSA signature made inside the token over `digest` (CKM_ECDSA signs a digest
    /// computed outside it): `r ‖ s`, as PKCS#11 gives it.
    pub(crate) fn sign_ecdsa_digest(
        &self,
        object_id: &[u8],
        digest: &[u8],
    ) -> Result<Vec<u8>, ModuleError> {
        self.with_object(ObjectKind::Signing, object_id, |session, key| {
            session.sign(&Mechanism::Ecdsa, key, digest)
        })
    }

    /// Generates a master sealing key inside the token: AES-256, sensitive, never extractable,
    /// usable only to encrypt and decrypt. Returns its object id.
    pub(crate) fn generate_sealing_key(
        &self,
        label: &str,
        object_id: [u8; OBJECT_ID_LEN],
    ) -> Result<(), ModuleError> {
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::ValueLen(32.into()),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Wrap(false),
            Attribute::Unwrap(false),
            Attribute::Sign(false),
            Attribute::Verify(false),
            Attribute::Derive(false),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(object_id.to_vec()),
        ];
        self.with_session(|session| {
            session
                .generate_key(&Mechanism::AesKeyGen, &template)
                .map(|_| ())
        })
    }

    /// Generates an Ed25519 key pair inside the token; the private half is sensitive, never
    /// extractable and signs only. Returns the public key (32 bytes).
    pub(crate) fn generate_signing_key(
        &self,
        label: &str,
        object_id: [u8; OBJECT_ID_LEN],
    ) -> Result<Vec<u8>, ModuleError> {
        self.generate_signing_pair(
            label,
            object_id,
            &ED25519_PARAMS,
            Mechanism::EccEdwardsKeyPairGen,
        )?;
        self.public_key(&object_id)
    }

    /// Generates a key pair of the curve `params` names inside the token: the public half for
    /// verifying, the private half sensitive, never extractable and signing only, both under
    /// `label` and `object_id`.
    fn generate_signing_pair(
        &self,
        label: &str,
        object_id: [u8; OBJECT_ID_LEN],
        params: &[u8],
        mechanism: Mechanism<'_>,
    ) -> Result<(), ModuleError> {
        let public = [
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Verify(true),
            Attribute::EcParams(params.to_vec()),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(object_id.to_vec()),
        ];
        let private = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Decrypt(false),
            Attribute::Derive(false),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(object_id.to_vec()),
        ];
        self.with_session(|session| {
            session
                .generate_key_pair(&mechanism, &public, &private)
                .map(|_| ())
        })
    }

    /// An Ed25519 public key in the token, as 32 bytes.
    pub(crate) fn public_key(&self, object_id: &[u8]) -> Result<Vec<u8>, ModuleError> {
        let point = self.with_object(ObjectKind::Verifying, object_id, |session, key| {
            session.get_attributes(key, &[AttributeType::EcPoint])
        })?;
        let Some(Attribute::EcPoint(point)) = point.into_iter().next() else {
            return Err(ModuleError::KeyNotFound {
                kind: "public key",
                id: hex::encode(object_id),
            });
        };
        // PKCS#11 3.0 has the point as a DER OCTET STRING; some modules give the raw 32 bytes.
        match point.as_slice() {
            [0x04, 32, key @ ..] if key.len() == 32 => Ok(key.to_vec()),
            key if key.len() == 32 => Ok(key.to_vec()),
            _ => Err(unavailable("the module's Ed25519 public key is malformed")),
        }
    }

    /// AES-GCM encryption inside the token: `ciphertext ‖ tag`.
    pub(crate) fn encrypt(
        &self,
        object_id: &[u8],
        nonce: &[u8; 12],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, ModuleError> {
        self.with_object(ObjectKind::Sealing, object_id, |session, key| {
            let mut iv = *nonce;
            let params = GcmParams::new(&mut iv, aad, tag_bits()?)?;
            session.encrypt(&Mechanism::AesGcm(params), key, plaintext)
        })
    }

    /// AES-GCM decryption inside the token; `Ok(None)` when the tag does not verify.
    pub(crate) fn decrypt(
        &self,
        object_id: &[u8],
        nonce: &[u8; 12],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Option<Zeroizing<Vec<u8>>>, ModuleError> {
        let opened = self.with_object(ObjectKind::Sealing, object_id, |session, key| {
            let mut iv = *nonce;
            let params = GcmParams::new(&mut iv, aad, tag_bits()?)?;
            match session.decrypt(&Mechanism::AesGcm(params), key, ciphertext) {
                Ok(plain) => Ok(Some(Zeroizing::new(plain))),
                Err(CkError::Pkcs11(
                    RvError::EncryptedDataInvalid | RvError::EncryptedDataLenRange,
                    _,
                )) => Ok(None),
                Err(other) => Err(other),
            }
        })?;
        Ok(opened)
    }

    /// An Ed25519 signature (RFC 8032, pure) made inside the token.
    pub(crate) fn sign(&self, object_id: &[u8], message: &[u8]) -> Result<Vec<u8>, ModuleError> {
        self.with_object(ObjectKind::Signing, object_id, |session, key| {
            let params = EddsaParams::new(EddsaSignatureScheme::Pure);
            session.sign(&Mechanism::Eddsa(params), key, message)
        })
    }

    /// What the token says about a key's custody: (sensitive, never extractable, generated in
    /// the token). For `sealdraw keys check` and the tests that prove a key cannot leave.
    pub(crate) fn custody(&self, object_id: &[u8], sealing: bool) -> Result<Custody, ModuleError> {
        let kind = if sealing {
            ObjectKind::Sealing
        } else {
            ObjectKind::Signing
        };
        let attributes = self.with_object(kind, object_id, |session, key| {
            session.get_attributes(
                key,
                &[
                    AttributeType::Sensitive,
                    AttributeType::NeverExtractable,
                    AttributeType::Local,
                    AttributeType::Extractable,
                ],
            )
        })?;
        let mut custody = Custody::default();
        for attribute in attributes {
            match attribute {
                Attribute::Sensitive(on) => custody.sensitive = on,
                Attribute::NeverExtractable(on) => custody.never_extractable = on,
                Attribute::Local(on) => custody.generated_inside = on,
                Attribute::Extractable(on) => custody.extractable = on,
                _ => {}
            }
        }
        Ok(custody)
    }

    fn with_object<T>(
        &self,
        kind: ObjectKind,
        object_id: &[u8],
        operation: impl Fn(&Session, ObjectHandle) -> Result<T, CkError>,
    ) -> Result<T, ModuleError> {
        let found = self.with_session(|session| {
            let handle = match self.cached(kind, object_id) {
                Some(handle) => handle,
                None => {
                    let template = [
                        Attribute::Class(kind.class()),
                        Attribute::Id(object_id.to_vec()),
                    ];
                    let Some(handle) = session.find_objects(&template)?.into_iter().next() else {
                        return Ok(None);
                    };
                    self.remember(kind, object_id, handle);
                    handle
                }
            };
            operation(session, handle).map(Some)
        })?;
        found.ok_or_else(|| ModuleError::KeyNotFound {
            kind: kind.name(),
            id: hex::encode(object_id),
        })
    }

    /// Runs `operation` on an idle session (or a new one, logged in). A session or login the
    /// module dropped is reopened once; any other failure is the module's answer.
    fn with_session<T>(
        &self,
        mut operation: impl FnMut(&Session) -> Result<T, CkError>,
    ) -> Result<T, ModuleError> {
        let session = match self.idle.lock().map_err(unavailable)?.pop() {
            Some(session) => session,
            None => self.new_session()?,
        };
        match operation(&session) {
            Ok(value) => {
                self.put_back(session);
                Ok(value)
            }
            Err(error) if lost_session(&error) || lost_object(&error) => {
                drop(session);
                self.forget_sessions_and_handles();
                let session = self.new_session()?;
                let value = operation(&session).map_err(|e| self.failure(e))?;
                self.put_back(session);
                Ok(value)
            }
            Err(error) => {
                self.put_back(session);
                Err(self.failure(error))
            }
        }
    }

    fn failure(&self, error: CkError) -> ModuleError {
        unavailable(format!("token {:?}: {error}", self.config.token))
    }

    fn new_session(&self) -> Result<Session, ModuleError> {
        let session = self
            .context
            .open_rw_session(self.slot)
            .map_err(|e| self.failure(e))?;
        let pin = match &self.typed_pin {
            Some(pin) => AuthPin::from(pin.as_str().to_owned()),
            None => read_pin(&self.config.pin_file)?,
        };
        match session.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
            Err(CkError::Pkcs11(
                rv @ (RvError::PinIncorrect | RvError::PinLocked | RvError::PinExpired),
                _,
            )) => Err(ModuleError::Login(rv.to_string())),
            Err(other) => Err(self.failure(other)),
        }
    }

    fn put_back(&self, session: Session) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(session);
        }
    }

    fn forget_sessions_and_handles(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
        if let Ok(mut handles) = self.handles.lock() {
            handles.clear();
        }
    }

    fn cached(&self, kind: ObjectKind, object_id: &[u8]) -> Option<ObjectHandle> {
        self.handles
            .lock()
            .ok()?
            .get(&(kind, object_id.to_vec()))
            .copied()
    }

    fn remember(&self, kind: ObjectKind, object_id: &[u8], handle: ObjectHandle) {
        if let Ok(mut handles) = self.handles.lock() {
            handles.insert((kind, object_id.to_vec()), handle);
        }
    }
}

/// A key's custody as the token reports it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Custody {
    pub sensitive: bool,
    pub never_extractable: bool,
    pub generated_inside: bool,
    pub extractable: bool,
}

fn tag_bits() -> Result<cryptoki::types::Ulong, CkError> {
    cryptoki::types::Ulong::try_from(GCM_TAG_BITS)
}

fn lost_session(error: &CkError) -> bool {
    matches!(
        error,
        CkError::Pkcs11(
            RvError::SessionHandleInvalid
                | RvError::SessionClosed
                | RvError::UserNotLoggedIn
                | RvError::DeviceRemoved
                | RvError::TokenNotPresent
                | RvError::DeviceError,
            _
        )
    )
}

fn lost_object(error: &CkError) -> bool {
    matches!(
        error,
        CkError::Pkcs11(RvError::KeyHandleInvalid | RvError::ObjectHandleInvalid, _)
    )
}

fn library(path: &Path) -> Result<Pkcs11, ModuleError> {
    let mut libraries = libraries().lock().map_err(unavailable)?;
    if let Some(context) = libraries.get(path) {
        return Ok(context.clone());
    }
    let failed = |reason: String| ModuleError::Library {
        library: path.display().to_string(),
        reason,
    };
    let context = Pkcs11::new(path).map_err(|e| failed(e.to_string()))?;
    match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(other) => return Err(failed(other.to_string())),
    }
    libraries.insert(path.to_path_buf(), context.clone());
    Ok(context)
}

fn find_token(context: &Pkcs11, label: &str) -> Result<Slot, ModuleError> {
    for slot in context.get_slots_with_token().map_err(unavailable)? {
        // Another token of the module may be unreadable (being made by another application,
        // or faulty); that is not a reason to refuse ours.
        let Ok(info) = context.get_token_info(slot) else {
            continue;
        };
        if info.label().trim_end() == label {
            return Ok(slot);
        }
    }
    Err(ModuleError::TokenNotFound(label.to_owned()))
}

/// Closes every session and finalises every PKCS#11 library this process loaded: what a
/// process does before it exits, once nothing uses the module any more. Without it, some
/// modules (SoftHSM2 over OpenSSL 3 among them) tear down their state in exit-time destructors
/// in an order that can crash the exiting process. A key ring still held afterwards fails
/// closed (the module answers nothing), and a new [`Module::open`] initialises it again.
pub fn finalize_all() {
    if let Ok(mut tokens) = tokens().lock() {
        for module in tokens.values() {
            module.forget_sessions_and_handles();
        }
        tokens.clear();
    }
    if let Ok(mut libraries) = libraries().lock() {
        for (_, context) in libraries.drain() {
            if let Err(error) = context.finalize() {
                tracing::warn!(%error, "could not finalise a PKCS#11 library");
            }
        }
    }
}

fn read_pin(path: &Path) -> Result<AuthPin, ModuleError> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| ModuleError::PinFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?,
    );
    let pin = text.trim_end_matches(['\r', '\n']);
    if pin.is_empty() {
        return Err(ModuleError::PinFile {
            path: path.display().to_string(),
            reason: "it is empty".into(),
        });
    }
    Ok(AuthPin::from(pin.to_owned()))
}
