//! A small namespace-resolved element tree for request bodies, built with
//! quick-xml's `NsReader` (Namespaces in XML 1.0 §5–6), and the
//! self-contained fragment serialisation used for dead properties
//! (RFC 4918 §4.3–4.4: property values are XML fragments whose namespaces
//! and `xml:lang` must be preserved).
//!
//! Request bodies are small; building a tree first keeps the interpretation
//! in [`super::request`] simple and lets unknown elements be ignored
//! (RFC 4918 §17).

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;

use super::escape::{push_attr, push_text_exact};
use super::{PropName, XmlError};

/// `http://www.w3.org/XML/1998/namespace`, bound to the `xml` prefix.
pub(crate) const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";

/// Deeper nesting than this is refused (it guards the recursive walks).
const MAX_DEPTH: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub ns: String,
    pub local: String,
    /// The prefix the sender used, if any.
    pub prefix: Option<String>,
    pub attrs: Vec<Attr>,
    pub children: Vec<Node>,
    /// `xml:lang` in scope from an ancestor (the element's own one is in
    /// `attrs`).
    pub inherited_lang: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attr {
    pub ns: String,
    pub prefix: Option<String>,
    pub local: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
}

fn malformed(msg: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(msg.to_string())
}

fn utf8(b: &[u8]) -> Result<String, XmlError> {
    std::str::from_utf8(b).map(str::to_string).map_err(|_| malformed("invalid UTF-8"))
}

/// A light check of XML `Name` production: enough to refuse things that
/// could not be written back as well-formed XML.
fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        None => return false,
        Some(c) if c.is_ascii_digit() || c == '-' || c == '.' => return false,
        _ => {}
    }
    s.chars().all(|c| {
        !(c.is_whitespace()
            || c.is_control()
            || matches!(c, '<' | '>' | '&' | '"' | '\'' | '/' | '=' | ':' | '!' | '?' | '('
                | ')' | '[' | ']' | '{' | '}' | ',' | ';' | '@' | '#' | '$' | '%' | '^'
                | '*' | '+' | '|' | '\\' | '`' | '~'))
    })
}

fn resolved_ns(res: ResolveResult) -> Result<String, XmlError> {
    match res {
        // The namespace name is an attribute value: entities in it are
        // decoded once here and escaped once again on output.
        ResolveResult::Bound(Namespace(ns)) => {
            let raw = utf8(ns)?;
            quick_xml::escape::unescape(&raw)
                .map(|s| s.into_owned())
                .map_err(|e| malformed(format!("bad namespace name: {e}")))
        }
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Unknown(p) => Err(malformed(format!(
            "undeclared namespace prefix {:?}",
            String::from_utf8_lossy(&p)
        ))),
    }
}

/// Parses a whole body. `Ok(None)` for a body without any element (empty,
/// whitespace, or only an XML declaration/comments).
pub(crate) fn parse(body: &[u8]) -> Result<Option<Element>, XmlError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if std::str::from_utf8(body).is_err() {
        return Err(malformed("body is not UTF-8"));
    }
    let mut reader = NsReader::from_reader(body);
    reader.config_mut().expand_empty_elements = true;
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let (res, event) = reader.read_resolved_event().map_err(malformed)?;
        match event {
            Event::Start(start) => {
                let ns = resolved_ns(res)?;
                if root.is_some() {
                    return Err(malformed("more than one root element"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(malformed("elements nested too deeply"));
                }
                let el = start_element(&reader, &start, ns, stack.last())?;
                stack.push(el);
            }
            Event::Empty(start) => {
                // Not produced with expand_empty_elements, handled anyway.
                let ns = resolved_ns(res)?;
                if root.is_some() {
                    return Err(malformed("more than one root element"));
                }
                let el = start_element(&reader, &start, ns, stack.last())?;
                close(&mut stack, &mut root, el);
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| malformed("unmatched end tag"))?;
                close(&mut stack, &mut root, el);
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(malformed)?;
                match stack.last_mut() {
                    Some(parent) => push_text(parent, &s),
                    None if s.trim().is_empty() => {}
                    None => return Err(malformed("text outside the root element")),
                }
            }
            Event::CData(c) => {
                let s = utf8(&c.into_inner())?;
                match stack.last_mut() {
                    Some(parent) => push_text(parent, &s),
                    None => return Err(malformed("CDATA outside the root element")),
                }
            }
            // RFC 4918 §16 `no-external-entities` (and §20.6: no entity
            // expansion at all): a DOCTYPE may only name the root.
            Event::DocType(d) => {
                let decl = String::from_utf8_lossy(&d).to_ascii_uppercase();
                if decl.contains('[') || decl.contains("SYSTEM") || decl.contains("PUBLIC") || decl.contains("ENTITY") {
                    return Err(XmlError::ExternalEntities);
                }
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(malformed("unexpected end of document"));
    }
    Ok(root)
}

fn push_text(parent: &mut Element, s: &str) {
    if s.is_empty() {
        return;
    }
    if let Some(Node::Text(prev)) = parent.children.last_mut() {
        prev.push_str(s);
    } else {
        parent.children.push(Node::Text(s.to_string()));
    }
}

fn close(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(el)),
        None => *root = Some(el),
    }
}

