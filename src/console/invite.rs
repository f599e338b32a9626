//! The investor's own pages (H5) at `/i/{code}`, without a staff account: confirm who they are,
//! fill the questionnaire, see their level, sign the risk disclosure (and a warning letter for a
//! mismatch). The browser that passed the identity check holds a secret cookie (Path=/i/); each
//! form carries a CSRF value derived from it. Every step is `workflow::invitations`.

use std::net::SocketAddr;

use axum::Form;
use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::header::{SET_COOKIE, USER_AGENT};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use sha2::{Digest, Sha256};

use super::form::{self, Fields, Problems};
use super::layout::{self, day};
use super::session::{self, same_secret};
use crate::http::AppState;
use crate::store::assessments as stored_assessments;
use crate::workflow::assessments::Submission;
use crate::workflow::invitations::{self, Confirmation, Signing};
use crate::workflow::{Ctx, WorkflowError};

const COOKIE: &str = "suitability_invite";
/// The identity check form's CSRF secret, before the visitor is admitted.
const CHECK_COOKIE: &str = "suitability_link_check";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/i/{code}", get(show))
        .route("/i/{code}/verify", post(verify))
        .route("/i/{code}/assess", post(assess))
        .route("/i/{code}/sign", post(sign))
}

fn csrf_of(secret: &str) -> String {
    crate::hex::hex(&Sha256::digest(format!("csrf:{secret}").as_bytes()))
}

fn frame(title: &str, body: Markup, status: StatusCode) -> Response {
    layout::respond(status, layout::page(None, "", title, body))
}

fn gone(e: &WorkflowError) -> Option<Response> {
    let sentence = match e {
        WorkflowError::NotFound(_) => "链接无效，请向您的客户经理索取新的链接。",
        WorkflowError::Conflict {
            code: "link_used", ..
        } => "此链接已使用完毕，感谢您的配合。",
        WorkflowError::Conflict {
            code: "link_locked",
            ..
        } => "身份核验错误次数过多，链接已锁定，请联系您的客户经理。",
        WorkflowError::Conflict {
            code: "link_expired",
            ..
        } => "此链接已过期，请向您的客户经理索取新的链接。",
        WorkflowError::Conflict {
            code: "link_in_use",
            ..
        } => "此链接已在其他设备上打开，请在原设备上继续。",
        _ => return None,
    };
    Some(frame(
        "投资者自助服务",
        html! { p.notice.bad role="alert" { (sentence) } },
        StatusCode::GONE,
    ))
}

fn verify_form(code: &str, csrf: &str, p: &Problems, asked: Confirmation) -> Markup {
    html! {
        (p.banner())
        form.card method="post" action={ "/i/" (code) "/verify" } {
            input type="hidden" name="csrf" value=(csrf);
            p { "为保护您的信息，请先核验身份。" }
            label for="id_last4" { "证件号码后四位" }
            input #id_last4 type="text" name="id_last4" maxlength="4" autocomplete="off" required;
            (p.at("id_last4"))
            @match asked {
                Confirmation::BirthDate => {
                    label for="birth_date" { "出生日期" }
                    input #birth_date type="date" name="birth_date" required;
                }
                Confirmation::PhoneLast4 => {
                    label for="phone_last4" { "预留手机号码后四位" }
                    input #phone_last4 type="text" inputmode="numeric" name="phone_last4" maxlength="4" autocomplete="off" required;
                }
            }
            button type="submit" { "核验身份" }
        }
    }
}

/// The investor reads Chinese: the workflow's messages for the fields of these pages, in Chinese.
fn in_chinese(p: &Problems) -> Problems {
    let fields = p
        .fields
        .iter()
        .map(|(k, v)| {
            let zh = match k.as_str() {
                "id_last4" => format!(
                    "身份信息不符（{}）",
                    v.replace("does not match; ", "")
                        .replace(" tries left", " 次机会")
                ),
                "typed_name" => "请输入您登记的完整姓名".to_string(),
                "agreed" => "请勾选确认您已阅读上述内容".to_string(),
                _ if k.starts_with("answers") => "请回答此题".to_string(),
                _ => v.clone(),
            };
            (k.clone(), zh)
        })
        .collect();
    Problems {
        fields,
        notice: p.notice.clone(),
    }
}

