//! Bytes → [`CalendarObject`]: the content-line reader (RFC 5545 §3.1),
//! the component tree, value parsing (DATE, DATE-TIME, DURATION, PERIOD),
//! and the RFC 4791 §4.1 rules for a calendar object resource.
//!
//! The reader is our own and deliberately forgiving about what real clients
//! send (LF line ends, folds that split UTF-8 sequences, X- properties), but
//! strict about structure: unbalanced BEGIN/END or garbage lines are refused.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use super::tz::{resolve_tzid, Zone};
use super::{ComponentKind, Error, Result};

/// One content line: `NAME;PARAM=v1,v2:VALUE`. The value is kept as sent
/// (still escaped), so re-serialising reproduces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// Upper case.
    pub name: String,
    /// Parameter name (upper case) → values, quotes removed.
    pub params: Vec<(String, Vec<String>)>,
    pub value: String,
}

impl Property {
    /// First value of a parameter (name upper case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.first())
            .map(String::as_str)
    }

    /// The value with TEXT escapes (RFC 5545 §3.3.11) undone.
    pub fn text(&self) -> String {
        unescape_text(&self.value)
    }
}

/// A component (`BEGIN:NAME` … `END:NAME`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Component {
    /// Upper case.
    pub name: String,
    pub props: Vec<Property>,
    pub children: Vec<Component>,
}

impl Component {
    pub fn prop(&self, name: &str) -> Option<&Property> {
        self.props.iter().find(|p| p.name == name)
    }

    pub fn props_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Property> + 'a {
        self.props.iter().filter(move |p| p.name == name)
    }

    pub fn has(&self, name: &str) -> bool {
        self.prop(name).is_some()
    }
}

/// Undo TEXT escaping: `\n`, `\N`, `\,`, `\;`, `\\`.
pub fn unescape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Remove line folding (CRLF or LF followed by a space or tab), at byte
/// level so that a fold in the middle of a UTF-8 sequence rejoins it.
fn unfold(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') && matches!(bytes.get(i + 2), Some(b' ' | b'\t')) {
            i += 3;
            continue;
        }
        if b == b'\n' && matches!(bytes.get(i + 1), Some(b' ' | b'\t')) {
            i += 2;
            continue;
        }
        out.push(b);
        i += 1;
    }
    out
}

