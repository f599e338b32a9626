//! The data key's life: at every start the key must be the one the database's personal data is
//! sealed with. The database records the key's fingerprint (a keyed hash, never the key); a
//! start with another key, or without the key file while sealed data exists, is refused with a
//! message saying which. Only an empty database gets a new key.
//!
//! The audit chain's key is made once per database (derived from the first data key) and kept
//! sealed under the current data key: without the data key, database access cannot read it, and
//! a rotation re-seals it, so the chain and every checkpoint stay verifiable across rotations.
//!
//! `rotate` re-seals everything under a new key, a page at a time with progress; interrupted,
//! it resumes where it stopped (a value already under the new key is kept), and the service
//! refuses to start until it has finished.

use crate::store::audit::{self, Actor};
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
        "a key rotation to the key with fingerprint {0} is under way: finish it with \
         `suitability keys rotate --new-key-file` and that key, then start with it"
    )]
    RotationUnderWay(String),
    #[error(
        "the data key does not open the personal data already stored (investor {0}): start \
         with the key it was sealed with"
    )]
    DoesNotOpen(String),
}

/// Loads the key and checks it against the database, recording its fingerprint on first use.
pub async fn open_vault(db: &Db, source: &KeySource) -> Result<Vault, KeyError> {
    let mut tx = db.begin().await?;
    if let Some(to) = meta::get(&mut tx.conn(), ROTATION).await? {
        return Err(KeyError::RotationUnderWay(to));
    }
    let vault = check(&mut tx.conn(), source).await?;
    let key = chain_key(&mut tx.conn(), &vault).await?;
    tx.commit().await?;
    audit_key::register(db, key).await?;
    Ok(vault)
}

const CHAIN_KEY: &str = "audit_chain_key";
const ROTATION: &str = "key_rotation_to";

/// The chain key: kept sealed under the data key, made on first use.
async fn chain_key(c: &mut crate::store::Conn<'_>, vault: &Vault) -> Result<ChainKey, KeyError> {
    if let Some(sealed) = meta::get(c, CHAIN_KEY).await? {
        let text = vault.open(&sealed, CHAIN_KEY)?;
        let bytes = crate::hex::unhex(&text)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| VaultError::Key("the stored chain key is malformed".into()))?;
        return Ok(ChainKey(bytes));
    }
    let key = vault.audit_key();
    meta::set(
        c,
        CHAIN_KEY,
        &vault.seal(&crate::hex::hex(&key), CHAIN_KEY)?,
    )
    .await?;
    Ok(ChainKey(key))
}

/// Investors re-sealed per transaction.
const ROTATE_PAGE: i64 = 500;

/// Re-seals every investor's personal data and the chain key under `new`, in pages, calling
/// `progress(done, total)`; records the new fingerprint at the end. Resumable.
pub async fn rotate(
    db: &Db,
    old_source: &KeySource,
    new_file: &std::path::Path,
    mut progress: impl FnMut(i64, i64),
) -> Result<i64, KeyError> {
    let new = Vault::load(
        &KeySource {
            key_hex: None,
            key_file: Some(new_file.to_path_buf()),
        },
        false,
    )?;
    let old = {
        let mut tx = db.begin().await?;
        let mut c = tx.conn();
        let under_way = meta::get(&mut c, ROTATION).await?;
        if under_way
            .as_deref()
            .is_some_and(|to| to != new.fingerprint())
        {
            return Err(KeyError::RotationUnderWay(under_way.unwrap_or_default()));
        }
        let old = Vault::load(old_source, false)?;
        let recorded = meta::get(&mut c, meta::KEY_FINGERPRINT).await?;
        if recorded
            .as_deref()
            .is_some_and(|fp| fp != old.fingerprint())
        {
            return Err(KeyError::Mismatch {
                expected: recorded.unwrap_or_default(),
                found: old.fingerprint(),
            });
        }
        if old.fingerprint() == new.fingerprint() {
            return Err(VaultError::Key("the new key is the key in use".into()).into());
        }
        meta::set(&mut c, ROTATION, &new.fingerprint()).await?;
        // The chain key stays sealed under the old key until the last step: the re-sealing
        // is recorded in the trail like any other change.
        let key = chain_key(&mut c, &old).await?;
        tx.commit().await?;
        audit_key::register(db, key).await?;
        old
    };
    let total = {
        let mut pooled = db.acquire().await?;
        investors::count(&mut pooled.conn()).await?
    };
    let mut after = String::new();
    let mut done = 0;
    loop {
        let mut tx = db.begin().await?;
        let ids = investors::reseal_page(&mut tx.conn(), &old, &new, &after, ROTATE_PAGE).await?;
        let Some(last) = ids.last().cloned() else {
            break;
        };
        for id in &ids {
            let change = serde_json::json!({"fingerprint": new.fingerprint()});
            audit::append(
                &mut tx.conn(),
                &Actor::system(),
                "investor.reseal",
                "investor",
                id,
                &change,
            )
            .await?;
        }
        tx.commit().await?;
        after = last;
        done = (done + ROTATE_PAGE).min(total);
        progress(done, total);
    }
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    // The chain key: open under whichever key holds it (an interrupted run may have re-sealed it).
    if let Some(sealed) = meta::get(&mut c, CHAIN_KEY).await? {
        let plain = new
            .open(&sealed, CHAIN_KEY)
            .or_else(|_| old.open(&sealed, CHAIN_KEY))?;
        meta::set(&mut c, CHAIN_KEY, &new.seal(&plain, CHAIN_KEY)?).await?;
    }
    meta::set(&mut c, meta::KEY_FINGERPRINT, &new.fingerprint()).await?;
    meta::delete(&mut c, ROTATION).await?;
    tx.commit().await?;
    Ok(total)
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
