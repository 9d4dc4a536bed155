//! Small shared value types that every layer speaks: time ranges and the
//! names of things. Nothing here knows about HTTP, XML or sled.

use chrono::{DateTime, Utc};

/// A half-open span of absolute time, `[start, end)`.
///
/// RFC 4791 §9.9 compares every component against such a span; so do the
/// free/busy engine and the booking rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct TimeRange {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl TimeRange {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        TimeRange { start, end }
    }

    /// True when the two spans share at least one instant. A zero-length
    /// span at `t` overlaps a span that contains `t` (RFC 4791 §9.9).
    pub fn overlaps(&self, other: &TimeRange) -> bool {
        if self.start == self.end {
            return other.start <= self.start && self.start < other.end
                || other.start == other.end && other.start == self.start;
        }
        if other.start == other.end {
            return other.overlaps(self);
        }
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &TimeRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn duration(&self) -> chrono::Duration {
        self.end - self.start
    }
}

/// Sorts and merges spans that overlap or touch; empty ones are dropped.
pub fn merge_spans(mut spans: Vec<TimeRange>) -> Vec<TimeRange> {
    spans.retain(|r| r.start < r.end);
    spans.sort();
    let mut out: Vec<TimeRange> = Vec::with_capacity(spans.len());
    for r in spans {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// The time in both `a` and `b` (each sorted and merged).
pub fn intersect_spans(a: &[TimeRange], b: &[TimeRange]) -> Vec<TimeRange> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let (s, e) = (a[i].start.max(b[j].start), a[i].end.min(b[j].end));
        if s < e {
            out.push(TimeRange::new(s, e));
        }
        if a[i].end < b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The time in `a` and not in `b` (each sorted and merged).
pub fn subtract_spans(a: &[TimeRange], b: &[TimeRange]) -> Vec<TimeRange> {
    let mut out = Vec::new();
    for r in a {
        let mut start = r.start;
        for cut in b.iter().filter(|c| c.start < r.end && r.start < c.end) {
            if cut.start > start {
                out.push(TimeRange::new(start, cut.start));
            }
            start = start.max(cut.end);
        }
        if start < r.end {
            out.push(TimeRange::new(start, r.end));
        }
    }
    out
}

/// A time-range as a client asks for it: either end may be open
/// (RFC 4791 §9.9: "start" or "end" may be omitted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenTimeRange {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl OpenTimeRange {
    /// The same range with open ends replaced by the far past/future.
    pub fn closed(&self) -> TimeRange {
        TimeRange {
            start: self.start.unwrap_or(DateTime::<Utc>::MIN_UTC),
            end: self.end.unwrap_or(DateTime::<Utc>::MAX_UTC),
        }
    }
}

/// A user name slotdav accepts: it becomes a URL segment and a mailbox part.
pub fn valid_user_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !name.starts_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, h, 0, 0).unwrap()
    }

    #[test]
    fn span_lists_merge_intersect_and_subtract() {
        let r = |a, b| TimeRange::new(at(a), at(b));
        assert_eq!(merge_spans(vec![r(12, 14), r(8, 9), r(9, 10), r(13, 15), r(16, 16)]), vec![r(8, 10), r(12, 15)]);
        let a = [r(8, 10), r(12, 15)];
        let b = [r(9, 13), r(14, 20)];
        assert_eq!(intersect_spans(&a, &b), vec![r(9, 10), r(12, 13), r(14, 15)]);
        assert_eq!(subtract_spans(&a, &b), vec![r(8, 9), r(13, 14)]);
        assert_eq!(subtract_spans(&a, &[]), a.to_vec());
        assert!(subtract_spans(&a, &[r(0, 23)]).is_empty());
        assert!(intersect_spans(&a, &[]).is_empty());
    }

    #[test]
    fn half_open_ranges_touching_do_not_overlap() {
        let a = TimeRange::new(at(9), at(10));
        let b = TimeRange::new(at(10), at(11));
        assert!(!a.overlaps(&b));
        assert!(!b.overlaps(&a));
        assert!(a.overlaps(&TimeRange::new(at(9), at(11))));
    }

    #[test]
    fn instant_inside_range_overlaps() {
        let instant = TimeRange::new(at(10), at(10));
        assert!(instant.overlaps(&TimeRange::new(at(9), at(11))));
        assert!(!instant.overlaps(&TimeRange::new(at(11), at(12))));
        assert!(TimeRange::new(at(9), at(11)).overlaps(&instant));
    }
}

/// An address range in CIDR notation (`10.0.0.0/8`, `fd00::/8`), or one
/// address (`127.0.0.1`, `::1`). IPv4-mapped IPv6 addresses
/// (`::ffff:10.1.2.3`) match IPv4 ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: std::net::IpAddr,
    prefix: u8,
}

impl IpRange {
    /// Parses `ADDR` or `ADDR/PREFIX`; `None` when it is neither.
    pub fn parse(text: &str) -> Option<IpRange> {
        use std::net::IpAddr;
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = addr.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            Some(_) => return None,
            None => max,
        };
        Some(IpRange { network: mask(network, prefix), prefix })
    }

    /// True when `ip` lies in the range.
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        ip.is_ipv4() == self.network.is_ipv4() && mask(ip, self.prefix) == self.network
    }
}

impl std::fmt::Display for IpRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// `ip` with all but the first `prefix` bits cleared.
fn mask(ip: std::net::IpAddr, prefix: u8) -> std::net::IpAddr {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let m = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) };
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let m = if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix)) };
            IpAddr::V6((bits & m).into())
        }
    }
}

#[cfg(test)]
mod ip_range_tests {
    use super::IpRange;

    #[test]
    fn ranges_contain_their_addresses_only() {
        let r = IpRange::parse("10.1.0.0/16").unwrap();
        assert!(r.contains("10.1.255.3".parse().unwrap()));
        assert!(!r.contains("10.2.0.1".parse().unwrap()));
        assert!(r.contains("::ffff:10.1.2.3".parse().unwrap()));
        let one = IpRange::parse("127.0.0.1").unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()) && !one.contains("127.0.0.2".parse().unwrap()));
        let v6 = IpRange::parse("fd00::/8").unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()) && !v6.contains("fe80::1".parse().unwrap()));
        assert!(IpRange::parse("::/0").unwrap().contains("2001:db8::1".parse().unwrap()));
        assert!(!IpRange::parse("::/0").unwrap().contains("1.2.3.4".parse().unwrap()));
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in ["", "10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "::1/129", "localhost", "10.0.0.0/-1", "1.2.3.4/+8"] {
            assert_eq!(IpRange::parse(bad), None, "{bad}");
        }
    }
}
