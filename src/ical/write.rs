//! The one place iCalendar text is written (RFC 5545 §3.1–§3.3). Every
//! object slotdav makes — booking events, iMIP REQUEST and CANCEL, free/busy
//! answers, feeds, re-serialised partial retrievals — goes through here:
//!
//! - TEXT values are escaped (§3.3.11: `\\`, `\;`, `\,`, `\n`);
//! - parameter values are caret-encoded (RFC 6868: `^^`, `^n`, `^'` for a
//!   DQUOTE, which may not appear in a parameter value at all, §3.2) and
//!   quoted when they hold `:`, `;` or `,`;
//! - no value can start a new line: other control characters are dropped;
//! - lines are folded at 75 octets without splitting a UTF-8 character,
//!   and end in CRLF (§3.1).
//!
//! The tree types are the parser's ([`Component`], [`Property`]), so what
//! [`super::parse`] reads, this writes back, and the two are tested
//! against each other.

use chrono::{DateTime, Utc};

pub use super::component::Component;
pub use super::contentline::Property;

/// The PRODID of everything slotdav writes.
pub const PRODID: &str = "-//slotdav//EN";

/// `YYYYMMDDTHHMMSSZ` (RFC 5545 §3.3.5, form #2).
pub fn utc_stamp(t: DateTime<Utc>) -> String {
    let mut s = String::with_capacity(16);
    push_utc_stamp(&mut s, t);
    s
}

/// Appends [`utc_stamp`] of `t` (free-busy answers write thousands).
pub fn push_utc_stamp(out: &mut String, t: DateTime<Utc>) {
    use chrono::{Datelike, Timelike};
    let year = t.year();
    if !(0..=9999).contains(&year) {
        // chrono's own form for years of more or fewer than four digits.
        out.push_str(&t.format("%Y%m%dT%H%M%SZ").to_string());
        return;
    }
    let two = |v: u32| [b'0' + (v / 10) as u8, b'0' + (v % 10) as u8];
    let y = year as u32;
    let [m0, m1] = two(t.month());
    let [d0, d1] = two(t.day());
    let [h0, h1] = two(t.hour());
    let [n0, n1] = two(t.minute());
    let [s0, s1] = two(t.second());
    let stamp = [
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        m0, m1, d0, d1, b'T', h0, h1, n0, n1, s0, s1, b'Z',
    ];
    out.push_str(std::str::from_utf8(&stamp).expect("ASCII digits"));
}

/// C0 controls other than HTAB, and DEL: never allowed in a value
/// (§3.1 `VALUE-CHAR`, §3.3.11 `TSAFE-CHAR`).
fn is_forbidden_control(c: char) -> bool {
    (c < ' ' && c != '\t') || c == '\x7f'
}

/// Line breaks of `s` as one `\n` each (CRLF, lone CR, LF), other control
/// characters dropped: what survives a round trip through the writer.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' => out.push('\n'),
            c if is_forbidden_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// A TEXT value in wire form (RFC 5545 §3.3.11).
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in normalize(s).chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A parameter value in wire form: RFC 6868 caret encoding, then quoted
/// when it holds a character that would end it (`:`, `;`, `,`) or a
/// backslash (not special in RFC 5545 parameters, but readers such as
/// python `icalendar` take an unquoted `\;` as an escape).
pub fn param_value(v: &str) -> String {
    let mut enc = String::with_capacity(v.len() + 2);
    for c in normalize(v).chars() {
        match c {
            '^' => enc.push_str("^^"),
            '\n' => enc.push_str("^n"),
            '"' => enc.push_str("^'"),
            c => enc.push(c),
        }
    }
    if enc.contains([':', ';', ',', '\\']) {
        format!("\"{enc}\"")
    } else {
        enc
    }
}

