//! The key ring: every long-lived key the server holds, loaded from one key file that lives
//! outside the database (a stolen database or backup must not carry its own keys). Production
//! deployments put an HSM or KMS behind this same type.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::module::{Custody, Module, ModuleConfig, ModuleError, OBJECT_ID_LEN};
use super::seal::{SealError, SealingKey};
use super::signing::SignatureAlgorithm;
use super::{MacPrefix, Rng, SecretBytes, Signer, Suite};

const FORMAT: &str = "sealdraw-keys/v1";
const MODULE_FORMAT: &str = "sealdraw-keys-pkcs11/v1";
/// Where the MAC keys of a module key file are sealed (the associated data of their envelope).
const INDEX_KEY_CONTEXT: &str = "keys/index_key";
const TOKEN_KEY_CONTEXT: &str = "keys/token_key";

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("key file {path} cannot be read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("key file {path} cannot be written: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("key file {0} already exists; refusing to overwrite keys")]
    Exists(String),
    #[error("key file is not valid: {0}")]
    Invalid(String),
    #[error("randomness unavailable")]
    Randomness,
    #[error(transparent)]
    Module(#[from] ModuleError),
}

pub struct KeyRing {
    suite: Suite,
    /// Reloadable, so running servers follow a sealing-key rotation without a restart.
    sealing: RwLock<SealingKeys>,
    /// Where the ring came from, and when it was last compared with the file.
    source: Option<PathBuf>,
    last_checked: Mutex<Option<Instant>>,
    index_key: SecretBytes,
    token_key: SecretBytes,
    log_signing: Vec<LogKey>,
}

struct SealingKeys {
    keys: Vec<Arc<SealingKey>>,
    active: usize,
}

/// How often sealing may notice a rotated key file.
pub(crate) const RELOAD_CHECK_INTERVAL: Duration = Duration::from_secs(5);

/// A log signing key as the key file lists it. Its seed stays inside the signer: the log signs
/// through [`LogKey::signer`] and never sees the key itself.
pub struct LogKey {
    pub id: String,
    pub(crate) active: bool,
    pub signer: Arc<Signer>,
}

