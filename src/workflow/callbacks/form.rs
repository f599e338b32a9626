//! The callback record as the agent fills it in (回访记录表, seed 002), and what makes it
//! acceptable: a known method, every check answered when reached, a recording or document, the
//! respondent and their position for an institution, satisfaction 1–5, bounded text.

use std::collections::BTreeMap;

use crate::domain::FieldProblem;
use crate::domain::investor::InvestorKind;
use crate::store::callback_records::Satisfaction;
use crate::store::callbacks::Callback;
use crate::workflow::{Result, WorkflowError};

/// How a callback may be made.
pub const METHODS: &[&str] = &["phone", "email", "letter", "visit", "video"];
/// The longest note, and the longest opinions.
pub const MAX_NOTES: usize = 4000;
/// The longest respondent name or position.
pub const MAX_RESPONDENT: usize = 100;
/// The longest recording or document reference.
pub const MAX_REF: usize = 200;
/// At most this many open issues per record, each at most `MAX_ISSUE` characters.
pub const MAX_ISSUES: usize = 20;
pub const MAX_ISSUE: usize = 1000;

/// What a planner reports of one attempt (also the body of `POST /v1/callbacks/{id}/outcome`).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"method": "phone", "reached": true, "answers": {"identity": true},
    "recording_ref": "rec-2026-12-03-0001", "respondent": "张三",
    "satisfaction": {"service": 5, "responsiveness": 4, "overall": 5},
    "opinions": "希望提供更多产品资料", "open_issues": ["寄送产品季报"]}))]
pub struct Report {
    /// phone, email, letter, visit, video
    pub method: String,
    pub reached: bool,
    /// Check code → confirmed; every check of the callback must be answered when reached.
    #[serde(default)]
    pub answers: BTreeMap<String, bool>,
    #[serde(default)]
    pub notes: String,
    /// Where the call recording, e-mail or letter is kept.
    pub recording_ref: Option<String>,
    /// 被访人: who answered; required for an institution when reached.
    pub respondent: Option<String>,
    /// 职务: the respondent's position; required for an institution when reached.
    pub respondent_title: Option<String>,
    /// 满意度, when reached.
    pub satisfaction: Option<Satisfaction>,
    /// 意见建议
    #[serde(default)]
    pub opinions: String,
    /// 遗留问题: each is tracked until closed.
    #[serde(default)]
    pub open_issues: Vec<String>,
}

fn blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|s| s.trim().is_empty())
}

fn longer(v: &str, max: usize) -> bool {
    v.chars().count() > max
}

/// Every problem of `report` for `cb` of an investor of `kind`, as field errors.
pub fn validate(report: &Report, cb: &Callback, kind: InvestorKind) -> Result<()> {
    let mut problems = Vec::new();
    let mut problem = |field: String, msg: String| problems.push(FieldProblem::new(field, msg));
    if !METHODS.contains(&report.method.as_str()) {
        problem(
            "method".into(),
            format!("must be one of: {}", METHODS.join(", ")),
        );
    }
    for (field, text) in [("notes", &report.notes), ("opinions", &report.opinions)] {
        if longer(text, MAX_NOTES) {
            problem(
                field.into(),
                format!("must be at most {MAX_NOTES} characters"),
            );
        }
    }
    // What was said must be on record (regulation.md §3: recorded by phone recording, e-mail or
    // letter): a recording for a call, a document for the rest.
    if report.reached && blank(&report.recording_ref) {
        let msg = match report.method.as_str() {
            "phone" | "video" => {
                "a phone or video callback that reached the investor needs its recording"
            }
            _ => {
                "a callback that reached the investor needs a reference to its e-mail, letter or visit record"
            }
        };
        problem("recording_ref".into(), msg.into());
    }
    if report
        .recording_ref
        .as_deref()
        .is_some_and(|r| longer(r, MAX_REF))
    {
        problem(
            "recording_ref".into(),
            format!("must be at most {MAX_REF} characters"),
        );
    }
    if !report.reached && !report.open_issues.is_empty() {
        problem(
            "open_issues".into(),
            "issues are raised by an investor who was reached".into(),
        );
    }
    for (field, v) in [
        ("respondent", &report.respondent),
        ("respondent_title", &report.respondent_title),
    ] {
        if v.as_deref().is_some_and(|s| longer(s, MAX_RESPONDENT)) {
            problem(
                field.into(),
                format!("must be at most {MAX_RESPONDENT} characters"),
            );
        } else if report.reached && kind == InvestorKind::Institution && blank(v) {
            problem(
                field.into(),
                "an institution's callback names who answered and their position".into(),
            );
        }
    }
    if let Some(s) = &report.satisfaction {
        for (field, v) in [
            ("service", s.service),
            ("responsiveness", s.responsiveness),
            ("overall", s.overall),
        ] {
            if !(1..=5).contains(&v) {
                problem(format!("satisfaction.{field}"), "must be 1 to 5".into());
            }
        }
        if !report.reached {
            problem(
                "satisfaction".into(),
                "only an investor who was reached can rate the service".into(),
            );
        }
    }
    if report.open_issues.len() > MAX_ISSUES {
        problem("open_issues".into(), format!("at most {MAX_ISSUES} issues"));
    }
    for (n, issue) in report.open_issues.iter().enumerate() {
        if issue.trim().is_empty() || longer(issue, MAX_ISSUE) {
            problem(
                format!("open_issues[{n}]"),
                format!("must be 1 to {MAX_ISSUE} characters"),
            );
        }
    }
    if report.reached {
        for check in &cb.checks {
            if !report.answers.contains_key(&check.code) {
                problem(format!("answers.{}", check.code), "unanswered".into());
            }
        }
    }
    for code in report.answers.keys() {
        if !cb.checks.iter().any(|c| &c.code == code) {
            problem(
                format!("answers.{code}"),
                "not a check of this callback".into(),
            );
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(WorkflowError::Invalid(problems))
    }
}
