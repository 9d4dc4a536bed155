//! The student's language (issue 12 §5): which [`Locale`] a request or a
//! booking speaks, the translator value [`Tr`] that pages and mails ask for
//! their texts, and locale-aware dates and times ([`dates`]).
//!
//! The texts are Fluent messages in `locales/{en,de,fr,es}/*.ftl`, files a
//! translator edits; they are embedded in the binary at compile time
//! ([`messages`]), so nothing is read at run time. English is the
//! reference: a unit test fails when a key of one language is missing in
//! another, or when code or a template uses a key that no file defines.
//!
//! Owns: [`Locale`], [`Tr`], `Accept-Language` negotiation
//! ([`negotiate`]). Pure: no I/O, no HTTP types (headers come in as text).
//!
//! May import: nothing of the crate (fluent, unic-langid and chrono only).

pub mod dates;
pub mod messages;

use std::fmt;

/// A language slotdav speaks. `EnUs` is English with US dates and
/// 12-hour times ("Tuesday, May 5, 2026, 2:30 PM"); `En` is international
/// English (24-hour, "Tuesday 5 May 2026"); both use the `en` messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    En,
    EnUs,
    De,
    Fr,
    Es,
}

/// The locales the language switch offers, in its order.
pub const SWITCH: [Locale; 4] = [Locale::En, Locale::De, Locale::Fr, Locale::Es];

/// The most `Accept-Language` entries (and bytes) looked at: the header
/// comes from anyone, so its cost is bounded.
const MAX_LANGUAGE_RANGES: usize = 32;
const MAX_ACCEPT_LANGUAGE_BYTES: usize = 1024;

impl Locale {
    /// The BCP 47 tag: `<html lang>`, `?lang=`, the cookie, the booking record.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::EnUs => "en-US",
            Locale::De => "de",
            Locale::Fr => "fr",
            Locale::Es => "es",
        }
    }

    /// The language's own name, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En | Locale::EnUs => "English",
            Locale::De => "Deutsch",
            Locale::Fr => "Français",
            Locale::Es => "Español",
        }
    }

    /// The message files it reads (`en` for both Englishes).
    pub fn messages(self) -> &'static str {
        match self {
            Locale::En | Locale::EnUs => "en",
            Locale::De => "de",
            Locale::Fr => "fr",
            Locale::Es => "es",
        }
    }

    /// A tag as a user, a browser or a config file writes it: `de`,
    /// `de-AT`, `DE_ch`, `en-US`; `None` for a language we do not speak.
    /// Regions other than `en-US` fall back to their language.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let tag = tag.trim();
        let mut parts = tag.split(['-', '_']);
        let lang = parts.next()?.to_ascii_lowercase();
        let region = parts.next().map(|r| r.to_ascii_uppercase());
        match (lang.as_str(), region.as_deref()) {
            ("en", Some("US")) => Some(Locale::EnUs),
            ("en", _) => Some(Locale::En),
            ("de", _) => Some(Locale::De),
            ("fr", _) => Some(Locale::Fr),
            ("es", _) => Some(Locale::Es),
            _ => None,
        }
    }

    /// A stored tag (a booking's), English when empty or unknown.
    pub fn from_stored(tag: &str) -> Locale {
        Locale::from_tag(tag).unwrap_or_default()
    }

    /// Whether two locales speak the same language (`en` and `en-US` do).
    pub fn same_language(self, other: Locale) -> bool {
        self.messages() == other.messages()
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// The best locale of an `Accept-Language` header (RFC 9110 §12.5.4):
/// the highest q-value wins, the earlier range on a tie; `q=0` and ranges
/// we do not speak are skipped; `*` is no choice. Only the first
/// [`MAX_LANGUAGE_RANGES`] ranges of the first kilobyte count.
pub fn negotiate(accept_language: &str) -> Option<Locale> {
    let mut end = accept_language.len().min(MAX_ACCEPT_LANGUAGE_BYTES);
    while !accept_language.is_char_boundary(end) {
        end -= 1;
    }
    let mut best: Option<(u16, Locale)> = None;
    for range in accept_language[..end].split(',').take(MAX_LANGUAGE_RANGES) {
        let mut fields = range.split(';');
        let tag = fields.next().unwrap_or("").trim();
        let q = fields
            .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
            .next()
            .map_or(Some(1000), quality);
        let (Some(q), Some(locale)) = (q, Locale::from_tag(tag)) else { continue };
        if q > 0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, locale));
        }
    }
    best.map(|(_, l)| l)
}