fn start_element(
    reader: &NsReader<&[u8]>,
    start: &BytesStart,
    ns: String,
    parent: Option<&Element>,
) -> Result<Element, XmlError> {
    let name = start.name();
    let local = utf8(name.local_name().as_ref())?;
    let prefix = name.prefix().map(|p| utf8(p.as_ref())).transpose()?;
    if !valid_name(&local) || prefix.as_deref().is_some_and(|p| !valid_name(p)) {
        return Err(malformed(format!("invalid element name {:?}", String::from_utf8_lossy(name.as_ref()))));
    }
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(malformed)?;
        if attr.key.as_namespace_binding().is_some() {
            continue;
        }
        let (res, attr_local) = reader.resolve_attribute(attr.key);
        let attr_ns = resolved_ns(res)?;
        let attr_local = utf8(attr_local.as_ref())?;
        let attr_prefix = attr.key.prefix().map(|p| utf8(p.as_ref())).transpose()?;
        if !valid_name(&attr_local) || attr_prefix.as_deref().is_some_and(|p| !valid_name(p)) {
            return Err(malformed("invalid attribute name"));
        }
        let value = attr.unescape_value().map_err(malformed)?.into_owned();
        attrs.push(Attr { ns: attr_ns, prefix: attr_prefix, local: attr_local, value });
    }
    let inherited_lang = parent.and_then(|p| p.lang().map(str::to_string));
    Ok(Element { ns, local, prefix, attrs, children: Vec::new(), inherited_lang })
}

impl Element {
    pub fn name(&self) -> PropName {
        PropName::new(&self.ns, &self.local)
    }

    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }

    /// The element children, in document order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    pub fn child(&self, ns: &str, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, local))
    }

    pub fn children_named<'a>(&'a self, ns: &'a str, local: &'a str) -> impl Iterator<Item = &'a Element> {
        self.elements().filter(move |e| e.is(ns, local))
    }

    /// The concatenated character data of the direct children.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for n in &self.children {
            if let Node::Text(t) = n {
                s.push_str(t);
            }
        }
        s
    }

    /// An attribute in no namespace.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs.iter().find(|a| a.ns.is_empty() && a.local == local).map(|a| a.value.as_str())
    }

    /// `xml:lang` in scope for this element.
    pub fn lang(&self) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns == NS_XML && a.local == "lang")
            .map(|a| a.value.as_str())
            .or(self.inherited_lang.as_deref())
    }

    /// This element as a self-contained fragment: every namespace used by
    /// it or its descendants is declared on it, no default namespace from
    /// the surrounding document can leak in, and an inherited `xml:lang` is
    /// made explicit.
    pub fn to_fragment(&self) -> String {
        let mut usage: Vec<NsUsage> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut has_empty_ns = false;
        self.collect_ns(&mut usage, &mut index, &mut has_empty_ns);

        // Choose prefixes: the sender's prefix when it is free, the default
        // namespace for one namespace that was only used unprefixed (when no
        // element is in no namespace), generated ones otherwise.
        let mut taken: Vec<String> = Vec::new();
        let mut default_ns: Option<&str> = None;
        let mut prefixes: HashMap<&str, String> = HashMap::new();
        for u in &usage {
            if let Some(p) = &u.prefix {
                if !taken.contains(p) && !p.to_ascii_lowercase().starts_with("xml") {
                    taken.push(p.clone());
                    prefixes.insert(u.ns, p.clone());
                }
            }
        }
        let mut counter = 0;
        for u in &usage {
            if prefixes.contains_key(u.ns) {
                continue;
            }
            if u.prefix.is_none() && !u.in_attr && !has_empty_ns && default_ns.is_none() {
                default_ns = Some(u.ns);
                continue;
            }
            let p = loop {
                counter += 1;
                let p = format!("ns{counter}");
                if !taken.contains(&p) {
                    break p;
                }
            };
            taken.push(p.clone());
            prefixes.insert(u.ns, p);
        }

        let mut out = String::new();
        let mut decls = String::new();
        match default_ns {
            Some(ns) => {
                decls.push_str(" xmlns=\"");
                push_attr(&mut decls, ns);
                decls.push('"');
            }
            None if has_empty_ns => decls.push_str(" xmlns=\"\""),
            None => {}
        }
        for u in &usage {
            if let Some(p) = prefixes.get(u.ns) {
                decls.push_str(" xmlns:");
                decls.push_str(p);
                decls.push_str("=\"");
                push_attr(&mut decls, u.ns);
                decls.push('"');
            }
        }
        let has_own_lang = self.attrs.iter().any(|a| a.ns == NS_XML && a.local == "lang");
        if let (false, Some(lang)) = (has_own_lang, &self.inherited_lang) {
            decls.push_str(" xml:lang=\"");
            push_attr(&mut decls, lang);
            decls.push('"');
        }
        self.write_fragment(&mut out, &prefixes, &decls);
        out
    }

    fn collect_ns<'a>(
        &'a self,
        usage: &mut Vec<NsUsage<'a>>,
        index: &mut HashMap<&'a str, usize>,
        has_empty_ns: &mut bool,
    ) {
        if self.ns.is_empty() {
            *has_empty_ns = true;
        } else {
            note_ns(usage, index, &self.ns, self.prefix.as_ref(), false);
        }
        for a in &self.attrs {
            if !a.ns.is_empty() && a.ns != NS_XML {
                note_ns(usage, index, &a.ns, a.prefix.as_ref(), true);
            }
        }
        for c in self.elements() {
            c.collect_ns(usage, index, has_empty_ns);
        }
    }

    fn write_fragment(&self, out: &mut String, prefixes: &HashMap<&str, String>, decls: &str) {
        let start = out.len();
        out.push('<');
        if let Some(p) = prefixes.get(self.ns.as_str()) {
            out.push_str(p);
            out.push(':');
        }
        out.push_str(&self.local);
        let qname_end = out.len();
        out.push_str(decls);
        for a in &self.attrs {
            out.push(' ');
            if a.ns == NS_XML {
                out.push_str("xml:");
            } else if let Some(p) = prefixes.get(a.ns.as_str()) {
                out.push_str(p);
                out.push(':');
            }
            out.push_str(&a.local);
            out.push_str("=\"");
            push_attr(out, &a.value);
            out.push('"');
        }
        if self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for c in &self.children {
            match c {
                Node::Text(t) => push_text_exact(out, t),
                Node::Element(e) => e.write_fragment(out, prefixes, ""),
            }
        }
        out.push_str("</");
        let qname = out[start + 1..qname_end].to_string();
        out.push_str(&qname);
        out.push('>');
    }
}

