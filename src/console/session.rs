//! Signing in to the console: a staff token (typed once) opens a server-side session; the browser
//! holds only a random cookie (HttpOnly, SameSite=Strict, Secure behind TLS) whose hash finds the
//! session. Every request re-checks the token the session was opened with, so revoking the token,
//! disabling its member or letting it expire ends the session at once; a session idle longer
//! than the configured time (8 h by default), or older than its lifetime (12 h), is over. Each session carries the CSRF secret its
//! forms must echo.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};

use crate::http::AppState;
use crate::store::sessions::{self, Session};
use crate::store::staff::{self, Staff};
use crate::store::{StoreError, now};

/// The session cookie.
pub const COOKIE: &str = "suitability_session";
/// The cookie that carries the sign-in form's CSRF secret before there is a session.
pub const LOGIN_COOKIE: &str = "suitability_login";
/// A session is written back as seen at most this often (reads need no write).
const TOUCH_EVERY_SECONDS: i64 = 60;

/// A signed-in staff member, with their session's CSRF secret.
#[derive(Debug, Clone)]
pub struct Signed {
    pub staff: Staff,
    pub csrf: String,
    id_hash: String,
}

impl Signed {
    pub fn id_hash(&self) -> &str {
        &self.id_hash
    }
}

/// The value of cookie `name` in the request, if sent.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether the browser reached us over TLS (directly or through a proxy that says so).
pub fn over_tls(state: &AppState, headers: &HeaderMap) -> bool {
    state.config.console.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// The client's address: the peer's, or, when the peer is a trusted proxy, the nearest address
/// in `X-Forwarded-For` that is not one of the trusted proxies.
pub fn client_ip(
    trusted: &[std::net::IpAddr],
    peer: std::net::IpAddr,
    headers: &HeaderMap,
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<Option<std::net::IpAddr>> = headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .map(|a| a.trim().parse().ok())
        .collect();
    // From the right: each trusted hop vouches for the one before it; an unreadable entry
    // vouches for nothing, and the last address that could be checked is the answer.
    let mut nearest = peer;
    for hop in forwarded.into_iter().rev() {
        match hop {
            Some(a) if trusted.contains(&a) => nearest = a,
            Some(a) => return a,
            None => return nearest,
        }
    }
    nearest
}

/// A `Set-Cookie` value for `name` (an empty value with max age 0 deletes it).
pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Equal secrets, compared in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn idle_since(state: &AppState, t: DateTime<Utc>) -> DateTime<Utc> {
    t - state.config.console.idle
}

/// Opens a session for the holder of `token`; None if the token does not authenticate. Returns
/// the member and the cookie secret.
pub async fn open(state: &AppState, token: &str) -> Result<Option<(Staff, String)>, StoreError> {
    let token_hash = staff::hash_token(token.trim());
    let Some((member, _)) = staff::authenticate(&state.db, &token_hash).await? else {
        return Ok(None);
    };
    let secret = staff::random_secret()?;
    let t = now();
    let session = Session {
        id_hash: staff::hash_token(&secret),
        staff_id: member.id.clone(),
        token_hash,
        csrf: staff::random_secret()?,
        created_at: t,
        last_seen_at: t,
    };
    let mut tx = state.db.begin().await?;
    sessions::insert(&mut tx.conn(), &session).await?;
    tx.commit().await?;
    Ok(Some((member, secret)))
}

/// Ends the session (and sweeps idle ones).
pub async fn close(state: &AppState, signed: &Signed) -> Result<(), StoreError> {
    let mut tx = state.db.begin().await?;
    sessions::end(&mut tx.conn(), &signed.id_hash, idle_since(state, now())).await?;
    tx.commit().await
}

/// The signed-in member of a request, if its session is live and its token still good.
pub async fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<Signed>, StoreError> {
    let Some(secret) = cookie(headers, COOKIE).filter(|s| !s.is_empty() && s.len() <= 128) else {
        return Ok(None);
    };
    let id_hash = staff::hash_token(secret);
    let t = now();
    let found = {
        let mut pooled = state.db.acquire().await?;
        sessions::get(&mut pooled.conn(), &id_hash, idle_since(state, t)).await?
    };
    let Some(session) = found.filter(|s| t - s.created_at < state.config.console.lifetime) else {
        return Ok(None);
    };
    let Some((member, _)) = staff::authenticate(&state.db, &session.token_hash).await? else {
        return Ok(None);
    };
    if member.id != session.staff_id {
        return Ok(None);
    }
    if (t - session.last_seen_at).num_seconds() >= TOUCH_EVERY_SECONDS {
        let mut tx = state.db.begin().await?;
        sessions::touch(&mut tx.conn(), &id_hash, t).await?;
        tx.commit().await?;
    }
    Ok(Some(Signed {
        staff: member,
        csrf: session.csrf,
        id_hash,
    }))
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match current(state, &parts.headers).await {
            Ok(Some(signed)) => Ok(signed),
            Ok(None) => {
                // Back to this page after signing in (a path of ours only, never another site).
                let here = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .filter(|p| p.starts_with("/console/"))
                    .unwrap_or("/console/");
                let next = super::form::url_encode(here);
                Err(Redirect::to(&format!("/console/login?next={next}")).into_response())
            }
            Err(e) => Err(super::layout::failure(&e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> std::net::IpAddr {
        s.parse().expect("address")
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().expect("header"));
        }
        h
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let proxy = ip("10.0.0.1");
        let h = forwarded(&["203.0.113.9, 10.0.0.2"]);
        // Nobody trusted: the header is the client's own claim and is ignored.
        assert_eq!(client_ip(&[], ip("198.51.100.7"), &h), ip("198.51.100.7"));
        // The peer is not a trusted proxy: ignored even when proxies are configured.
        assert_eq!(
            client_ip(&[proxy], ip("198.51.100.7"), &h),
            ip("198.51.100.7")
        );
        // A trusted proxy vouches for the hop before it, which is not trusted: that one.
        assert_eq!(client_ip(&[proxy], proxy, &h), ip("10.0.0.2"));
        // Two trusted hops: the client the outer one saw.
        assert_eq!(
            client_ip(&[proxy, ip("10.0.0.2")], proxy, &h),
            ip("203.0.113.9")
        );
        // A spoofed entry left of the real client changes nothing.
        let h = forwarded(&["1.2.3.4", "203.0.113.9"]);
        assert_eq!(client_ip(&[proxy], proxy, &h), ip("203.0.113.9"));
        // Garbage next to the proxy: the proxy is the last address that could be checked.
        let h = forwarded(&["203.0.113.9, not-an-address"]);
        assert_eq!(client_ip(&[proxy], proxy, &h), proxy);
    }
}
