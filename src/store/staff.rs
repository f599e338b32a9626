//! Staff members, roles and bearer tokens. Tokens are random 256-bit strings stored only as their
//! SHA-256 hash; a high-entropy secret needs no slow password hash.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{Conn, Db, StoreError, new_id, now};
use crate::domain::Role;
use crate::on_conn;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub id: String,
    pub name: String,
    pub roles: Vec<Role>,
}

impl Staff {
    pub fn has_any(&self, roles: &[Role]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
    }
}

pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

use crate::hex::hex;

fn new_token() -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Corrupt(format!("no randomness: {e}")))?;
    Ok(format!("sut_{}", hex(&bytes)))
}

/// Creates the staff member `name` if needed, grants `roles`, and issues a new token, which is
/// returned once and never stored in the clear.
pub async fn issue_token(
    db: &Db,
    name: &str,
    roles: &[Role],
) -> Result<(Staff, String), StoreError> {
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    let existing: Option<(String,)> = on_conn!(&mut c, |e| sqlx::query_as(
        "SELECT id FROM staff WHERE name = $1"
    )
    .bind(name)
    .fetch_optional(e)
    .await)?;
    let staff_id = match existing {
        Some((id,)) => id,
        None => {
            let id = new_id();
            on_conn!(&mut c, |e| sqlx::query(
                "INSERT INTO staff (id, name, created_at) VALUES ($1, $2, $3)"
            )
            .bind(&id)
            .bind(name)
            .bind(now())
            .execute(e)
            .await
            .map(|r| r.rows_affected()))?;
            id
        }
    };
    for role in roles {
        on_conn!(&mut c, |e| sqlx::query(
            "INSERT INTO staff_roles (staff_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        )
        .bind(&staff_id)
        .bind(role.as_str())
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    }
    let token = new_token()?;
    on_conn!(&mut c, |e| sqlx::query(
        "INSERT INTO tokens (id, staff_id, token_hash, created_at) VALUES ($1, $2, $3, $4)"
    )
    .bind(new_id())
    .bind(&staff_id)
    .bind(hash_token(&token))
    .bind(now())
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    let staff = load_staff(&mut c, &staff_id).await?;
    let roles: Vec<&str> = staff.roles.iter().map(|r| r.as_str()).collect();
    super::audit::append(
        &mut c,
        &super::audit::Actor::system(),
        "token.create",
        "staff",
        &staff.id,
        &serde_json::json!({"name": staff.name, "roles": roles}),
    )
    .await?;
    tx.commit().await?;
    Ok((staff, token))
}

async fn load_staff(c: &mut Conn<'_>, staff_id: &str) -> Result<Staff, StoreError> {
    let (name,): (String,) = on_conn!(c, |e| sqlx::query_as(
        "SELECT name FROM staff WHERE id = $1"
    )
    .bind(staff_id)
    .fetch_one(e)
    .await)?;
    let rows: Vec<(String,)> = on_conn!(c, |e| sqlx::query_as(
        "SELECT role FROM staff_roles WHERE staff_id = $1 ORDER BY role"
    )
    .bind(staff_id)
    .fetch_all(e)
    .await)?;
    let roles = rows
        .into_iter()
        .map(|(r,)| r.parse::<Role>().map_err(StoreError::Corrupt))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Staff {
        id: staff_id.to_string(),
        name,
        roles,
    })
}

/// The staff member whose token hashes to `token_hash`, if it is known and not revoked.
pub async fn authenticate(db: &Db, token_hash: &str) -> Result<Option<Staff>, StoreError> {
    let mut pooled = db.acquire().await?;
    let mut c = pooled.conn();
    let row: Option<(String, Option<DateTime<Utc>>)> = on_conn!(&mut c, |e| sqlx::query_as(
        "SELECT staff_id, revoked_at FROM tokens WHERE token_hash = $1"
    )
    .bind(token_hash)
    .fetch_optional(e)
    .await)?;
    match row {
        Some((staff_id, None)) => Ok(Some(load_staff(&mut c, &staff_id).await?)),
        _ => Ok(None),
    }
}

/// A staff member's name.
pub async fn name_of(c: &mut Conn<'_>, staff_id: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = on_conn!(c, |e| sqlx::query_as(
        "SELECT name FROM staff WHERE id = $1"
    )
    .bind(staff_id)
    .fetch_optional(e)
    .await)?;
    Ok(row.map(|(n,)| n))
}
