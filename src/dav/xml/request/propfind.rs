//! `DAV:propfind` (RFC 4918 §9.1, §14.20): which properties a PROPFIND
//! asks for. [`prop_request`] is shared with REPORT bodies, which carry the
//! same `prop`/`propname`/`allprop` choice.
//!
//! May import: the DOM, [`super`]'s shared helpers, `dav::xml` names.

use super::super::dom::{self, Element};
use super::super::{PropName, XmlError, NS_DAV};
use super::expect_root;

/// `DAV:propfind` (RFC 4918 §14.20). An empty body means `allprop`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropFind {
    /// `DAV:allprop`, with the names of `DAV:include` (RFC 4918 §14.8).
    AllProp { include: Vec<PropName> },
    /// `DAV:propname`.
    PropName,
    /// `DAV:prop`: exactly these properties.
    Prop(Vec<PropName>),
}

/// Parses a PROPFIND body (RFC 4918 §9.1, §14.20). An empty body, or a
/// `DAV:propfind` with none of `prop`/`propname`/`allprop`, is `allprop`.
pub fn parse_propfind(body: &[u8]) -> Result<PropFind, XmlError> {
    let Some(root) = dom::parse(body)? else {
        return Ok(PropFind::AllProp { include: Vec::new() });
    };
    expect_root(&root, NS_DAV, "propfind")?;
    Ok(prop_request(&root).unwrap_or(PropFind::AllProp { include: Vec::new() }))
}

/// The first of `DAV:prop`, `DAV:propname`, `DAV:allprop` (+ `DAV:include`)
/// among `parent`'s children.
pub(super) fn prop_request(parent: &Element) -> Option<PropFind> {
    parent.elements().find_map(|e| {
        if e.ns != NS_DAV {
            return None;
        }
        match e.local.as_str() {
            "prop" => Some(PropFind::Prop(e.elements().map(Element::name).collect())),
            "propname" => Some(PropFind::PropName),
            "allprop" => Some(PropFind::AllProp {
                include: parent
                    .children_named(NS_DAV, "include")
                    .flat_map(|i| i.elements().map(Element::name))
                    .collect(),
            }),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::dav::xml::{NS_APPLE_ICAL, NS_CALENDARSERVER};

    #[test]
    fn thunderbird_propfind() {
        let pf = parse_propfind(TB_PROPFIND.as_bytes()).unwrap();
        assert_eq!(
            pf,
            PropFind::Prop(vec![
                dav("resourcetype"),
                dav("owner"),
                dav("current-user-principal"),
                dav("current-user-privilege-set"),
                dav("supported-report-set"),
                cal("supported-calendar-component-set"),
                PropName::new(NS_CALENDARSERVER, "getctag"),
            ])
        );
    }

    #[test]
    fn empty_propfind_is_allprop() {
        for body in ["", "   \r\n", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"] {
            assert_eq!(parse_propfind(body.as_bytes()).unwrap(), PropFind::AllProp { include: vec![] });
        }
    }

    #[test]
    fn propname_and_allprop_with_include() {
        let b = r#"<?xml version="1.0"?><propfind xmlns="DAV:"><propname/></propfind>"#;
        assert_eq!(parse_propfind(b.as_bytes()).unwrap(), PropFind::PropName);
        let b = r#"<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
              <D:allprop/>
              <D:include><C:calendar-description/><D:supported-report-set/></D:include>
            </D:propfind>"#;
        assert_eq!(
            parse_propfind(b.as_bytes()).unwrap(),
            PropFind::AllProp { include: vec![cal("calendar-description"), dav("supported-report-set")] }
        );
    }

    #[test]
    fn apple_style_propfind_with_many_namespaces() {
        let b = r#"<?xml version="1.0" encoding="UTF-8"?>
<A:propfind xmlns:A="DAV:">
  <A:prop>
    <B:calendar-color xmlns:B="http://apple.com/ns/ical/"/>
    <B:calendar-order xmlns:B="http://apple.com/ns/ical/"/>
    <B:getctag xmlns:B="http://calendarserver.org/ns/"/>
    <C:calendar-description xmlns:C="urn:ietf:params:xml:ns:caldav"/>
    <C:supported-calendar-component-set xmlns:C="urn:ietf:params:xml:ns:caldav"/>
    <D:publish-url xmlns:D="http://calendarserver.org/ns/"/>
    <A:displayname/>
    <A:sync-token/>
    <x xmlns="urn:x-example:weird"/>
    <bare xmlns=""/>
  </A:prop>
</A:propfind>"#;
        assert_eq!(
            parse_propfind(b.as_bytes()).unwrap(),
            PropFind::Prop(vec![
                PropName::new(NS_APPLE_ICAL, "calendar-color"),
                PropName::new(NS_APPLE_ICAL, "calendar-order"),
                PropName::new(NS_CALENDARSERVER, "getctag"),
                cal("calendar-description"),
                cal("supported-calendar-component-set"),
                PropName::new(NS_CALENDARSERVER, "publish-url"),
                dav("displayname"),
                dav("sync-token"),
                PropName::new("urn:x-example:weird", "x"),
                PropName::new("", "bare"),
            ])
        );
    }

    #[test]
    fn propfind_wrong_root_or_malformed() {
        assert!(matches!(
            parse_propfind(b"<propfind><prop/></propfind>"),
            Err(XmlError::Unexpected(_))
        ));
        assert!(matches!(
            parse_propfind(b"<D:propertyupdate xmlns:D='DAV:'/>"),
            Err(XmlError::Unexpected(_))
        ));
        for bad in [
            "<D:propfind xmlns:D='DAV:'><D:prop><D:getetag></D:prop></D:propfind>",
            "<D:propfind xmlns:D='DAV:'><D:prop><E:foo/></D:prop></D:propfind>",
            "<D:propfind xmlns:D='DAV:'><D:prop/>",
            "<propfind xmlns='DAV:'><prop><foo></propfind>",
            "garbage",
        ] {
            assert!(matches!(parse_propfind(bad.as_bytes()), Err(XmlError::Malformed(_))), "{bad}");
        }
    }
}
