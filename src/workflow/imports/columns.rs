//! The columns of an import: each is named as the API's field or by its usual Chinese header
//! (both listed in the README), and a few closed sets may be written in Chinese too (个人,
//! 身份证, 完全). A record is one row read through those names.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::config::business_offset;

/// A column: the API's field and the other headers that mean it.
pub struct Column {
    pub field: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
}

const fn col(field: &'static str, aliases: &'static [&'static str], required: bool) -> Column {
    Column {
        field,
        aliases,
        required,
    }
}

pub const INVESTORS: &[Column] = &[
    col("kind", &["投资者类别", "客户类型", "类型"], true),
    col("name", &["姓名", "名称", "客户名称", "投资者名称"], true),
    col("id_type", &["证件类型"], false),
    col(
        "id_number",
        &["证件号码", "身份证号码", "统一社会信用代码"],
        true,
    ),
    col("birth_date", &["出生日期"], false),
    col("phone", &["手机号码", "联系电话", "电话"], false),
    col("email", &["电子邮箱", "邮箱"], false),
    col("financial_assets", &["金融资产"], false),
    col("avg_income_3y", &["近三年年均收入", "年均收入"], false),
    col("net_assets", &["净资产"], false),
    col("civil_capacity", &["民事行为能力"], false),
    col("address", &["联系地址", "地址"], false),
    col("occupation", &["职业"], false),
    col("evidence_kind", &["证明类型"], false),
    col("evidence_ref", &["证明编号", "证明文件"], false),
    col("evidence_issued_at", &["证明日期", "证明出具日期"], false),
    col("sales_owner", &["销售人员", "客户经理"], false),
];

pub const HOLDINGS: &[Column] = &[
    col("id_type", &["证件类型"], false),
    col(
        "id_number",
        &["证件号码", "身份证号码", "统一社会信用代码"],
        true,
    ),
    col("product_code", &["产品代码"], true),
    col("amount", &["金额", "认购金额", "持有金额"], true),
    col("signed_at", &["签约日期", "签署日期"], true),
    col("paid_at", &["缴款日期", "打款日期"], false),
    col("confirmed_at", &["确认日期", "份额确认日期"], true),
    col("recording_ref", &["双录编号", "录音录像编号"], false),
];

/// Besides these, an assessment's columns are its questions, named by their ids (`q1`, or
/// `answers.q1`).
pub const ASSESSMENTS: &[Column] = &[
    col("id_type", &["证件类型"], false),
    col(
        "id_number",
        &["证件号码", "身份证号码", "统一社会信用代码"],
        true,
    ),
    col("questionnaire_id", &["问卷", "问卷编号"], true),
    col("assessed_at", &["评估日期", "填写日期", "测评日期"], true),
];

/// What a header names: a known field, or (for assessments) an answer to a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Header {
    Field(&'static str),
    Answer(String),
}

/// Reads the header row against `columns`; an unknown header is an error unless `answers`
/// (assessments), where it is a question id. Errors name each bad header.
pub fn map_headers(
    columns: &[Column],
    headers: &[String],
    answers: bool,
) -> Result<Vec<Header>, Vec<(String, String)>> {
    let mut out = Vec::with_capacity(headers.len());
    let mut problems = Vec::new();
    for h in headers {
        let found = columns
            .iter()
            .find(|c| c.field == h.as_str() || c.aliases.contains(&h.as_str()));
        match found {
            Some(c) if out.contains(&Header::Field(c.field)) => {
                problems.push((h.clone(), format!("a second column for '{}'", c.field)));
            }
            Some(c) => out.push(Header::Field(c.field)),
            None if answers && is_question_id(h) => {
                let id = h.strip_prefix("answers.").unwrap_or(h);
                out.push(Header::Answer(id.to_string()));
            }
            None => problems.push((h.clone(), "is not a column of this import".into())),
        }
    }
    for c in columns.iter().filter(|c| c.required) {
        if !out.contains(&Header::Field(c.field)) {
            problems.push((c.field.into(), "the column is missing".into()));
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn is_question_id(h: &str) -> bool {
    let id = h.strip_prefix("answers.").unwrap_or(h);
    !id.is_empty()
        && id.len() <= 32
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// One row: each field's trimmed text (empty cells are absent) and the header it came from.
pub struct Record<'a> {
    cells: HashMap<&'static str, (&'a str, &'a str)>,
    pub answers: Vec<(String, &'a str)>,
}

impl<'a> Record<'a> {
    pub fn new(headers: &'a [Header], names: &'a [String], row: &'a [String]) -> Self {
        let mut cells = HashMap::new();
        let mut answers = Vec::new();
        for ((h, name), value) in headers.iter().zip(names).zip(row) {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match h {
                Header::Field(f) => {
                    cells.insert(*f, (value, name.as_str()));
                }
                Header::Answer(q) => answers.push((q.clone(), value)),
            }
        }
        Record { cells, answers }
    }

    pub fn get(&self, field: &str) -> Option<&'a str> {
        self.cells.get(field).map(|(v, _)| *v)
    }

    /// Text for a required field (an empty cell reads as the empty string, which the
    /// workflow then names).
    pub fn text(&self, field: &str) -> String {
        self.get(field).unwrap_or_default().to_string()
    }

    pub fn owned(&self, field: &str) -> Option<String> {
        self.get(field).map(str::to_string)
    }

    /// A closed set's value, its Chinese spelling translated.
    pub fn code(&self, field: &str) -> Option<String> {
        self.get(field).map(|v| translate(field, v).to_string())
    }
}

/// The Chinese spellings of the closed sets an import may hold.
fn translate<'v>(field: &str, value: &'v str) -> &'v str {
    let table: &[(&str, &str)] = match field {
        "kind" => &[
            ("个人", "individual"),
            ("自然人", "individual"),
            ("机构", "institution"),
            ("法人", "institution"),
        ],
        "id_type" => &[
            ("身份证", "resident_id"),
            ("居民身份证", "resident_id"),
            ("统一社会信用代码", "unified_social_credit_code"),
            ("营业执照", "unified_social_credit_code"),
            ("护照", "passport"),
            ("港澳通行证", "hk_macau_permit"),
            ("港澳居民来往内地通行证", "hk_macau_permit"),
            ("台胞证", "taiwan_permit"),
            ("台湾居民来往大陆通行证", "taiwan_permit"),
        ],
        "civil_capacity" => &[
            ("完全", "full"),
            ("完全民事行为能力", "full"),
            ("限制", "limited"),
            ("限制民事行为能力", "limited"),
            ("无", "none"),
            ("无民事行为能力", "none"),
        ],
        "evidence_kind" => &[
            ("资产证明", "asset_proof"),
            ("收入证明", "income_proof"),
            ("净资产证明", "net_assets_proof"),
        ],
        _ => &[],
    };
    table
        .iter()
        .find(|(zh, _)| *zh == value)
        .map_or(value, |(_, code)| code)
}

/// An amount as a sheet writes it: thousands separators and a currency sign are dropped.
pub fn amount_text(raw: &str) -> String {
    raw.trim()
        .trim_start_matches(['¥', '￥'])
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' '))
        .collect()
}

