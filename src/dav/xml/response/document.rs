//! Single-root documents: a `DAV:error` body (RFC 4918 §16), a standalone
//! document (MKCALENDAR/MKCOL answers), and the self-contained fragment
//! dead properties are stored as.
//!
//! May import: [`super::writer`].

use super::super::XmlNode;
use super::writer::{Namespaces, Writer, XML_DECL};

/// A `DAV:error` document holding one precondition/postcondition element
/// (RFC 4918 §16).
pub fn error_body(condition: &XmlNode) -> String {
    let mut ns = Namespaces::default();
    let estimate = ns.collect(condition) + 120;
    let mut w = Writer { out: String::with_capacity(estimate), ns: &ns };
    w.out.push_str(XML_DECL);
    w.out.push_str("<D:error");
    w.declarations();
    w.out.push('>');
    w.node(condition);
    w.out.push_str("</D:error>");
    w.out
}

/// A standalone document with `node` as root (used for MKCALENDAR/MKCOL
/// response bodies and PROPFIND on single properties in tests). Every
/// namespace is declared on the root element. A `Raw` node is written as it
/// is; a `Text` node gives a document without a root element.
pub fn document(node: &XmlNode) -> String {
    let mut ns = Namespaces::default();
    let estimate = ns.collect(node) + 120;
    let mut w = Writer { out: String::with_capacity(estimate), ns: &ns };
    w.out.push_str(XML_DECL);
    match node {
        XmlNode::Element { name, attrs, children } => w.element(name, attrs, children, true),
        other => w.node(other),
    }
    w.out
}

/// `node` as a self-contained fragment without an XML declaration, every
/// namespace declared on its root: the form dead properties are stored in.
pub fn fragment(node: &XmlNode) -> String {
    let doc = document(node);
    doc.strip_prefix(XML_DECL).map(str::to_string).unwrap_or(doc)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::dav::xml::response::*;
    use crate::dav::xml::*;
    use super::*;

    #[test]
    fn error_body_declares_the_condition_namespace() {
        let cond = XmlNode::element(PropName::caldav("no-uid-conflict"), vec![XmlNode::href("/x")]);
        let xml = error_body(&cond);
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><C:no-uid-conflict><D:href>/x</D:href></C:no-uid-conflict></D:error>"
        );
        let xml = error_body(&XmlNode::empty(PropName::new("urn:x-custom", "too-busy")));
        assert_eq!(names(&xml), vec![n(NS_DAV, "error"), n("urn:x-custom", "too-busy")]);
        let xml = error_body(&XmlNode::empty(PropName::dav("lock-token-submitted")));
        assert_eq!(names(&xml), vec![n(NS_DAV, "error"), n(NS_DAV, "lock-token-submitted")]);
    }

    #[test]
    fn document_declares_all_namespaces_on_the_root() {
        let node = XmlNode::element(
            PropName::dav("mkcol-response"),
            vec![XmlNode::element(
                PropName::dav("propstat"),
                vec![
                    XmlNode::element(
                        PropName::dav("prop"),
                        vec![
                            XmlNode::empty(PropName::caldav("calendar-timezone")),
                            XmlNode::empty(PropName::new("urn:x", "y")),
                            XmlNode::text_element(PropName::new("", "z"), "a\"b'c"),
                        ],
                    ),
                    XmlNode::text_element(PropName::dav("status"), status_line(200)),
                ],
            )
            .with_attr("note", "q\"<&>")],
        );
        let xml = document(&node);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:mkcol-response xmlns:D=\"DAV:\" xmlns:C="));
        let all = names(&xml);
        assert_eq!(all[0], n(NS_DAV, "mkcol-response"));
        assert!(all.contains(&n("urn:x", "y")) && all.contains(&n("", "z")));
        let doc = root(&xml);
        assert_eq!(doc.elements().next().unwrap().attr("note"), Some("q\"<&>"));
        // A root in a foreign namespace gets its generated prefix declared on itself.
        let xml = document(&XmlNode::text_element(PropName::new("urn:only", "r"), "t"));
        assert_eq!(names(&xml), vec![n("urn:only", "r")]);
    }

    #[test]
    fn control_characters_do_not_break_the_document() {
        let ms = MultiStatus {
            responses: vec![Response {
                href: "/a\u{1}".into(),
                body: ResponseBody::PropStats(vec![ok(vec![XmlNode::text_element(
                    PropName::dav("displayname"),
                    "bell\u{7} nul\u{0} ]]> fffe\u{FFFE}",
                )])]),
                error: None,
            }],
            sync_token: None,
        };
        names(&ms.to_xml());
        assert!(ms.to_xml().contains("]]&gt;"));
    }
}
