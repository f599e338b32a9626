//! One investor's profile, masked as the API masks it: identity facts, the latest assessment,
//! the classification, holdings, orders, callbacks and complaints (each list from the workflow
//! function its API endpoint calls), and the sales owner's button for the investor's own link.

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};

use super::callbacks::{kind_zh as callback_kind_zh, status_zh as callback_status_zh};
use super::form::{self, Fields};
use super::investors::{kind_zh, level_badge};
use super::layout::{self, day, may, when};
use super::session::{self, Signed};
use crate::domain::state::ComplaintStatus;
use crate::http::AppState;
use crate::store::orders::Order;
use crate::workflow::WorkflowError;
use crate::workflow::investors::activity::{self, CallbackLines, ComplaintLines};
use crate::workflow::investors::{self, InvestorResponse};

const SECTION: &str = "/console/investors";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/investors/{id}", get(profile))
        .route("/console/investors/{id}/invite", post(invite))
}

struct Profile {
    investor: InvestorResponse,
    products: Vec<crate::store::products::Product>,
    orders: Vec<Order>,
    callbacks: CallbackLines,
    complaints: ComplaintLines,
}

async fn load(state: &AppState, signed: &Signed, id: &str) -> Result<Profile, WorkflowError> {
    let (ctx, staff) = (state.ctx(), &signed.staff);
    let mut tx = state.db.begin().await?;
    let investor = investors::get(&mut tx.conn(), &ctx, staff, id, false).await?;
    let orders = crate::workflow::sale::investor_orders(&mut tx.conn(), &ctx, staff, id).await?;
    let callbacks = activity::callbacks(&mut tx.conn(), staff, id).await?;
    let complaints = activity::complaints(&mut tx.conn(), staff, id).await?;
    let products = crate::workflow::products::list(&mut tx.conn(), None, 500)
        .await?
        .items;
    tx.commit().await?;
    Ok(Profile {
        investor,
        products,
        orders,
        callbacks,
        complaints,
    })
}

async fn profile(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    if !may(&signed.staff, "GET", "/v1/investors/{id}") {
        return layout::forbidden(&signed);
    }
    let p = match load(&state, &signed, &id).await {
        Ok(p) => p,
        Err(e) => return layout::unavailable(&signed, "投资者", e),
    };
    let i = &p.investor;
    let body = html! {
        (facts(i))
        (actions(&signed, i, &p.products))
        h2 { "风险承受能力评估" }
        (assessment(i))
        h2 { "订单与持有" }
        (orders(&p.orders))
        h2 { "回访" }
        (callbacks(&signed, &p.callbacks))
        h2 { "投诉" }
        (complaints(&p.complaints))
    };
    layout::respond(
        StatusCode::OK,
        layout::page(Some(&signed), SECTION, &i.name, body),
    )
}

fn dash(v: Option<String>) -> String {
    v.unwrap_or_else(|| "—".to_string())
}

fn facts(i: &InvestorResponse) -> Markup {
    let professional = i.investor_type.to_string() == "professional";
    html! {
        section.card {
            dl.facts {
                dt { "类型" } dd data-field="kind" { (kind_zh(&i.kind.to_string())) }
                dt { "证件号码" } dd data-field="id_number" { (i.id_number) }
                dt { "手机" } dd data-field="phone" { (dash(i.phone.clone())) }
                dt { "邮箱" } dd data-field="email" { (dash(i.email.clone())) }
                dt { "年龄" } dd data-field="age" { (dash(i.age.map(|a| a.to_string()))) }
                dt { "合格投资者" } dd data-field="qualified" { @if i.qualified { "是" } @else { "否" } }
                dt { "投资者分类" } dd data-field="investor_type" { @if professional { "专业投资者" } @else { "普通投资者" } }
                dt { "建档时间" } dd { (when(i.created_at)) }
            }
        }
    }
}

fn actions(
    signed: &Signed,
    i: &InvestorResponse,
    products: &[crate::store::products::Product],
) -> Markup {
    let owner = i.sales_owner_id == signed.staff.id;
    html! {
        p {
            @if may(&signed.staff, "POST", "/v1/investors/{id}/assessments") {
                a.button href={ "/console/investors/" (i.id) "/assess" } { "进行风险评估" } " "
            }
            @if may(&signed.staff, "POST", "/v1/suitability/check") {
                a.button.secondary href={ "/console/investors/" (i.id) "/check" } { "检查产品适当性" }
            }
        }
        @if owner && may(&signed.staff, "POST", "/v1/investors/{id}/invitations") {
            form.card method="post" action={ "/console/investors/" (i.id) "/invite" } {
                (form::csrf_input(signed))
                p { "向投资者发送自助链接：投资者核验身份后自行填写问卷并签署风险揭示书（7 日内有效，仅可使用一次）。" }
                label for="invite_product_id" { "拟购产品（如风险不匹配，投资者将在链接中签署警示函）" }
                select #invite_product_id name="product_id" {
                    option value="" { "不指定" }
                    @for prod in products {
                        option value=(prod.id) { (prod.name) "（" (prod.code) "，" (prod.risk_rating) "）" }
                    }
                }
                button type="submit" { "生成投资者自助链接" }
            }
        }
    }
}

