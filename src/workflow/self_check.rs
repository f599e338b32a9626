//! The suitability self-check report (适当性自查报告) of a period, which a manager draws up every
//! half year: investors by level and classification, products by rating, sales by verdict, the
//! mismatch sales and how many rest on a signed warning, dual recordings, callbacks completed,
//! failed and overdue, escalations and how long they took to resolve, complaints by category.
//! As JSON and as an XLSX workbook (one sheet per section).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{Result, WorkflowError};
use crate::store::{Conn, complaints, now, self_check};

/// The longest period one report covers.
pub const MAX_DAYS: i64 = 366;

/// The requirement whose acknowledgment is the signed warning letter.
const WARNING: &str = "mismatch_warning_signed";
/// The requirement met by a dual recording (双录), its reference in the order's evidence.
const RECORDING: &str = "dual_recording";

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Sales {
    pub total: i64,
    /// match, mismatch, reject
    pub by_verdict: BTreeMap<String, i64>,
    pub by_status: BTreeMap<String, i64>,
    pub mismatch: i64,
    /// Mismatch sales whose warning letter (风险警示) was signed before the sale.
    pub mismatch_warning_signed: i64,
    /// Sales with a dual recording (双录): acknowledged with its evidence, or a recording reference.
    pub dual_recorded: i64,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Escalations {
    pub opened: i64,
    pub resolved: i64,
    pub by_reason: BTreeMap<String, i64>,
    /// Over the resolved ones; null when none was resolved.
    pub mean_hours_to_resolve: Option<f64>,
    pub max_hours_to_resolve: Option<f64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SelfCheck {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// C1..C5 by the latest assessment before `to`; `expired` when it had lapsed by then, `none`
    /// for investors never assessed.
    pub investors_by_level: BTreeMap<String, i64>,
    pub investors_by_type: BTreeMap<String, i64>,
    /// R1..R5, products not wound up.
    pub products_by_rating: BTreeMap<String, i64>,
    pub sales: Sales,
    /// Callbacks due in the period by status (open, completed, failed, escalated, overdue, …).
    pub callbacks_by_status: BTreeMap<String, i64>,
    /// Callback outcomes recorded in the period (completed, failed, not_reached).
    pub outcomes_by_result: BTreeMap<String, i64>,
    pub escalations: Escalations,
    pub complaints_by_category: BTreeMap<String, i64>,
    pub generated_at: DateTime<Utc>,
}

/// The report of [from, to) (default: the last 183 days), at most 366 days.
pub async fn report(
    c: &mut Conn<'_>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<SelfCheck> {
    let to = to.unwrap_or_else(now);
    let from = from.unwrap_or_else(|| to - Duration::days(183));
    if from >= to {
        return Err(WorkflowError::field("from", "must be before `to`"));
    }
    if to - from > Duration::days(MAX_DAYS) {
        return Err(WorkflowError::field(
            "to",
            format!("the period may be at most {MAX_DAYS} days"),
        ));
    }
    let map = |rows: Vec<(String, i64)>| rows.into_iter().collect::<BTreeMap<_, _>>();
    let mut sales = Sales::default();
    for s in self_check::sales(c, from, to).await? {
        sales.total += 1;
        *sales.by_verdict.entry(s.verdict.clone()).or_default() += 1;
        *sales.by_status.entry(s.status).or_default() += 1;
        if s.verdict == "mismatch" {
            sales.mismatch += 1;
            // Acknowledged is not enough: the letter itself must be on the order's evidence.
            let acknowledged = s.acknowledgments.0.iter().any(|a| a == WARNING);
            let letter = s.evidence.0[WARNING]
                .as_array()
                .is_some_and(|items| !items.is_empty());
            if acknowledged && letter {
                sales.mismatch_warning_signed += 1;
            }
        }
        let recorded = s.acknowledgments.0.iter().any(|a| a == RECORDING);
        if recorded || s.recording_ref.is_some_and(|r| !r.trim().is_empty()) {
            sales.dual_recorded += 1;
        }
    }
    let mut escalations = Escalations::default();
    let mut hours = Vec::new();
    for (reason, opened, resolved) in self_check::escalations(c, from, to).await? {
        escalations.opened += 1;
        *escalations.by_reason.entry(reason).or_default() += 1;
        if let Some(r) = resolved {
            escalations.resolved += 1;
            hours.push((r - opened).num_seconds() as f64 / 3600.0);
        }
    }
    if !hours.is_empty() {
        let mean = hours.iter().sum::<f64>() / hours.len() as f64;
        escalations.mean_hours_to_resolve = Some((mean * 10.0).round() / 10.0);
        let max = hours.iter().cloned().fold(0.0, f64::max);
        escalations.max_hours_to_resolve = Some((max * 10.0).round() / 10.0);
    }
    let mut complaints_by_category = BTreeMap::new();
    for k in complaints::received_between(c, from, to, None).await? {
        *complaints_by_category.entry(k.category).or_default() += 1;
    }
    Ok(SelfCheck {
        from,
        to,
        investors_by_level: self_check::investors_by_level(c, to)
            .await?
            .into_iter()
            .map(|(l, n)| (level_name(l), n))
            .collect(),
        investors_by_type: map(self_check::investors_by_type(c, to).await?),
        products_by_rating: self_check::products_by_rating(c)
            .await?
            .into_iter()
            .map(|(r, n)| (format!("R{r}"), n))
            .collect(),
        sales,
        callbacks_by_status: map(self_check::callbacks_by_status(c, from, to).await?),
        outcomes_by_result: map(self_check::outcomes_by_result(c, from, to).await?),
        escalations,
        complaints_by_category,
        generated_at: now(),
    })
}

/// The report as a workbook: a sheet of headline figures and one per breakdown.
pub fn xlsx(r: &SelfCheck) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| WorkflowError::Internal(e.to_string());
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let headline: Vec<(String, String)> = vec![
        ("期间起".into(), r.from.to_rfc3339()),
        ("期间止".into(), r.to.to_rfc3339()),
        ("销售笔数".into(), r.sales.total.to_string()),
        ("不匹配销售".into(), r.sales.mismatch.to_string()),
        (
            "其中已签署风险警示".into(),
            r.sales.mismatch_warning_signed.to_string(),
        ),
        ("双录".into(), r.sales.dual_recorded.to_string()),
        ("合规上报".into(), r.escalations.opened.to_string()),
        ("已处理上报".into(), r.escalations.resolved.to_string()),
        (
            "平均处理时长（小时）".into(),
            hours(r.escalations.mean_hours_to_resolve),
        ),
        (
            "最长处理时长（小时）".into(),
            hours(r.escalations.max_hours_to_resolve),
        ),
        ("生成时间".into(), r.generated_at.to_rfc3339()),
    ];
    let sheets: Vec<(&str, Vec<(String, String)>)> = vec![
        ("自查概要", headline),
        ("投资者等级", rows(&r.investors_by_level)),
        ("投资者分类", rows(&r.investors_by_type)),
        ("产品风险等级", rows(&r.products_by_rating)),
        ("销售结论", rows(&r.sales.by_verdict)),
        ("订单状态", rows(&r.sales.by_status)),
        ("回访状态", rows(&r.callbacks_by_status)),
        ("回访结果", rows(&r.outcomes_by_result)),
        ("上报原因", rows(&r.escalations.by_reason)),
        ("投诉类别", rows(&r.complaints_by_category)),
    ];
    for (name, lines) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(name).map_err(fail)?;
        sheet
            .write_string_with_format(0, 0, "项目", &bold)
            .map_err(fail)?;
        sheet
            .write_string_with_format(0, 1, "数值", &bold)
            .map_err(fail)?;
        for (i, (k, v)) in lines.iter().enumerate() {
            let row = i as u32 + 1;
            sheet.write_string(row, 0, k).map_err(fail)?;
            match v.parse::<f64>() {
                Ok(n) => sheet.write_number(row, 1, n).map_err(fail)?,
                Err(_) => sheet.write_string(row, 1, v).map_err(fail)?,
            };
        }
        sheet.set_column_width(0, 24).map_err(fail)?;
        sheet.set_column_width(1, 28).map_err(fail)?;
    }
    book.save_to_buffer().map_err(fail)
}

fn level_name(level: i64) -> String {
    match level {
        0 => "none".into(),
        l if l < 0 => "expired".into(),
        l => format!("C{l}"),
    }
}

fn rows(m: &BTreeMap<String, i64>) -> Vec<(String, String)> {
    m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect()
}

fn hours(h: Option<f64>) -> String {
    h.map_or("—".into(), |h| h.to_string())
}