/// Move each fold that splits a UTF-8 sequence to just before that
/// sequence, so the folded text is valid UTF-8 with the same content.
fn refold_at_char_boundaries(bytes: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let fold_len = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'\r', Some(b'\n'), Some(b' ' | b'\t')) => 3,
            (b'\n', Some(b' ' | b'\t'), _) => 2,
            _ => 0,
        };
        if fold_len == 0 {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        // Trailing bytes of `out` that start a sequence not yet complete.
        let mut pending = 0;
        for back in 1..=3.min(out.len()) {
            let b = out[out.len() - back];
            if b & 0xC0 == 0x80 {
                continue;
            }
            let need = if b >= 0xF0 { 4 } else if b >= 0xE0 { 3 } else if b >= 0xC0 { 2 } else { 1 };
            if need > back {
                pending = back;
            }
            break;
        }
        let tail: Vec<u8> = out.split_off(out.len() - pending);
        out.extend_from_slice(&bytes[i..i + fold_len]);
        out.extend_from_slice(&tail);
        i += fold_len;
    }
    out
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// Undo RFC 6868 caret encoding of a parameter value: `^n` is a line
/// break, `^'` a DQUOTE, `^^` a caret; any other `^` stays as it is.
fn decode_param(v: &str) -> String {
    if !v.contains('^') {
        return v.to_string();
    }
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '^' {
            match chars.peek() {
                Some('n') => {
                    chars.next();
                    out.push('\n');
                    continue;
                }
                Some('\'') => {
                    chars.next();
                    out.push('"');
                    continue;
                }
                Some('^') => {
                    chars.next();
                    out.push('^');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// Parse one unfolded content line.
pub fn parse_content_line(line: &str) -> Option<Property> {
    let name_end = line.find([';', ':'])?;
    let name = &line[..name_end];
    if name.is_empty() || !name.chars().all(is_name_char) {
        return None;
    }
    let mut params = Vec::new();
    let bytes = line.as_bytes();
    let mut i = name_end;
    while bytes.get(i) == Some(&b';') {
        i += 1;
        let eq = i + line[i..].find('=')?;
        let pname = &line[i..eq];
        if pname.is_empty() || !pname.chars().all(is_name_char) {
            return None;
        }
        i = eq + 1;
        let mut values = Vec::new();
        loop {
            if bytes.get(i) == Some(&b'"') {
                let close = i + 1 + line[i + 1..].find('"')?;
                values.push(decode_param(&line[i + 1..close]));
                i = close + 1;
            } else {
                let end = i + line[i..].find([',', ';', ':']).unwrap_or(line.len() - i);
                values.push(decode_param(&line[i..end]));
                i = end;
            }
            if bytes.get(i) == Some(&b',') {
                i += 1;
            } else {
                break;
            }
        }
        params.push((pname.to_ascii_uppercase(), values));
    }
    if bytes.get(i) != Some(&b':') {
        return None;
    }
    Some(Property {
        name: name.to_ascii_uppercase(),
        params,
        value: line[i + 1..].to_string(),
    })
}

/// Read iCalendar text into its single root component (whatever its name).
pub fn parse_components(bytes: &[u8]) -> Result<Component> {
    let unfolded = unfold(bytes);
    let text = String::from_utf8(unfolded).map_err(|_| Error::InvalidData("not UTF-8".into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut stack: Vec<Component> = Vec::new();
    let mut root: Option<Component> = None;
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        if root.is_some() {
            return Err(Error::InvalidData(format!("line {}: content after the end of the object", n + 1)));
        }
        let prop = parse_content_line(line)
            .ok_or_else(|| Error::InvalidData(format!("line {}: not a content line", n + 1)))?;
        match prop.name.as_str() {
            "BEGIN" => {
                let name = prop.value.trim().to_ascii_uppercase();
                if name.is_empty() || !name.chars().all(is_name_char) || stack.len() > 16 {
                    return Err(Error::InvalidData(format!("line {}: bad BEGIN", n + 1)));
                }
                stack.push(Component { name, ..Default::default() });
            }
            "END" => {
                let name = prop.value.trim().to_ascii_uppercase();
                let done = stack
                    .pop()
                    .ok_or_else(|| Error::InvalidData(format!("line {}: END without BEGIN", n + 1)))?;
                if done.name != name {
                    return Err(Error::InvalidData(format!(
                        "line {}: END:{name} closes {}",
                        n + 1,
                        done.name
                    )));
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            _ => match stack.last_mut() {
                Some(c) => c.props.push(prop),
                None => return Err(Error::InvalidData(format!("line {}: property outside a component", n + 1))),
            },
        }
    }
    if !stack.is_empty() {
        return Err(Error::InvalidData(format!("{} is not closed", stack[stack.len() - 1].name)));
    }
    root.ok_or_else(|| Error::InvalidData("empty".into()))
}

// ---------------------------------------------------------------------------
// Values

/// A DATE or DATE-TIME value (RFC 5545 §3.3.4, §3.3.5) with its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateValue {
    /// `VALUE=DATE`: a floating calendar day.
    Date(NaiveDate),
    /// Form #1: local time with no zone.
    Floating(NaiveDateTime),
    /// Form #2: `…Z`.
    Utc(DateTime<Utc>),
    /// Form #3: local time with a resolved TZID.
    Zoned(NaiveDateTime, Zone),
}

impl DateValue {
    /// The wall-clock time (midnight for a DATE; UTC wall time for form #2).
    pub fn local(&self) -> NaiveDateTime {
        match self {
            DateValue::Date(d) => d.and_time(NaiveTime::MIN),
            DateValue::Floating(l) | DateValue::Zoned(l, _) => *l,
            DateValue::Utc(t) => t.naive_utc(),
        }
    }

    /// The zone wall-clock times are read in; floating values use `floating`.
    pub fn zone(&self, floating: Zone) -> Zone {
        match self {
            DateValue::Date(_) | DateValue::Floating(_) => floating,
            DateValue::Utc(_) => Zone::UTC,
            DateValue::Zoned(_, z) => *z,
        }
    }

    pub fn resolve(&self, floating: Zone) -> DateTime<Utc> {
        match self {
            DateValue::Utc(t) => *t,
            other => other.zone(floating).to_utc(other.local()),
        }
    }

    pub fn is_date(&self) -> bool {
        matches!(self, DateValue::Date(_))
    }

    /// Floating time (a DATE counts: RFC 4791 treats it as floating).
    pub fn is_floating(&self) -> bool {
        matches!(self, DateValue::Date(_) | DateValue::Floating(_))
    }

    /// Same way of reading wall-clock time (so wall-clock differences are
    /// meaningful between the two values).
    pub fn same_frame(&self, other: &DateValue) -> bool {
        match (self, other) {
            (DateValue::Utc(_), DateValue::Utc(_)) => true,
            (DateValue::Zoned(_, a), DateValue::Zoned(_, b)) => a == b,
            (a, b) => a.is_floating() && b.is_floating(),
        }
    }
}

/// A DURATION (RFC 5545 §3.3.6): nominal days (weeks count as 7) plus exact
/// seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IcalDuration {
    pub days: i64,
    pub seconds: i64,
}

impl IcalDuration {
    pub fn is_zero(&self) -> bool {
        self.days == 0 && self.seconds == 0
    }

    pub fn as_exact(&self) -> Duration {
        Duration::seconds(self.days.saturating_mul(86_400).saturating_add(self.seconds))
    }

    /// `start + self`, nominal days in wall-clock time of `zone`.
    pub fn add_to(&self, start_local: NaiveDateTime, zone: Zone) -> DateTime<Utc> {
        let local = start_local
            .checked_add_signed(Duration::days(self.days))
            .unwrap_or(start_local);
        let t = zone.to_utc(local);
        t.checked_add_signed(Duration::seconds(self.seconds)).unwrap_or(t)
    }
}

pub fn parse_duration(s: &str) -> Option<IcalDuration> {
    let s = s.trim();
    let (neg, s) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let s = s.strip_prefix(['P', 'p'])?;
    let mut d = IcalDuration::default();
    let mut num = String::new();
    let mut in_time = false;
    let mut any = false;
    for c in s.chars() {
        match c.to_ascii_uppercase() {
            '0'..='9' => {
                if num.len() > 9 {
                    return None;
                }
                num.push(c)
            }
            'T' if num.is_empty() && !in_time => in_time = true,
            u @ ('W' | 'D' | 'H' | 'M' | 'S') => {
                let n: i64 = num.parse().ok()?;
                num.clear();
                any = true;
                match (u, in_time) {
                    ('W', false) => d.days += 7 * n,
                    ('D', false) => d.days += n,
                    ('H', true) => d.seconds += 3600 * n,
                    ('M', true) => d.seconds += 60 * n,
                    ('S', true) => d.seconds += n,
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    if !num.is_empty() || !any || d.days.abs() > 3_000_000 || d.seconds.abs() > 100_000_000_000 {
        return None;
    }
    if neg {
        d.days = -d.days;
        d.seconds = -d.seconds;
    }
    Some(d)
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(s[0..4].parse().ok()?, s[4..6].parse().ok()?, s[6..8].parse().ok()?)
}

/// `YYYYMMDDTHHMMSS` (optionally with `Z`, which is ignored) or `YYYYMMDD`
/// (→ midnight): the wall-clock reading of a value.
pub fn parse_local_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    let s = s.strip_suffix(['Z', 'z']).unwrap_or(s);
    if !s.is_ascii() {
        return None;
    }
    if s.len() == 8 {
        return parse_date(s).map(|d| d.and_time(NaiveTime::MIN));
    }
    if s.len() != 15 || !matches!(s.as_bytes()[8], b'T' | b't') {
        return None;
    }
    let date = parse_date(&s[..8])?;
    let t = &s[9..];
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Leap second 60 is read as 59.
    let sec: u32 = t[4..6].parse().ok()?;
    let time = NaiveTime::from_hms_opt(t[0..2].parse().ok()?, t[2..4].parse().ok()?, sec.min(59))?;
    Some(date.and_time(time))
}

/// Parse one DATE / DATE-TIME value; `tzid` is already resolved (None:
/// floating, or a TZID we could not place — also read as floating).
pub fn parse_date_value(s: &str, is_date_param: bool, zone: Option<Zone>) -> Option<DateValue> {
    let s = s.trim();
    if s.len() == 8 {
        return parse_date(s).map(DateValue::Date);
    }
    if is_date_param {
        return None;
    }
    let local = parse_local_datetime(s)?;
    if s.ends_with(['Z', 'z']) {
        return Some(DateValue::Utc(Utc.from_utc_datetime(&local)));
    }
    Some(match zone {
        Some(z) => DateValue::Zoned(local, z),
        None => DateValue::Floating(local),
    })
}

/// An RDATE entry: a date, a date-time, or a PERIOD (RFC 5545 §3.3.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RDateValue {
    At(DateValue),
    Period(DateValue, PeriodEnd),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodEnd {
    End(DateValue),
    Duration(IcalDuration),
}

// ---------------------------------------------------------------------------
// The object

/// A stored calendar object resource: the bytes as sent plus what we derived
/// from them.
#[derive(Debug, Clone)]
pub struct CalendarObject {
    raw: String,
    raw_bytes: Option<Vec<u8>>,
    root: Component,
    uid: String,
    kind: ComponentKind,
    /// TZID → resolved zone (None: unknown, read as floating).
    zones: HashMap<String, Option<Zone>>,
}

/// Properties whose values are DATE / DATE-TIME and must parse.
const DATE_PROPS: &[&str] = &["DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "EXDATE", "COMPLETED", "CREATED"];

impl CalendarObject {
    /// Parse and validate a calendar object resource (RFC 4791 §4.1).
    pub fn parse(bytes: &[u8]) -> Result<CalendarObject> {
        let root = parse_components(bytes)?;
        let raw = match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => String::from_utf8(refold_at_char_boundaries(bytes))
                .map_err(|_| Error::InvalidData("not UTF-8".into()))?,
        };
        if root.name != "VCALENDAR" {
            return Err(Error::InvalidData(format!("root component is {}, not VCALENDAR", root.name)));
        }
        if root.has("METHOD") {
            return Err(Error::MethodPresent);
        }
        let mut kinds: Vec<ComponentKind> = Vec::new();
        for c in &root.children {
            if let Some(k) = ComponentKind::from_name(&c.name) {
                if !kinds.contains(&k) {
                    kinds.push(k);
                }
            }
        }
        let kind = match kinds.as_slice() {
            [k] => *k,
            [] => return Err(Error::ComponentKinds("no VEVENT, VTODO, VJOURNAL or VFREEBUSY".into())),
            many => {
                return Err(Error::ComponentKinds(
                    many.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "),
                ))
            }
        };
        let mut uid: Option<String> = None;
        for c in root.children.iter().filter(|c| c.name == kind.name()) {
            let this = c.prop("UID").map(|p| p.value.trim().to_string()).unwrap_or_default();
            if this.is_empty() {
                return Err(Error::Uid(format!("a {} has no UID", c.name)));
            }
            match &uid {
                None => uid = Some(this),
                Some(u) if *u != this => return Err(Error::Uid(format!("{u} and {this}"))),
                _ => {}
            }
        }
        let uid = uid.unwrap_or_default();

        let raw_bytes = (raw.as_bytes() != bytes).then(|| bytes.to_vec());
        let mut obj = CalendarObject { raw, raw_bytes, root, uid, kind, zones: HashMap::new() };
        obj.resolve_zones();
        obj.check_values()?;
        super::validate::check_times(&obj)?;
        Ok(obj)
    }

    fn resolve_zones(&mut self) {
        let mut tzids: Vec<String> = Vec::new();
        fn collect(c: &Component, out: &mut Vec<String>) {
            for p in &c.props {
                if let Some(t) = p.param("TZID") {
                    if !out.iter().any(|o| o == t) {
                        out.push(t.to_string());
                    }
                }
            }
            for ch in &c.children {
                if ch.name != "VTIMEZONE" {
                    collect(ch, out);
                }
            }
        }
        collect(&self.root, &mut tzids);
        for tzid in tzids {
            let vtz = self
                .root
                .children
                .iter()
                .find(|c| c.name == "VTIMEZONE" && c.prop("TZID").is_some_and(|p| p.value.trim() == tzid));
            let zone = resolve_tzid(&tzid, vtz);
            self.zones.insert(tzid, zone);
        }
    }

    fn check_values(&self) -> Result<()> {
        for c in self.components() {
            for p in &c.props {
                if DATE_PROPS.contains(&p.name.as_str()) {
                    let ok = if p.name == "EXDATE" {
                        self.multi_dates(p).len() == p.value.split(',').filter(|v| !v.trim().is_empty()).count()
                    } else {
                        self.date_value(p).is_some()
                    };
                    if !ok {
                        return Err(Error::InvalidData(format!("{}: bad date value {:?}", p.name, p.value)));
                    }
                }
                if p.name == "DURATION" && parse_duration(&p.value).is_none() {
                    return Err(Error::InvalidData(format!("DURATION: bad value {:?}", p.value)));
                }
            }
        }
        Ok(())
    }

    /// The object as text: exactly the bytes the client sent, except when a
    /// line fold split a UTF-8 sequence (then the fold is moved before that
    /// character so the text is valid UTF-8; the content is unchanged).
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The bytes exactly as the client sent them.
    pub fn raw_bytes(&self) -> &[u8] {
        self.raw_bytes.as_deref().unwrap_or(self.raw.as_bytes())
    }

    pub fn uid(&self) -> &str {
        &self.uid
    }

    pub fn kind(&self) -> ComponentKind {
        self.kind
    }

    /// The VCALENDAR component tree.
    pub fn root(&self) -> &Component {
        &self.root
    }

    /// The VEVENT/VTODO/… components (master and overrides), in order.
    pub fn components(&self) -> impl Iterator<Item = &Component> {
        let name = self.kind.name();
        self.root.children.iter().filter(move |c| c.name == name)
    }

    /// The component without RECURRENCE-ID, if any.
    pub fn master(&self) -> Option<&Component> {
        self.components().find(|c| !c.has("RECURRENCE-ID"))
    }

    /// The master, or the first override when there is no master.
    fn main(&self) -> Option<&Component> {
        self.master().or_else(|| self.components().next())
    }

    fn main_text(&self, name: &str) -> Option<String> {
        self.main()?.prop(name).map(|p| p.text())
    }

    pub fn summary(&self) -> Option<String> {
        self.main_text("SUMMARY")
    }

    /// STATUS, upper case.
    pub fn status(&self) -> Option<String> {
        self.main_text("STATUS").map(|s| s.trim().to_ascii_uppercase())
    }

    pub fn sequence(&self) -> i64 {
        self.main()
            .and_then(|c| c.prop("SEQUENCE"))
            .and_then(|p| p.value.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Master DTSTART; floating and DATE values are read in UTC.
    pub fn dtstart(&self) -> Option<DateTime<Utc>> {
        let c = self.main()?;
        Some(self.date_value(c.prop("DTSTART")?)?.resolve(Zone::UTC))
    }

    /// Master end: DTEND (or DUE), else DTSTART + DURATION, else the
    /// RFC 4791 §9.9 default (one day for a DATE, the start otherwise).
    pub fn dtend(&self) -> Option<DateTime<Utc>> {
        let c = self.main()?;
        let end_name = if self.kind == ComponentKind::Todo { "DUE" } else { "DTEND" };
        if let Some(e) = c.prop(end_name).and_then(|p| self.date_value(p)) {
            return Some(e.resolve(Zone::UTC));
        }
        let start = self.date_value(c.prop("DTSTART")?)?;
        if let Some(d) = c.prop("DURATION").and_then(|p| parse_duration(&p.value)) {
            return Some(d.add_to(start.local(), start.zone(Zone::UTC)));
        }
        if start.is_date() {
            return Some(start.resolve(Zone::UTC) + Duration::days(1));
        }
        Some(start.resolve(Zone::UTC))
    }

    /// ATTENDEE values (calendar user addresses, e.g. `mailto:a@b.c`).
    pub fn attendees(&self) -> Vec<String> {
        self.main()
            .map(|c| c.props_named("ATTENDEE").map(|p| p.value.trim().to_string()).collect())
            .unwrap_or_default()
    }

    /// ATTENDEE properties with their parameters (PARTSTAT, CN, …).
    pub fn attendee_props(&self) -> Vec<&Property> {
        self.main().map(|c| c.props_named("ATTENDEE").collect()).unwrap_or_default()
    }

    pub fn organizer(&self) -> Option<String> {
        self.main()?.prop("ORGANIZER").map(|p| p.value.trim().to_string())
    }

    /// The zone a TZID parameter stands for (None: floating).
    pub fn zone_for(&self, p: &Property) -> Option<Zone> {
        let tzid = p.param("TZID")?;
        self.zones.get(tzid).copied().flatten()
    }

    /// A single DATE / DATE-TIME property value.
    pub fn date_value(&self, p: &Property) -> Option<DateValue> {
        parse_date_value(&p.value, p.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE")), self.zone_for(p))
    }

    /// Every value of a comma-separated DATE / DATE-TIME list (EXDATE),
    /// skipping the ones that do not parse.
    pub fn multi_dates(&self, p: &Property) -> Vec<DateValue> {
        let is_date = p.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
        let zone = self.zone_for(p);
        p.value
            .split(',')
            .filter(|v| !v.trim().is_empty())
            .filter_map(|v| parse_date_value(v, is_date, zone))
            .collect()
    }

    /// The values of an RDATE property (dates, date-times or periods).
    pub fn rdates(&self, p: &Property) -> Vec<RDateValue> {
        let is_date = p.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
        let zone = self.zone_for(p);
        let mut out = Vec::new();
        for v in p.value.split(',') {
            let v = v.trim();
            if let Some((a, b)) = v.split_once('/') {
                let Some(start) = parse_date_value(a, false, zone) else { continue };
                let end = if b.starts_with(['P', 'p', '+', '-']) {
                    parse_duration(b).map(PeriodEnd::Duration)
                } else {
                    parse_date_value(b, false, zone).map(PeriodEnd::End)
                };
                if let Some(end) = end {
                    out.push(RDateValue::Period(start, end));
                }
            } else if let Some(d) = parse_date_value(v, is_date, zone) {
                out.push(RDateValue::At(d));
            }
        }
        out
    }

    /// True when some component of the object uses floating time (incl.
    /// DATE values, and TZIDs we could not place).
    pub fn uses_floating(&self) -> bool {
        self.components().any(|c| {
            ["DTSTART", "DTEND", "DUE", "RECURRENCE-ID"]
                .iter()
                .filter_map(|n| c.prop(n))
                .any(|p| self.date_value(p).is_some_and(|d| d.is_floating()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(body: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n")
    }

    const EVENT: &str = "BEGIN:VEVENT\r\nUID:abc\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\nSUMMARY:Lesson\r\nEND:VEVENT\r\n";

    #[test]
    fn accepts_basic_event_and_keeps_raw() {
        let text = wrap(EVENT);
        let obj = CalendarObject::parse(text.as_bytes()).unwrap();
        assert_eq!(obj.raw(), text);
        assert_eq!(obj.uid(), "abc");
        assert_eq!(obj.kind(), ComponentKind::Event);
        assert_eq!(obj.summary().as_deref(), Some("Lesson"));
        assert_eq!(obj.dtstart(), Some(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()));
        assert_eq!(obj.dtend(), Some(Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).unwrap()));
        assert_eq!(obj.sequence(), 0);
    }

    #[test]
    fn lf_and_folds_splitting_utf8() {
        // "Müller" folded between the two bytes of "ü".
        let mut bytes = b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:u1\nDTSTART:20260105T090000Z\nSUMMARY:M\xc3\n \xbcller\nX-FOO;X-P=\"a:b\":x\nBEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nEND:VALARM\nEND:VEVENT\nEND:VCALENDAR\n".to_vec();
        let obj = CalendarObject::parse(&bytes).unwrap();
        assert_eq!(obj.summary().as_deref(), Some("Müller"));
        assert_eq!(obj.raw_bytes(), &bytes[..]);
        assert!(obj.raw().contains("SUMMARY:M\n üller"));
        assert_eq!(obj.master().unwrap().prop("X-FOO").unwrap().param("X-P"), Some("a:b"));
        bytes.truncate(10);
        assert!(matches!(CalendarObject::parse(&bytes), Err(Error::InvalidData(_))));
    }

    #[test]
    fn rfc4791_section_4_1_errors() {
        let not_cal = "BEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\n";
        assert!(matches!(CalendarObject::parse(not_cal.as_bytes()), Err(Error::InvalidData(_))));

        let method = wrap(EVENT).replace("VERSION:2.0", "METHOD:REQUEST");
        assert_eq!(CalendarObject::parse(method.as_bytes()).unwrap_err(), Error::MethodPresent);

        let todo = "BEGIN:VTODO\r\nUID:abc\r\nEND:VTODO\r\n";
        let two_kinds = wrap(&format!("{EVENT}{todo}"));
        assert!(matches!(CalendarObject::parse(two_kinds.as_bytes()), Err(Error::ComponentKinds(_))));

        let none = wrap("BEGIN:VTIMEZONE\r\nTZID:UTC\r\nEND:VTIMEZONE\r\n");
        assert!(matches!(CalendarObject::parse(none.as_bytes()), Err(Error::ComponentKinds(_))));

        let other_uid = EVENT.replace("UID:abc", "UID:other").replace("DTSTAMP", "RECURRENCE-ID:20260105T090000Z\r\nDTSTAMP");
        let two_uids = wrap(&format!("{EVENT}{other_uid}"));
        assert!(matches!(CalendarObject::parse(two_uids.as_bytes()), Err(Error::Uid(_))));

        let no_uid = wrap(&EVENT.replace("UID:abc\r\n", ""));
        assert!(matches!(CalendarObject::parse(no_uid.as_bytes()), Err(Error::Uid(_))));

        let bad_date = wrap(&EVENT.replace("20260105T090000Z", "2026-01-05"));
        assert!(matches!(CalendarObject::parse(bad_date.as_bytes()), Err(Error::InvalidData(_))));

        let unbalanced = wrap(EVENT).replace("END:VEVENT", "END:VTODO");
        assert!(matches!(CalendarObject::parse(unbalanced.as_bytes()), Err(Error::InvalidData(_))));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT1H30M"), Some(IcalDuration { days: 0, seconds: 5400 }));
        assert_eq!(parse_duration("-P1W"), Some(IcalDuration { days: -7, seconds: 0 }));
        assert_eq!(parse_duration("P1DT2H"), Some(IcalDuration { days: 1, seconds: 7200 }));
        assert_eq!(parse_duration("P"), None);
        assert_eq!(parse_duration("PT1D"), None);
        assert_eq!(parse_duration("1H"), None);
    }

    #[test]
    fn attendees_organizer_status_sequence() {
        let body = "BEGIN:VEVENT\r\nUID:x\r\nDTSTART;VALUE=DATE:20260105\r\nSEQUENCE:3\r\nSTATUS:tentative\r\n\
ORGANIZER;CN=Coach:mailto:coach@example.com\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@example.com\r\n\
ATTENDEE:mailto:b@example.com\r\nEND:VEVENT\r\n";
        let obj = CalendarObject::parse(wrap(body).as_bytes()).unwrap();
        assert_eq!(obj.sequence(), 3);
        assert_eq!(obj.status().as_deref(), Some("TENTATIVE"));
        assert_eq!(obj.organizer().as_deref(), Some("mailto:coach@example.com"));
        assert_eq!(obj.attendees(), vec!["mailto:a@example.com", "mailto:b@example.com"]);
        assert_eq!(obj.dtend(), Some(Utc.with_ymd_and_hms(2026, 1, 6, 0, 0, 0).unwrap()));
        assert!(obj.uses_floating());
    }

    /// Deterministic xorshift so the mangling loop is reproducible.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    const SEEDS: &[&str] = &[
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Custom\r\nBEGIN:STANDARD\r\nDTSTART:16010101T030000\r\n\
TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n\
DTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\n\
END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:m1\r\nDTSTART;TZID=Custom:20260105T090000\r\nDTEND;TZID=Custom:20260105T100000\r\n\
RRULE:FREQ=WEEKLY;UNTIL=20260601T000000Z;BYDAY=MO,WE\r\nEXDATE;TZID=Custom:20260107T090000\r\nRDATE;VALUE=PERIOD:20260110T100000Z/PT1H\r\n\
SUMMARY:Lesson\\, piano\r\nATTENDEE;CN=\"A, B\";PARTSTAT=ACCEPTED:mailto:a@b.c\r\nBEGIN:VALARM\r\nTRIGGER;RELATED=END:-PT5M\r\n\
REPEAT:2\r\nDURATION:PT1M\r\nACTION:DISPLAY\r\nEND:VALARM\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:m1\r\n\
RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Custom:20260112T090000\r\nDTSTART;TZID=Custom:20260112T110000\r\nDURATION:PT2H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        "BEGIN:VCALENDAR\nBEGIN:VTODO\nUID:t\nDTSTART;VALUE=DATE:20260105\nDUE;VALUE=DATE:20260110\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=30\n\
COMPLETED:20260106T000000Z\nEND:VTODO\nEND:VCALENDAR\n",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:f\nDTSTART:20260105T090000\nRRULE:FREQ=DAILY;INTERVAL=3;BYHOUR=9,17;UNTIL=20261231\nEND:VEVENT\nEND:VCALENDAR\n",
        "BEGIN:VCALENDAR\nBEGIN:VFREEBUSY\nUID:fb\nDTSTART:20260105T000000Z\nDTEND:20260106T000000Z\nFREEBUSY:20260105T090000Z/PT1H,20260105T120000Z/20260105T130000Z\nEND:VFREEBUSY\nEND:VCALENDAR\n",
    ];

    const JUNK: &[&[u8]] = &[
        b"\r\n", b"\n ", b":", b";", b"=", b"\"", b",", b"Z", b"T", b"0", b"9", b"99999999", b"-", b"P", b"W",
        b"\xc3", b"\xff", b"\xe2\x82", b"BEGIN:VEVENT\r\n", b"END:VEVENT\r\n", b"RRULE:FREQ=SECONDLY\r\n",
        b"RRULE:FREQ=YEARLY;BYSETPOS=-1;BYDAY=MO;INTERVAL=0\r\n", b"DTSTART:00000101T000000Z\r\n",
        b"DTSTART;VALUE=DATE:99991231\r\n", b"DURATION:P9999999999W\r\n", b"TZID=", b"RANGE=THISANDFUTURE",
        b"RECURRENCE-ID:20260105T090000Z\r\n", b"EXDATE:", b"RDATE;VALUE=PERIOD:20260101T000000Z/P", b"UNTIL=2",
    ];

    #[test]
    fn never_panics_on_mangled_input() {
        use crate::ical::filter::*;
        use crate::ical::render::*;
        use crate::model::{OpenTimeRange, TimeRange};
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let range = TimeRange::new(
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
        );
        let open = Some(OpenTimeRange { start: Some(range.start), end: Some(range.end) });
        let filter = CompFilter {
            name: "VCALENDAR".into(),
            comp_filters: vec![CompFilter {
                name: "VEVENT".into(),
                time_range: open,
                prop_filters: vec![PropFilter {
                    name: "ATTENDEE".into(),
                    param_filters: vec![ParamFilter { name: "CN".into(), ..Default::default() }],
                    ..Default::default()
                }],
                comp_filters: vec![CompFilter { name: "VALARM".into(), time_range: open, ..Default::default() }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let requests = [
            CalendarDataRequest { expand: Some(range), ..Default::default() },
            CalendarDataRequest { limit_recurrence_set: Some(range), limit_freebusy_set: Some(range), ..Default::default() },
            CalendarDataRequest {
                comp: Some(CompSelection { name: "VCALENDAR".into(), all_comps: true, ..Default::default() }),
                ..Default::default()
            },
        ];
        let mut accepted = 0;
        for round in 0..1500 {
            let mut bytes = SEEDS[round % SEEDS.len()].as_bytes().to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len() + 1);
                match rng.below(5) {
                    0 => {
                        let end = (at + 1 + rng.below(12)).min(bytes.len());
                        bytes.drain(at..end);
                    }
                    1 | 2 => {
                        let junk = JUNK[rng.below(JUNK.len())];
                        bytes.splice(at..at, junk.iter().copied());
                    }
                    3 => bytes.truncate(at),
                    _ => {
                        let end = (at + rng.below(40)).min(bytes.len());
                        let copy = bytes[at..end].to_vec();
                        let to = rng.below(bytes.len() + 1);
                        bytes.splice(to..to, copy);
                    }
                }
            }
            if let Ok(obj) = CalendarObject::parse(&bytes) {
                accepted += 1;
                let _ = obj.index_entry(range.end);
                let _ = obj.matches(&filter, Some(chrono_tz::Tz::America__New_York));
                let _ = obj.busy_occurrences(range, None);
                let _ = (obj.summary(), obj.dtstart(), obj.dtend(), obj.attendees(), obj.status());
                for r in &requests {
                    let _ = obj.render(r);
                }
            }
        }
        // The loop must have exercised the accepting paths too.
        assert!(accepted > 100, "only {accepted} mangled inputs parsed");
    }
}