/// The page for the link as it stands: identity check, questionnaire, or the documents to sign.
async fn stage(
    state: &AppState,
    headers: &HeaderMap,
    code: &str,
    p: &Problems,
    fields: &Fields,
) -> Response {
    let p = &in_chinese(p);
    let ctx = state.ctx();
    let secret = session::cookie(headers, COOKIE).unwrap_or("").to_string();
    let loaded = async {
        let mut pooled = state.db.acquire().await?;
        let c = &mut pooled.conn();
        let asked = invitations::confirmation(c, &ctx, code).await?;
        let (inv, investor) = match invitations::visitor(c, &ctx, code, &secret).await {
            Ok(x) => x,
            Err(WorkflowError::Forbidden { .. }) => return Ok(Err(asked)),
            Err(e) => return Err(e),
        };
        let assessment = match &inv.assessment_id {
            Some(id) => stored_assessments::get(c, id).await?,
            None => None,
        };
        let level = assessment.as_ref().map(|a| a.level.to_string());
        let docs = invitations::documents(c, &inv, &investor, level.as_deref()).await?;
        let signed = crate::store::invitations::signatures_of(c, &investor.id).await?;
        Ok::<_, WorkflowError>(Ok((inv, investor, assessment, docs, signed)))
    }
    .await;
    let (inv, investor, assessment, docs, signed) = match loaded {
        Ok(Ok(x)) => x,
        Ok(Err(asked)) => {
            let Ok(login) = crate::store::staff::random_secret() else {
                return layout::failure("no randomness");
            };
            let mut r = frame(
                "核验身份",
                verify_form(code, &login, p, asked),
                if p.notice.is_some() {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    StatusCode::OK
                },
            );
            // Its own cookie, on the link's path only: a staff member who opens an investor's
            // link in their browser does not lose the sign-in form's secret, nor the reverse.
            let cookie = format!(
                "{CHECK_COOKIE}={login}; Path=/i/; HttpOnly; SameSite=Strict; Max-Age=1800{}",
                if session::over_tls(state, headers) {
                    "; Secure"
                } else {
                    ""
                }
            );
            if let Ok(v) = cookie.parse() {
                r.headers_mut().insert(SET_COOKIE, v);
            }
            return r;
        }
        Err(e) => return gone(&e).unwrap_or_else(|| layout::failure(&e.to_string())),
    };
    let csrf = csrf_of(&secret);
    let Some(a) = assessment else {
        let q = ctx
            .questionnaires
            .latest_each()
            .into_iter()
            .filter(|q| q.applies_to == investor.kind)
            .min_by_key(|q| q.sample);
        let Some(q) = q else {
            return layout::failure("no questionnaire");
        };
        let body = super::assess::questions(&q, &format!("/i/{code}/assess"), &csrf, fields, p);
        return frame(
            "风险承受能力评估问卷",
            body,
            if p.notice.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            },
        );
    };
    let body = html! {
        (p.banner())
        section.card {
            p { (investor.name) "，您的风险承受能力等级为 " strong data-field="level" { (a.level) } "（得分 " span data-field="score" { (a.score) } "），有效期至 " (day(a.valid_until)) "。" }
        }
        @for (doc, text) in &docs {
            @let done = signed.iter().any(|s| s.invitation_id == inv.id && s.document == *doc);
            section.card data-document=(doc) {
                @for line in text.lines() { p { (line) } }
                @if done {
                    p.notice.ok data-field="signed" { "已签署。" }
                } @else {
                    form method="post" action={ "/i/" (code) "/sign" } {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="document" value=(doc);
                        label for={ (doc) "-name" } { "请输入您的姓名以签署" }
                        input id={ (doc) "-name" } type="text" name="typed_name" required;
                        (p.at("typed_name"))
                        div { input id={ (doc) "-agreed" } type="checkbox" name="agreed" value="true"; label.inline for={ (doc) "-agreed" } { "本人已阅读并理解上述内容" } }
                        (p.at("agreed"))
                        button type="submit" { "签署" }
                    }
                }
            }
        }
    };
    frame(
        "风险揭示与签署",
        body,
        if p.notice.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
    )
}

/// A step refused: the link gone, or the page again with what to change.
async fn refused(
    state: &AppState,
    headers: &HeaderMap,
    code: &str,
    fields: &Fields,
    e: WorkflowError,
) -> Response {
    if let Some(r) = gone(&e) {
        return r;
    }
    match form::refusal(&e) {
        Some(p) => stage(state, headers, code, &p, fields).await,
        None => layout::failure(&e.to_string()),
    }
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    stage(&state, &headers, &code, &Problems::default(), &Vec::new()).await
}

