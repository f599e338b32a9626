//! Forms: the CSRF check every form passes, the form's fields turned into the API's JSON body (so
//! a page is parsed by the very types the API uses), and a workflow's refusal turned into
//! messages beside the fields and a sentence saying what to do next.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Map, Value};

use super::layout;
use super::session::{Signed, same_secret};
use crate::domain::FieldProblem;
use crate::workflow::WorkflowError;

/// The longest field name, the most nesting steps and the largest row index a form may use.
const MAX_NAME: usize = 128;
const MAX_DEPTH: usize = 4;
const MAX_INDEX: usize = 50;

/// A submitted form, as (name, value) pairs in order.
pub type Fields = Vec<(String, String)>;

/// `text` percent-encoded for a query string.
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of field `name`, if present.
pub fn value<'f>(fields: &'f Fields, name: &str) -> Option<&'f str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The refusal (403) of a form whose CSRF field does not match the session's; None when it does.
pub fn csrf_refused(signed: &Signed, fields: &Fields) -> Option<Response> {
    match value(fields, "csrf") {
        Some(sent) if same_secret(sent, &signed.csrf) => None,
        _ => Some(layout::respond(
            StatusCode::FORBIDDEN,
            layout::page(
                Some(signed),
                "",
                "表单已失效",
                html! {
                    p.notice.bad { "表单已过期或来源不明，未做任何更改。请返回上一页刷新后重新提交。" }
                },
            ),
        )),
    }
}

/// The hidden CSRF input of a form.
pub fn csrf_input(signed: &Signed) -> Markup {
    html! { input type="hidden" name="csrf" value=(signed.csrf); }
}

/// The fields as the API's JSON body: `a.b` nests objects, `a[0].b` arrays; empty values are
/// left out (as an absent JSON field), and `csrf` and `skip` are dropped. Values stay strings;
/// `typed` converts the named fields ("bool" or "int"; `answers.*` names every field under
/// `answers.`) as the API expects them.
pub fn to_json(fields: &Fields, skip: &[&str], typed: &[(&str, &str)]) -> Value {
    let mut root = Value::Object(Map::new());
    for (name, raw) in fields {
        if name == "csrf" || skip.contains(&name.as_str()) || raw.trim().is_empty() {
            continue;
        }
        // The console's own forms nest a few levels at most: anything deeper or longer is not
        // theirs, and is dropped before it can build a deep value.
        if name.len() > MAX_NAME || name.matches(['.', '[']).count() > MAX_DEPTH {
            continue;
        }
        let wanted = |f: &str| {
            f == name
                || f.strip_suffix('*')
                    .is_some_and(|prefix| name.starts_with(prefix))
        };
        let leaf = match typed.iter().find(|(f, _)| wanted(f)).map(|(_, t)| *t) {
            Some("bool") => Value::Bool(raw == "true" || raw == "on"),
            Some("int") => raw
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(raw.clone())),
            _ => Value::String(raw.clone()),
        };
        insert(&mut root, &path_of(name), leaf);
    }
    root
}

enum Step {
    Key(String),
    Index(usize),
}

fn path_of(name: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for part in name.split('.') {
        match part.split_once('[') {
            Some((key, rest)) => {
                steps.push(Step::Key(key.to_string()));
                match rest.trim_end_matches(']').parse::<usize>() {
                    Ok(i) if i <= MAX_INDEX => steps.push(Step::Index(i)),
                    // A form has a few rows at most; a larger index is not ours: the field is
                    // kept under a key no body type accepts, so it is refused by name.
                    _ => steps.push(Step::Key(part.to_string())),
                }
            }
            None => steps.push(Step::Key(part.to_string())),
        }
    }
    steps
}

fn insert(node: &mut Value, path: &[Step], leaf: Value) {
    let Some((first, rest)) = path.split_first() else {
        *node = leaf;
        return;
    };
    let child = match first {
        Step::Key(k) => {
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            let Value::Object(map) = node else { return };
            map.entry(k.clone()).or_insert(Value::Null)
        }
        Step::Index(i) => {
            if !node.is_array() {
                *node = Value::Array(Vec::new());
            }
            let Value::Array(items) = node else { return };
            while items.len() <= *i {
                items.push(Value::Null);
            }
            &mut items[*i]
        }
    };
    insert(child, rest, leaf);
}

/// The API's body type from the form's JSON, a parse failure named by its field path as the API
/// names it (`satisfaction.service: missing field`).
pub fn parse<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, Problems> {
    serde_path_to_error::deserialize::<_, T>(body).map_err(|e| {
        let path = e.path().to_string();
        // An empty input is left out of the body: serde names it as a missing field of the
        // object around it, and the page names it as the input.
        let message = e.inner().to_string();
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (path.as_str(), missing) {
            (".", Some(name)) => name.to_string(),
            (_, Some(name)) => format!("{path}.{name}"),
            (".", None) => "body".to_string(),
            _ => path,
        };
        let mut p = Problems::of(&[FieldProblem::new(field.clone(), e.inner().to_string())]);
        if field == "body" {
            p.notice = Some(format!("提交的内容有误：{}", e.inner()));
        }
        p
    })
}

