//! Personal data at rest: identity numbers, phones and e-mails are sealed with ChaCha20-Poly1305
//! (authenticated: a changed ciphertext does not open) and, where lookup is needed, indexed by a
//! keyed hash (HMAC-SHA256) that reveals nothing without the key.
//!
//! The key comes from configuration (`SUITABILITY_DATA_KEY`, 64 hex characters, or a key file);
//! the embedded default creates a key file beside the SQLite database, readable by its owner only.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::hex::hex;

const PREFIX: &str = "v1:";

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("data key: {0}")]
    Key(String),
    #[error("a sealed value does not open: altered, or sealed with another key")]
    Open,
}

/// Where the data key comes from.
#[derive(Debug, Clone, Default)]
pub struct KeySource {
    /// 64 hex characters (32 bytes).
    pub key_hex: Option<String>,
    /// A file holding the key as 64 hex characters; created (mode 0600) if it does not exist.
    pub key_file: Option<PathBuf>,
}

pub struct Vault {
    cipher: ChaCha20Poly1305,
    mac_key: [u8; 32],
    /// A key derived from the data key for the fingerprint and the audit key, so neither
    /// touches the data key itself.
    fingerprint_key: [u8; 32],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(…)")
    }
}

fn derive(key: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

fn parse_hex_key(text: &str) -> Result<[u8; 32], VaultError> {
    let t = text.trim();
    if t.len() != 64 || !t.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(VaultError::Key(
            "must be 64 hex characters (32 bytes)".into(),
        ));
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&t[2 * i..2 * i + 2], 16)
            .map_err(|e| VaultError::Key(e.to_string()))?;
    }
    Ok(key)
}

/// Refuses a key file that group or others may read.
fn check_private(path: &Path) -> Result<(), VaultError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| VaultError::Key(format!("{}: {e}", path.display())))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(VaultError::Key(format!(
                "{} may be read by others (mode {:o}): chmod 600 it",
                path.display(),
                mode & 0o777
            )));
        }
    }
    let _ = path;
    Ok(())
}

fn create_key_file(path: &Path) -> Result<[u8; 32], VaultError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| VaultError::Key(format!("no randomness: {e}")))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| VaultError::Key(format!("{}: {e}", dir.display())))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    let mut f = opts
        .open(path)
        .map_err(|e| VaultError::Key(format!("{}: {e}", path.display())))?;
    f.write_all(format!("{}\n", hex(&key)).as_bytes())
        .map_err(|e| VaultError::Key(format!("{}: {e}", path.display())))?;
    tracing::warn!(file = %path.display(), "created a new data key: back it up; without it personal data cannot be read");
    Ok(key)
}

impl Vault {
    pub fn from_key(key: [u8; 32]) -> Vault {
        let enc = derive(&key, "suitability personal data encryption v1");
        Vault {
            cipher: ChaCha20Poly1305::new(&Key::from(enc)),
            mac_key: derive(&key, "suitability lookup hash v1"),
            fingerprint_key: derive(&key, "suitability derived keys v1"),
        }
    }

    /// The configured key, or the key file. A missing key file is created only when
    /// `may_create` (the database holds nothing sealed): a new key for sealed data would make
    /// every investor unreadable and seal new rows under another key. A key file that group or
    /// others may read is refused.
    pub fn load(source: &KeySource, may_create: bool) -> Result<Vault, VaultError> {
        if let Some(k) = &source.key_hex {
            return Ok(Vault::from_key(parse_hex_key(k)?));
        }
        let Some(path) = &source.key_file else {
            return Err(VaultError::Key(
                "no key configured: set SUITABILITY_DATA_KEY (64 hex characters) or SUITABILITY_DATA_KEY_FILE".into(),
            ));
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                check_private(path)?;
                parse_hex_key(&text)
                    .map(Vault::from_key)
                    .map_err(|e| VaultError::Key(format!("{}: {e}", path.display())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && may_create => {
                create_key_file(path).map(Vault::from_key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(VaultError::Key(format!(
                "{} is missing, but the database holds data sealed with a key: restore the key \
                 file (a new key would leave every investor unreadable)",
                path.display()
            ))),
            Err(e) => Err(VaultError::Key(format!("{}: {e}", path.display()))),
        }
    }

    /// A keyed hash of the key that names it without revealing it; recorded in the database so
    /// a start with another key is refused.
    pub fn fingerprint(&self) -> String {
        hex(&derive(
            &self.fingerprint_key,
            "suitability data key fingerprint v1",
        ))
    }

    /// The key the audit chain and its checkpoints are keyed with (never stored).
    pub fn audit_key(&self) -> [u8; 32] {
        derive(&self.fingerprint_key, "suitability audit chain v1")
    }

    /// `v1:` + base64(nonce ‖ ciphertext ‖ tag). `context` (e.g. `investors.phone/<id>`) is
    /// authenticated with it, so a sealed value copied to another row or column does not open.
    pub fn seal(&self, plaintext: &str, context: &str) -> Result<String, VaultError> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| VaultError::Key(format!("no randomness: {e}")))?;
        let ct = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Open)?;
        let mut out = nonce.to_vec();
        out.extend(ct);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<String, VaultError> {
        let raw = sealed.strip_prefix(PREFIX).ok_or(VaultError::Open)?;
        let bytes = STANDARD.decode(raw).map_err(|_| VaultError::Open)?;
        if bytes.len() < 12 + 16 {
            return Err(VaultError::Open);
        }
        let (nonce, ct) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| VaultError::Open)?;
        let pt = self
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Open)?;
        String::from_utf8(pt).map_err(|_| VaultError::Open)
    }

    pub fn is_sealed(value: &str) -> bool {
        value.starts_with(PREFIX)
    }

    /// The keyed lookup hash of a value (normalised: trimmed, upper case).
    pub fn blind(&self, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key)
            .expect("HMAC takes any key length");
        mac.update(value.trim().to_uppercase().as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_opens_and_refuses_tampering() {
        let v = Vault::from_key([7; 32]);
        let sealed = v
            .seal("110101199001011234", "investors.id_number/a")
            .expect("seal");
        assert!(Vault::is_sealed(&sealed) && !sealed.contains("1101011990"));
        assert_eq!(
            v.open(&sealed, "investors.id_number/a").expect("open"),
            "110101199001011234"
        );
        assert!(
            v.open(&sealed, "investors.id_number/b").is_err(),
            "bound to its row"
        );
        assert!(
            v.open(&sealed, "investors.phone/a").is_err(),
            "bound to its column"
        );
        assert_ne!(
            v.seal("x", "c").expect("seal"),
            v.seal("x", "c").expect("seal"),
            "a fresh nonce each time"
        );
        let mut bytes = sealed.into_bytes();
        let n = bytes.len() - 3;
        bytes[n] = if bytes[n] == b'A' { b'B' } else { b'A' };
        assert!(
            v.open(
                &String::from_utf8(bytes).expect("utf8"),
                "investors.id_number/a"
            )
            .is_err()
        );
        assert!(
            Vault::from_key([8; 32])
                .open(&v.seal("y", "c").expect("seal"), "c")
                .is_err(),
            "another key"
        );
        assert_eq!(
            v.blind(" 11010119900101123x "),
            v.blind("11010119900101123X")
        );
        assert_ne!(v.blind("a"), Vault::from_key([8; 32]).blind("a"));
    }
}