/// A moment: RFC 3339, or a date (the start of that business day, China time), or a date and
/// time without zone (China time), as spreadsheets write them (`2024-03-01`, `2024/3/1`,
/// `2024-03-01 14:30:00`).
pub fn moment(raw: &str) -> Result<DateTime<Utc>, String> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .or_else(|| date(raw).ok().and_then(|d| d.and_hms_opt(0, 0, 0)));
    local
        .and_then(|t| business_offset().from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("'{raw}' is not a date (YYYY-MM-DD) or a time (RFC 3339)"))
}

/// A date: `2024-03-01`, `2024/3/1` or `2024年3月1日`.
pub fn date(raw: &str) -> Result<NaiveDate, String> {
    let raw = raw.trim();
    ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(raw, f).ok())
        .ok_or_else(|| format!("'{raw}' is not a date (YYYY-MM-DD)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn chinese_and_api_headers_name_the_same_fields() {
        let a = map_headers(INVESTORS, &names(&["类型", "姓名", "证件号码"]), false).unwrap();
        let b = map_headers(INVESTORS, &names(&["kind", "name", "id_number"]), false).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn unknown_duplicate_and_missing_headers_are_each_named() {
        let err = map_headers(INVESTORS, &names(&["姓名", "name", "年龄"]), false).unwrap_err();
        let named: Vec<&str> = err.iter().map(|(h, _)| h.as_str()).collect();
        assert_eq!(named, ["name", "年龄", "kind", "id_number"]);
    }

    #[test]
    fn assessment_questions_are_their_own_columns() {
        let h = map_headers(
            ASSESSMENTS,
            &names(&["证件号码", "问卷", "评估日期", "q1", "answers.q9"]),
            true,
        )
        .unwrap();
        assert_eq!(h[3], Header::Answer("q1".into()));
        assert_eq!(h[4], Header::Answer("q9".into()));
    }

    #[test]
    fn dates_and_amounts_read_as_sheets_write_them() {
        assert_eq!(
            moment("2024-03-01").unwrap().to_rfc3339(),
            "2024-02-29T16:00:00+00:00"
        );
        assert_eq!(moment("2024/3/1").unwrap(), moment("2024年3月1日").unwrap());
        assert_eq!(
            moment("2024-03-01T08:00:00Z").unwrap().to_rfc3339(),
            "2024-03-01T08:00:00+00:00"
        );
        assert!(moment("03/01/2024").is_err());
        assert_eq!(amount_text("￥1,000,000.00"), "1000000.00");
        assert_eq!(translate("kind", "个人"), "individual");
        assert_eq!(translate("kind", "someone"), "someone");
    }
}
