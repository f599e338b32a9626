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
    /// A disabled member's tokens no longer authenticate.
    pub disabled: bool,
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

/// 256 random bits as hex.
pub fn random_secret() -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Corrupt(format!("no randomness: {e}")))?;
    Ok(hex(&bytes))
}

fn new_token() -> Result<String, StoreError> {
    Ok(format!("sut_{}", random_secret()?))
}

/// How long a token lives unless `token create --expires-in-days` says otherwise; also the life
/// of tokens created before tokens had an expiry.
pub const DEFAULT_TOKEN_DAYS: i64 = 90;

/// Creates the staff member `name` if needed, grants `roles`, and issues a new token valid for
/// `valid_for`, which is returned once and never stored in the clear.
pub async fn issue_token(
    db: &Db,
    name: &str,
    roles: &[Role],
    valid_for: chrono::Duration,
) -> Result<(Staff, String), StoreError> {
    issue_token_by(db, &super::audit::Actor::system(), name, roles, valid_for).await
}

/// As `issue_token`, recorded on the trail under `actor` (an admin in the console or the API).
pub async fn issue_token_by(
    db: &Db,
    actor: &super::audit::Actor,
    name: &str,
    roles: &[Role],
    valid_for: chrono::Duration,
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
    let created = now();
    on_conn!(&mut c, |e| {
        sqlx::query(
        "INSERT INTO tokens (id, staff_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(new_id())
    .bind(&staff_id)
    .bind(hash_token(&token))
    .bind(created)
    .bind(created + valid_for)
    .execute(e)
    .await
    .map(|r| r.rows_affected())
    })?;
    let staff = load_staff(&mut c, &staff_id).await?;
    let roles: Vec<&str> = staff.roles.iter().map(|r| r.as_str()).collect();
    super::audit::append(
        &mut c,
        actor,
        "token.create",
        "staff",
        &staff.id,
        &serde_json::json!({"name": staff.name, "roles": roles, "expires_at": created + valid_for}),
    )
    .await?;
    tx.commit().await?;
    Ok((staff, token))
}

async fn load_staff(c: &mut Conn<'_>, staff_id: &str) -> Result<Staff, StoreError> {
    get(c, staff_id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("staff {staff_id} vanished")))
}

/// A staff member with their roles.
pub async fn get(c: &mut Conn<'_>, staff_id: &str) -> Result<Option<Staff>, StoreError> {
    let row: Option<(String, Option<DateTime<Utc>>)> = on_conn!(c, |e| sqlx::query_as(
        "SELECT name, disabled_at FROM staff WHERE id = $1"
    )
    .bind(staff_id)
    .fetch_optional(e)
    .await)?;
    let Some((name, disabled_at)) = row else {
        return Ok(None);
    };
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
    Ok(Some(Staff {
        id: staff_id.to_string(),
        name,
        roles,
        disabled: disabled_at.is_some(),
    }))
}

/// The staff member of this name, if there is one.
pub async fn by_name(c: &mut Conn<'_>, name: &str) -> Result<Option<Staff>, StoreError> {
    let row: Option<(String,)> = on_conn!(c, |e| sqlx::query_as(
        "SELECT id FROM staff WHERE name = $1"
    )
    .bind(name)
    .fetch_optional(e)
    .await)?;
    match row {
        Some((id,)) => get(c, &id).await,
        None => Ok(None),
    }
}

/// Every staff member, by name.
pub async fn list(c: &mut Conn<'_>) -> Result<Vec<Staff>, StoreError> {
    let ids: Vec<(String,)> =
        on_conn!(c, |e| sqlx::query_as("SELECT id FROM staff ORDER BY name")
            .fetch_all(e)
            .await)?;
    let mut all = Vec::with_capacity(ids.len());
    for (id,) in ids {
        all.push(load_staff(c, &id).await?);
    }
    Ok(all)
}

/// Disables a staff member; false if there is none. Their tokens stop working.
pub async fn disable(c: &mut Conn<'_>, staff_id: &str) -> Result<bool, StoreError> {
    stamp_once(
        c,
        "UPDATE staff SET disabled_at = COALESCE(disabled_at, $2) WHERE id = $1",
        staff_id,
    )
    .await
}

