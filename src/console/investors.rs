//! Sales' investor pages: my investors (search by name, level and validity badges, expired
//! assessments flagged), onboarding (inputs named as the API's fields, parsed by its types), and
//! one investor's profile, masked as the API masks it.

use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

use super::form::{self, Fields, Problems};
use super::layout::{self, day, may, when};
use super::session::Signed;
use crate::http::AppState;
use crate::workflow::WorkflowError;
use crate::workflow::investors::{self, InvestorResponse, NewInvestor};

const SECTION: &str = "/console/investors";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/investors", get(list))
        .route("/console/investors/new", get(new_form).post(create))
}

#[derive(Deserialize)]
pub struct ListQuery {
    name: Option<String>,
    after: Option<String>,
}

pub(super) fn level_badge(i: &InvestorResponse) -> Markup {
    html! {
        @match &i.assessment {
            None => span.badge.warn data-field="level" { "未评估" },
            Some(a) if !a.valid => span.badge.bad data-field="level" { (a.level) "（已过期）" },
            Some(a) => span.badge.ok data-field="level" { (a.level) },
        }
    }
}

async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(q): Query<ListQuery>,
) -> Response {
    if !may(&signed.staff, "GET", "/v1/investors") {
        return layout::forbidden(&signed);
    }
    let found = {
        let mut pooled = match state.db.acquire().await {
            Ok(p) => p,
            Err(e) => return layout::failure(&e.to_string()),
        };
        investors::list(
            &mut pooled.conn(),
            &state.ctx(),
            &signed.staff,
            q.after.as_deref(),
            q.name.as_deref(),
            Some(50),
        )
        .await
    };
    let page = match found {
        Ok(p) => p,
        Err(e) => {
            return form::or_again(e, |p| {
                let body = html! { (p.banner()) (p.at("name")) };
                layout::respond(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    layout::page(Some(&signed), SECTION, "我的投资者", body),
                )
            });
        }
    };
    let name = q.name.clone().unwrap_or_default();
    let body = html! {
        form.card method="get" action="/console/investors" role="search" {
            label for="name" { "按姓名搜索" }
            input #name type="text" name="name" value=(name) maxlength="100";
            " "
            button type="submit" { "搜索" }
            @if may(&signed.staff, "POST", "/v1/investors") {
                " "
                a.button href="/console/investors/new" { "新建投资者" }
            }
        }
        @if page.items.is_empty() {
            p.muted { "没有符合条件的投资者。" }
        } @else {
            table {
                thead { tr { th { "姓名" } th { "类型" } th { "风险等级" } th { "评估有效期至" } th { "合格投资者" } th { "建档时间" } } }
                tbody {
                    @for i in &page.items {
                        tr data-investor=(i.id) {
                            td { a href={ "/console/investors/" (i.id) } { (i.name) } }
                            td { (kind_zh(&i.kind.to_string())) }
                            td { (level_badge(i)) }
                            td { @if let Some(a) = &i.assessment { (day(a.valid_until)) } @else { "—" } }
                            td { @if i.qualified { span.badge.ok { "是" } } @else { span.badge.warn { "否" } } }
                            td { (when(i.created_at)) }
                        }
                    }
                }
            }
            @if let Some(next) = &page.next_after {
                p { a href={ "/console/investors?after=" (next) "&name=" (form::url_encode(&name)) } { "下一页" } }
            }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page(Some(&signed), SECTION, "我的投资者", body),
    )
}

pub(super) fn kind_zh(kind: &str) -> &'static str {
    match kind {
        "institution" => "机构",
        _ => "个人",
    }
}

/// A text input named as the API field, with its label and any message beside it.
fn text(p: &Problems, fields: &Fields, name: &str, label: &str, kind: &str) -> Markup {
    let v = form::value(fields, name).unwrap_or("");
    html! {
        label for=(name) { (label) }
        input id=(name) type=(kind) name=(name) value=(v) aria-invalid=[p.fields.contains_key(name).then_some("true")];
        (p.at(name))
    }
}