/// A value already in wire form, with anything that could break the line
/// removed.
fn clean_value(v: &str) -> String {
    // Every forbidden character is ASCII: most values have none and are
    // copied whole (a free-busy list of thousands of periods).
    if !v.bytes().any(|b| (b < b' ' && b != b'\t') || b == 0x7f) {
        return v.to_string();
    }
    v.chars().filter(|c| !is_forbidden_control(*c)).collect()
}

impl Property {
    /// A property whose value is given in wire form (a DATE-TIME, a
    /// URI, a number, an already escaped TEXT …). Control characters are
    /// dropped, so no value can add a line.
    pub fn new(name: &str, value: &str) -> Property {
        Property { name: name.to_ascii_uppercase(), params: Vec::new(), value: clean_value(value) }
    }

    /// A TEXT property (SUMMARY, DESCRIPTION, LOCATION, …): `value` is
    /// plain text and is escaped here.
    pub fn new_text(name: &str, value: &str) -> Property {
        Property { name: name.to_ascii_uppercase(), params: Vec::new(), value: escape_text(value) }
    }

    /// A DATE-TIME in UTC.
    pub fn utc(name: &str, t: DateTime<Utc>) -> Property {
        Property::new(name, &utc_stamp(t))
    }

    /// Adds a parameter with one value (plain text; encoded when written).
    pub fn with_param(mut self, name: &str, value: &str) -> Property {
        self.params.push((name.to_ascii_uppercase(), vec![value.to_string()]));
        self
    }
}

impl Component {
    pub fn new(name: &str) -> Component {
        Component { name: name.to_ascii_uppercase(), props: Vec::new(), children: Vec::new() }
    }

    /// A VCALENDAR with VERSION and PRODID, and METHOD for an iTIP message
    /// (RFC 5546; never for a stored object, RFC 4791 §4.1).
    pub fn calendar(method: Option<&str>) -> Component {
        let mut c = Component::new("VCALENDAR").with(Property::new("VERSION", "2.0")).with(Property::new("PRODID", PRODID));
        if let Some(m) = method {
            c.props.push(Property::new("METHOD", m));
        }
        c
    }

    pub fn with(mut self, p: Property) -> Component {
        self.props.push(p);
        self
    }

    pub fn with_child(mut self, c: Component) -> Component {
        self.children.push(c);
        self
    }

    /// The component as iCalendar text: CRLF lines, folded.
    pub fn to_ics(&self) -> String {
        let mut out = String::new();
        write_component(self, &mut out);
        out
    }
}

/// Appends `c` and its children.
pub fn write_component(c: &Component, out: &mut String) {
    write_line(&format!("BEGIN:{}", c.name), out);
    for p in &c.props {
        write_line(&content_line(p), out);
    }
    for ch in &c.children {
        write_component(ch, out);
    }
    write_line(&format!("END:{}", c.name), out);
}

/// `NAME;PARAM=v1,v2:value`, unfolded, parameter values encoded.
pub fn content_line(p: &Property) -> String {
    let mut s = p.name.clone();
    for (n, vals) in &p.params {
        s.push(';');
        s.push_str(n);
        s.push('=');
        let encoded: Vec<String> = vals.iter().map(|v| param_value(v)).collect();
        s.push_str(&encoded.join(","));
    }
    s.push(':');
    s.push_str(&clean_value(&p.value));
    s
}

