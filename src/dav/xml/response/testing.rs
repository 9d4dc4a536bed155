//! Helpers shared by the response writers' unit tests: a strict
//! namespace-resolving reader to check what was written.

pub(super) use super::PropStat;
pub(super) use crate::dav::xml::XmlNode;
pub(super) use crate::dav::xml::dom::{self, Element};
pub(super) use crate::dav::xml::request::{parse_proppatch, PropPatchOp};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

/// Every element of `xml` as (namespace, local name), resolved by
/// quick-xml; panics if the document is not well-formed.
pub(super) fn names(xml: &str) -> Vec<(String, String)> {
    let mut r = NsReader::from_str(xml);
    r.config_mut().check_end_names = true;
    let mut out = Vec::new();
    let mut depth = 0i32;
    loop {
        let (res, ev) = r.read_resolved_event().expect("well-formed");
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let ns = match res {
                    ResolveResult::Bound(n) => String::from_utf8(n.0.to_vec()).unwrap(),
                    ResolveResult::Unbound => String::new(),
                    ResolveResult::Unknown(p) => panic!("undeclared prefix {p:?} in {xml}"),
                };
                out.push((ns, String::from_utf8(e.local_name().as_ref().to_vec()).unwrap()));
                if matches!(ev, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::End(_) => depth -= 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "unclosed elements in {xml}");
    out
}

pub(super) fn root(xml: &str) -> Element {
    dom::parse(xml.as_bytes()).expect("well-formed").expect("a root element")
}

pub(super) fn n(ns: &str, l: &str) -> (String, String) {
    (ns.to_string(), l.to_string())
}

pub(super) fn ok(props: Vec<XmlNode>) -> PropStat {
    PropStat { status: 200, props }
}
