//! Request bodies as types (RFC 4918 §14, RFC 4791 §9, RFC 6578 §6,
//! RFC 5689 §5). Each `parse_*` function takes the raw body and returns a
//! typed request, or an [`XmlError`]; it decides nothing else.
//!
//! One file per body: `propfind`, `proppatch`, `mkcol`, `report`
//! (with calendar-query's filter in `filter`, calendar-data in
//! `calendar_data`, and the time values both use in `time`). The shared
//! root checks live here. May import: `dav::xml` (the DOM, names, error)
//! and the `ical` request types; nothing of HTTP or storage.

mod calendar_data;
mod filter;
mod mkcol;
mod propfind;
mod proppatch;
mod report;
#[cfg(test)]
mod testing;
mod time;

use super::dom::{self, Element};
use super::XmlError;

pub use mkcol::{parse_mkcol, MkColRequest};
pub use propfind::{parse_propfind, PropFind};
pub use proppatch::{parse_proppatch, PropPatchOp};
pub use report::{parse_report, Report, ReportProps, SyncLevel};

pub(super) fn require_root(body: &[u8]) -> Result<Element, XmlError> {
    dom::parse(body)?.ok_or_else(|| XmlError::Unexpected("empty body".into()))
}

pub(super) fn unexpected_root(root: &Element) -> XmlError {
    XmlError::Unexpected(format!("unexpected root element {}", root.name()))
}

pub(super) fn expect_root(root: &Element, ns: &str, local: &str) -> Result<(), XmlError> {
    if root.is(ns, local) {
        Ok(())
    } else {
        Err(unexpected_root(root))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    #[test]
    fn mangled_bodies_never_panic() {
        let mut bodies: Vec<String> = vec![
            TB_PROPFIND.into(),
            TB_SYNC_INITIAL.into(),
            TB_SYNC_INCREMENTAL.into(),
            TB_MULTIGET.into(),
            r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT"><C:prop name="UID"/></C:comp></C:comp><C:expand start="20060103T000000Z" end="20060105T000000Z"/></C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="X"><C:param-filter name="Y"><C:text-match>z</C:text-match></C:param-filter></C:prop-filter><C:time-range start="20060104T000000Z" end="20060105T000000Z"/></C:comp-filter></C:comp-filter></C:filter><C:timezone>tz</C:timezone></C:calendar-query>"#.into(),
            "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:Z=\"urn:z\"><D:set><D:prop><Z:a xml:lang=\"en\" Z:b=\"c\">\u{10000}&amp;<Z:c/><![CDATA[<x>]]></Z:a></D:prop></D:set><D:remove><D:prop><Z:d/></D:prop></D:remove></D:propertyupdate>".into(),
            r#"<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:resourcetype><D:collection/></D:resourcetype><D:displayname>x</D:displayname></D:prop></D:set></C:mkcalendar>"#.into(),
        ];
        // Deeply nested and odd inputs too.
        bodies.push("<a>".repeat(5000));
        bodies.push(format!("<D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop>{}{}</D:prop></D:set></D:propertyupdate>", "<x>".repeat(190), "</x>".repeat(190)));
        let all = |b: &[u8]| {
            let _ = parse_propfind(b);
            let _ = parse_proppatch(b);
            let _ = parse_mkcol(b);
            let _ = parse_report(b);
        };
        for body in &bodies {
            let bytes = body.as_bytes();
            all(bytes);
            let step = if bytes.len() > 2000 { 97 } else { 1 };
            for cut in (0..bytes.len()).step_by(step) {
                all(&bytes[..cut]);
                all(&bytes[cut..]);
            }
            let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
            for _ in 0..300 {
                let mut m = bytes.to_vec();
                for _ in 0..3 {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let i = (rng as usize) % m.len().max(1);
                    if m.is_empty() {
                        break;
                    }
                    match rng % 4 {
                        0 => m[i] = b"<>/&\"'=: x\xff"[(rng >> 8) as usize % 11],
                        1 => {
                            m.remove(i);
                        }
                        2 => m.insert(i, b'<'),
                        _ => {
                            let j = (rng >> 20) as usize % m.len();
                            m.swap(i, j)
                        }
                    }
                }
                all(&m);
            }
        }
    }
}
