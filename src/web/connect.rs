//! `GET /connect`: how to add this server to Apple Calendar, Thunderbird,
//! DAVx⁵ and Outlook (CalDAV Synchronizer); `GET /connect/feeds`: the
//! signed-in user's secret ICS feed links; and
//! `GET /connect/apple.mobileconfig`: an Apple configuration profile with
//! one CalDAV account for the signed-in user (the router checks the
//! credentials first, as for `/dav/`), for one-tap setup on iPhone, iPad
//! and Mac. The profile carries the user name but never the password.
//!
//! URLs start with the base links use (`public_url`, or the scheme and host
//! a trusted proxy forwarded; see `booking::links`).
//!
//! May import: `app` (the configuration, the store), `feeds` (listing), `hex`, `http`, the page models,
//! [`super::respond`], hyper types; the profile is laid out by the
//! `apple_profile.xml` template (askama escapes every value).

use bytes::Bytes;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use hyper::{HeaderMap, Response};
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::http::Body;

use super::errors::PageError;
use askama::Template;

use super::pages::{AppleProfile, ConnectApp, ConnectPage, FeedLink, FeedLinksPage};
use super::respond::{enc, render};

/// The path of the signed-in user's feed links.
pub const FEEDS_PATH: &str = "/connect/feeds";
/// The path of the Apple profile.
pub const APPLE_PROFILE_PATH: &str = "/connect/apple.mobileconfig";
/// Its media type (what makes Safari offer to install it).
pub const APPLE_PROFILE_TYPE: &str = "application/x-apple-aspen-config";

/// The CalDAV URL calendar apps are given: `base` + `/dav/`.
pub fn dav_url(base: &str) -> String {
    format!("{}/dav/", base.trim_end_matches('/'))
}

/// The page, in the language `?lang=`, its cookie or the browser asks for
/// (`query`: the raw query string).
pub fn connect_page(app: &App, base: &str, headers: &HeaderMap, query: Option<&str>) -> Result<Response<Body>, PageError> {
    let query = super::forms::decode(query.unwrap_or("").as_bytes());
    let tr = super::locale::tr(headers, &query, super::locale::Speaker::default());
    let url = dav_url(base);
    let apps = calendar_apps(&tr, &url);
    Ok(super::locale::remember(render(ConnectPage { tr, site_name: app.config.site_name.clone(), dav_url: url, apps })?, &query))
}

/// Each calendar app and its steps, in the page's language, with the
/// CalDAV `url` (keys `connect-{app}-name` and `connect-{app}-1` …).
fn calendar_apps(tr: &crate::i18n::Tr, url: &str) -> Vec<ConnectApp> {
    let app = |app: &str, steps: usize| ConnectApp {
        name: tr.t(&format!("connect-{app}-name")),
        steps: (1..=steps).map(|i| tr.t2(&format!("connect-{app}-{i}"), "url", url, "path", APPLE_PROFILE_PATH)).collect(),
    };
    vec![app("apple", 4), app("thunderbird", 3), app("davx5", 3), app("outlook", 3)]
}

/// `GET /connect/feeds` for `user` (already authenticated): the secret ICS
/// feed URLs of the calendars they published (`slotdav feed add`), to
/// subscribe to in Outlook or Google Calendar.
pub fn feed_links_page(app: &App, base: &str, user: &str, headers: &HeaderMap, query: Option<&str>) -> Result<Response<Body>, PageError> {
    let query = super::forms::decode(query.unwrap_or("").as_bytes());
    let tr = super::locale::tr(headers, &query, super::locale::Speaker::default());
    let records = crate::feeds::list(&*app.storage, Some(user)).map_err(|e| PageError::Internal(e.to_string()))?;
    let base = base.trim_end_matches('/');
    let feeds = records
        .into_iter()
        .map(|r| {
            let url = format!("{base}/feeds/{}.ics", enc(&r.token));
            let webcal = url.replacen("https://", "webcal://", 1).replacen("http://", "webcal://", 1);
            FeedLink { calendar: r.calendar, url, webcal }
        })
        .collect();
    let mut resp = super::locale::remember(render(FeedLinksPage { tr, site_name: app.config.site_name.clone(), user: user.to_string(), feeds })?, &query);
    resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(resp)
}