/// Appends `line` folded at 75 octets (RFC 5545 §3.1) without splitting a
/// UTF-8 character, CRLF-terminated.
pub fn write_line(line: &str, out: &mut String) {
    let mut rest = line;
    let mut limit = 75;
    loop {
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        limit = 74;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ical::CalendarObject;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[test]
    fn utc_stamps_are_chronos_format() {
        for secs in [0i64, 1, 59, 86_399, 951_782_400, 1_767_225_599, 1_780_000_000, 253_402_300_799, -1, -62_167_219_200, -62_167_219_201, 253_402_300_800] {
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            assert_eq!(utc_stamp(t), t.format("%Y%m%dT%H%M%SZ").to_string(), "{secs}");
        }
    }

    #[test]
    fn text_is_escaped_and_params_are_quoted_and_caret_encoded() {
        assert_eq!(escape_text("a\\b;c,d\r\ne\rf\u{7}g"), "a\\\\b\\;c\\,d\\ne\\nfg");
        assert_eq!(param_value("Ann"), "Ann");
        assert_eq!(param_value("Pat \"PJ\" O'Neil, Jr."), "\"Pat ^'PJ^' O'Neil, Jr.\"");
        assert_eq!(param_value("a^b\nc"), "a^^b^nc");
        assert_eq!(param_value("x:y"), "\"x:y\"");
        // A backslash is quoted, so readers that treat `\;` as an escape
        // (python icalendar, see .ci/ical_interop.py) keep the value whole.
        assert_eq!(param_value("back\\"), "\"back\\\"");
        let p = Property::new("ATTENDEE", "mailto:a@b.c\r\nX-EVIL:1").with_param("CN", "Mo; Ka");
        assert_eq!(content_line(&p), "ATTENDEE;CN=\"Mo; Ka\":mailto:a@b.cX-EVIL:1");
    }

    #[test]
    fn long_lines_fold_on_character_boundaries() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "ü".repeat(100));
        write_line(&line, &mut out);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{}", l.len());
        }
        assert_eq!(out.replace("\r\n ", ""), format!("{line}\r\n"));
    }

    fn event(name: &str, note: &str, location: &str, display: &str) -> String {
        let t = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
        Component::calendar(None)
            .with_child(
                Component::new("VEVENT")
                    .with(Property::new("UID", "u1"))
                    .with(Property::utc("DTSTAMP", t))
                    .with(Property::utc("DTSTART", t))
                    .with(Property::new_text("SUMMARY", &format!("Lesson: {name}")))
                    .with(Property::new_text("DESCRIPTION", note))
                    .with(Property::new_text("LOCATION", location))
                    .with(Property::new("ORGANIZER", "mailto:coach@example.org").with_param("CN", display))
                    .with(Property::new("ATTENDEE", "mailto:s@example.org").with_param("CN", name).with_param("ROLE", "REQ-PARTICIPANT")),
            )
            .to_ics()
    }

    fn check(name: &str, note: &str, location: &str, display: &str) {
        let text = event(name, note, location, display);
        assert!(text.split("\r\n").all(|l| l.len() <= 75 && !l.contains(['\r', '\n'])), "{text:?}");
        let obj = CalendarObject::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}: {text:?}"));
        let c = obj.master().unwrap();
        assert_eq!(c.prop("SUMMARY").unwrap().text(), format!("Lesson: {}", normalize(name)));
        assert_eq!(c.prop("DESCRIPTION").unwrap().text(), normalize(note));
        assert_eq!(c.prop("LOCATION").unwrap().text(), normalize(location));
        assert_eq!(c.prop("ORGANIZER").unwrap().param("CN"), Some(normalize(display).as_str()));
        let a = c.prop("ATTENDEE").unwrap();
        assert_eq!(a.param("CN"), Some(normalize(name).as_str()));
        assert_eq!(a.param("ROLE"), Some("REQ-PARTICIPANT"));
        assert_eq!(a.value, "mailto:s@example.org");
    }

    #[test]
    fn the_names_of_the_finding_round_trip() {
        check("Pat \"PJ\" O'Neil, Jr.", "a;b,c:d\\e\nf", "Room \"7\"; 2nd floor", "Alice \"AC\" Coach, PhD");
        check("^n^'^^", "", "", "\"");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any Unicode name, note, location and display name survives the
        /// writer and our parser (line breaks normalised to `\n`, other
        /// control characters dropped).
        #[test]
        fn any_text_round_trips(name in any::<String>(), note in any::<String>(), location in "\\PC{0,200}", display in "[\"^,;:\\\\ a-zü\n]{0,40}") {
            check(&name, &note, &location, &display);
        }
    }
}
