//! Investors: onboarding (sales), reading one with its latest assessment, and a paginated list;
//! each handler calls one function of `workflow::investors`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::AppState;
use super::extract::{ApiJson, ApiQuery, Caller};
use crate::error::ApiError;
use crate::workflow::investors::activity;
use crate::workflow::investors::change::{self, History, InvestorChange};
use crate::workflow::investors::{self, InvestorPage, InvestorResponse, Lookup, NewOwner};

/// The onboarding body is the workflow's own input (validated by `validator` there).
pub use crate::workflow::investors::NewInvestor as CreateInvestorRequest;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// At most this many items (1..=200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_after` of the previous page.
    pub after: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
// Refused, not ignored: an identity number sent as `?id_number=` would sit in every log of the
// URL; the lookup takes it in a body.
#[serde(deny_unknown_fields)]
pub struct InvestorQuery {
    /// At most this many items (1..=200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_after` of the previous page.
    pub after: Option<String>,
    /// Only investors whose name contains this text (at most 100 characters).
    #[param(max_length = 100)]
    pub name: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RevealQuery {
    /// Show identity number, phone and e-mail in the clear (compliance and admin; audited).
    pub reveal: Option<bool>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/investors/{id}/invitations", post(create_invitation))
        .route("/v1/investors", get(list_investors).post(create_investor))
        .route(
            "/v1/investors/{id}",
            get(get_investor).patch(change_investor),
        )
        .route("/v1/investors/{id}/history", get(investor_history))
        .route("/v1/investors/{id}/callbacks", get(investor_callbacks))
        .route("/v1/investors/{id}/complaints", get(investor_complaints))
        .route("/v1/investors/lookup", post(lookup_investor))
        .route("/v1/investors/{id}/owner", post(reassign_investor))
}

/// Onboards an investor; the caller becomes the sales owner.
#[utoipa::path(post, path = "/v1/investors", tag = "investors", request_body = CreateInvestorRequest,
    responses((status = 201, body = InvestorResponse), (status = 400, body = crate::error::ErrorBody),
        (status = 409, description = "`duplicate_investor`: an investor with this identity number exists", body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
        (status = 429, description = "identity-number lookups over the limit (a number owned by another sales person)", body = crate::error::ErrorBody)))]
pub async fn create_investor(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(req): ApiJson<CreateInvestorRequest>,
) -> Result<(StatusCode, Json<InvestorResponse>), ApiError> {
    let mut tx = state.db.begin().await?;
    let investor = investors::onboard(&mut tx.conn(), &state.ctx(), &caller, req).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(investor)))
}

/// One investor with the latest assessment (valid or not), or `assessment: null`.
#[utoipa::path(get, path = "/v1/investors/{id}", tag = "investors",
    params(("id" = String, Path), RevealQuery),
    responses((status = 200, body = InvestorResponse), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_investor(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RevealQuery>,
) -> Result<Json<InvestorResponse>, ApiError> {
    let reveal = q.reveal.unwrap_or(false);
    let mut tx = state.db.begin().await?;
    let investor = investors::get(&mut tx.conn(), &state.ctx(), &caller, &id, reveal).await?;
    tx.commit().await?;
    Ok(Json(investor))
}

/// Investors in creation order, a page at a time.
#[utoipa::path(get, path = "/v1/investors", tag = "investors", params(InvestorQuery),
    responses((status = 200, body = InvestorPage), (status = 422, body = crate::error::ErrorBody)))]
pub async fn list_investors(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(page): ApiQuery<InvestorQuery>,
) -> Result<Json<InvestorPage>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    let found = investors::list(
        &mut pooled.conn(),
        &state.ctx(),
        &caller,
        page.after.as_deref(),
        page.name.as_deref(),
        page.limit,
    )
    .await?;
    Ok(Json(found))
}

/// The investors with an identity number (a sales person finds only their own); audited and
/// limited to 30 a minute per staff member.
#[utoipa::path(post, path = "/v1/investors/lookup", tag = "investors", request_body = Lookup,
    responses((status = 200, body = InvestorPage), (status = 429, body = crate::error::ErrorBody)))]