/// `GET /connect/apple.mobileconfig` for `user` (already authenticated).
pub fn apple_profile_response(site_name: &str, base: &str, user: &str) -> Result<Response<Body>, PageError> {
    let mut resp = Response::new(Body::new(Bytes::from(apple_profile(site_name, base, user)?)));
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(APPLE_PROFILE_TYPE));
    resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    resp.headers_mut().insert(CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"slotdav.mobileconfig\""));
    Ok(resp)
}

/// Where `base` (`scheme://host[:port][/path]`) points.
struct Server<'a> {
    host: &'a str,
    port: u16,
    tls: bool,
}

fn server_of(base: &str) -> Server<'_> {
    let (tls, rest) = match base.strip_prefix("https://") {
        Some(rest) => (true, rest),
        None => (false, base.strip_prefix("http://").unwrap_or(base)),
    };
    let authority = rest.split('/').next().unwrap_or("");
    let default_port = if tls { 443 } else { 80 };
    // `[::1]:8008`, `host:8008`, `host`.
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (h, p.parse().unwrap_or(default_port)),
        _ => (authority, default_port),
    };
    Server { host: host.trim_start_matches('[').trim_end_matches(']'), port, tls }
}

/// A UUID (RFC 9562 layout, version 8) that stays the same for the same
/// user, server and payload, so installing the profile again replaces it.
fn stable_uuid(kind: &str, user: &str, host: &str) -> String {
    let digest = Sha256::digest(format!("slotdav apple profile\0{kind}\0{user}\0{host}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = crate::hex::encode(&b).to_ascii_uppercase();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// The profile: an XML property list with one `com.apple.caldav.account`
/// payload for `user` at `base`. No password: the device asks for it.
pub fn apple_profile(site_name: &str, base: &str, user: &str) -> Result<String, PageError> {
    let server = server_of(base);
    let id_host: String = server.host.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
    let profile = AppleProfile {
        site_name: site_name.to_string(),
        user: user.to_string(),
        identifier: format!("org.slotdav.{id_host}.{user}"),
        account_uuid: stable_uuid("caldav", user, server.host),
        profile_uuid: stable_uuid("profile", user, server.host),
        host: server.host.to_string(),
        port: server.port,
        tls: server.tls,
        principal_url: format!("{}principals/{}/", dav_url(base), enc(user)),
    };
    profile.render().map_err(|e| PageError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_xml::events::Event;

    /// (issue 12 §5) Every app's name and steps exist in every language,
    /// with the CalDAV URL filled in.
    #[test]
    fn the_calendar_apps_steps_are_written_in_every_language() {
        use crate::i18n::{Locale, Tr};
        let url = "https://cal.example/dav/";
        for locale in [Locale::En, Locale::De, Locale::Fr, Locale::Es] {
            let apps = calendar_apps(&Tr::new(locale), url);
            assert_eq!(apps.iter().map(|a| a.steps.len()).sum::<usize>(), 13);
            for a in &apps {
                assert!(!a.name.starts_with("connect-"), "{locale}: {}", a.name);
                assert!(a.steps.iter().all(|s| !s.starts_with("connect-")), "{locale}: {:?}", a.steps);
            }
            assert!(apps[0].steps[0].contains(APPLE_PROFILE_PATH) && apps[0].steps[3].contains(url), "{locale}: {:?}", apps[0].steps);
            assert!(apps[1].steps[1].contains(url) && apps[2].steps[1].contains(url) && apps[3].steps[1].contains(url));
        }
        let de = calendar_apps(&Tr::new(Locale::De), url);
        assert!(de[0].steps[1].contains("Einstellungen"), "{:?}", de[0].steps);
    }

    /// The profile's `<key>` → value pairs in document order, after checking
    /// that quick-xml reads it to the end.
    fn keys_and_values(xml: &str) -> Vec<(String, String)> {
        let mut reader = quick_xml::Reader::from_str(xml);
        reader.config_mut().check_end_names = true;
        let (mut pairs, mut last_key, mut in_key, mut text) = (Vec::new(), None::<String>, false, String::new());
        loop {
            match reader.read_event().unwrap_or_else(|e| panic!("not well-formed: {e}\n{xml}")) {
                Event::Eof => break,
                Event::Start(e) => {
                    in_key = e.name().as_ref() == b"key";
                    text.clear();
                }
                Event::Text(t) => text.push_str(&t.unescape().unwrap()),
                Event::End(e) => {
                    if e.name().as_ref() == b"key" && in_key {
                        last_key = Some(text.clone());
                    } else if let Some(k) = last_key.take() {
                        if matches!(e.name().as_ref(), b"string" | b"integer") {
                            pairs.push((k, text.clone()));
                        }
                    }
                    in_key = false;
                }
                Event::Empty(e) => {
                    if let Some(k) = last_key.take() {
                        pairs.push((k, String::from_utf8_lossy(e.name().as_ref()).into_owned()));
                    }
                }
                _ => {}
            }
        }
        pairs
    }

    fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Vec<&'a str> {
        pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }

    #[test]
    fn the_profile_is_a_plist_with_one_caldav_account_and_no_password() {
        let xml = apple_profile("Music & <School>", "https://cal.example.org", "alice").unwrap();
        let pairs = keys_and_values(&xml);
        assert_eq!(value(&pairs, "PayloadType"), ["com.apple.caldav.account", "Configuration"]);
        assert_eq!(value(&pairs, "CalDAVHostName"), ["cal.example.org"]);
        assert_eq!(value(&pairs, "CalDAVPort"), ["443"]);
        assert_eq!(value(&pairs, "CalDAVUseSSL"), ["true"]);
        assert_eq!(value(&pairs, "CalDAVPrincipalURL"), ["https://cal.example.org/dav/principals/alice/"]);
        assert_eq!(value(&pairs, "CalDAVUsername"), ["alice"]);
        assert_eq!(value(&pairs, "PayloadVersion"), ["1", "1"]);
        assert_eq!(value(&pairs, "PayloadDisplayName")[0], "Music & <School> calendars", "escaped, and read back as written");
        assert_eq!(value(&pairs, "PayloadUUID").len(), 2);
        assert_eq!(value(&pairs, "PayloadIdentifier").len(), 2);
        assert!(!xml.to_ascii_lowercase().contains("password"), "{xml}");
    }

    #[test]
    fn plain_http_ports_and_ipv6_hosts_are_read_from_the_base() {
        let pairs = keys_and_values(&apple_profile("slotdav", "http://[::1]:8008", "bob").unwrap());
        assert_eq!(value(&pairs, "CalDAVHostName"), ["::1"]);
        assert_eq!(value(&pairs, "CalDAVPort"), ["8008"]);
        assert_eq!(value(&pairs, "CalDAVUseSSL"), ["false"]);
        assert_eq!(value(&pairs, "CalDAVPrincipalURL"), ["http://[::1]:8008/dav/principals/bob/"]);
        let pairs = keys_and_values(&apple_profile("slotdav", "http://127.0.0.1:8008/", "bob").unwrap());
        assert_eq!(value(&pairs, "CalDAVPrincipalURL"), ["http://127.0.0.1:8008/dav/principals/bob/"]);
        let pairs = keys_and_values(&apple_profile("slotdav", "https://example.org/cal", "bob").unwrap());
        assert_eq!(value(&pairs, "CalDAVPrincipalURL"), ["https://example.org/cal/dav/principals/bob/"]);
    }

    #[test]
    fn uuids_are_stable_per_user_and_host() {
        let a = stable_uuid("caldav", "alice", "cal.example.org");
        assert_eq!(a, stable_uuid("caldav", "alice", "cal.example.org"));
        assert_ne!(a, stable_uuid("caldav", "bob", "cal.example.org"));
        assert_ne!(a, stable_uuid("caldav", "alice", "other.example.org"));
        assert_ne!(a, stable_uuid("profile", "alice", "cal.example.org"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8");
    }
}
