//! Fixtures and helpers shared by the request parsers' unit tests.

use chrono::{DateTime, TimeZone, Utc};

use super::super::dom::{self, Element};
use super::super::PropName;

pub const TB_PROPFIND: &str = include_str!("../../../../fixtures/clients/thunderbird/propfind-calendar-props.xml");
pub const TB_SYNC_INITIAL: &str = include_str!("../../../../fixtures/clients/thunderbird/report-sync-initial.xml");
pub const TB_SYNC_INCREMENTAL: &str =
    include_str!("../../../../fixtures/clients/thunderbird/report-sync-incremental.xml");
pub const TB_MULTIGET: &str = include_str!("../../../../fixtures/clients/thunderbird/report-multiget.xml");

pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

pub fn dav(l: &str) -> PropName {
    PropName::dav(l)
}
pub fn cal(l: &str) -> PropName {
    PropName::caldav(l)
}

/// Parses `fragment` in the middle of a document that binds `D` and the
/// default namespace to something else, and returns the element.
pub fn reparse_embedded(fragment: &str) -> Element {
    let doc = format!(
        r#"<D:multistatus xmlns:D="DAV:" xmlns="urn:default-must-not-leak" xmlns:ns1="urn:wrong"><D:prop>{fragment}</D:prop></D:multistatus>"#
    );
    let root = dom::parse(doc.as_bytes()).unwrap().unwrap();
    let el = root.elements().next().unwrap().elements().next().unwrap().clone();
    el
}

/// Compares names, attributes and text of two trees (prefixes may differ).
pub fn same_tree(a: &Element, b: &Element) {
    assert_eq!(a.name(), b.name());
    let attrs = |e: &Element| {
        let mut v: Vec<_> = e.attrs.iter().map(|x| (x.ns.clone(), x.local.clone(), x.value.clone())).collect();
        v.sort();
        v
    };
    assert_eq!(attrs(a), attrs(b));
    assert_eq!(a.text(), b.text());
    let (ak, bk): (Vec<_>, Vec<_>) = (a.elements().collect(), b.elements().collect());
    assert_eq!(ak.len(), bk.len());
    for (x, y) in ak.iter().zip(bk) {
        same_tree(x, y);
    }
}