pub async fn lookup_investor(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(req): ApiJson<Lookup>,
) -> Result<Json<InvestorPage>, ApiError> {
    let mut tx = state.db.begin().await?;
    let found = investors::lookup(&mut tx.conn(), &state.ctx(), &caller, req).await?;
    tx.commit().await?;
    Ok(Json(found))
}

/// Gives the investor another sales owner (compliance, admin); audited.
#[utoipa::path(post, path = "/v1/investors/{id}/owner", tag = "investors", request_body = NewOwner,
    params(("id" = String, Path)),
    responses((status = 200, body = InvestorResponse), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn reassign_investor(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewOwner>,
) -> Result<Json<InvestorResponse>, ApiError> {
    let mut tx = state.db.begin().await?;
    let investor = investors::reassign(&mut tx.conn(), &state.ctx(), &caller, &id, req).await?;
    tx.commit().await?;
    Ok(Json(investor))
}

/// Changes contacts, address, occupation, assets, income, net assets or capacity (the sales
/// owner or risk); a new version, audited. A change of qualification or capacity re-evaluates
/// every holding.
#[utoipa::path(patch, path = "/v1/investors/{id}", tag = "investors", request_body = InvestorChange,
    params(("id" = String, Path)),
    responses((status = 200, body = InvestorResponse), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn change_investor(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<InvestorChange>,
) -> Result<Json<InvestorResponse>, ApiError> {
    let mut tx = state.db.begin().await?;
    let investor = change::change(&mut tx.conn(), &state.ctx(), &caller, &id, req).await?;
    tx.commit().await?;
    Ok(Json(investor))
}

/// Every version of the investor, oldest first (version 1 is the onboarding).
#[utoipa::path(get, path = "/v1/investors/{id}/history", tag = "investors", params(("id" = String, Path)),
    responses((status = 200, body = History), (status = 404, body = crate::error::ErrorBody)))]
pub async fn investor_history(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<History>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(
        change::history(&mut pooled.conn(), &caller, &id).await?,
    ))
}

/// The investor's callbacks as lines of a list (kind, status, deadlines; no contact or record).
#[utoipa::path(get, path = "/v1/investors/{id}/callbacks", tag = "investors", params(("id" = String, Path)),
    responses((status = 200, body = activity::CallbackLines), (status = 404, body = crate::error::ErrorBody)))]
pub async fn investor_callbacks(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<activity::CallbackLines>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(
        activity::callbacks(&mut pooled.conn(), &caller, &id).await?,
    ))
}

/// The investor's complaints as lines of a list (category, status, dates; not their text).
#[utoipa::path(get, path = "/v1/investors/{id}/complaints", tag = "investors", params(("id" = String, Path)),
    responses((status = 200, body = activity::ComplaintLines), (status = 404, body = crate::error::ErrorBody)))]
pub async fn investor_complaints(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<activity::ComplaintLines>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(
        activity::complaints(&mut pooled.conn(), &caller, &id).await?,
    ))
}

/// A one-time link for the investor (their sales owner only): `/i/{code}`, valid 7 days, where
/// they confirm who they are, fill the questionnaire and sign the risk disclosure (and, for a
/// mismatch with `product_id`, the warning letter). The code is shown once.
#[utoipa::path(post, path = "/v1/investors/{id}/invitations", tag = "investors", params(("id" = String, Path)),
    request_body = crate::workflow::invitations::NewInvitation,
    responses((status = 201, body = crate::workflow::invitations::Sent), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_invitation(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<crate::workflow::invitations::NewInvitation>,
) -> Result<(StatusCode, Json<crate::workflow::invitations::Sent>), ApiError> {
    let mut tx = state.db.begin().await?;
    let sent =
        crate::workflow::invitations::create(&mut tx.conn(), &state.ctx(), &caller, &id, req)
            .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(sent)))
}