fn select(
    p: &Problems,
    fields: &Fields,
    name: &str,
    label: &str,
    options: &[(&str, &str)],
) -> Markup {
    let v = form::value(fields, name).unwrap_or("");
    html! {
        label for=(name) { (label) }
        select id=(name) name=(name) {
            @for (value, text) in options {
                option value=(value) selected[*value == v] { (text) }
            }
        }
        (p.at(name))
    }
}

fn onboarding(signed: &Signed, fields: &Fields, p: &Problems, status: StatusCode) -> Response {
    let body = html! {
        (p.banner())
        form.card method="post" action="/console/investors/new" {
            (form::csrf_input(signed))
            (select(p, fields, "kind", "投资者类型", &[("individual", "个人"), ("institution", "机构")]))
            (text(p, fields, "name", "姓名 / 机构名称", "text"))
            (select(p, fields, "id_type", "证件类型", &[("", "默认（个人：居民身份证；机构：统一社会信用代码）"),
                ("resident_id", "居民身份证"), ("unified_social_credit_code", "统一社会信用代码"),
                ("passport", "护照"), ("hk_macau_permit", "港澳居民来往内地通行证"), ("taiwan_permit", "台湾居民来往大陆通行证")]))
            (text(p, fields, "id_number", "证件号码", "text"))
            (text(p, fields, "birth_date", "出生日期（个人）", "date"))
            (text(p, fields, "phone", "手机号码", "text"))
            (text(p, fields, "email", "电子邮箱", "text"))
            (text(p, fields, "address", "联系地址", "text"))
            (text(p, fields, "occupation", "职业", "text"))
            (select(p, fields, "civil_capacity", "民事行为能力（个人）", &[("", "完全民事行为能力（默认）"), ("full", "完全"), ("limited", "限制"), ("none", "无")]))
            (text(p, fields, "financial_assets", "金融资产（元）", "text"))
            (text(p, fields, "avg_income_3y", "近三年年均收入（元）", "text"))
            (text(p, fields, "net_assets", "净资产（元，机构）", "text"))
            fieldset {
                legend { "资产或收入证明" }
                @for n in 0..2 {
                    (select(p, fields, &format!("evidence[{n}].kind"), "证明类型", &[("", "（无）"), ("asset_proof", "金融资产证明"), ("income_proof", "收入证明"), ("net_assets_proof", "净资产证明")]))
                    (text(p, fields, &format!("evidence[{n}].ref"), "证明文件编号或存放位置", "text"))
                    (text(p, fields, &format!("evidence[{n}].issued_at"), "出具日期", "date"))
                }
                (p.at("evidence"))
            }
            button type="submit" { "建档" }
        }
    };
    layout::respond(
        status,
        layout::page(Some(signed), SECTION, "新建投资者", body),
    )
}

async fn new_form(signed: Signed) -> Response {
    if !may(&signed.staff, "POST", "/v1/investors") {
        return layout::forbidden(&signed);
    }
    onboarding(&signed, &Vec::new(), &Problems::default(), StatusCode::OK)
}

async fn create(
    State(state): State<AppState>,
    signed: Signed,
    Form(fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/investors") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let again = |p: Problems| onboarding(&signed, &fields, &p, StatusCode::UNPROCESSABLE_ENTITY);
    let body = form::to_json(&fields, &[], &[]);
    let new: NewInvestor = match form::parse(body) {
        Ok(n) => n,
        Err(p) => return again(p),
    };
    let done = async {
        let mut tx = state.db.begin().await?;
        let created = investors::onboard(&mut tx.conn(), &state.ctx(), &signed.staff, new).await?;
        tx.commit().await?;
        Ok::<_, WorkflowError>(created)
    }
    .await;
    match done {
        Ok(i) => Redirect::to(&format!("/console/investors/{}", i.id)).into_response(),
        Err(e) => form::or_again(e, again),
    }
}
