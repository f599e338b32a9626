//! Products for risk staff: the list with ratings, a new product, and a change made in two steps:
//! first what it would do to the product's holdings (`rerating::preview`, the real change rolled
//! back), then the change itself once confirmed (`products::update`, as `PATCH /v1/products/{id}`).

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};

use super::form::{self, Fields, Problems};
use super::layout::{self, may, when};
use super::session::Signed;
use crate::http::AppState;
use crate::store::products::Product;
use crate::workflow::WorkflowError;
use crate::workflow::products::{self, NewProduct, ProductChange};
use crate::workflow::rerating::{self, RerateImpact};

const SECTION: &str = "/console/products";
const RATINGS: [&str; 5] = ["R1", "R2", "R3", "R4", "R5"];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/products", get(list).post(create))
        .route("/console/products/{id}", get(one).post(change))
}

async fn list(State(state): State<AppState>, signed: Signed) -> Response {
    if !may(&signed.staff, "GET", "/v1/products") {
        return layout::forbidden(&signed);
    }
    show_list(
        &state,
        &signed,
        &Fields::new(),
        &Problems::default(),
        StatusCode::OK,
    )
    .await
}

async fn show_list(
    state: &AppState,
    signed: &Signed,
    fields: &Fields,
    p: &Problems,
    status: StatusCode,
) -> Response {
    let loaded = async {
        let mut pooled = state.db.acquire().await?;
        products::list(&mut pooled.conn(), None, 1000).await
    }
    .await;
    let page = match loaded {
        Ok(x) => x,
        Err(e) => return layout::failure(&e.to_string()),
    };
    let body = html! {
        (p.banner())
        table {
            thead { tr { th { "代码" } th { "名称" } th { "类型" } th { "风险等级" } th { "起投金额" } th { "更新" } } }
            tbody {
                @for x in &page.items {
                    tr data-product=(x.id) {
                        td { a href={ "/console/products/" (x.id) } { (x.code) } }
                        td { (x.name) @if x.liquidated_at.is_some() { " " span.badge { "已清算" } } }
                        td { (x.kind) }
                        td data-field="risk_rating" { (x.risk_rating.name()) }
                        td { (x.min_subscription) }
                        td { (when(x.updated_at)) }
                    }
                }
            }
        }
        @if may(&signed.staff, "POST", "/v1/products") {
            form.card method="post" action=(SECTION) {
                h2 { "新增产品" }
                (form::csrf_input(signed))
                (text_input(fields, p, "code", "产品代码"))
                (fields_of(fields, p, None))
                p { button type="submit" { "新增" } }
            }
        }
    };
    layout::respond(status, layout::page(Some(signed), SECTION, "产品", body))
}

fn text_input(fields: &Fields, p: &Problems, name: &str, label: &str) -> Markup {
    html! {
        label for=(name) { (label) }
        input #(name) type="text" name=(name) value=(form::value(fields, name).unwrap_or(""));
        (p.at(name))
    }
}

/// Name, kind, rating and minimum, filled from the form or else the product.
fn fields_of(fields: &Fields, p: &Problems, product: Option<&Product>) -> Markup {
    let v = |name: &str, current: Option<String>| {
        form::value(fields, name)
            .map(str::to_string)
            .or(current)
            .unwrap_or_default()
    };
    let rating = v(
        "risk_rating",
        product.map(|x| x.risk_rating.name().to_string()),
    );
    html! {
        label for="name" { "名称" }
        input #name type="text" name="name" maxlength=(products::MAX_NAME) value=(v("name", product.map(|x| x.name.clone())));
        (p.at("name"))
        label for="kind" { "类型（如 private_securities、private_equity）" }
        input #kind type="text" name="kind" maxlength=(products::MAX_KIND) value=(v("kind", product.map(|x| x.kind.clone())));
        (p.at("kind"))
        label for="risk_rating" { "风险等级" }
        select #risk_rating name="risk_rating" {
            @for r in RATINGS { option value=(r) selected[rating == r] { (r) } }
        }
        (p.at("risk_rating"))
        label for="min_subscription" { "起投金额（元）" }
        input #min_subscription type="text" inputmode="decimal" name="min_subscription"
            value=(v("min_subscription", product.map(|x| x.min_subscription.to_string())));
        (p.at("min_subscription"))
    }
}

async fn create(
    State(state): State<AppState>,
    signed: Signed,
    Form(fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/products") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let new: NewProduct = match form::parse(form::to_json(&fields, &["action"], &[])) {
        Ok(n) => n,
        Err(p) => return show_list(&state, &signed, &fields, &p, unprocessable).await,
    };
    let done = async {
        let mut tx = state.db.begin().await?;
        let made = products::create(&mut tx.conn(), &state.ctx(), &signed.staff, new).await?;
        tx.commit().await?;
        Ok::<_, WorkflowError>(made)
    }
    .await;
    match done {
        Ok(made) => Redirect::to(&format!("/console/products/{}", made.id)).into_response(),
        Err(e) => match form::refusal(&e) {
            Some(p) => show_list(&state, &signed, &fields, &p, unprocessable).await,
            None => layout::failure(&e.to_string()),
        },
    }
}

async fn one(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    if !may(&signed.staff, "GET", "/v1/products/{id}") {
        return layout::forbidden(&signed);
    }
    show(
        &state,
        &signed,
        &id,
        &Fields::new(),
        None,
        &Problems::default(),
        StatusCode::OK,
    )
    .await
}