/// A q-value in thousandths; `None` when malformed (the range is skipped).
fn quality(q: &str) -> Option<u16> {
    let q = q.trim();
    let (int, frac) = q.split_once('.').unwrap_or((q, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_value: u16 = format!("{frac:0<3}").parse().ok()?;
    match int {
        "0" => Some(frac_value),
        "1" if frac_value == 0 => Some(1000),
        _ => None,
    }
}

/// One link of the language switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LangLink {
    pub tag: &'static str,
    pub name: &'static str,
    /// Where the link goes (the same page with `lang=` set).
    pub href: String,
    /// The page's language now.
    pub current: bool,
}

/// What a template or a mail asks for its texts: the locale, and for a
/// page the language switch's links.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tr {
    pub locale: Locale,
    pub switch: Vec<LangLink>,
}

/// A value for a message's `{ $name }`.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Number(i64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Text(s.to_string())
    }
}
impl From<&String> for Arg {
    fn from(s: &String) -> Arg {
        Arg::Text(s.clone())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Text(s)
    }
}
impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Number(n)
    }
}
impl From<u32> for Arg {
    fn from(n: u32) -> Arg {
        Arg::Number(n.into())
    }
}
impl From<usize> for Arg {
    fn from(n: usize) -> Arg {
        Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl Tr {
    pub fn new(locale: Locale) -> Tr {
        Tr { locale, switch: Vec::new() }
    }

    /// The `<html lang>` value.
    pub fn lang(&self) -> &'static str {
        self.locale.tag()
    }

    /// The message `key`.
    pub fn t(&self, key: &str) -> String {
        messages::format(self.locale, key, &[])
    }

    /// The message `key` with its `{ $name }`s.
    pub fn t_args(&self, key: &str, args: &[(&str, Arg)]) -> String {
        messages::format(self.locale, key, args)
    }

    /// A length of time as people write it: "30 min", "1 h 30 min",
    /// "2 days" ("1 Std. 30 Min.", "2 jours" …).
    pub fn duration(&self, d: chrono::Duration) -> String {
        let mins = d.num_minutes();
        let (key, h, m, days) = match (mins / 1440, mins % 1440 / 60, mins % 60) {
            (days, 0, 0) if days > 0 => ("duration-days", 0, 0, days),
            (0, 0, m) => ("duration-minutes", 0, m, 0),
            (0, h, 0) => ("duration-hours", h, 0, 0),
            (0, h, m) => ("duration-hours-minutes", h, m, 0),
            _ => ("duration-hours", mins / 60, 0, 0),
        };
        self.t_args(key, &[("n", Arg::Number(days)), ("h", Arg::Number(h)), ("m", Arg::Number(m))])
    }

    /// The message `key` with one text argument (for templates).
    pub fn t1(&self, key: &str, name: &str, value: impl AsRef<str>) -> String {
        self.t_args(key, &[(name, Arg::from(value.as_ref()))])
    }

    /// The message `key` with two text arguments (for templates).
    pub fn t2(&self, key: &str, n1: &str, v1: impl AsRef<str>, n2: &str, v2: impl AsRef<str>) -> String {
        self.t_args(key, &[(n1, Arg::from(v1.as_ref())), (n2, Arg::from(v2.as_ref()))])
    }

    /// The message `key` with three text arguments (for templates).
    pub fn t3(&self, key: &str, n1: &str, v1: impl AsRef<str>, n2: &str, v2: impl AsRef<str>, n3: &str, v3: impl AsRef<str>) -> String {
        self.t_args(key, &[(n1, Arg::from(v1.as_ref())), (n2, Arg::from(v2.as_ref())), (n3, Arg::from(v3.as_ref()))])
    }

    /// The message `key` with only a count `$n` (for plurals, in templates).
    pub fn t_n(&self, key: &str, n: impl Count) -> String {
        self.t_args(key, &[("n", Arg::Number(n.count()))])
    }

    /// The message `key` with a count `$n` (for plurals) and one text
    /// argument (for templates).
    pub fn tn(&self, key: &str, n: impl Count, name: &str, value: impl AsRef<str>) -> String {
        self.t_args(key, &[("n", Arg::Number(n.count())), (name, Arg::from(value.as_ref()))])
    }
}

/// A number a template counts with (by value or by reference).
pub trait Count {
    fn count(&self) -> i64;
}
impl Count for u32 {
    fn count(&self) -> i64 {
        (*self).into()
    }
}
impl Count for usize {
    fn count(&self) -> i64 {
        i64::try_from(*self).unwrap_or(i64::MAX)
    }
}
impl Count for i64 {
    fn count(&self) -> i64 {
        *self
    }
}
impl<T: Count + ?Sized> Count for &T {
    fn count(&self) -> i64 {
        (**self).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_parse_with_regions_and_any_case() {
        assert_eq!(Locale::from_tag("de"), Some(Locale::De));
        assert_eq!(Locale::from_tag("de-AT"), Some(Locale::De));
        assert_eq!(Locale::from_tag("FR_ca"), Some(Locale::Fr));
        assert_eq!(Locale::from_tag("es-419"), Some(Locale::Es));
        assert_eq!(Locale::from_tag("en-us"), Some(Locale::EnUs));
        assert_eq!(Locale::from_tag("en-GB"), Some(Locale::En));
        assert_eq!(Locale::from_tag("it"), None);
        assert_eq!(Locale::from_tag(""), None);
        assert_eq!(Locale::from_stored("nl"), Locale::En);
        for l in [Locale::En, Locale::EnUs, Locale::De, Locale::Fr, Locale::Es] {
            assert_eq!(Locale::from_tag(l.tag()), Some(l), "{l}");
        }
    }

    #[test]
    fn accept_language_follows_q_values() {
        assert_eq!(negotiate("de"), Some(Locale::De));
        assert_eq!(negotiate("it, fr;q=0.8, de;q=0.9"), Some(Locale::De));
        assert_eq!(negotiate("en-US,en;q=0.9,de;q=0.8"), Some(Locale::EnUs));
        assert_eq!(negotiate("es;q=0.5, fr;q=0.5"), Some(Locale::Es), "a tie goes to the earlier range");
        assert_eq!(negotiate("de;q=0, fr;q=0.1"), Some(Locale::Fr), "q=0 means not this one");
        assert_eq!(negotiate("it, nl"), None);
        assert_eq!(negotiate("*"), None);
        assert_eq!(negotiate(""), None);
        assert_eq!(negotiate("de;q=2, fr;q=0.3"), Some(Locale::Fr), "a malformed q skips its range");
        assert_eq!(negotiate("de;q=abc"), None);
        assert_eq!(negotiate("fr;q=1.000"), Some(Locale::Fr));
    }

    #[test]
    fn a_huge_accept_language_is_read_only_in_part() {
        let header = format!("{}de", "xx;q=0.1,".repeat(10_000));
        assert_eq!(negotiate(&header), None, "ranges past the first ones are not read");
        let header = format!("ä{}", "x".repeat(2000));
        assert_eq!(negotiate(&header), None, "cut on a character boundary, no panic");
    }
}
