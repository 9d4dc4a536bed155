//! The HTTP request path up to where a server is needed: the bytes are read
//! as a request head (`METHOD TARGET`, then `Name: value` lines) into a
//! `hyper::Request`, then through what the router and the DAV handlers
//! parse before they touch the store: path decoding (`dav::path`), the
//! Depth, Overwrite, If-Match/If-None-Match and If headers
//! (`dav::headers`), the Destination (same server? which path?), Basic
//! credentials, the trusted-proxy headers (`server::proxy`), the booking
//! pages' and the dashboard's routes (`web::page_for`) and query decoding.
#![no_main]

use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Request};
use libfuzzer_sys::fuzz_target;
use slotdav::dav::headers::{self, Depth};
use slotdav::dav::path::{href_path, DavPath};
use slotdav::model::IpRange;
use std::net::{IpAddr, Ipv4Addr};

fn request(data: &[u8]) -> Option<Request<()>> {
    let mut lines = data.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let first = lines.next()?;
    let mut parts = first.splitn(2, |&b| b == b' ');
    let method = Method::from_bytes(parts.next()?).ok()?;
    let target = parts.next()?;
    let mut builder = Request::builder().method(method).uri(target);
    for line in lines {
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(&line[..colon]), HeaderValue::from_bytes(line[colon + 1..].trim_ascii())) else {
            continue;
        };
        builder = builder.header(name, value);
    }
    builder.body(()).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some(req) = request(data) else { return };
    let path = req.uri().path();
    let h = req.headers();
    if let Ok(p) = DavPath::parse(path) {
        let _ = p.href(true);
        let _ = p.href(false);
        let _ = p.owner();
    }
    let _ = headers::depth(h, Depth::Infinity);
    let _ = headers::overwrite(h);
    let _ = headers::write_condition(h);
    if let Ok(Some(cond)) = headers::if_header(h) {
        let _ = cond.holds(&|tag| tag.map(|t| t.len().to_string()));
    }
    if let Some(dest) = h.get("destination").and_then(|v| v.to_str().ok()) {
        let _ = slotdav::dav::methods::same_server(dest, h);
        if let Ok(p) = DavPath::parse(href_path(dest)) {
            let _ = p.href(false);
        }
    }
    if let Some(auth) = h.get("authorization").and_then(|v| v.to_str().ok()) {
        let _ = slotdav::auth::parse_basic(auth);
    }
    let trusted = [IpRange::parse("127.0.0.0/8").unwrap(), IpRange::parse("::1/128").unwrap()];
    let _ = slotdav::server::proxy::resolve(IpAddr::V4(Ipv4Addr::LOCALHOST), h, &trusted);
    let _ = slotdav::web::forms::csrf_cookie(h);
    if let Some(q) = req.uri().query() {
        let _ = slotdav::web::forms::decode(q.as_bytes());
    }
    if path.starts_with("/book/") {
        let segs = slotdav::web::segments(path);
        let seg: Vec<&str> = segs.iter().map(String::as_str).collect();
        let _ = slotdav::web::page_for(req.method(), &seg);
    }
    if let Some(rest) = path.strip_prefix("/coach") {
        let seg: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let _ = slotdav::web::dashboard::page_for(req.method(), &seg);
    }
});
