//! The rule editor: a new draft starts from the active version (or any other), every file of the
//! set (rules, check catalogue, scripts, tests) in a code editor with line numbers and rhai
//! highlighting (`console.js`; a plain textarea without script). "Compile and test" runs the
//! upload's gate without storing (`rulesets::check`); "save as draft" is the upload itself. Each
//! compile error is shown at its file and line, each failing case with what was expected and
//! what came out.

use std::collections::{BTreeMap, BTreeSet};

use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

use super::form::{self, Fields};
use super::layout::{self, may};
use super::rulesets::SECTION;
use super::session::Signed;
use crate::http::AppState;
use crate::rules::RuleError;
use crate::rules::testing::{TestFailure, TestReport};
use crate::workflow::{WorkflowError, rulesets};

pub fn router() -> Router<AppState> {
    Router::new().route("/console/rulesets/new", get(start).post(submit))
}

#[derive(Deserialize)]
pub struct From {
    from: Option<String>,
}

/// What the last "compile and test" or save said.
enum Verdict {
    None,
    Passed(TestReport),
    Invalid(Vec<RuleError>),
    Failed(TestReport),
    Refused(form::Problems),
}

async fn start(State(state): State<AppState>, signed: Signed, Query(q): Query<From>) -> Response {
    if !may(&signed.staff, "POST", "/v1/rulesets") {
        return layout::forbidden(&signed);
    }
    let loaded = async {
        let mut pooled = state.db.acquire().await?;
        match q.from.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => {
                let version = rulesets::parse_version(v)?;
                rulesets::load(&mut pooled.conn(), version).await
            }
            None => rulesets::active(&mut pooled.conn()).await,
        }
    }
    .await;
    let base = match loaded {
        Ok(b) => b,
        Err(e) => return layout::unavailable(&signed, "规则版本", e),
    };
    let note = String::new();
    editor(
        &signed,
        base.version,
        &base.files.0,
        &note,
        &Verdict::None,
        StatusCode::OK,
    )
}

/// The files as submitted: `files.{path}` fields, browsers' CRLF line ends made LF again (the
/// stored files use LF, and a diff must not show every line changed), files ticked `remove`
/// dropped, and the new file added when it has a path.
fn files_of(fields: &Fields) -> Result<BTreeMap<String, String>, form::Problems> {
    let removed: BTreeSet<&str> = fields
        .iter()
        .filter(|(k, _)| k == "remove")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut files: BTreeMap<String, String> = fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("files.")?, v)))
        .filter(|(path, _)| !removed.contains(path))
        .map(|(path, v)| (path.to_string(), v.replace("\r\n", "\n")))
        .collect();
    let new_path = form::value(fields, "new_path").unwrap_or("").trim();
    if !new_path.is_empty() {
        // A new file never replaces one of the set (kept or ticked for removal) unseen.
        let taken = fields
            .iter()
            .any(|(k, _)| k.strip_prefix("files.") == Some(new_path));
        if taken {
            let problem = crate::domain::FieldProblem::new(
                "new_path",
                "a file of the set has this path: edit it above",
            );
            return Err(form::Problems::of(&[problem]));
        }
        let content = form::value(fields, "new_content").unwrap_or("");
        files.insert(new_path.to_string(), content.replace("\r\n", "\n"));
    }
    Ok(files)
}