impl LogKey {
    /// Whether the key still signs (a retired one is kept only to name old signatures).
    pub fn is_active(&self) -> bool {
        self.active
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    format: String,
    suite: Suite,
    /// The national suite's SM2 distinguishing identifier for the log's signatures, when the
    /// deployment agreed on another than GB/T 35276's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sm2_distinguishing_id: Option<String>,
    sealing: Vec<KeyFileEntry>,
    active_sealing: String,
    index_key: Zeroizing<String>,
    token_key: Zeroizing<String>,
    log_signing: Vec<KeyFileLogKey>,
}

/// The key file of a deployment whose keys are in a PKCS#11 module: it names the module and
/// the keys' object ids, never key material. The MAC keys (blind index, tokens), which the
/// server needs in memory for its bulk work, are here sealed under a master key of the module
/// (envelope), so the file is useless without the module.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleKeyFile {
    format: String,
    suite: Suite,
    module: ModuleConfig,
    sealing: Vec<ModuleKeyEntry>,
    active_sealing: String,
    index_key: String,
    token_key: String,
    log_signing: Vec<ModuleLogKey>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleKeyEntry {
    id: String,
    /// The key's `CKA_ID` in the token, hex.
    object: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleLogKey {
    id: String,
    object: String,
    active: bool,
}

/// Either kind of key file, told apart by its `format`.
enum AnyKeyFile {
    InFile(KeyFile),
    InModule(ModuleKeyFile),
}

#[derive(Deserialize)]
struct FormatProbe {
    format: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileEntry {
    id: String,
    key: Zeroizing<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileLogKey {
    id: String,
    seed: Zeroizing<String>,
    active: bool,
}

impl KeyRing {
    /// Creates a new key file for `suite`; refuses to replace an existing one, since losing the
    /// sealing key makes every sealed record unreadable. The suite is chosen here once: every
    /// key in the file is of its algorithms, and the database remembers it (startup refuses a
    /// key file of another suite).
    pub fn init_file(
        path: &Path,
        rng: &Rng,
        created_at: &str,
        suite: Suite,
    ) -> Result<(), KeyFileError> {
        if path.exists() {
            return Err(KeyFileError::Exists(path.display().to_string()));
        }
        let sealing_id = new_key_id("seal", rng, created_at)?;
        let file = KeyFile {
            format: FORMAT.into(),
            suite,
            sm2_distinguishing_id: None,
            sealing: vec![KeyFileEntry {
                id: sealing_id.clone(),
                key: fresh_key(rng, suite.sealing_key_len())?,
            }],
            active_sealing: sealing_id,
            index_key: fresh_key(rng, MAC_KEY_LEN)?,
            token_key: fresh_key(rng, MAC_KEY_LEN)?,
            log_signing: vec![KeyFileLogKey {
                id: new_key_id("log", rng, created_at)?,
                seed: fresh_signing_seed(rng, suite)?,
                active: true,
            }],
        };
        write_private_file(path, &AnyKeyFile::InFile(file))
    }

    /// Creates a key file whose keys are generated in, and never leave, the PKCS#11 module
    /// `module` (see [`super::module`]). PKCS#11 defines no SM mechanisms, so this backend
    /// holds `intl2024` keys; docs/CRYPTO.md says how a certified module with SM algorithms
    /// plugs into the same seam.
    pub fn init_module_file(
        path: &Path,
        rng: &Rng,
        created_at: &str,
        suite: Suite,
        module: &ModuleConfig,
    ) -> Result<(), KeyFileError> {
        if suite != Suite::Intl2024 {
            return Err(KeyFileError::Invalid(format!(
                "a PKCS#11 module holds {} keys; the {suite} suite needs a module with SM \
                 mechanisms behind its vendor's interface (docs/CRYPTO.md)",
                Suite::Intl2024
            )));
        }
        if path.exists() {
            return Err(KeyFileError::Exists(path.display().to_string()));
        }
        let token = Module::open(module)?;
        let sealing = new_module_sealing_key(&token, rng, created_at)?;
        let master = SealingKey::in_module(
            sealing.id.clone(),
            token.clone(),
            decode_object_id(&sealing.object)?,
        );
        let seal_mac_key = |context| -> Result<String, KeyFileError> {
            let key = Zeroizing::new(
                rng.bytes::<MAC_KEY_LEN>()
                    .map_err(|_| KeyFileError::Randomness)?,
            );
            let sealed = master
                .seal(rng, context, &*key)
                .map_err(|e| KeyFileError::Invalid(format!("cannot seal the MAC keys: {e}")))?;
            Ok(B64.encode(sealed))
        };
        let file = ModuleKeyFile {
            format: MODULE_FORMAT.into(),
            suite,
            module: module.clone(),
            active_sealing: sealing.id.clone(),
            index_key: seal_mac_key(INDEX_KEY_CONTEXT)?,
            token_key: seal_mac_key(TOKEN_KEY_CONTEXT)?,
            sealing: vec![sealing],
            log_signing: vec![new_module_log_key(&token, rng, created_at)?],
        };
        write_private_file(path, &AnyKeyFile::InModule(file))
    }

    pub fn load(path: &Path) -> Result<Self, KeyFileError> {
        let mut ring = Self::from_any(read_key_file(path)?)?;
        ring.source = Some(path.to_path_buf());
        Ok(ring)
    }

    /// Where each key is held, for `sealdraw keys check`: the module's account of every key's
    /// custody, or `None` for keys in the file.
    pub(crate) fn custody(path: &Path) -> Result<Option<Vec<(String, Custody)>>, KeyFileError> {
        let AnyKeyFile::InModule(file) = read_key_file(path)? else {
            return Ok(None);
        };
        let token = Module::open(&file.module)?;
        let mut keys = Vec::new();
        for entry in &file.sealing {
            let custody = token.custody(&decode_object_id(&entry.object)?, true)?;
            keys.push((entry.id.clone(), custody));
        }
        for entry in &file.log_signing {
            let custody = token.custody(&decode_object_id(&entry.object)?, false)?;
            keys.push((entry.id.clone(), custody));
        }
        Ok(Some(keys))
    }

    /// Starts a sealing-key rotation: a new master key becomes active for new values; the old
    /// ones stay so existing values open until they are re-sealed. Returns the new key id.
    pub(crate) fn add_sealing_key(
        path: &Path,
        rng: &Rng,
        created_at: &str,
    ) -> Result<String, KeyFileError> {
        let id = match read_key_file(path)? {
            AnyKeyFile::InFile(mut file) => {
                let id = new_key_id("seal", rng, created_at)?;
                file.sealing.push(KeyFileEntry {
                    id: id.clone(),
                    key: fresh_key(rng, file.suite.sealing_key_len())?,
                });
                file.active_sealing = id.clone();
                replace_private_file(path, &AnyKeyFile::InFile(file))?;
                id
            }
            AnyKeyFile::InModule(mut file) => {
                let entry = new_module_sealing_key(&*Module::open(&file.module)?, rng, created_at)?;
                let id = entry.id.clone();
                file.sealing.push(entry);
                file.active_sealing = id.clone();
                replace_private_file(path, &AnyKeyFile::InModule(file))?;
                id
            }
        };
        Ok(id)
    }

    /// Re-reads the sealing keys from the key file.
    pub(crate) fn reload_sealing_keys(&self) -> Result<(), KeyFileError> {
        let Some(path) = &self.source else {
            return Ok(());
        };
        let fresh = Self::from_any(read_key_file(path)?)?;
        let keys = fresh
            .sealing
            .into_inner()
            .map_err(|_| KeyFileError::Invalid("key ring lock poisoned".into()))?;
        *self
            .sealing
            .write()
            .map_err(|_| KeyFileError::Invalid("key ring lock poisoned".into()))? = keys;
        Ok(())
    }

    fn reload_now_and_then(&self) {
        let Ok(mut last) = self.last_checked.lock() else {
            return;
        };
        if last.is_some_and(|at| at.elapsed() < RELOAD_CHECK_INTERVAL) {
            return;
        }
        *last = Some(Instant::now());
        if let Err(error) = self.reload_sealing_keys() {
            tracing::error!(%error, "cannot reload the key file; sealing with the keys already loaded");
        }
    }

    fn sealing_key(&self, id: Option<&str>) -> Option<Arc<SealingKey>> {
        let keys = self.sealing.read().ok()?;
        match id {
            Some(id) => keys.keys.iter().find(|k| k.id == id).cloned(),
            None => keys.keys.get(keys.active).cloned(),
        }
    }

    /// Starts a log key rotation: adds a new active log signing key beside the current ones,
    /// so checkpoints carry both signatures until the old key is retired. Returns the new id.
    pub(crate) fn add_log_key(
        path: &Path,
        rng: &Rng,
        created_at: &str,
    ) -> Result<String, KeyFileError> {
        match read_key_file(path)? {
            AnyKeyFile::InFile(mut file) => {
                let id = new_key_id("log", rng, created_at)?;
                file.log_signing.push(KeyFileLogKey {
                    id: id.clone(),
                    seed: fresh_signing_seed(rng, file.suite)?,
                    active: true,
                });
                replace_private_file(path, &AnyKeyFile::InFile(file))?;
                Ok(id)
            }
            AnyKeyFile::InModule(mut file) => {
                let entry = new_module_log_key(&*Module::open(&file.module)?, rng, created_at)?;
                let id = entry.id.clone();
                file.log_signing.push(entry);
                replace_private_file(path, &AnyKeyFile::InModule(file))?;
                Ok(id)
            }
        }
    }

    /// Ends a rotation: the key stops signing. Refuses to retire the last active key.
    pub(crate) fn retire_log_key(path: &Path, id: &str) -> Result<(), KeyFileError> {
        let mut file = read_key_file(path)?;
        let mut keys: Vec<(&str, &mut bool)> = match &mut file {
            AnyKeyFile::InFile(file) => file
                .log_signing
                .iter_mut()
                .map(|k| (k.id.as_str(), &mut k.active))
                .collect(),
            AnyKeyFile::InModule(file) => file
                .log_signing
                .iter_mut()
                .map(|k| (k.id.as_str(), &mut k.active))
                .collect(),
        };
        let active_others = keys
            .iter()
            .filter(|(key, active)| **active && *key != id)
            .count();
        let active = keys
            .iter_mut()
            .find(|(key, active)| *key == id && **active)
            .map(|(_, active)| active)
            .ok_or_else(|| KeyFileError::Invalid(format!("no active log key {id:?}")))?;
        if active_others == 0 {
            return Err(KeyFileError::Invalid(format!(
                "{id:?} is the only active log key; add its successor first"
            )));
        }
        **active = false;
        drop(keys);
        replace_private_file(path, &file)
    }

    fn from_any(file: AnyKeyFile) -> Result<Self, KeyFileError> {
        match file {
            AnyKeyFile::InFile(file) => Self::from_file(file),
            AnyKeyFile::InModule(file) => Self::from_module_file(file),
        }
    }

    fn from_module_file(file: ModuleKeyFile) -> Result<Self, KeyFileError> {
        if file.suite != Suite::Intl2024 {
            return Err(KeyFileError::Invalid(format!(
                "a PKCS#11 key file holds {} keys, not {}",
                Suite::Intl2024,
                file.suite
            )));
        }
        let token = Module::open(&file.module)?;
        let sealing = file
            .sealing
            .iter()
            .map(|entry| {
                let object = decode_object_id(&entry.object)?;
                Ok(Arc::new(SealingKey::in_module(
                    entry.id.clone(),
                    token.clone(),
                    object,
                )))
            })
            .collect::<Result<Vec<_>, KeyFileError>>()?;
        let active_sealing = position_of_active(&sealing, &file.active_sealing)?;
        let open_mac_key = |name: &str, context: &str, sealed: &str| {
            let sealed = B64
                .decode(sealed.as_bytes())
                .map_err(|_| KeyFileError::Invalid(format!("key {name} is not base64")))?;
            let key_id = super::seal::SealedParts::parse(&sealed)
                .map_err(|e| KeyFileError::Invalid(format!("key {name}: {e}")))?
                .key_id;
            let master = sealing.iter().find(|k| k.id == key_id).ok_or_else(|| {
                KeyFileError::Invalid(format!(
                    "key {name} is sealed under {key_id:?}, not in the file"
                ))
            })?;
            let plain = master.open(context, &sealed).map_err(|e| match e {
                SealError::Module(e) => KeyFileError::Module(e),
                other => KeyFileError::Invalid(format!("key {name}: {other}")),
            })?;
            if plain.len() != MAC_KEY_LEN {
                return Err(KeyFileError::Invalid(format!(
                    "key {name} is not {MAC_KEY_LEN} bytes"
                )));
            }
            Ok(SecretBytes::new(plain.to_vec()))
        };
        let index_key = open_mac_key("index_key", INDEX_KEY_CONTEXT, &file.index_key)?;
        let token_key = open_mac_key("token_key", TOKEN_KEY_CONTEXT, &file.token_key)?;
        let log_signing = file
            .log_signing
            .iter()
            .map(|k| {
                let signer = Signer::in_module(token.clone(), decode_object_id(&k.object)?)?;
                Ok(LogKey {
                    id: k.id.clone(),
                    active: k.active,
                    signer: Arc::new(signer),
                })
            })
            .collect::<Result<Vec<_>, KeyFileError>>()?;
        Self::assemble(
            file.suite,
            sealing,
            active_sealing,
            index_key,
            token_key,
            log_signing,
        )
    }

    fn from_file(file: KeyFile) -> Result<Self, KeyFileError> {
        if file.format != FORMAT {
            return Err(KeyFileError::Invalid(format!(
                "format {:?} is not {FORMAT}",
                file.format
            )));
        }
        let suite = file.suite;
        let mut sealing = Vec::with_capacity(file.sealing.len());
        for entry in &file.sealing {
            let key = decode_key(&entry.key, &entry.id, suite.sealing_key_len())?;
            let key = SealingKey::new(suite, entry.id.clone(), &key)
                .map_err(|e| KeyFileError::Invalid(format!("sealing key {}: {e}", entry.id)))?;
            sealing.push(Arc::new(key));
        }
        let signing_algorithm = match (suite, &file.sm2_distinguishing_id) {
            (Suite::Gm2024, Some(id)) => {
                if id.is_empty() || id.len() > super::suite::MAX_SM2_ID_LEN || !id.is_ascii() {
                    return Err(KeyFileError::Invalid(format!(
                        "sm2_distinguishing_id must be 1 to {} ASCII characters",
                        super::suite::MAX_SM2_ID_LEN
                    )));
                }
                SignatureAlgorithm::Sm2 {
                    distinguishing_id: id.clone(),
                }
            }
            (Suite::Intl2024, Some(_)) => {
                return Err(KeyFileError::Invalid(
                    "sm2_distinguishing_id is for the gm2024 suite only".into(),
                ));
            }
            (_, None) => SignatureAlgorithm::of(suite),
        };
        let active_sealing = position_of_active(&sealing, &file.active_sealing)?;
        let log_signing = file
            .log_signing
            .iter()
            .map(|k| {
                let seed = decode_key(&k.seed, &k.id, super::signing::SEED_LEN)?;
                let signer = Signer::with_algorithm(&signing_algorithm, &seed)
                    .map_err(|e| KeyFileError::Invalid(format!("log key {}: {e}", k.id)))?;
                Ok(LogKey {
                    id: k.id.clone(),
                    active: k.active,
                    signer: Arc::new(signer),
                })
            })
            .collect::<Result<Vec<_>, KeyFileError>>()?;
        Self::assemble(
            suite,
            sealing,
            active_sealing,
            SecretBytes::new(decode_key(&file.index_key, "index_key", MAC_KEY_LEN)?.to_vec()),
            SecretBytes::new(decode_key(&file.token_key, "token_key", MAC_KEY_LEN)?.to_vec()),
            log_signing,
        )
    }

    fn assemble(
        suite: Suite,
        sealing: Vec<Arc<SealingKey>>,
        active_sealing: usize,
        index_key: SecretBytes,
        token_key: SecretBytes,
        log_signing: Vec<LogKey>,
    ) -> Result<Self, KeyFileError> {
        if !log_signing.iter().any(|k| k.active) {
            return Err(KeyFileError::Invalid("no active log signing key".into()));
        }
        Ok(Self {
            suite,
            sealing: RwLock::new(SealingKeys {
                keys: sealing,
                active: active_sealing,
            }),
            source: None,
            last_checked: Mutex::new(None),
            index_key,
            token_key,
            log_signing,
        })
    }

    pub(crate) fn suite(&self) -> Suite {
        self.suite
    }

    pub(crate) fn active_sealing_key_id(&self) -> String {
        self.sealing_key(None)
            .map(|k| k.id.clone())
            .unwrap_or_default()
    }

    /// Every sealing key the ring can open with, oldest first (ids only).
    pub(crate) fn sealing_key_ids(&self) -> Vec<String> {
        self.sealing
            .read()
            .map(|keys| keys.keys.iter().map(|k| k.id.clone()).collect())
            .unwrap_or_default()
    }

    /// Seals under the active master key (after noticing a rotation, at most every few seconds).
    pub(crate) fn seal(
        &self,
        rng: &Rng,
        context: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        self.reload_now_and_then();
        let key = self
            .sealing_key(None)
            .ok_or_else(|| SealError::UnknownKey("active".into()))?;
        key.seal(rng, context, plaintext)
    }

    /// Opens with whichever key the ciphertext names, so values sealed before a rotation still
    /// open while they are being re-sealed.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let parts = super::seal::SealedParts::parse(sealed)?;
        let key = match self.sealing_key(Some(parts.key_id)) {
            Some(key) => key,
            // Sealed by another instance after a rotation this one has not loaded yet.
            None => {
                if let Err(error) = self.reload_sealing_keys() {
                    tracing::error!(%error, "cannot reload the key file");
                }
                self.sealing_key(Some(parts.key_id))
                    .ok_or_else(|| SealError::UnknownKey(parts.key_id.to_owned()))?
            }
        };
        key.open(context, sealed)
    }

    /// One step of a sealing-key rotation: a value sealed under an older master key, sealed
    /// again for the same `context` under the active one; `None` if it is under the active key
    /// already. Walking the stored values is the caller's part (`rotation::reseal_all`).
    pub(crate) fn reseal(
        &self,
        rng: &Rng,
        context: &str,
        sealed: &[u8],
    ) -> Result<Option<Vec<u8>>, SealError> {
        if super::seal::SealedParts::parse(sealed)?.key_id == self.active_sealing_key_id() {
            return Ok(None);
        }
        let plain = self.open(context, sealed)?;
        self.seal(rng, context, &plain).map(Some)
    }

    /// The suite's HMAC under the blind-index key, for matching values without decrypting
    /// them.
    pub fn blind_index(&self, domain: &str, normalised: &str) -> [u8; 32] {
        self.suite.mac(
            self.index_key.expose(),
            &[domain.as_bytes(), b"\0", normalised.as_bytes()],
        )
    }

    /// The suite's HMAC under the token key, for pseudonymous tokens.
    pub(crate) fn token_mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        self.suite.mac(self.token_key.expose(), parts)
    }

    /// The suite's HMAC under the token key of many messages starting with `prefix` (see
    /// [`MacPrefix`]).
    pub(crate) fn token_macs(&self, prefix: &[u8]) -> MacPrefix {
        MacPrefix::new(self.suite, self.token_key.expose(), prefix)
    }

    /// A fresh data key for one record (envelope sealing: the record's fields are sealed under
    /// it, and it is sealed under the master key for `context`). Returns the key to seal with
    /// and its sealed form to store; the plain key never leaves this module.
    pub(crate) fn new_data_key(
        &self,
        rng: &Rng,
        context: &str,
        data_key_id: &str,
    ) -> Result<(SealingKey, Vec<u8>), SealError> {
        let mut plain = Zeroizing::new(vec![0u8; self.suite.sealing_key_len()]);
        rng.fill(&mut plain).map_err(|_| SealError::Randomness)?;
        let sealed = self.seal(rng, context, &plain)?;
        let key = SealingKey::new(self.suite, data_key_id.to_owned(), &plain)
            .map_err(|_| SealError::Malformed)?;
        Ok((key, sealed))
    }

    /// The data key sealed for `context` by [`KeyRing::new_data_key`], ready to open or seal
    /// the record's fields.
    pub(crate) fn open_data_key(
        &self,
        context: &str,
        sealed: &[u8],
        data_key_id: &str,
    ) -> Result<SealingKey, SealError> {
        let plain = self.open(context, sealed)?;
        SealingKey::new(self.suite, data_key_id.to_owned(), &plain)
            .map_err(|_| SealError::Malformed)
    }

    /// An expert's stable supervisor pseudonym (DESIGN §3): the same expert always maps to the
    /// same value, which reveals neither the expert id nor the identity.
    pub fn expert_pseudonym(&self, expert_id: &str) -> String {
        hex::encode(&self.token_mac(&[b"pseudonym", expert_id.as_bytes()])[..16])
    }

    /// Every log key in the file, retired ones included (they no longer sign).
    pub fn log_keys(&self) -> &[LogKey] {
        &self.log_signing
    }
}

/// Which keys a ring holds, by id: what administrators and supervisors may see. No key
/// material.
pub(crate) struct KeyIds {
    pub(crate) suite: Suite,
    /// The master key new values are sealed under.
    pub(crate) active_sealing_key: String,
    /// Every sealing key the ring can still open with.
    pub(crate) sealing_keys: Vec<String>,
    /// Every log key's id, and whether it still signs.
    pub log_keys: Vec<(String, bool)>,
}

/// A handle on the key ring that tells which keys it holds and nothing else: what the HTTPS
/// surface holds instead of the ring. Read on each call, since the sealing keys can be
/// reloaded from the file while the server runs.
#[derive(Clone)]
pub struct KeyInventory(Arc<KeyRing>);

impl KeyInventory {
    pub(crate) fn new(keys: Arc<KeyRing>) -> Self {
        Self(keys)
    }

    pub(crate) fn ids(&self) -> KeyIds {
        let keys = &self.0;
        KeyIds {
            suite: keys.suite(),
            active_sealing_key: keys.active_sealing_key_id(),
            sealing_keys: keys.sealing_key_ids(),
            log_keys: keys
                .log_keys()
                .iter()
                .map(|key| (key.id.clone(), key.active))
                .collect(),
        }
    }
}

/// HMAC keys (blind index, tokens) are 32 bytes in both suites: SHA-256's and SM3's output
/// length, as RFC 2104 recommends.
const MAC_KEY_LEN: usize = 32;

fn decode_key(encoded: &str, name: &str, len: usize) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
    let bytes = Zeroizing::new(
        B64.decode(encoded.as_bytes())
            .map_err(|_| KeyFileError::Invalid(format!("key {name} is not base64")))?,
    );
    if bytes.len() != len {
        return Err(KeyFileError::Invalid(format!(
            "key {name} is not {len} bytes"
        )));
    }
    Ok(bytes)
}

fn fresh_key(rng: &Rng, len: usize) -> Result<Zeroizing<String>, KeyFileError> {
    let mut bytes = Zeroizing::new(vec![0u8; len]);
    rng.fill(&mut bytes).map_err(|_| KeyFileError::Randomness)?;
    Ok(Zeroizing::new(B64.encode(&*bytes)))
}

fn fresh_signing_seed(rng: &Rng, suite: Suite) -> Result<Zeroizing<String>, KeyFileError> {
    let seed = Signer::generate_seed(suite, rng).map_err(|_| KeyFileError::Randomness)?;
    Ok(Zeroizing::new(B64.encode(*seed)))
}

/// `<prefix>-<YYYYMMDD>-<6 hex>`: sortable by creation day, unique in practice, and telling the
/// operator which key a ciphertext or signature names.
fn new_key_id(prefix: &str, rng: &Rng, created_at: &str) -> Result<String, KeyFileError> {
    let day: String = created_at
        .chars()
        .filter(char::is_ascii_digit)
        .take(8)
        .collect();
    let suffix = hex::encode(rng.bytes::<3>().map_err(|_| KeyFileError::Randomness)?);
    Ok(format!("{prefix}-{day}-{suffix}"))
}

fn position_of_active(sealing: &[Arc<SealingKey>], active: &str) -> Result<usize, KeyFileError> {
    sealing.iter().position(|k| k.id == active).ok_or_else(|| {
        KeyFileError::Invalid(format!("active sealing key {active:?} is not in the file"))
    })
}

fn decode_object_id(hex_id: &str) -> Result<Vec<u8>, KeyFileError> {
    hex::decode(hex_id)
        .ok()
        .filter(|id| id.len() == OBJECT_ID_LEN)
        .ok_or_else(|| {
            KeyFileError::Invalid(format!(
                "object id {hex_id:?} is not {OBJECT_ID_LEN} bytes of hex"
            ))
        })
}

fn new_module_sealing_key(
    token: &Module,
    rng: &Rng,
    created_at: &str,
) -> Result<ModuleKeyEntry, KeyFileError> {
    let (id, object) = new_module_key("seal", rng, created_at, |label, object| {
        token.generate_sealing_key(label, object)
    })?;
    Ok(ModuleKeyEntry { id, object })
}

fn new_module_log_key(
    token: &Module,
    rng: &Rng,
    created_at: &str,
) -> Result<ModuleLogKey, KeyFileError> {
    let (id, object) = new_module_key("log", rng, created_at, |label, object| {
        token.generate_signing_key(label, object).map(|_| ())
    })?;
    Ok(ModuleLogKey {
        id,
        object,
        active: true,
    })
}

/// A new key id and object id, and the key made in the module under them by `generate`.
fn new_module_key(
    prefix: &str,
    rng: &Rng,
    created_at: &str,
    generate: impl FnOnce(&str, [u8; OBJECT_ID_LEN]) -> Result<(), ModuleError>,
) -> Result<(String, String), KeyFileError> {
    let id = new_key_id(prefix, rng, created_at)?;
    let object = rng
        .bytes::<OBJECT_ID_LEN>()
        .map_err(|_| KeyFileError::Randomness)?;
    generate(&id, object)?;
    Ok((id, hex::encode(object)))
}

fn read_key_file(path: &Path) -> Result<AnyKeyFile, KeyFileError> {
    let text =
        Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
                path: path.display().to_string(),
                source,
            })?,
        );
    parse_key_file(&text)
}

