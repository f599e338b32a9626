//! Sealing the personal data of old rows, and re-sealing everything under a new key.

use super::{context, open, seal};
use crate::on_conn;
use crate::store::{Conn, StoreError};
use crate::vault::Vault;

/// An investor's id, identity number, phone, e-mail and address, as stored.
type PersonalColumns = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Seals the personal data of rows written before encryption existed; returns their ids.
pub async fn seal_legacy(c: &mut Conn<'_>, vault: &Vault) -> Result<Vec<String>, StoreError> {
    let sql =
        "SELECT id, id_number, phone, email, address FROM investors WHERE id_number_hash IS NULL";
    let rows: Vec<PersonalColumns> = on_conn!(c, |e| sqlx::query_as(sql).fetch_all(e).await)?;
    for (id, id_number, phone, email, address) in &rows {
        let plain = open(vault, id, "id_number", id_number.clone())?;
        let s = |column: &str, v: &Option<String>| -> Result<Option<String>, StoreError> {
            v.as_ref()
                .map(|x| {
                    if Vault::is_sealed(x) {
                        Ok(x.clone())
                    } else {
                        seal(vault, id, column, x)
                    }
                })
                .transpose()
        };
        let (phone, email) = (s("phone", phone)?, s("email", email)?);
        let address = s("address", address)?;
        let sealed_id = if Vault::is_sealed(id_number) {
            id_number.clone()
        } else {
            seal(vault, id, "id_number", id_number)?
        };
        let sealed = Sealed {
            id_number: &sealed_id,
            phone: phone.as_deref(),
            email: email.as_deref(),
            address: address.as_deref(),
            hash: vault.blind(&plain),
        };
        write(c, id, &sealed).await?;
    }
    Ok(rows.into_iter().map(|(id, ..)| id).collect())
}

/// Re-seals the personal data of the investors after `after` (a page of `limit`) under `new`,
/// and recomputes their lookup hash. A value that opens under `new` already was re-sealed by an
/// interrupted earlier run and is kept. Returns the ids done (none when none were left).
pub async fn reseal_page(
    c: &mut Conn<'_>,
    old: &Vault,
    new: &Vault,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    let sql = "SELECT id, id_number, phone, email, address FROM investors WHERE id > $1 \
               ORDER BY id LIMIT $2";
    let rows: Vec<PersonalColumns> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(after)
        .bind(limit)
        .fetch_all(e)
        .await)?;
    for (id, id_number, phone, email, address) in &rows {
        let again = |column: &str, v: &str| -> Result<(String, String), StoreError> {
            let ctx = context(column, id);
            match new.open(v, &ctx) {
                Ok(plain) => Ok((plain, v.to_string())),
                Err(_) => {
                    let plain = old
                        .open(v, &ctx)
                        .map_err(|e| StoreError::Corrupt(format!("investor {id} {column}: {e}")))?;
                    let sealed = seal(new, id, column, &plain)?;
                    Ok((plain, sealed))
                }
            }
        };
        let (plain_id, sealed_id) = again("id_number", id_number)?;
        let phone = phone
            .as_deref()
            .map(|p| again("phone", p))
            .transpose()?
            .map(|(_, s)| s);
        let email = email
            .as_deref()
            .map(|m| again("email", m))
            .transpose()?
            .map(|(_, s)| s);
        let address = address
            .as_deref()
            .map(|a| again("address", a))
            .transpose()?
            .map(|(_, s)| s);
        let sealed = Sealed {
            id_number: &sealed_id,
            phone: phone.as_deref(),
            email: email.as_deref(),
            address: address.as_deref(),
            hash: new.blind(&plain_id),
        };
        write(c, id, &sealed).await?;
    }
    Ok(rows.into_iter().map(|(id, ..)| id).collect())
}

/// An investor's sealed personal data and the lookup hash of its identity number.
struct Sealed<'a> {
    id_number: &'a str,
    phone: Option<&'a str>,
    email: Option<&'a str>,
    address: Option<&'a str>,
    hash: String,
}

async fn write(c: &mut Conn<'_>, id: &str, s: &Sealed<'_>) -> Result<(), StoreError> {
    let sql = "UPDATE investors SET id_number = $2, phone = $3, email = $4, id_number_hash = $5, \
               address = $6 WHERE id = $1";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(s.id_number)
        .bind(s.phone)
        .bind(s.email)
        .bind(&s.hash)
        .bind(s.address)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
