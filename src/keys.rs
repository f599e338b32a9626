//! The data key's life: at every start the key must be the one the database's personal data is
//! sealed with. The database records the key's fingerprint (a keyed hash, never the key); a
//! start with another key, or without the key file while sealed data exists, is refused with a
//! message saying which. Only an empty database gets a new key.

use crate::store::audit_key::{self, ChainKey};
use crate::store::{Db, StoreError, investors, meta};
use crate::vault::{KeySource, Vault, VaultError};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}")]
    Vault(#[from] VaultError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error(
        "the data key is not the one this database's personal data is sealed with (its \
         fingerprint is {expected}, this key's is {found}): start with the right key file or \
         SUITABILITY_DATA_KEY; to change keys use `suitability keys rotate`"
    )]
    Mismatch { expected: String, found: String },
    #[error(
        "the data key does not open the personal data already stored (investor {0}): start \
         with the key it was sealed with"
    )]
    DoesNotOpen(String),
}

/// Loads the key and checks it against the database, recording its fingerprint on first use.
pub async fn open_vault(db: &Db, source: &KeySource) -> Result<Vault, KeyError> {
    let mut tx = db.begin().await?;
    let vault = check(&mut tx.conn(), source).await?;
    let key = ChainKey(vault.audit_key());
    audit_key::record_legacy(&mut tx.conn(), &key).await?;
    tx.commit().await?;
    audit_key::register(db, key).await?;
    Ok(vault)
}

async fn check(c: &mut crate::store::Conn<'_>, source: &KeySource) -> Result<Vault, KeyError> {
    let recorded = meta::get(c, meta::KEY_FINGERPRINT).await?;
    let sample = investors::any_id(c).await?;
    let vault = Vault::load(source, recorded.is_none() && sample.is_none())?;
    let found = vault.fingerprint();
    match recorded {
        Some(expected) if expected != found => return Err(KeyError::Mismatch { expected, found }),
        Some(_) => {}
        None => {
            // A database from before fingerprints: the key must open what it holds.
            if let Some(id) = sample
                && investors::get(c, &vault, &id).await.is_err()
            {
                return Err(KeyError::DoesNotOpen(id));
            }
            meta::set(c, meta::KEY_FINGERPRINT, &found).await?;
        }
    }
    Ok(vault)
}