/// Whether `text` is a key file of either format (its keys are not loaded).
pub(super) fn check_key_file_text(text: &str) -> Result<(), KeyFileError> {
    parse_key_file(text).map(|_| ())
}

/// A key file's text, of either format.
fn parse_key_file(text: &str) -> Result<AnyKeyFile, KeyFileError> {
    let invalid = |e: serde_json::Error| KeyFileError::Invalid(e.to_string());
    let probe: FormatProbe = serde_json::from_str(text).map_err(invalid)?;
    match probe.format.as_str() {
        FORMAT => Ok(AnyKeyFile::InFile(
            serde_json::from_str(text).map_err(invalid)?,
        )),
        MODULE_FORMAT => Ok(AnyKeyFile::InModule(
            serde_json::from_str(text).map_err(invalid)?,
        )),
        other => Err(KeyFileError::Invalid(format!(
            "format {other:?} is neither {FORMAT} nor {MODULE_FORMAT}"
        ))),
    }
}

/// Writes beside the file and renames over it, so a crash leaves the old or the new file,
/// never a torn one.
fn replace_private_file(path: &Path, file: &AnyKeyFile) -> Result<(), KeyFileError> {
    let staging = path.with_extension("new");
    let _ = std::fs::remove_file(&staging);
    write_private_file(&staging, file)?;
    std::fs::rename(&staging, path).map_err(|source| KeyFileError::Write {
        path: path.display().to_string(),
        source,
    })
}

