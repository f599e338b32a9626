//! Request ids: `x-request-id` taken from the request when it is a short visible token, else
//! made (a UUID v7), returned on every response, recorded on the request's span (so every log
//! line of the request carries it) and put in every error body (`error.request_id`), so a
//! client's report and the service's log meet on one value.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

pub const HEADER: &str = "x-request-id";

/// The longest id taken from a client; a longer or odd one is replaced, not trusted into logs.
const MAX_LEN: usize = 64;

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being answered, if any (error bodies read it).
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// A client's id when it is 1..=64 of `A-Z a-z 0-9 - _ . : /`, else none.
fn accepted(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    let ok = !s.is_empty()
        && s.len() <= MAX_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/'));
    ok.then(|| s.to_string())
}

/// The outermost layer: every response, the console's and the fallbacks' too, carries the id.
pub async fn assign(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(accepted)
        .unwrap_or_else(crate::store::new_id);
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(HEADER, v);
    }
    let mut response = CURRENT.scope(id.clone(), next.run(req)).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_visible_ids_are_taken() {
        let take = |s: &str| accepted(&HeaderValue::from_str(s).expect("header"));
        assert_eq!(take("abc-123_x.y:z/1"), Some("abc-123_x.y:z/1".into()));
        assert_eq!(take(""), None);
        assert_eq!(take("a b"), None, "no spaces into logs");
        assert_eq!(take("a\"b"), None);
        assert_eq!(take(&"x".repeat(65)), None);
    }
}
