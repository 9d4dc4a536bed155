//! The operator's endpoints: `/metrics` (Prometheus, through
//! [`crate::metrics`]), `/healthz` (the process answers) and `/readyz`
//! (the store takes a write and the mail worker is alive; 503 with the
//! reason otherwise). [`metrics_access`] is the one decision who may
//! scrape: the bearer token of `metrics_token`, or, when none is set,
//! loopback clients only, judged on the client the router resolved (the
//! peer itself, or whom a *trusted* proxy names; a forwarding header from
//! anyone else is ignored).

use std::net::IpAddr;
use std::sync::Arc;

use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{HeaderMap, Method, Response, StatusCode};
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::http::{text_response, Body};

/// Who may read `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAccess {
    Allowed,
    /// A token is configured and the request has none or another (401).
    Unauthorized,
    /// No token is configured and the client is not on loopback (403).
    Forbidden,
}

/// The one access decision of `/metrics`.
pub fn metrics_access(token: Option<&str>, authorization: Option<&str>, client: IpAddr) -> MetricsAccess {
    match token {
        Some(expected) => {
            let given = authorization.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim);
            // Compare digests, so the time taken says nothing about the token.
            let digest = |t: &str| Sha256::digest(t.as_bytes());
            match given {
                Some(g) if digest(g) == digest(expected) => MetricsAccess::Allowed,
                _ => MetricsAccess::Unauthorized,
            }
        }
        None if client.is_loopback() || client.to_canonical().is_loopback() => MetricsAccess::Allowed,
        None => MetricsAccess::Forbidden,
    }
}

/// Answers `/metrics`, `/healthz` and `/readyz`; `None` for other paths.
pub async fn route(app: &Arc<App>, client: IpAddr, method: &Method, path: &str, headers: &HeaderMap) -> Option<Response<Body>> {
    if !matches!(path, "/metrics" | "/healthz" | "/readyz") {
        return None;
    }
    if method != Method::GET && method != Method::HEAD {
        let mut resp = text_response(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n");
        resp.headers_mut().insert(hyper::header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Some(resp);
    }
    let resp = match path {
        "/healthz" => text_response(StatusCode::OK, "ok\n"),
        "/readyz" => {
            let app = app.clone();
            match tokio::task::spawn_blocking(move || app.readiness()).await {
                Ok(Ok(())) => text_response(StatusCode::OK, "ready\n"),
                Ok(Err(why)) => {
                    tracing::warn!(reason = %why, "not ready");
                    text_response(StatusCode::SERVICE_UNAVAILABLE, &format!("not ready: {why}\n"))
                }
                Err(_) => text_response(StatusCode::SERVICE_UNAVAILABLE, "not ready: the check failed\n"),
            }
        }
        _ => {
            let authorization = headers.get(hyper::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
            match metrics_access(app.config.metrics_token.as_deref(), authorization, client) {
                MetricsAccess::Allowed => {
                    let app = app.clone();
                    let text = tokio::task::spawn_blocking(move || app.metrics.encode(&app.metrics_snapshot())).await.unwrap_or_default();
                    let mut resp = text_response(StatusCode::OK, &text);
                    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(crate::metrics::CONTENT_TYPE));
                    resp
                }
                MetricsAccess::Unauthorized => {
                    let mut resp = text_response(StatusCode::UNAUTHORIZED, "Unauthorized: /metrics needs its bearer token.\n");
                    resp.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"metrics\""));
                    resp
                }
                MetricsAccess::Forbidden => {
                    text_response(StatusCode::FORBIDDEN, "Forbidden: /metrics answers loopback clients only (or set metrics_token).\n")
                }
            }
        }
    };
    let mut resp = resp;
    resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Some(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef";

    #[test]
    fn without_a_token_only_loopback_clients_may_scrape() {
        for ip in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            assert_eq!(metrics_access(None, None, ip.parse().unwrap()), MetricsAccess::Allowed, "{ip}");
        }
        for ip in ["192.0.2.7", "10.0.0.1", "2001:db8::1"] {
            assert_eq!(metrics_access(None, None, ip.parse().unwrap()), MetricsAccess::Forbidden, "{ip}");
        }
    }

    #[test]
    fn with_a_token_everyone_needs_it_loopback_too() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let far: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(metrics_access(Some(TOKEN), Some("Bearer 0123456789abcdef"), far), MetricsAccess::Allowed);
        assert_eq!(metrics_access(Some(TOKEN), Some("Bearer 0123456789abcdeX"), far), MetricsAccess::Unauthorized);
        assert_eq!(metrics_access(Some(TOKEN), Some("Basic 0123456789abcdef"), lo), MetricsAccess::Unauthorized);
        assert_eq!(metrics_access(Some(TOKEN), None, lo), MetricsAccess::Unauthorized);
    }
}
