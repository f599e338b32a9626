//! The callback plan (回访计划表) as CSV or XLSX, with the columns of the firm's paper form.

use crate::config::business_offset;
use crate::domain::state::CallbackKind;
use crate::store::callbacks::Listed;

/// The plan's columns, as on the paper 回访计划表, then the due window and the checks.
pub const PLAN_COLUMNS: [&str; 13] = [
    "序号",
    "客户名称",
    "回访方式",
    "回访目的",
    "回访主题",
    "计划时间",
    "首次/常规",
    "最早回访时间",
    "最迟回访时间",
    "回访事项",
    "状态",
    "编制人",
    "编制时间",
];

/// 回访方式 of a method code.
pub fn method_zh(method: &str) -> &str {
    match method {
        "phone" => "电话",
        "email" => "电子邮件",
        "letter" => "信函",
        "visit" => "上门拜访",
        "video" => "视频",
        other => other,
    }
}

/// Who drew the plan up (编制人) and when.
pub struct Preparer<'a> {
    pub name: &'a str,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// Why we call (回访目的), in Chinese.
pub fn purpose(kind: CallbackKind, reason: &str) -> String {
    match kind {
        CallbackKind::Confirmation => "投资冷静期后回访确认".to_string(),
        CallbackKind::Periodic => format!("定期回访（{}）", frequency_zh(reason)),
        CallbackKind::Special => format!("特定回访：{}", special_zh(reason)),
    }
}

fn frequency_zh(f: &str) -> &str {
    match f {
        "monthly" => "每月",
        "quarterly" => "每季度",
        "semiannual" => "每半年",
        "annual" => "每年",
        other => other,
    }
}

fn special_zh(reason: &str) -> &str {
    match reason {
        "mismatch" => "风险不匹配销售",
        "elderly_high_risk" => "高龄投资者购买高风险产品",
        "large_subscription" => "大额认购",
        "product_rerated" => "产品风险等级调整",
        "level_lowered" => "投资者风险等级下调",
        "investor_info_changed" => "投资者信息变更",
        "imported_unsuitable" => "存量持仓不匹配",
        "complaint_followup" => "投诉处理后回访",
        other => other,
    }
}

fn first_or_regular(kind: CallbackKind) -> &'static str {
    match kind {
        CallbackKind::Confirmation => "首次",
        CallbackKind::Periodic => "常规",
        CallbackKind::Special => "特定",
    }
}

fn local(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&business_offset())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Text that a spreadsheet would run as a formula (`=…`, `+…`, `-…`, `@…`) is quoted with `'`.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// The plan's rows, one per callback, in the order given.
pub fn plan_rows(items: &[Listed], by: &Preparer<'_>) -> Vec<[String; 13]> {
    items
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let c = &l.callback;
            let checks: Vec<&str> = c.checks.iter().map(|k| k.question.as_str()).collect();
            [
                (i + 1).to_string(),
                cell(&l.investor_name),
                method_zh(&c.planned_method).to_string(),
                purpose(c.kind, &c.reason),
                match (&l.product_name, &l.product_code) {
                    (Some(name), Some(code)) => cell(&format!("{name}（{code}）")),
                    _ => "投诉处理回访".to_string(),
                },
                c.due_from
                    .with_timezone(&business_offset())
                    .format("%Y-%m-%d")
                    .to_string(),
                first_or_regular(c.kind).to_string(),
                local(c.due_from),
                local(c.due_by),
                checks.join("；"),
                c.status.to_string(),
                cell(by.name),
                local(by.at),
            ]
        })
        .collect()
}

pub fn plan_csv(items: &[Listed], by: &Preparer<'_>) -> Result<Vec<u8>, String> {
    // A byte-order mark, so that spreadsheet programs open the Chinese text as UTF-8.
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(PLAN_COLUMNS).map_err(|e| e.to_string())?;
        for row in plan_rows(items, by) {
            w.write_record(&row).map_err(|e| e.to_string())?;
        }
        w.flush().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

pub fn plan_xlsx(items: &[Listed], by: &Preparer<'_>) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("回访计划表").map_err(|e| e.to_string())?;
    let bold = Format::new().set_bold();
    for (col, title) in PLAN_COLUMNS.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *title, &bold)
            .map_err(|e| e.to_string())?;
    }
    for (r, row) in plan_rows(items, by).iter().enumerate() {
        for (col, cell) in row.iter().enumerate() {
            sheet
                .write_string(r as u32 + 1, col as u16, cell)
                .map_err(|e| e.to_string())?;
        }
    }
    sheet.set_column_width(1, 14).map_err(|e| e.to_string())?;
    sheet.set_column_width(3, 24).map_err(|e| e.to_string())?;
    sheet.set_column_width(4, 28).map_err(|e| e.to_string())?;
    sheet.set_column_width(9, 60).map_err(|e| e.to_string())?;
    book.save_to_buffer().map_err(|e| e.to_string())
}