/// Runs `sql` (which sets a time column to `$2` unless already set, on the row `$1`) with now;
/// false if there is no such row.
async fn stamp_once(c: &mut Conn<'_>, sql: &'static str, id: &str) -> Result<bool, StoreError> {
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(now())
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The staff member whose token hashes to `token_hash`, with the token's expiry, if the token
/// is known, not revoked, not expired and its member not disabled. Its last use is recorded at
/// most every few minutes (a write per request would contend with the business's writes).
pub async fn authenticate(
    db: &Db,
    token_hash: &str,
) -> Result<Option<(Staff, DateTime<Utc>)>, StoreError> {
    let mut pooled = db.acquire().await?;
    let mut c = pooled.conn();
    // One statement for the token, its staff member and their roles (a row per role): this
    // runs on every request, and each statement is a round trip to the database.
    type Row = (
        String,
        String,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        String,
        Option<DateTime<Utc>>,
        Option<String>,
    );
    let rows: Vec<Row> = on_conn!(&mut c, |e| {
        sqlx::query_as(
            "SELECT t.id, t.staff_id, t.created_at, t.expires_at, t.revoked_at, t.last_used_at, \
                    s.name, s.disabled_at, r.role \
             FROM tokens t JOIN staff s ON s.id = t.staff_id \
             LEFT JOIN staff_roles r ON r.staff_id = s.id \
             WHERE t.token_hash = $1 ORDER BY r.role",
        )
        .bind(token_hash)
        .fetch_all(e)
        .await
    })?;
    let Some((
        token_id,
        staff_id,
        created_at,
        expires_at,
        revoked_at,
        last_used,
        name,
        disabled_at,
        _,
    )) = rows.first().cloned()
    else {
        return Ok(None);
    };
    let roles = rows
        .into_iter()
        .filter_map(|r| r.8)
        .map(|r| r.parse::<Role>().map_err(StoreError::Corrupt))
        .collect::<Result<Vec<_>, _>>()?;
    let staff = Staff {
        id: staff_id,
        name,
        roles,
        disabled: disabled_at.is_some(),
    };
    let t = now();
    let expires = expires_at.unwrap_or(created_at + chrono::Duration::days(DEFAULT_TOKEN_DAYS));
    if revoked_at.is_some() || expires <= t {
        return Ok(None);
    }
    if staff.disabled {
        return Ok(None);
    }
    if last_used.is_none_or(|u| t - u > chrono::Duration::minutes(5)) {
        on_conn!(&mut c, |e| sqlx::query(
            "UPDATE tokens SET last_used_at = $2 WHERE id = $1"
        )
        .bind(&token_id)
        .bind(t)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(Some((staff, expires)))
}

/// A token as admin sees it: never the token itself, nor its hash.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: String,
    pub staff_id: String,
    pub staff_name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Every token, newest first.
pub async fn tokens(c: &mut Conn<'_>) -> Result<Vec<TokenInfo>, StoreError> {
    type Row = (
        String,
        String,
        String,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<Row> = on_conn!(c, |e| {
        sqlx::query_as(
        "SELECT t.id, t.staff_id, s.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at \
         FROM tokens t JOIN staff s ON s.id = t.staff_id ORDER BY t.created_at DESC, t.id"
    )
    .fetch_all(e)
    .await
    })?;
    Ok(rows
        .into_iter()
        .map(
            |(id, staff_id, staff_name, created_at, expires_at, last_used_at, revoked_at)| {
                TokenInfo {
                    expires_at: expires_at
                        .unwrap_or(created_at + chrono::Duration::days(DEFAULT_TOKEN_DAYS)),
                    id,
                    staff_id,
                    staff_name,
                    created_at,
                    last_used_at,
                    revoked_at,
                }
            },
        )
        .collect())
}

/// Revokes a token; false if there is none. Revoking twice keeps the first time.
pub async fn revoke(c: &mut Conn<'_>, token_id: &str) -> Result<bool, StoreError> {
    stamp_once(
        c,
        "UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
        token_id,
    )
    .await
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