fn assessment(i: &InvestorResponse) -> Markup {
    html! {
        section.card {
            @match &i.assessment {
                None => p { "尚未评估。" },
                Some(a) => dl.facts {
                    dt { "风险等级" } dd { (level_badge(i)) }
                    dt { "得分" } dd data-field="score" { (a.score) }
                    dt { "评估时间" } dd { (when(a.assessed_at)) }
                    dt { "有效期至" } dd data-field="valid_until" { (day(a.valid_until)) }
                    @if !a.flags.is_empty() { dt { "提示" } dd { (a.flags.join("、")) } }
                },
            }
        }
    }
}

fn orders(orders: &[Order]) -> Markup {
    html! {
        @if orders.is_empty() {
            p.muted { "暂无订单。" }
        } @else {
            table {
                thead { tr { th { "订单" } th { "金额（元）" } th { "签署时间" } th { "状态" } } }
                tbody {
                    @for o in orders {
                        tr data-order=(o.id) {
                            td { a href={ "/console/orders/" (o.id) } { (o.id) } }
                            td { (o.amount) }
                            td { (when(o.signed_at)) }
                            td { (super::orders::status_zh(o.status)) }
                        }
                    }
                }
            }
        }
    }
}

fn callbacks(signed: &Signed, lines: &CallbackLines) -> Markup {
    // Only the desk opens a callback; everyone else sees where it stands.
    let open = may(&signed.staff, "GET", "/v1/callbacks/{id}");
    html! {
        @if lines.items.is_empty() {
            p.muted { "暂无回访。" }
        } @else {
            table {
                thead { tr { th { "回访" } th { "类型" } th { "应完成时间" } th { "状态" } th { "完成时间" } } }
                tbody {
                    @for cb in &lines.items {
                        tr data-callback=(cb.id) {
                            td { @if open { a href={ "/console/callbacks/" (cb.id) } { (cb.id) } } @else { (cb.id) } }
                            td { (callback_kind_zh(cb.kind)) }
                            td { (when(cb.due_by)) }
                            td { (callback_status_zh(cb.status)) }
                            td { (dash(cb.closed_at.map(when))) }
                        }
                    }
                }
            }
        }
    }
}

fn complaints(lines: &ComplaintLines) -> Markup {
    html! {
        @if lines.items.is_empty() {
            p.muted { "暂无投诉。" }
        } @else {
            table {
                thead { tr { th { "投诉" } th { "类别" } th { "渠道" } th { "受理时间" } th { "状态" } } }
                tbody {
                    @for x in &lines.items {
                        tr data-complaint=(x.id) {
                            td { (x.id) }
                            td { (category_zh(&x.category)) }
                            td { (channel_zh(&x.channel)) }
                            td { (when(x.received_at)) }
                            td { @match x.status { ComplaintStatus::Open => "处理中", ComplaintStatus::Resolved => "已办结" } }
                        }
                    }
                }
            }
        }
    }
}

pub fn category_zh(c: &str) -> &'static str {
    match c {
        "mis_selling" => "误导销售",
        "suitability" => "适当性",
        "service" => "服务",
        "fees" => "费用",
        "disclosure" => "信息披露",
        "redemption" => "赎回",
        "callback" => "回访",
        _ => "其他",
    }
}

pub fn channel_zh(c: &str) -> &'static str {
    match c {
        "phone" => "电话",
        "email" => "邮件",
        "letter" => "信函",
        "visit" => "来访",
        "online" => "网络",
        "regulator" => "监管转办",
        _ => "其他",
    }
}

/// The link the investor is sent: the configured public address, else this request's host.
fn link(state: &AppState, headers: &HeaderMap, path: &str) -> String {
    if let Some(base) = &state.config.console.public_url {
        return format!("{}{path}", base.trim_end_matches('/'));
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if session::over_tls(state, headers) {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}{path}")
}

async fn invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/investors/{id}/invitations") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let sent = async {
        let mut tx = state.db.begin().await?;
        let product_id = form::value(&fields, "product_id")
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        let req = crate::workflow::invitations::NewInvitation { product_id };
        let s = crate::workflow::invitations::create(
            &mut tx.conn(),
            &state.ctx(),
            &signed.staff,
            &id,
            req,
        )
        .await?;
        tx.commit().await?;
        Ok::<_, WorkflowError>(s)
    }
    .await;
    match sent {
        Ok(s) => {
            let body = html! {
                section.card {
                    p { "请将以下链接发送给投资者本人（仅显示一次，" (when(s.expires_at)) " 前有效）：" }
                    p { code data-field="invitation_url" { (link(&state, &headers, &s.url)) } }
                    p { a href={ "/console/investors/" (id) } { "返回投资者" } }
                }
            };
            layout::respond(
                StatusCode::CREATED,
                layout::page(Some(&signed), SECTION, "投资者自助链接", body),
            )
        }
        Err(WorkflowError::NotFound(_)) => layout::not_found(&signed, "投资者"),
        Err(e) => form::or_again(e, |p| {
            layout::respond(
                StatusCode::FORBIDDEN,
                layout::page(Some(&signed), SECTION, "投资者自助链接", p.banner()),
            )
        }),
    }
}
