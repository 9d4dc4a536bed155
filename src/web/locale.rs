//! Which language a public page speaks (issue 12 §5), and the language
//! switch on every page.
//!
//! The choice, first that applies: `?lang=` on the address (then
//! remembered in the `slotdav_lang` cookie: `SameSite=Lax`, a language tag
//! and nothing else), the cookie, the language the booking was made in (a
//! booking's own pages), the browser's `Accept-Language` where the coach
//! allows it (`browser_language`, the default; always on pages of no
//! coach), the coach's `language`, English.
//!
//! May import: `i18n`, `booking` (the coach's settings), [`super::request`], hyper's header types.

use std::collections::HashMap;

use hyper::header::{HeaderValue, ACCEPT_LANGUAGE, COOKIE, SET_COOKIE};
use hyper::{HeaderMap, Response};

use crate::booking::coach::CoachConfig;
use crate::http::Body;
use crate::i18n::{negotiate, LangLink, Locale, Tr, SWITCH};

use super::request::PageRequest;

/// The cookie that remembers a `?lang=` choice.
pub const LANG_COOKIE: &str = "slotdav_lang";

/// How long the choice is remembered: a year.
const LANG_COOKIE_MAX_AGE: u32 = 365 * 24 * 3600;

/// What a page knows of whose language to speak.
#[derive(Debug, Clone, Copy, Default)]
pub struct Speaker<'a> {
    /// The coach whose page it is.
    pub coach: Option<&'a CoachConfig>,
    /// The language a booking (or waitlist place) was made in.
    pub stored: Option<Locale>,
}

/// The locale `?lang=` asks for, if it names one we speak.
pub fn asked(query: &HashMap<String, String>) -> Option<Locale> {
    query.get("lang").and_then(|l| Locale::from_tag(l))
}

/// The locale the cookie remembers.
pub fn remembered(headers: &HeaderMap) -> Option<Locale> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == LANG_COOKIE && v.len() <= 16).then(|| Locale::from_tag(v)).flatten()
    })
}

/// The page's locale (see the module's doc for the order).
pub fn choose(headers: &HeaderMap, query: &HashMap<String, String>, speaker: Speaker<'_>) -> Locale {
    if let Some(l) = asked(query).or_else(|| remembered(headers)).or(speaker.stored) {
        return l;
    }
    let browser_allowed = speaker.coach.is_none_or(|c| c.browser_language);
    let browser = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(negotiate);
    match (browser_allowed, browser, speaker.coach) {
        (true, Some(l), _) => l,
        (_, _, Some(c)) => c.language,
        _ => Locale::En,
    }
}

/// The `lang` parameter of a query, without the others (for pages that
/// must not echo the address, such as error pages).
pub fn only_lang(query: &HashMap<String, String>) -> HashMap<String, String> {
    query.iter().filter(|(k, _)| k.as_str() == "lang").map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The translator of a page, with the switch's links (the same address
/// with `lang=` set, other parameters kept).
pub fn tr(headers: &HeaderMap, query: &HashMap<String, String>, speaker: Speaker<'_>) -> Tr {
    tr_at(headers, query, speaker, "")
}

/// [`tr`] for a page that also answers a POST (the manage page after a
/// cancellation, …): the switch links to `path`, its address for GET.
pub fn tr_at(headers: &HeaderMap, query: &HashMap<String, String>, speaker: Speaker<'_>, path: &str) -> Tr {
    let locale = choose(headers, query, speaker);
    let mut kept: Vec<(&String, &String)> = query.iter().filter(|(k, _)| k.as_str() != "lang" && k.as_str() != "done").collect();
    kept.sort();
    let switch = SWITCH
        .iter()
        .map(|l| {
            let prefix = format!("{path}?");
            let mut href = form_urlencoded::Serializer::for_suffix(prefix.clone(), prefix.len());
            for (k, v) in &kept {
                href.append_pair(k, v);
            }
            href.append_pair("lang", l.tag());
            LangLink { tag: l.tag(), name: l.native_name(), href: href.finish(), current: l.same_language(locale) }
        })
        .collect();
    Tr { locale, switch }
}

/// The translator of a page request for `coach`'s page, or a booking's
/// (`stored`: the language it was made in).
pub fn page_tr(req: &PageRequest, coach: Option<&CoachConfig>, stored: Option<Locale>) -> Tr {
    tr(&req.headers, &req.query, Speaker { coach, stored })
}

/// [`page_tr`] for a page whose GET address is `path` (it may be shown
/// as the answer to a POST).
pub fn page_tr_at(req: &PageRequest, path: &str, coach: Option<&CoachConfig>, stored: Option<Locale>) -> Tr {
    tr_at(&req.headers, &req.query, Speaker { coach, stored }, path)
}

/// Remembers a `?lang=` choice on the response (appended: the CSRF
/// cookie may be set too).
pub fn remember(mut resp: Response<Body>, query: &HashMap<String, String>) -> Response<Body> {
    if let Some(l) = asked(query) {
        let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age={LANG_COOKIE_MAX_AGE}; SameSite=Lax", l.tag());
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(SET_COOKIE, v);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_address_beats_the_cookie_beats_the_booking_beats_the_browser() {
        let h = headers(&[("cookie", "a=b; slotdav_lang=fr"), ("accept-language", "es")]);
        let stored = Speaker { coach: None, stored: Some(Locale::De) };
        assert_eq!(choose(&h, &query(&[("lang", "de")]), Speaker::default()), Locale::De);
        assert_eq!(choose(&h, &query(&[]), stored), Locale::Fr);
        assert_eq!(choose(&headers(&[("accept-language", "es")]), &query(&[]), stored), Locale::De);
        assert_eq!(choose(&headers(&[("accept-language", "es")]), &query(&[]), Speaker::default()), Locale::Es);
        assert_eq!(choose(&HeaderMap::new(), &query(&[("lang", "klingon")]), Speaker::default()), Locale::En);
        assert_eq!(choose(&headers(&[("cookie", "slotdav_lang=xx")]), &query(&[]), Speaker::default()), Locale::En);
    }

    #[test]
    fn the_switch_keeps_the_other_parameters() {
        let t = tr(&HeaderMap::new(), &query(&[("tz", "Europe/Berlin"), ("week", "2026-03-23"), ("lang", "fr"), ("done", "booked")]), Speaker::default());
        assert_eq!(t.locale, Locale::Fr);
        let de = t.switch.iter().find(|l| l.tag == "de").unwrap();
        assert_eq!(de.href, "?tz=Europe%2FBerlin&week=2026-03-23&lang=de");
        assert!(t.switch.iter().find(|l| l.tag == "fr").unwrap().current);
        let t = tr(&HeaderMap::new(), &query(&[]), Speaker::default());
        assert_eq!(t.switch[1].href, "?lang=de");
        let t = tr_at(&HeaderMap::new(), &query(&[("tz", "UTC")]), Speaker::default(), "/book/manage/t");
        assert_eq!(t.switch[3].href, "/book/manage/t?tz=UTC&lang=es", "a page shown after a POST links to its GET address");
    }
}
