//! The questionnaire as the investor saw it: the version kept in the store by content hash (every
//! version the service ever loaded is kept), else the file in service when its hash still matches.
//! Also the evidence bundle with the questionnaire its assessment was taken on, for the printable
//! page.

use super::{Ctx, Result, evidence};
use crate::questionnaire::Questionnaire;
use crate::rules::active::ActiveRules;
use crate::store::{Conn, Db, questionnaires};

/// The questionnaire an assessment was taken on, by the hash it recorded.
pub async fn presented(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    hash: &str,
    id: &str,
    version: i64,
) -> Result<Option<Questionnaire>> {
    if let Some(q) = questionnaires::by_hash(c, hash).await? {
        return Ok(Some(q));
    }
    Ok(ctx
        .questionnaires
        .get(id, version)
        .filter(|q| q.content_hash == hash)
        .map(|q| (*q).clone()))
}

/// The evidence bundle (with its digest) and the questionnaire of its assessment.
pub struct ReadableEvidence {
    pub bundle: serde_json::Value,
    pub questionnaire: Option<Questionnaire>,
}

pub async fn evidence(
    db: &Db,
    ctx: &Ctx<'_>,
    rules: &ActiveRules,
    order_id: &str,
) -> Result<ReadableEvidence> {
    let bundle = evidence::bundle(db, ctx, rules, order_id).await?;
    let a = &bundle["assessment"];
    let questionnaire = match (
        a["questionnaire_hash"].as_str(),
        a["questionnaire_id"].as_str(),
        a["questionnaire_version"].as_i64(),
    ) {
        (Some(hash), Some(id), Some(version)) => {
            let mut pooled = db.acquire().await?;
            presented(&mut pooled.conn(), ctx, hash, id, version).await?
        }
        _ => None,
    };
    Ok(ReadableEvidence {
        bundle,
        questionnaire,
    })
}
