//! Questionnaires as loaded from `questionnaires/`: the list and one in full.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::AppState;
use crate::error::ApiError;
use crate::questionnaire::Questionnaire;

#[derive(Serialize, utoipa::ToSchema)]
pub struct QuestionnaireSummary {
    pub id: String,
    pub version: i64,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_en: Option<String>,
    pub applies_to: String,
    pub sample: bool,
    pub questions: usize,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QuestionnaireList {
    pub items: Vec<QuestionnaireSummary>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/questionnaires", get(list_questionnaires))
        .route("/v1/questionnaires/{id}", get(get_questionnaire))
}

/// The current version of every questionnaire.
#[utoipa::path(get, path = "/v1/questionnaires", tag = "questionnaires",
    responses((status = 200, body = QuestionnaireList)))]
pub async fn list_questionnaires(State(state): State<AppState>) -> Json<QuestionnaireList> {
    let items = state
        .questionnaires
        .latest_each()
        .iter()
        .map(|q| QuestionnaireSummary {
            id: q.id.clone(),
            version: q.version,
            title: q.title.clone(),
            title_en: q.title_en.clone(),
            applies_to: q.applies_to.as_str().to_string(),
            sample: q.sample,
            questions: q.questions.len(),
        })
        .collect();
    Json(QuestionnaireList { items })
}

/// One questionnaire in full (its current version): questions and options in order, and bands.
#[utoipa::path(get, path = "/v1/questionnaires/{id}", tag = "questionnaires",
    params(("id" = String, Path, description = "questionnaire id")),
    responses((status = 200, body = Questionnaire), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_questionnaire(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Questionnaire>, ApiError> {
    let q = state.questionnaires.latest(&id).ok_or(ApiError::NotFound {
        what: "questionnaire",
    })?;
    Ok(Json((*q).clone()))
}
