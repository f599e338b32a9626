//! Any stored record (an evidence bundle, a client archive) as readable HTML: an object as a list
//! of terms, a list of flat records as a table, plain values as text. The pages put the key
//! facts first in plain Chinese and show the rest of the record through this, so nothing held
//! is left off the printed page.

use maud::{Markup, html};
use serde_json::Value;

/// Deeper than this the record is shown as JSON text (stored records nest four or five levels).
const MAX_DEPTH: usize = 8;

/// A plain value as text: times and strings as they are, null as a dash, booleans as 是/否.
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(true) => "是".into(),
        Value::Bool(false) => "否".into(),
        Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            // Times read in Beijing time, to the second (the JSON download keeps them exact).
            Ok(t) => t
                .with_timezone(&crate::config::business_offset())
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            Err(_) => s.clone(),
        },
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.iter().all(is_plain) => {
            items.iter().map(text).collect::<Vec<_>>().join("、")
        }
        other => other.to_string(),
    }
}

fn is_plain(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

fn is_flat_record(v: &Value) -> bool {
    match v {
        Value::Object(m) => m
            .values()
            .all(|x| is_plain(x) || matches!(x, Value::Array(a) if a.iter().all(is_plain))),
        _ => false,
    }
}

/// The whole value.
pub fn render(v: &Value) -> Markup {
    at(v, 0)
}

fn at(v: &Value, depth: usize) -> Markup {
    if depth > MAX_DEPTH {
        return html! { code { (v.to_string()) } };
    }
    match v {
        Value::Object(m) if m.is_empty() => html! { span.muted { "（无）" } },
        Value::Object(m) => html! {
            dl.facts {
                @for (k, x) in m {
                    dt { code { (k) } }
                    dd { (at(x, depth + 1)) }
                }
            }
        },
        Value::Array(items) if items.is_empty() => html! { span.muted { "（无）" } },
        Value::Array(items) if items.iter().all(is_plain) => html! { (text(v)) },
        Value::Array(items) if items.iter().all(is_flat_record) => table(items),
        Value::Array(items) => html! {
            ol.records { @for x in items { li { (at(x, depth + 1)) } } }
        },
        plain => html! { (text(plain)) },
    }
}

/// Flat records as one table, a column for every key any of them has.
fn table(items: &[Value]) -> Markup {
    let mut keys: Vec<&String> = Vec::new();
    for item in items {
        if let Value::Object(m) = item {
            for k in m.keys() {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
    }
    html! {
        div.scroll {
            table.record {
                thead { tr { @for k in &keys { th scope="col" { code { (k) } } } } }
                tbody {
                    @for item in items {
                        tr { @for k in &keys { td { (text(item.get(k.as_str()).unwrap_or(&Value::Null))) } } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flat_records_become_one_table_with_every_key() {
        let html = render(&json!([{"a": 1}, {"b": true}])).into_string();
        assert!(html.contains("<table class=\"record\">"));
        assert!(html.contains("<code>a</code>") && html.contains("<code>b</code>"));
        assert!(html.contains("是") && html.contains("—"));
    }

    #[test]
    fn times_read_in_beijing_time() {
        assert_eq!(
            text(&json!("2026-12-04T23:30:26.5Z")),
            "2026-12-05 07:30:26"
        );
        assert_eq!(text(&json!("R4")), "R4");
    }

    #[test]
    fn text_is_escaped() {
        let html = render(&json!({"note": "<script>x</script>"})).into_string();
        assert!(!html.contains("<script>"));
    }
}