async fn submit(
    State(state): State<AppState>,
    signed: Signed,
    Form(fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/rulesets") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let note = form::value(&fields, "note").unwrap_or("").to_string();
    let base = form::value(&fields, "from")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let files = match files_of(&fields) {
        Ok(f) => f,
        Err(p) => {
            // Shown again as submitted, the new file's path named as the problem.
            let shown = fields
                .iter()
                .filter_map(|(k, v)| {
                    Some((
                        k.strip_prefix("files.")?.to_string(),
                        v.replace("\r\n", "\n"),
                    ))
                })
                .collect();
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return editor(&signed, base, &shown, &note, &Verdict::Refused(p), status);
        }
    };
    let saving = form::value(&fields, "action") == Some("save");
    let result = if saving {
        rulesets::upload(&state.db, &signed.staff, files.clone(), &note)
            .await
            .map(|created| Ok(created.version))
    } else {
        rulesets::check(&files).await.map(Err)
    };
    let verdict = match result {
        Ok(Ok(version)) => {
            return Redirect::to(&format!("/console/rulesets/{version}")).into_response();
        }
        Ok(Err(report)) => Verdict::Passed(report),
        Err(WorkflowError::RulesInvalid(errors)) => Verdict::Invalid(errors),
        Err(WorkflowError::RuleTestsFailed(report)) => Verdict::Failed(*report),
        Err(WorkflowError::RulesTooCostly { limit }) => {
            Verdict::Refused(form::Problems::notice(&format!("规则集超出限制：{limit}")))
        }
        Err(e) => match form::refusal(&e) {
            Some(p) => Verdict::Refused(p),
            None => return layout::failed(&signed, e),
        },
    };
    let status = match verdict {
        Verdict::Passed(_) => StatusCode::OK,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    editor(&signed, base, &files, &note, &verdict, status)
}

/// The rhai files first (in their order of evaluation), then catalogue, scripts and tests.
fn ordered(files: &BTreeMap<String, String>) -> Vec<(&String, &String)> {
    let mut all: Vec<_> = files.iter().collect();
    all.sort_by_key(|(p, _)| {
        (
            !p.ends_with(".rhai"),
            p.starts_with("tests/"),
            p.to_string(),
        )
    });
    all
}

fn language(path: &str) -> &'static str {
    if path.ends_with(".rhai") {
        "rhai"
    } else if path.ends_with(".toml") {
        "toml"
    } else {
        "text"
    }
}

fn editor(
    signed: &Signed,
    base: i64,
    files: &BTreeMap<String, String>,
    note: &str,
    verdict: &Verdict,
    status: StatusCode,
) -> Response {
    let errors_in = |path: &str| -> Vec<&RuleError> {
        match verdict {
            Verdict::Invalid(errors) => errors.iter().filter(|e| e.file == path).collect(),
            _ => Vec::new(),
        }
    };
    let body = html! {
        (outcome(verdict, files))
        form.card.editor method="post" action="/console/rulesets/new" {
            (form::csrf_input(signed))
            input type="hidden" name="from" value=(base);
            p.muted { "基于 v" (base) " 编辑。保存后为草稿，须由另一位风险管理人员预览影响并激活后才生效。" }
            @for (n, (path, text)) in ordered(files).into_iter().enumerate() {
                @let errors = errors_in(path);
                @let lines: Vec<String> = errors.iter().filter_map(|e| e.line).map(|l| l.to_string()).collect();
                fieldset.file data-file=(path) {
                    legend { label for={ "file-" (n) } { code { (path) } } }
                    @for e in &errors {
                        p.error role="alert" data-error-for={ "files." (path) } data-line=[e.line] {
                            @if let Some(l) = e.line { "第 " (l) " 行" @if let Some(c) = e.column { "第 " (c) " 列" } "：" }
                            (e.message)
                        }
                    }
                    textarea.code #{ "file-" (n) } name={ "files." (path) } data-lang=(language(path))
                        data-error-lines=(lines.join(",")) rows=(text.lines().count().clamp(4, 30))
                        spellcheck="false" wrap="off" autocapitalize="off" {
                            // The parser drops one newline right after <textarea>: this one, not the file's.
                            "\n" (text)
                        }
                    label.inline { input type="checkbox" name="remove" value=(path); " 删除此文件" }
                }
            }
            details.newfile {
                summary { "新增文件" }
                label for="new_path" { "文件路径（如 tests/extra.toml）" }
                input #new_path type="text" name="new_path";
                label for="new_content" { "内容" }
                textarea.code #new_content name="new_content" data-lang="toml" rows="6" spellcheck="false" wrap="off" {}
            }
            label for="note" { "版本说明" }
            input #note type="text" name="note" value=(note) maxlength="2000";
            p {
                button type="submit" name="action" value="check" { "编译并测试" }
                " "
                button.secondary type="submit" name="action" value="save" { "保存为草稿" }
            }
        }
    };
    layout::respond(
        status,
        layout::page(Some(signed), SECTION, "编辑规则草稿", body),
    )
}

/// The result of the last run, above the editor.
fn outcome(verdict: &Verdict, files: &BTreeMap<String, String>) -> Markup {
    let quote = |e: &RuleError| -> Option<String> {
        let line = e.line?;
        files
            .get(&e.file)?
            .lines()
            .nth(line.checked_sub(1)?)
            .map(str::to_string)
    };
    match verdict {
        Verdict::None => html! {},
        Verdict::Passed(r) => html! {
            div.notice.ok role="status" data-field="tests_passed" {
                "编译通过，全部 " (r.passed) " 个测试用例通过。可以保存为草稿。"
            }
            (run_modes(r))
        },
        Verdict::Refused(p) => p.banner(),
        Verdict::Invalid(errors) => html! {
            div.notice.bad role="alert" {
                "编译未通过，共 " (errors.len()) " 处错误，未保存任何内容："
                ul.summary {
                    @for e in errors {
                        li data-problem={ "files." (e.file) } data-line=[e.line] {
                            code { (e.file) @if let Some(l) = e.line { ":" (l) } @if let Some(c) = e.column { ":" (c) } }
                            " " (e.message)
                            @if let Some(q) = quote(e) { br; code.quote { (q) } }
                        }
                    }
                }
            }
        },
        Verdict::Failed(r) => html! {
            div.notice.bad role="alert" {
                "编译通过，但有 " (r.failed) " 个测试用例未通过（" (r.passed) " 个通过），未保存任何内容。"
            }
            table.failures {
                thead { tr { th { "测试文件" } th { "用例" } th { "项目" } th { "期望" } th { "实际" } } }
                tbody { @for f in &r.failures { (failure_rows(f)) } }
            }
        },
    }
}

/// How each rule file will run: compiled to native code, or interpreted and why.
fn run_modes(r: &TestReport) -> Markup {
    html! {
        ul.summary data-field="run_modes" {
            @for m in &r.modes {
                li data-file=(m.file) data-mode=(m.mode) {
                    code { (m.file) } " "
                    @match &m.because {
                        None => "已编译为原生代码",
                        Some(why) => { "解释执行（原因：" (why) "）" }
                    }
                }
            }
        }
    }
}

/// One failing case: each problem split into what was checked, expected and actual when the
/// runner's sentence has that shape (`verdict: expected match, got mismatch`).
fn failure_rows(f: &TestFailure) -> Markup {
    html! {
        @for p in &f.problems {
            tr data-case=(f.case) data-file=(f.file) {
                td { code { (f.file) } }
                td { (f.case) }
                @match split(p) {
                    Some((what, expected, actual)) => {
                        td { (what) } td data-field="expected" { (expected) } td data-field="actual" { (actual) }
                    }
                    None => { td colspan="3" { (p) } }
                }
            }
        }
    }
}

fn split(problem: &str) -> Option<(&str, &str, &str)> {
    let (what, rest) = problem.split_once(": expected ")?;
    let (expected, actual) = rest.rsplit_once(", got ")?;
    Some((what, expected, actual))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_splits_into_expected_and_actual() {
        assert_eq!(
            split("verdict: expected match, got mismatch"),
            Some(("verdict", "match", "mismatch"))
        );
        assert_eq!(split("checks: expected not to include \"x\""), None);
    }

    #[test]
    fn submitted_files_lose_crlf_and_removed_files() {
        let fields: Fields = vec![
            ("files.a.rhai".into(), "let x = 1;\r\nx\r\n".into()),
            ("files.tests/a.toml".into(), "[x]".into()),
            ("remove".into(), "tests/a.toml".into()),
            ("new_path".into(), " tests/b.toml ".into()),
            ("new_content".into(), "y = 1\r\n".into()),
        ];
        let files = files_of(&fields).expect("files");
        assert_eq!(files.len(), 2);
        assert_eq!(files["a.rhai"], "let x = 1;\nx\n");
        assert_eq!(files["tests/b.toml"], "y = 1\n");
        let clash: Fields = vec![
            ("files.a.rhai".into(), "1".into()),
            ("new_path".into(), "a.rhai".into()),
            ("new_content".into(), "2".into()),
        ];
        assert!(
            files_of(&clash).is_err(),
            "a new file never replaces one unseen"
        );
    }
}