struct NsUsage<'a> {
    ns: &'a str,
    /// The first prefix the sender used for it.
    prefix: Option<String>,
    /// Used by an attribute (so it cannot be the default namespace).
    in_attr: bool,
}

fn note_ns<'a>(
    usage: &mut Vec<NsUsage<'a>>,
    index: &mut HashMap<&'a str, usize>,
    ns: &'a str,
    prefix: Option<&String>,
    in_attr: bool,
) {
    match index.get(ns) {
        Some(&i) => {
            let u = &mut usage[i];
            u.in_attr |= in_attr;
            if u.prefix.is_none() {
                u.prefix = prefix.cloned();
            }
        }
        None => {
            index.insert(ns, usage.len());
            usage.push(NsUsage { ns, prefix: prefix.cloned(), in_attr });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(s: &str) -> Element {
        parse(s.as_bytes()).unwrap().unwrap()
    }

    #[test]
    fn resolves_prefixes_default_and_empty_namespaces() {
        let r = root(r#"<a:x xmlns:a="urn:a" xmlns="urn:d"><y/><z xmlns=""/><a:w b:c="1" xmlns:b="urn:b"/></a:x>"#);
        assert!(r.is("urn:a", "x"));
        let kids: Vec<_> = r.elements().map(|e| e.name()).collect();
        assert_eq!(
            kids,
            vec![PropName::new("urn:d", "y"), PropName::new("", "z"), PropName::new("urn:a", "w")]
        );
        let w = r.elements().nth(2).unwrap();
        assert_eq!(w.attrs[0].ns, "urn:b");
    }

    #[test]
    fn refuses_malformed_documents() {
        for bad in [
            "<a>",
            "<a></b>",
            "</a>",
            "<a/><b/>",
            "<p:a/>",
            "<a xmlns:p='urn:x'><q:b/></a>",
            "<a>&bogus;</a>",
            "<a b='1' b='2'/>",
            "text<a/>",
            "<a><b></a></b>",
        ] {
            assert!(matches!(parse(bad.as_bytes()), Err(XmlError::Malformed(_))), "{bad}");
        }
        assert!(parse(b"\xff\xfe<a/>").is_err());
        let deep = "<a>".repeat(1000) + &"</a>".repeat(1000);
        assert!(parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn empty_bodies_have_no_root() {
        assert_eq!(parse(b"").unwrap(), None);
        assert_eq!(parse(b"  \r\n ").unwrap(), None);
        assert_eq!(parse(b"<?xml version=\"1.0\"?>\n").unwrap(), None);
    }

    #[test]
    fn fragment_declares_everything_and_keeps_lang() {
        let r = root(
            r#"<D:set xmlns:D="DAV:" xml:lang="de"><D:prop><Z:p xmlns:Z="urn:z" xmlns:Q="urn:q"><Q:c Q:a="v">t</Q:c><n xmlns=""/></Z:p></D:prop></D:set>"#,
        );
        let p = r.elements().next().unwrap().elements().next().unwrap();
        let frag = p.to_fragment();
        assert_eq!(
            frag,
            r#"<Z:p xmlns="" xmlns:Z="urn:z" xmlns:Q="urn:q" xml:lang="de"><Q:c Q:a="v">t</Q:c><n/></Z:p>"#
        );
        let back = root(&frag);
        assert_eq!(back.lang(), Some("de"));
        assert!(back.elements().nth(1).unwrap().is("", "n"));
    }
}
