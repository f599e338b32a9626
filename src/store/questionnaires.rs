//! The questionnaire versions the service has presented, kept by content hash with their content,
//! so an assessment can be shown with the text the investor saw long after the file changed.

use sqlx::types::Json;

use super::{Conn, StoreError, now};
use crate::on_conn;
use crate::questionnaire::Questionnaire;

/// Keeps `q` with `source`, the file's text its hash covers, unless a version with that hash is
/// kept already (the first copy stands).
pub async fn keep(c: &mut Conn<'_>, q: &Questionnaire, source: &str) -> Result<bool, StoreError> {
    let sql = "INSERT INTO questionnaire_versions \
               (content_hash, questionnaire_id, version, source, content, first_loaded_at) \
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (content_hash) DO NOTHING";
    let added = on_conn!(c, |e| sqlx::query(sql)
        .bind(&q.content_hash)
        .bind(&q.id)
        .bind(q.version)
        .bind(source)
        .bind(Json(q))
        .bind(now())
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(added > 0)
}

/// The questionnaire with this content hash, as it was kept.
pub async fn by_hash(c: &mut Conn<'_>, hash: &str) -> Result<Option<Questionnaire>, StoreError> {
    let row: Option<(Json<Questionnaire>,)> = on_conn!(c, |e| sqlx::query_as(
        "SELECT content FROM questionnaire_versions WHERE content_hash = $1"
    )
    .bind(hash)
    .fetch_optional(e)
    .await)?;
    Ok(row.map(|(Json(q),)| q))
}