fn write_private_file(path: &Path, file: &AnyKeyFile) -> Result<(), KeyFileError> {
    let text = match file {
        AnyKeyFile::InFile(file) => serde_json::to_string_pretty(file),
        AnyKeyFile::InModule(file) => serde_json::to_string_pretty(file),
    };
    let text = Zeroizing::new(text.map_err(|e| KeyFileError::Invalid(e.to_string()))?);
    write_new_private_file(path, text.as_bytes())
}

/// Writes `bytes` to a new file of mode 0600 (its directory made 0700 if missing), synced;
/// refuses to replace an existing file.
pub(super) fn write_new_private_file(path: &Path, bytes: &[u8]) -> Result<(), KeyFileError> {
    let write_err = |source| KeyFileError::Write {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent() {
        crate::private_files::create_dir_all(parent).map_err(write_err)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut handle = options.open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => KeyFileError::Exists(path.display().to_string()),
        _ => write_err(source),
    })?;
    handle.write_all(bytes).map_err(write_err)?;
    handle.sync_all().map_err(write_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_file_loads_seals_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let rng = Rng::danger_deterministic(b"keys");
        KeyRing::init_file(&path, &rng, "2026-11-25T00:00:00Z", Suite::Intl2024).unwrap();
        let ring = KeyRing::load(&path).unwrap();
        let sealed = ring.seal(&rng, "ctx", b"x").unwrap();
        assert_eq!(&*ring.open("ctx", &sealed).unwrap(), b"x");
        assert!(matches!(
            KeyRing::init_file(&path, &rng, "2026-11-25T00:00:00Z", Suite::Intl2024),
            Err(KeyFileError::Exists(_))
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "key file must not be readable by others");
        }
    }

    #[test]
    fn log_keys_rotate_with_an_overlap_and_the_last_one_cannot_be_retired() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let rng = Rng::danger_deterministic(b"keys");
        KeyRing::init_file(&path, &rng, "2026", Suite::Intl2024).unwrap();
        let old = KeyRing::load(&path).unwrap().log_keys()[0].id.clone();
        let new = KeyRing::add_log_key(&path, &rng, "2027").unwrap();
        let ring = KeyRing::load(&path).unwrap();
        assert_eq!(ring.log_keys().iter().filter(|k| k.active).count(), 2);
        KeyRing::retire_log_key(&path, &old).unwrap();
        let ring = KeyRing::load(&path).unwrap();
        let active: Vec<_> = ring
            .log_keys()
            .iter()
            .filter(|k| k.active)
            .map(|k| k.id.clone())
            .collect();
        assert_eq!(active, std::slice::from_ref(&new));
        assert!(KeyRing::retire_log_key(&path, &new).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o077,
                0
            );
        }
    }

    #[test]
    fn reseal_moves_a_value_to_the_active_key_once_and_keeps_its_context() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let rng = Rng::danger_deterministic(b"keys");
        KeyRing::init_file(&path, &rng, "2026", Suite::Intl2024).unwrap();
        let before = KeyRing::load(&path).unwrap();
        let old_id = before.active_sealing_key_id();
        let sealed = before.seal(&rng, "expert/1/data-key", b"data key").unwrap();
        let new_id = KeyRing::add_sealing_key(&path, &rng, "2027").unwrap();
        let after = KeyRing::load(&path).unwrap();

        let resealed = after
            .reseal(&rng, "expert/1/data-key", &sealed)
            .unwrap()
            .expect("a value under the old key is re-sealed");
        assert_eq!(
            super::super::seal::SealedParts::parse(&resealed)
                .unwrap()
                .key_id,
            new_id
        );
        assert_ne!(new_id, old_id);
        assert_eq!(
            &*after.open("expert/1/data-key", &resealed).unwrap(),
            b"data key"
        );
        assert_eq!(
            after.open("expert/2/data-key", &resealed),
            Err(SealError::DoesNotOpen)
        );
        assert_eq!(
            after.reseal(&rng, "expert/1/data-key", &resealed),
            Ok(None),
            "a value under the active key is left alone"
        );
        assert_eq!(
            after.reseal(&rng, "expert/2/data-key", &sealed),
            Err(SealError::DoesNotOpen),
            "a value sealed for another place is not re-sealed for this one"
        );
    }

    #[test]
    fn a_key_file_with_a_missing_active_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let rng = Rng::danger_deterministic(b"keys");
        KeyRing::init_file(&path, &rng, "2026", Suite::Intl2024).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
        json["active_sealing"] = "nope".into();
        std::fs::write(&path, json.to_string()).unwrap();
        let err = KeyRing::load(&path).err().unwrap().to_string();
        assert!(err.contains("active sealing key"), "{err}");
    }

    #[test]
    fn a_gm_key_file_seals_with_sm4_macs_with_sm3_and_signs_with_sm2() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let rng = Rng::danger_deterministic(b"keys");
        KeyRing::init_file(&path, &rng, "2026", Suite::Gm2024).unwrap();
        let ring = KeyRing::load(&path).unwrap();
        assert_eq!(ring.suite(), Suite::Gm2024);
        let sealed = ring.seal(&rng, "ctx", b"x").unwrap();
        assert_eq!(&*ring.open("ctx", &sealed).unwrap(), b"x");
        let (data_key, sealed_data_key) = ring.new_data_key(&rng, "expert/1", "dk").unwrap();
        let field = data_key.seal(&rng, "expert/1/name", b"name").unwrap();
        let reopened = ring
            .open_data_key("expert/1", &sealed_data_key, "dk")
            .unwrap();
        assert_eq!(&*reopened.open("expert/1/name", &field).unwrap(), b"name");
        let signer = &ring.log_keys()[0].signer;
        assert_eq!(signer.algorithm(), SignatureAlgorithm::of(Suite::Gm2024));
        assert!(
            signer
                .public_key()
                .verifies(b"m", &signer.sign(b"m").unwrap())
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(json["suite"], "gm2024");
        let sealing_key = json["sealing"][0]["key"].as_str().unwrap();
        assert_eq!(B64.decode(sealing_key).unwrap().len(), 16, "an SM4 key");

        // A key added by a rotation is of the file's suite.
        KeyRing::add_sealing_key(&path, &rng, "2027").unwrap();
        KeyRing::add_log_key(&path, &rng, "2027").unwrap();
        let ring = KeyRing::load(&path).unwrap();
        assert!(
            ring.log_keys()
                .iter()
                .all(|k| k.signer.algorithm().suite() == Suite::Gm2024)
        );
        assert_eq!(&*ring.open("ctx", &sealed).unwrap(), b"x");
    }

    #[test]
    fn a_configured_sm2_identifier_signs_and_is_refused_for_the_other_suite() {
        let dir = tempfile::tempdir().unwrap();
        let rng = Rng::danger_deterministic(b"keys");
        for (suite, id, ok) in [
            (Suite::Gm2024, "sealdraw@example.gov.cn", true),
            (Suite::Gm2024, "", false),
            (Suite::Intl2024, "1234567812345678", false),
        ] {
            let path = dir.path().join(format!("{suite}-{}.json", id.len()));
            KeyRing::init_file(&path, &rng, "2026", suite).unwrap();
            let mut json: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            json["sm2_distinguishing_id"] = id.into();
            std::fs::write(&path, json.to_string()).unwrap();
            match KeyRing::load(&path) {
                Ok(ring) => {
                    assert!(ok, "{suite} {id:?} loaded");
                    assert_eq!(
                        ring.log_keys()[0].signer.algorithm(),
                        SignatureAlgorithm::Sm2 {
                            distinguishing_id: id.into()
                        }
                    );
                }
                Err(error) => assert!(!ok, "{suite} {id:?}: {error}"),
            }
        }
    }
}
