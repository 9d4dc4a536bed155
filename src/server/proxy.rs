//! Who the client is when slotdav runs behind a reverse proxy.
//!
//! Only a peer listed in `trusted_proxies` may say who it forwards for.
//! From such a peer, `Forwarded` (RFC 7239) or else `X-Forwarded-For` is
//! read right to left: each hop that is itself trusted is skipped, and the
//! first address that is not is the client. Whatever a client writes into
//! these headers itself sits further left and is never reached unless
//! every hop to its right is trusted. From any other peer the headers are
//! ignored. The same trusted hop's `proto=`/`host=` (or
//! `X-Forwarded-Proto`/`-Host`) give the scheme and host the client used,
//! for links when `public_url` is not set.

use std::net::IpAddr;

use hyper::header::{HeaderMap, HOST};

use crate::model::IpRange;

/// The client of one request, as far as the trusted proxies tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The address all per-client limits and the logs use.
    pub ip: IpAddr,
    /// True when the TCP peer is a trusted proxy.
    pub via_proxy: bool,
    /// `scheme://host` the client asked for, when a trusted proxy said so.
    pub base_url: Option<String>,
}

/// True when `ip` is in one of the ranges.
pub fn is_trusted(ip: IpAddr, trusted: &[IpRange]) -> bool {
    trusted.iter().any(|r| r.contains(ip))
}

/// One hop as a proxy reported it.
#[derive(Debug, Default)]
struct Hop {
    /// `None`: missing, `unknown` or an obfuscated name (RFC 7239 §6.3).
    for_ip: Option<IpAddr>,
    proto: Option<String>,
    host: Option<String>,
}

/// Resolves the client of a request that came from `peer`.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpRange]) -> Client {
    if !is_trusted(peer, trusted) {
        return Client { ip: peer, via_proxy: false, base_url: None };
    }
    let forwarded = header_list(headers, "forwarded");
    let hops: Vec<Hop> = if !forwarded.is_empty() {
        forwarded.iter().map(|e| parse_forwarded_element(e)).collect()
    } else {
        header_list(headers, "x-forwarded-for").iter().map(|e| Hop { for_ip: parse_node(e), ..Hop::default() }).collect()
    };
    let mut ip = peer;
    let mut chosen: Option<&Hop> = None;
    for hop in hops.iter().rev() {
        chosen = Some(hop);
        match hop.for_ip {
            Some(addr) => {
                ip = addr;
                if !is_trusted(addr, trusted) {
                    break;
                }
            }
            // An unknown hop: the last trusted address is all we know.
            None => break,
        }
    }
    let proto = chosen
        .and_then(|h| h.proto.clone())
        .or_else(|| header_list(headers, "x-forwarded-proto").pop())
        .map(|p| p.to_ascii_lowercase())
        .filter(|p| p == "http" || p == "https");
    let forwarded_host = chosen.and_then(|h| h.host.clone()).or_else(|| header_list(headers, "x-forwarded-host").pop());
    let base_url = if proto.is_some() || forwarded_host.is_some() {
        let host = forwarded_host.or_else(|| headers.get(HOST).and_then(|h| h.to_str().ok()).map(str::to_string));
        host.filter(|h| valid_host(h)).map(|h| format!("{}://{}", proto.as_deref().unwrap_or("http"), h.to_ascii_lowercase()))
    } else {
        None
    };
    Client { ip, via_proxy: true, base_url }
}