async fn verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let expected = session::cookie(&headers, CHECK_COOKIE).unwrap_or("");
    if expected.is_empty() || !same_secret(form::value(&fields, "csrf").unwrap_or(""), expected) {
        return stage(
            &state,
            &headers,
            &code,
            &Problems::notice("表单已过期，请重新输入。"),
            &fields,
        )
        .await;
    }
    let ctx = state.ctx();
    let checked = async {
        let mut tx = state.db.begin().await?;
        let last4 = form::value(&fields, "id_last4").unwrap_or("");
        let birth = form::value(&fields, "birth_date")
            .or_else(|| form::value(&fields, "phone_last4"))
            .unwrap_or("");
        // A wrong answer is counted even though the check fails: the count must stick.
        let r = invitations::verify(&mut tx.conn(), &ctx, &code, last4, birth).await;
        tx.commit().await?;
        r
    }
    .await;
    match checked {
        Ok(secret) => {
            let mut r = Redirect::to(&format!("/i/{code}")).into_response();
            let cookie = format!(
                "{COOKIE}={secret}; Path=/i/; HttpOnly; SameSite=Strict; Max-Age=86400{}",
                if session::over_tls(&state, &headers) {
                    "; Secure"
                } else {
                    ""
                }
            );
            if let Ok(v) = cookie.parse() {
                r.headers_mut().insert(SET_COOKIE, v);
            }
            r
        }
        Err(e) => refused(&state, &headers, &code, &fields, e).await,
    }
}

/// The visitor's secret if the form's CSRF value belongs to it.
fn checked_secret(headers: &HeaderMap, fields: &Fields) -> Option<String> {
    let secret = session::cookie(headers, COOKIE)?;
    same_secret(form::value(fields, "csrf")?, &csrf_of(secret)).then(|| secret.to_string())
}

async fn with_visitor<T>(
    state: &AppState,
    code: &str,
    secret: &str,
    step: impl AsyncFnOnce(
        &mut crate::store::Conn<'_>,
        &Ctx<'_>,
        crate::store::invitations::Invitation,
        crate::store::investors::Investor,
    ) -> Result<T, WorkflowError>,
) -> Result<T, WorkflowError> {
    let ctx = state.ctx();
    let mut tx = state.db.begin().await?;
    let (inv, investor) = invitations::visitor(&mut tx.conn(), &ctx, code, secret).await?;
    let out = step(&mut tx.conn(), &ctx, inv, investor).await?;
    tx.commit().await?;
    Ok(out)
}

async fn assess(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let Some(secret) = checked_secret(&headers, &fields) else {
        return stage(
            &state,
            &headers,
            &code,
            &Problems::notice("表单已过期，请刷新页面后重新提交。"),
            &Vec::new(),
        )
        .await;
    };
    let qid = form::value(&fields, "questionnaire_id")
        .unwrap_or("")
        .to_string();
    let Some(q) = state.questionnaires.latest(&qid) else {
        return stage(
            &state,
            &headers,
            &code,
            &Problems::notice("问卷已更新，请重新填写。"),
            &Vec::new(),
        )
        .await;
    };
    let sub: Submission = match form::parse(super::assess::submission(&q, &fields)) {
        Ok(s) => s,
        Err(p) => return stage(&state, &headers, &code, &p, &fields).await,
    };
    let done = with_visitor(&state, &code, &secret, async |c, ctx, inv, _| {
        invitations::assess(c, ctx, &inv, sub).await
    })
    .await;
    match done {
        Ok(_) => Redirect::to(&format!("/i/{code}")).into_response(),
        Err(e) => refused(&state, &headers, &code, &fields, e).await,
    }
}

async fn sign(
    State(state): State<AppState>,
    headers: HeaderMap,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let Some(secret) = checked_secret(&headers, &fields) else {
        return stage(
            &state,
            &headers,
            &code,
            &Problems::notice("表单已过期，请刷新页面后重新提交。"),
            &Vec::new(),
        )
        .await;
    };
    let ua = headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let ip =
        session::client_ip(&state.config.console.trusted_proxies, peer.ip(), &headers).to_string();
    let document = form::value(&fields, "document").unwrap_or("").to_string();
    let typed = form::value(&fields, "typed_name").unwrap_or("").to_string();
    let agreed = form::value(&fields, "agreed") == Some("true");
    let done = with_visitor(&state, &code, &secret, async |c, _, inv, investor| {
        let level = match &inv.assessment_id {
            Some(id) => stored_assessments::get(c, id)
                .await?
                .map(|a| a.level.to_string()),
            None => None,
        };
        let s = Signing {
            document: &document,
            typed_name: &typed,
            agreed,
            ip: &ip,
            user_agent: &ua,
        };
        invitations::sign(c, &inv, &investor, level.as_deref(), s).await
    })
    .await;
    match done {
        Ok(_) => match stage(&state, &headers, &code, &Problems::default(), &Vec::new()).await {
            r if r.status() == StatusCode::GONE => frame(
                "签署完成",
                html! { p.notice.ok data-field="status" { "全部文件已签署，感谢您的配合。您的客户经理将与您联系后续事宜。" } },
                StatusCode::OK,
            ),
            r => r,
        },
        Err(e) => refused(&state, &headers, &code, &fields, e).await,
    }
}