async fn show(
    state: &AppState,
    signed: &Signed,
    id: &str,
    fields: &Fields,
    impact: Option<&RerateImpact>,
    p: &Problems,
    status: StatusCode,
) -> Response {
    let loaded = async {
        let mut pooled = state.db.acquire().await?;
        products::get(&mut pooled.conn(), id).await
    }
    .await;
    let x = match loaded {
        Ok(x) => x,
        Err(e) => return layout::unavailable(signed, "产品", e),
    };
    let editable = may(&signed.staff, "PATCH", "/v1/products/{id}");
    let body = html! {
        (p.banner())
        dl.facts {
            dt { "代码" } dd { (x.code) }
            dt { "当前风险等级" } dd data-field="risk_rating" { (x.risk_rating.name()) }
            dt { "更新时间" } dd { (when(x.updated_at)) }
        }
        @if let Some(i) = impact { (impact_of(i)) }
        @if editable && x.liquidated_at.is_none() {
            form.card method="post" action={ "/console/products/" (x.id) } {
                h2 { "修改产品" }
                (form::csrf_input(signed))
                (fields_of(fields, p, Some(&x)))
                p {
                    button type="submit" name="action" value="preview" { "预览对持仓的影响" }
                    @if impact.is_some() {
                        input type="hidden" name="previewed" value=(fingerprint(fields, &x));
                        " " button.secondary type="submit" name="action" value="confirm" { "确认修改" }
                    }
                }
                p.muted { "修改须先预览：系统按新等级逐笔重新评估该产品的存量持仓，显示将发生的变化，确认后才生效。" }
            }
        }
    };
    let title = format!("产品 · {}", x.name);
    layout::respond(status, layout::page(Some(signed), SECTION, &title, body))
}

fn impact_of(i: &RerateImpact) -> Markup {
    html! {
        section.card role="status" {
            h2 { "修改的影响（尚未生效）" }
            div.counts {
                div { "存量持仓" strong data-field="holdings" { (i.holdings) } }
                div { "结论变化" strong data-field="verdict_changed" { (i.verdict_changed) } }
                div { "不再匹配" strong data-field="no_longer_match" { (i.no_longer_match) } }
                div { "定期回访频率变化" strong data-field="periodic_changed" { (i.periodic_changed) } }
                div { "新增特定回访" strong data-field="special_callbacks" { (i.special_callbacks) } }
            }
        }
    }
}

async fn change(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let confirming = form::value(&fields, "action") == Some("confirm");
    let route = if confirming {
        ("PATCH", "/v1/products/{id}")
    } else {
        ("POST", "/v1/products/{id}/impact")
    };
    if !may(&signed.staff, route.0, route.1) {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let change: ProductChange =
        match form::parse(form::to_json(&fields, &["action", "previewed"], &[])) {
            Ok(c) => c,
            Err(p) => return show(&state, &signed, &id, &fields, None, &p, unprocessable).await,
        };
    // A change is made only as it was previewed: edited after the preview, it is previewed again.
    // The product must also be as it was then: changed by someone since, it is previewed again.
    let current = async {
        let mut pooled = state.db.acquire().await?;
        products::get(&mut pooled.conn(), &id).await
    };
    let confirmed = confirming
        && match current.await {
            Ok(x) => form::value(&fields, "previewed") == Some(fingerprint(&fields, &x).as_str()),
            Err(e) => return refused(&state, &signed, &id, &fields, e).await,
        };
    if !confirmed {
        return match rerating::preview(&state.db, &state.ctx(), &signed.staff, &id, change).await {
            Ok(i) => {
                show(
                    &state,
                    &signed,
                    &id,
                    &fields,
                    Some(&i),
                    &Problems::default(),
                    StatusCode::OK,
                )
                .await
            }
            Err(e) => refused(&state, &signed, &id, &fields, e).await,
        };
    }
    let done = async {
        let mut tx = state.db.begin().await?;
        products::update(&mut tx.conn(), &state.ctx(), &signed.staff, &id, change).await?;
        tx.commit().await?;
        Ok::<_, WorkflowError>(())
    }
    .await;
    match done {
        Ok(()) => Redirect::to(&format!("/console/products/{id}")).into_response(),
        Err(e) => refused(&state, &signed, &id, &fields, e).await,
    }
}

/// The previewed values and the product's last change, so a confirmation can tell that neither
/// the form nor the product changed since the preview.
fn fingerprint(fields: &Fields, product: &Product) -> String {
    let mut parts: Vec<String> = ["name", "kind", "risk_rating", "min_subscription"]
        .iter()
        .map(|n| form::value(fields, n).unwrap_or("").trim().to_string())
        .collect();
    parts.push(product.updated_at.to_rfc3339());
    parts.join("\u{1f}")
}

async fn refused(
    state: &AppState,
    signed: &Signed,
    id: &str,
    fields: &Fields,
    e: WorkflowError,
) -> Response {
    match form::refusal(&e) {
        Some(p) => {
            let status = match e {
                WorkflowError::NotFound(_) => StatusCode::NOT_FOUND,
                WorkflowError::Conflict { .. } => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            show(state, signed, id, fields, None, &p, status).await
        }
        None => layout::failed(signed, e),
    }
}