/// A refusal, as the page shows it: a message beside each field, and a sentence for the rest.
#[derive(Debug, Default)]
pub struct Problems {
    pub fields: BTreeMap<String, String>,
    pub notice: Option<String>,
}

impl Problems {
    /// A sentence for the whole form, no field named.
    pub fn notice(text: &str) -> Problems {
        Problems {
            fields: BTreeMap::new(),
            notice: Some(text.to_string()),
        }
    }

    pub fn of(field_problems: &[FieldProblem]) -> Problems {
        Problems {
            fields: field_problems
                .iter()
                .map(|p| (p.field.clone(), p.problem.clone()))
                .collect(),
            notice: Some("提交的内容有误，请按提示修改后重新提交。".into()),
        }
    }

    /// The message beside `field` (and its sub-fields, e.g. `answers.x` under `answers`).
    pub fn at(&self, field: &str) -> Markup {
        let msgs: Vec<&String> = self
            .fields
            .iter()
            .filter(|(k, _)| {
                *k == field
                    || k.strip_prefix(field)
                        .is_some_and(|r| r.starts_with('.') || r.starts_with('['))
            })
            .map(|(_, v)| v)
            .collect();
        html! {
            @for m in msgs {
                p.error role="alert" data-error-for=(field) { "请检查此项：" (m) }
            }
        }
    }

    /// The sentence for the form and a summary of every field's problem (each is also shown
    /// beside its field where the page has one).
    pub fn banner(&self) -> Markup {
        html! {
            @if let Some(n) = &self.notice {
                div.notice.bad role="alert" {
                    (n)
                    @if !self.fields.is_empty() {
                        ul.summary {
                            @for (field, problem) in &self.fields {
                                li data-problem=(field) { code { (field) } "：" (problem) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What to tell the member when a workflow refuses (None: not a refusal, a failure).
pub fn refusal(e: &WorkflowError) -> Option<Problems> {
    Some(match e {
        WorkflowError::Invalid(p) => Problems::of(p),
        WorkflowError::Unprocessable { problems, .. } => Problems::of(problems),
        WorkflowError::Conflict { code, message } | WorkflowError::Forbidden { code, message } => {
            Problems {
                fields: BTreeMap::new(),
                notice: Some(next_step(code, message)),
            }
        }
        WorkflowError::NotFound(what) => Problems {
            fields: BTreeMap::new(),
            notice: Some(format!("未找到（{what}），或您无权操作。")),
        },
        WorkflowError::TooManyRequests(_) => Problems {
            fields: BTreeMap::new(),
            notice: Some("操作过于频繁，请一分钟后再试。".into()),
        },
        _ => return None,
    })
}

/// A state conflict as a plain sentence with what to do next.
fn next_step(code: &str, message: &str) -> String {
    match code {
        "cooling_off_not_over" => {
            "投资冷静期尚未结束，冷静期内不得联系投资者。请在冷静期结束后再进行回访。".into()
        }
        "attempt_too_soon" => {
            "距上次未接通的尝试不足规定间隔，请稍后再拨（详见：".to_string()
                + message
                + "）。"
        }
        "already_claimed" => "该回访已由其他回访人员认领，请从队列中选择其他任务。".into(),
        "not_claimed" => "请先认领该回访，再记录结果。".into(),
        "not_assignee" => "该回访由其他回访人员负责，您不能记录结果。".into(),
        "callback_closed" => "该回访已结束或已变更，请刷新页面查看最新状态。".into(),
        "not_due" => "该回访尚未到期，请在计划时间内回访。".into(),
        "separation_of_duties" => {
            "职责分离：销售人员及向该投资者销售过产品的人员不得办理其回访。".into()
        }
        "same_author" => "双人复核：规则版本须由作者以外的另一位风险管理人员激活。".into(),
        "already_active" => "该版本已经生效，无需再次激活。".into(),
        "already_issued" => {
            "该表单已签发过令牌（令牌只显示一次，未再次签发）。如需新令牌，请重新填写下方表单。"
                .into()
        }
        "staff_disabled" => "该人员已停用，不签发令牌。".into(),
        "duplicate_investor" => "该证件号码的投资者已存在，请勿重复建档。".into(),
        _ => format!("操作未完成：{message}"),
    }
}

/// The page for a workflow error: a refusal re-shows the form via `again`; anything else fails.
pub fn or_again(e: WorkflowError, again: impl FnOnce(Problems) -> Response) -> Response {
    match refusal(&e) {
        Some(p) => again(p),
        None => layout::failure(&e.to_string()),
    }
}
