//! The callback page's record: the form the assignee fills in (opening script, each check as a
//! yes/no question, closing script, then 回访记录表's fields, named as the API's), and the
//! outcomes and reviews recorded so far.

use maud::{Markup, html};

use super::form::{self, Fields, Problems};
use super::layout::when;
use super::session::Signed;
use crate::callbacks::export::method_zh;
use crate::domain::state::OutcomeResult;
use crate::workflow::callbacks::CallbackDetail;
use crate::workflow::callbacks::outcome;

fn result_zh(r: OutcomeResult) -> &'static str {
    match r {
        OutcomeResult::Completed => "确认无误",
        OutcomeResult::Failed => "存在异议",
        OutcomeResult::NotReached => "未接通",
    }
}

pub fn outcome_form(signed: &Signed, d: &CallbackDetail, fields: &Fields, p: &Problems) -> Markup {
    let cb = &d.callback;
    let v = |name: &str| form::value(fields, name).unwrap_or("").to_string();
    let picked = |name: &str, x: &str| form::value(fields, name) == Some(x);
    html! {
        form.card method="post" action={ "/console/callbacks/" (cb.id) "/outcome" } {
            (form::csrf_input(signed))
            h2 { "开场话术" }
            p.script data-field="script_opening" { (d.script.opening) }
            h2 { "回访事项" }
            (p.at("answers"))
            @for (n, check) in cb.checks.iter().enumerate() {
                @let name = format!("answers.{}", check.code);
                fieldset {
                    legend { (n + 1) ". " (check.question) }
                    input type="radio" id={ (name) ".yes" } name=(name) value="true" checked[picked(&name, "true")];
                    label.inline for={ (name) ".yes" } { "是" }
                    input type="radio" id={ (name) ".no" } name=(name) value="false" checked[picked(&name, "false")];
                    label.inline for={ (name) ".no" } { "否" }
                }
            }
            h2 { "结束话术" }
            p.script data-field="script_closing" { (d.script.closing) }
            h2 { "回访记录" }
            label for="method" { "回访方式" }
            select #method name="method" {
                @for m in outcome::METHODS { option value=(m) selected[picked("method", m)] { (method_zh(m)) } }
            }
            (p.at("method"))
            fieldset {
                legend { "是否接通" }
                input #reached_true type="radio" name="reached" value="true" checked[!picked("reached", "false")];
                label.inline for="reached_true" { "已接通" }
                input #reached_false type="radio" name="reached" value="false" checked[picked("reached", "false")];
                label.inline for="reached_false" { "未接通" }
            }
            label for="respondent" { "被访人" }
            input #respondent type="text" name="respondent" value=(v("respondent"));
            (p.at("respondent"))
            label for="respondent_title" { "职务（机构必填）" }
            input #respondent_title type="text" name="respondent_title" value=(v("respondent_title"));
            (p.at("respondent_title"))
            @for (name, label) in [("satisfaction.service", "服务态度"), ("satisfaction.responsiveness", "响应速度"), ("satisfaction.overall", "整体满意度")] {
                label for=(name) { (label) "（1–5 分）" }
                select id=(name) name=(name) {
                    option value="" { "未评价" }
                    @for n in (1..=5).rev() { option value=(n) selected[picked(name, &n.to_string())] { (n) } }
                }
                (p.at(name))
            }
            (p.at("satisfaction"))
            label for="opinions" { "意见建议" }
            textarea #opinions name="opinions" { (v("opinions")) }
            (p.at("opinions"))
            fieldset {
            legend { "遗留问题（每项一栏，需后续跟进）" }
            @for n in 0..3 {
                @let name = format!("open_issues[{n}]");
                label for=(name) { "遗留问题 " (n + 1) }
                input id=(name) type="text" name=(name) value=(v(&name));
                (p.at(&name))
            }
            }
            label for="notes" { "备注" }
            textarea #notes name="notes" { (v("notes")) }
            (p.at("notes"))
            label for="recording_ref" { "录音编号 / 文件位置" }
            input #recording_ref type="text" name="recording_ref" value=(v("recording_ref"));
            (p.at("recording_ref"))
            p { button type="submit" { "提交回访记录" } }
        }
    }
}

pub fn records(d: &CallbackDetail) -> Markup {
    html! {
        @if !d.outcomes.is_empty() {
            h2 { "回访记录" }
            table {
                thead { tr { th { "时间" } th { "方式" } th { "接通" } th { "结果" } th { "被访人" } th { "录音" } th { "备注" } } }
                tbody {
                    @for o in &d.outcomes {
                        tr data-outcome=(o.id) {
                            td { (when(o.recorded_at)) }
                            td { (method_zh(&o.method)) }
                            td { @if o.reached { "是" } @else { "否" } }
                            td data-field="result" { (result_zh(o.result)) }
                            td { (o.respondent.clone().unwrap_or_default()) }
                            td { (o.recording_ref.clone().unwrap_or_default()) }
                            td { (o.notes) }
                        }
                    }
                }
            }
        }
        @if !d.reviews.is_empty() {
            h2 { "主管审阅" }
            ul { @for r in &d.reviews { li { (when(r.created_at)) "：" (r.verdict.map_or("—", |v| v.as_str())) "，" (r.comment) } } }
        }
    }
}