/// Every comma-separated entry of every line of a header, in order.
fn header_list(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(split_outside_quotes)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Splits at commas that are not inside a quoted string.
fn split_outside_quotes(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// `for=…;proto=…;host=…` (RFC 7239 §4); other parameters are ignored.
fn parse_forwarded_element(element: &str) -> Hop {
    let mut hop = Hop::default();
    for pair in element.split(';') {
        let Some((key, value)) = pair.split_once('=') else { continue };
        let value = value.trim().trim_matches('"');
        match key.trim().to_ascii_lowercase().as_str() {
            "for" => hop.for_ip = parse_node(value),
            "proto" => hop.proto = Some(value.to_string()),
            "host" => hop.host = Some(value.to_string()),
            _ => {}
        }
    }
    hop
}

/// An address with or without a port: `192.0.2.1`, `192.0.2.1:80`,
/// `[2001:db8::1]:80`, `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    let (addr, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    addr.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// A host name or address with an optional port, nothing else (no path,
/// no user info, no spaces).
fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ranges(list: &[&str]) -> Vec<IpRange> {
        list.iter().map(|r| IpRange::parse(r).unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_cannot_claim_another_address() {
        let h = headers(&[("x-forwarded-for", "10.9.9.9"), ("x-forwarded-proto", "https"), ("x-forwarded-host", "evil.example")]);
        let c = resolve(ip("203.0.113.5"), &h, &ranges(&["127.0.0.1"]));
        assert_eq!(c, Client { ip: ip("203.0.113.5"), via_proxy: false, base_url: None });
    }

    #[test]
    fn x_forwarded_for_is_read_right_to_left_skipping_trusted_hops() {
        let trusted = ranges(&["127.0.0.1", "10.0.0.0/8"]);
        // The client wrote 6.6.6.6 itself; the outer proxy (10.0.0.2) saw 198.51.100.7.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7"), ("x-forwarded-for", "10.0.0.2")]);
        assert_eq!(resolve(ip("127.0.0.1"), &h, &trusted).ip, ip("198.51.100.7"));
        let h = headers(&[("x-forwarded-for", "[2001:db8::7]:5000")]);
        assert_eq!(resolve(ip("127.0.0.1"), &h, &trusted).ip, ip("2001:db8::7"));
        let h = headers(&[("x-forwarded-for", "198.51.100.9:4711")]);
        assert_eq!(resolve(ip("127.0.0.1"), &h, &trusted).ip, ip("198.51.100.9"));
        // Nothing forwarded, or garbage: the proxy itself.
        assert_eq!(resolve(ip("127.0.0.1"), &HeaderMap::new(), &trusted).ip, ip("127.0.0.1"));
        let h = headers(&[("x-forwarded-for", "not-an-ip")]);
        assert_eq!(resolve(ip("127.0.0.1"), &h, &trusted).ip, ip("127.0.0.1"));
    }

    #[test]
    fn forwarded_gives_client_scheme_and_host_of_the_outermost_trusted_hop() {
        let trusted = ranges(&["127.0.0.1", "10.0.0.0/8"]);
        let h = headers(&[(
            "forwarded",
            r#"for=6.6.6.6;host=evil.example, for="[2001:db8:cafe::17]:4711";proto=https;host=book.example.org, for=10.0.0.2;proto=http;host=inner"#,
        )]);
        let c = resolve(ip("127.0.0.1"), &h, &trusted);
        assert_eq!(c.ip, ip("2001:db8:cafe::17"));
        assert_eq!(c.base_url.as_deref(), Some("https://book.example.org"));
        let h = headers(&[("forwarded", "for=unknown;proto=https"), ("host", "cal.example.org")]);
        let c = resolve(ip("127.0.0.1"), &h, &trusted);
        assert_eq!((c.ip, c.base_url.as_deref()), (ip("127.0.0.1"), Some("https://cal.example.org")));
    }

    #[test]
    fn x_forwarded_proto_and_host_make_the_base_url_and_bad_ones_are_dropped() {
        let trusted = ranges(&["127.0.0.1"]);
        let h = headers(&[("x-forwarded-proto", "https"), ("x-forwarded-host", "Book.Example.org:8443")]);
        assert_eq!(resolve(ip("127.0.0.1"), &h, &trusted).base_url.as_deref(), Some("https://book.example.org:8443"));
        let h = headers(&[("x-forwarded-proto", "https"), ("host", "cal.example.org")]);
        assert_eq!(resolve(ip("127.0.0.1"), &h, &trusted).base_url.as_deref(), Some("https://cal.example.org"));
        let h = headers(&[("x-forwarded-proto", "https"), ("x-forwarded-host", "evil.example/path?")]);
        assert_eq!(resolve(ip("127.0.0.1"), &h, &trusted).base_url, None);
        let h = headers(&[("x-forwarded-proto", "javascript"), ("x-forwarded-host", "a.example")]);
        assert_eq!(resolve(ip("127.0.0.1"), &h, &trusted).base_url.as_deref(), Some("http://a.example"));
        let h = headers(&[("host", "cal.example.org")]);
        assert_eq!(resolve(ip("127.0.0.1"), &h, &trusted).base_url, None);
    }
}
