//! Every decision explains itself in one paragraph of plain Chinese, for the sales person to
//! read and the investor to hear: the level and the rating, the verdict and why, what must
//! happen before the sale, and which callbacks follow. Built from the outcome alone, so a
//! rule set that adds a reason or a requirement is explained by its own messages and codes.

use crate::rules::Facts;
use crate::rules::decision::{Frequency, Outcome, Verdict};

/// What a requirement asks, in words; a rule set's own requirements show by their code.
fn requirement(code: &str) -> String {
    match code {
        "mismatch_warning_signed" => "由投资者签署风险不匹配警示函并书面确认仍坚持购买".into(),
        "dual_recording" => "对销售过程进行录音录像（双录）".into(),
        "reassessment" => "投资者重新完成风险承受能力评估".into(),
        "assessment_review" => "由风控人员复核本次风险测评".into(),
        other => format!("满足要求“{other}”"),
    }
}

fn special(reason: &str) -> String {
    match reason {
        "mismatch" => "风险不匹配特定回访".into(),
        "elderly_high_risk" => "高龄投资者购买高风险产品特定回访".into(),
        "large_subscription" => "大额认购特定回访".into(),
        "complaint_followup" => "投诉处理后回访".into(),
        other => format!("特定回访（{other}）"),
    }
}

fn frequency(f: Frequency) -> &'static str {
    match f {
        Frequency::Monthly => "每月",
        Frequency::Quarterly => "每季度",
        Frequency::Semiannual => "每半年",
        Frequency::Annual => "每年",
    }
}

/// The paragraph.
pub fn explanation(facts: &Facts, outcome: &Outcome) -> String {
    let investor = &facts.investor;
    let who = if investor.investor_type.as_str() == "professional" {
        "专业投资者".to_string()
    } else if investor.level_name.is_empty() {
        "尚未完成风险测评的普通投资者".to_string()
    } else {
        format!("风险承受能力为{}的普通投资者", investor.level_name)
    };
    let mut text = format!("{who}认购风险等级为{}的产品：", facts.product.rating_name);
    let why: Vec<&str> = outcome.reasons.iter().map(|r| r.message.as_str()).collect();
    match outcome.verdict {
        Verdict::Match => text.push_str("适当性匹配，可以销售。"),
        Verdict::Mismatch => text.push_str(&format!(
            "风险不匹配（{}），须经下列程序后方可销售。",
            why.join("；")
        )),
        Verdict::Reject => text.push_str(&format!("不得销售：{}。", why.join("；"))),
    }
    if outcome.verdict != Verdict::Reject && !outcome.requirements.is_empty() {
        let reqs: Vec<String> = outcome
            .requirements
            .iter()
            .map(|r| requirement(r))
            .collect();
        text.push_str(&format!("销售前须{}。", reqs.join("，并")));
    }
    if outcome.verdict != Verdict::Reject {
        text.push_str("冷静期满后进行确认回访");
        for s in &outcome.special_callbacks {
            text.push_str(&format!(
                "，{}日内进行{}",
                s.due_in_days,
                special(&s.reason)
            ));
        }
        if let Some(f) = outcome.periodic {
            text.push_str(&format!("，此后{}定期回访", frequency(f)));
        }
        text.push('。');
    }
    text
}
