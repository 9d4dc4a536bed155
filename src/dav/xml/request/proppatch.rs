//! `DAV:propertyupdate` (RFC 4918 §9.2, §14.19): the properties a
//! PROPPATCH sets and removes, each set value kept as a self-contained XML
//! fragment so it can be stored and written back verbatim.
//!
//! May import: the DOM, [`super`]'s shared helpers, `dav::xml` names.

use super::super::{PropName, XmlError, NS_DAV};
use super::{expect_root, require_root};

/// One instruction of `DAV:propertyupdate` (RFC 4918 §14.19), in document
/// order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropPatchOp {
    /// `DAV:set`: `value` is the whole property element, serialised as a
    /// self-contained fragment (every namespace it uses declared on it), so
    /// it can be stored and written back verbatim.
    Set { name: PropName, value: String },
    /// `DAV:remove`.
    Remove(PropName),
}

/// Parses a PROPPATCH body (RFC 4918 §9.2, §14.19): every property of every
/// `DAV:set`/`DAV:remove`, in document order.
pub fn parse_proppatch(body: &[u8]) -> Result<Vec<PropPatchOp>, XmlError> {
    let root = require_root(body)?;
    expect_root(&root, NS_DAV, "propertyupdate")?;
    let mut ops = Vec::new();
    for instr in root.elements() {
        let set = instr.is(NS_DAV, "set");
        if !set && !instr.is(NS_DAV, "remove") {
            continue;
        }
        for prop in instr.children_named(NS_DAV, "prop") {
            for p in prop.elements() {
                ops.push(if set {
                    PropPatchOp::Set { name: p.name(), value: p.to_fragment() }
                } else {
                    PropPatchOp::Remove(p.name())
                });
            }
        }
    }
    if ops.is_empty() {
        return Err(XmlError::Unexpected("propertyupdate without properties".into()));
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::dav::xml::request::*;

    #[test]
    fn litmus_style_proppatch_round_trips() {
        let body = "<?xml version=\"1.0\" encoding=\"utf-8\" ?>
<propertyupdate xmlns=\"DAV:\" xmlns:odd=\"http://example.com/neon/litmus/\"><set><prop>
<odd:prop0>value0</odd:prop0>
<high-unicode xmlns=\"http://example.com/neon/litmus/\">\u{10000}\u{1F389} &amp; &lt;tag&gt; \u{10FFFF}</high-unicode>
<odd:nested xml:lang=\"en-GB\"><odd:a attr=\"x&quot;y\">1</odd:a><b xmlns=\"\"><c xmlns=\"urn:c\" xmlns:q=\"urn:q\" q:k=\"v\"/></b></odd:nested>
<nons xmlns=\"\">plain</nons>
<D:quoted xmlns:D=\"http://example.com/not-dav\">D is not DAV here</D:quoted>
</prop></set>
<remove><prop><odd:prop1/><prop2 xmlns=\"urn:other\"/></prop></remove>
<set><prop><odd:prop1>again</odd:prop1></prop></set>
</propertyupdate>";
        let ops = parse_proppatch(body.as_bytes()).unwrap();
        let names: Vec<_> = ops
            .iter()
            .map(|o| match o {
                PropPatchOp::Set { name, .. } => format!("set {name}"),
                PropPatchOp::Remove(name) => format!("remove {name}"),
            })
            .collect();
        assert_eq!(
            names,
            [
                "set {http://example.com/neon/litmus/}prop0",
                "set {http://example.com/neon/litmus/}high-unicode",
                "set {http://example.com/neon/litmus/}nested",
                "set {}nons",
                "set {http://example.com/not-dav}quoted",
                "remove {http://example.com/neon/litmus/}prop1",
                "remove {urn:other}prop2",
                "set {http://example.com/neon/litmus/}prop1",
            ]
        );
        // Every fragment, embedded anywhere, is the same element again.
        let original = dom::parse(body.as_bytes()).unwrap().unwrap();
        let mut originals: Vec<&Element> = Vec::new();
        for instr in original.children_named(NS_DAV, "set") {
            for prop in instr.children_named(NS_DAV, "prop") {
                originals.extend(prop.elements());
            }
        }
        let sets: Vec<_> = ops
            .iter()
            .filter_map(|o| match o {
                PropPatchOp::Set { name, value } => Some((name, value)),
                _ => None,
            })
            .collect();
        assert_eq!(sets.len(), originals.len());
        for ((name, value), orig) in sets.iter().zip(originals) {
            let back = reparse_embedded(value);
            assert_eq!(&&back.name(), name, "{value}");
            same_tree(&back, orig);
            assert_eq!(dom::parse(value.as_bytes()).unwrap().unwrap().name(), **name);
        }
        let high = &sets[1].1;
        assert!(high.contains('\u{10000}') && high.contains("&amp; &lt;tag&gt;"), "{high}");
        assert_eq!(reparse_embedded(high).text(), "\u{10000}\u{1F389} & <tag> \u{10FFFF}");
        let nested = reparse_embedded(sets[2].1);
        assert_eq!(nested.lang(), Some("en-GB"));
        assert_eq!(sets[0].1, r#"<odd:prop0 xmlns:odd="http://example.com/neon/litmus/">value0</odd:prop0>"#);
        assert_eq!(sets[3].1, r#"<nons xmlns="">plain</nons>"#);
    }

    #[test]
    fn proppatch_keeps_inherited_lang_and_carriage_returns() {
        let body = "<D:propertyupdate xmlns:D=\"DAV:\" xml:lang=\"fr\"><D:set><D:prop>\
            <D:displayname>a&#13;\nb</D:displayname></D:prop></D:set></D:propertyupdate>";
        let ops = parse_proppatch(body.as_bytes()).unwrap();
        let PropPatchOp::Set { value, .. } = &ops[0] else { panic!() };
        let back = reparse_embedded(value);
        assert_eq!(back.lang(), Some("fr"));
        assert_eq!(back.text(), "a\r\nb");
    }

    #[test]
    fn proppatch_errors() {
        assert!(matches!(parse_proppatch(b""), Err(XmlError::Unexpected(_))));
        assert!(matches!(
            parse_proppatch(b"<D:propfind xmlns:D='DAV:'/>"),
            Err(XmlError::Unexpected(_))
        ));
        assert!(matches!(
            parse_proppatch(b"<D:propertyupdate xmlns:D='DAV:'><D:set><D:prop><x:y/></D:prop></D:set></D:propertyupdate>"),
            Err(XmlError::Malformed(_))
        ));
        assert!(matches!(
            parse_proppatch(b"<D:propertyupdate xmlns:D='DAV:'><D:set><D:prop><D:a></D:b></D:prop></D:set></D:propertyupdate>"),
            Err(XmlError::Malformed(_))
        ));
    }
}
