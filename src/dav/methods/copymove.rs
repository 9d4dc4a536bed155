//! COPY and MOVE (RFC 4918 §9.8, §9.9): Destination, Overwrite and Depth.
//! Within one user's home only.

use hyper::header::HOST;
use hyper::{HeaderMap, StatusCode};

use super::{store_path, Ctx, DavRequest};
use crate::dav::headers::{self, Depth};
use crate::dav::path::{href_path, DavPath};
use crate::dav::xml::PropName;
use crate::dav::{DavError, DavResult};
use crate::http::empty_response;

pub fn copy_or_move(ctx: &Ctx, req: &DavRequest, is_move: bool) -> DavResult {
    let from = store_path(req)?;
    if from.len() < 2 {
        return Err(DavError::Status(StatusCode::FORBIDDEN));
    }
    let destination = req
        .headers
        .get("destination")
        .and_then(|v| v.to_str().ok())
        .ok_or(DavError::Status(StatusCode::BAD_REQUEST))?;
    // RFC 4918 §9.8.4 / §9.9.4: a Destination on another server is 502.
    if !same_server(destination, &req.headers) {
        return Err(DavError::Status(StatusCode::BAD_GATEWAY));
    }
    let to = match DavPath::parse(href_path(destination)) {
        Ok(DavPath::Store(p)) if p.owner() == ctx.user.name && p.len() >= 2 => p,
        Ok(_) => return Err(DavError::Status(StatusCode::FORBIDDEN)),
        Err(_) => return Err(DavError::Status(StatusCode::BAD_GATEWAY)),
    };
    super::guard_writable(ctx, &to)?;
    let overwrite = headers::overwrite(&req.headers).ok_or(DavError::Status(StatusCode::BAD_REQUEST))?;
    let depth = headers::depth(&req.headers, Depth::Infinity).ok_or(DavError::Status(StatusCode::BAD_REQUEST))?;
    let source = ctx.dav.storage.node(from)?.ok_or(DavError::Status(StatusCode::NOT_FOUND))?;
    if source.is_collection() && (depth == Depth::One || (is_move && depth != Depth::Infinity)) {
        return Err(DavError::Status(StatusCode::BAD_REQUEST));
    }
    if to == *from || to.is_within(from) {
        return Err(DavError::Status(StatusCode::FORBIDDEN));
    }
    // RFC 4791 §5.3.2.1 `calendar-collection-location-ok`: a calendar holds
    // calendar objects only (no collection of any kind goes into one), and
    // a calendar object goes only into a calendar.
    if let Some(dest_parent) = to.parent().map(|p| ctx.dav.storage.node(&p)).transpose()?.flatten() {
        let object = source.resource().is_some_and(|r| r.calendar.is_some());
        if (source.is_collection() && dest_parent.is_calendar())
            || (object && dest_parent.is_collection() && !dest_parent.is_calendar())
        {
            return Err(DavError::forbidden(PropName::caldav("calendar-collection-location-ok")));
        }
    }
    // RFC 4791 §5.3.2.1 `no-uid-conflict`: an object is not overwritten by
    // one with another UID. (Without Overwrite the store answers 412.)
    if overwrite {
        let uid_of = |n: &crate::storage::Node| n.resource().and_then(|r| r.calendar.as_ref()).map(|c| c.uid.clone());
        if let (Some(new), Some(old)) = (uid_of(&source), ctx.dav.storage.node(&to)?.as_ref().and_then(uid_of)) {
            if new != old {
                return Err(DavError::no_uid_conflict(&to));
            }
        }
    }
    let replaced = ctx.dav.storage.copy(from, &to, overwrite, depth == Depth::Infinity, is_move, ctx.now)?;
    ctx.durable()?;
    Ok(empty_response(if replaced { StatusCode::NO_CONTENT } else { StatusCode::CREATED }))
}

/// Whether a Destination names this server: a path, or an absolute URL
/// whose authority is the request's `Host` (or the host a proxy forwarded
/// in `X-Forwarded-Host` or `Forwarded`), default ports aside. Public
/// (hidden) for the `http_request` fuzz target only.
pub fn same_server(destination: &str, headers: &HeaderMap) -> bool {
    let Some((scheme, rest)) = destination.split_once("://") else { return true };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let normal = |a: &str| {
        let a = a.trim().to_ascii_lowercase();
        let default_port = if scheme.eq_ignore_ascii_case("https") { ":443" } else { ":80" };
        a.strip_suffix(default_port).map(str::to_string).unwrap_or(a)
    };
    let wanted = normal(authority);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let forwarded_host = header("forwarded").into_iter().flat_map(|v| v.split([';', ','])).find_map(|part| {
        let (k, v) = part.split_once('=')?;
        k.trim().eq_ignore_ascii_case("host").then(|| v.trim().trim_matches('"'))
    });
    [header(HOST.as_str()), header("x-forwarded-host"), forwarded_host]
        .into_iter()
        .flatten()
        .flat_map(|v| v.split(','))
        .any(|h| normal(h) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn destinations_on_this_server() {
        let h = headers(&[("host", "cal.example.org")]);
        assert!(same_server("/dav/calendars/a/x.ics", &h));
        assert!(same_server("http://cal.example.org/dav/x", &h));
        assert!(same_server("http://CAL.example.org:80/dav/x", &h));
        assert!(same_server("https://cal.example.org:443/dav/x", &h));
        assert!(!same_server("http://evil.example/dav/x", &h));
        assert!(!same_server("http://cal.example.org:8080/dav/x", &h));
        assert!(!same_server("http://cal.example.org/dav/x", &HeaderMap::new()));
        let proxied = headers(&[("host", "127.0.0.1:8080"), ("x-forwarded-host", "cal.example.org")]);
        assert!(same_server("https://cal.example.org/dav/x", &proxied));
        let forwarded = headers(&[("host", "127.0.0.1:8080"), ("forwarded", "for=1.2.3.4;host=\"cal.example.org\";proto=https")]);
        assert!(same_server("https://cal.example.org/dav/x", &forwarded));
    }
}
