//! The body of MKCALENDAR (RFC 4791 §5.3.1, §9.1) and extended MKCOL
//! (RFC 5689 §5): the resource type and properties of a new collection.
//!
//! May import: the DOM, [`super`]'s shared helpers, `dav::xml` names.

use super::super::dom::{self, Element};
use super::super::{PropName, XmlError, NS_CALDAV, NS_DAV};
use super::unexpected_root;

/// The body of MKCALENDAR (RFC 4791 §5.3.1) or extended MKCOL (RFC 5689):
/// the properties to set on the new collection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MkColRequest {
    /// The `DAV:resourcetype` children, for extended MKCOL.
    pub resourcetype: Option<Vec<PropName>>,
    /// Every other property in `DAV:set`, as for [`PropPatchOp::Set`](super::PropPatchOp::Set).
    pub props: Vec<(PropName, String)>,
}

/// Parses `DAV:mkcol` (RFC 5689) or `CALDAV:mkcalendar` (RFC 4791 §9.1);
/// both wrap `DAV:set`/`DAV:prop`. An empty body gives the default request.
pub fn parse_mkcol(body: &[u8]) -> Result<MkColRequest, XmlError> {
    let Some(root) = dom::parse(body)? else {
        return Ok(MkColRequest::default());
    };
    if !root.is(NS_DAV, "mkcol") && !root.is(NS_CALDAV, "mkcalendar") {
        return Err(unexpected_root(&root));
    }
    let mut req = MkColRequest::default();
    for set in root.children_named(NS_DAV, "set") {
        for prop in set.children_named(NS_DAV, "prop") {
            for p in prop.elements() {
                if p.is(NS_DAV, "resourcetype") {
                    req.resourcetype = Some(p.elements().map(Element::name).collect());
                } else {
                    req.props.push((p.name(), p.to_fragment()));
                }
            }
        }
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn mkcalendar_rfc4791_example() {
        let body = r#"<?xml version="1.0" encoding="utf-8" ?>
   <C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
     <D:set>
       <D:prop>
         <D:displayname>Lisa's Events</D:displayname>
         <C:calendar-description xml:lang="en">Calendar restricted to events.</C:calendar-description>
         <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
         <C:calendar-timezone><![CDATA[BEGIN:VCALENDAR
END:VCALENDAR]]></C:calendar-timezone>
       </D:prop>
     </D:set>
   </C:mkcalendar>"#;
        let req = parse_mkcol(body.as_bytes()).unwrap();
        assert_eq!(req.resourcetype, None);
        let names: Vec<_> = req.props.iter().map(|(n, _)| n.clone()).collect();
        assert_eq!(
            names,
            vec![
                dav("displayname"),
                cal("calendar-description"),
                cal("supported-calendar-component-set"),
                cal("calendar-timezone")
            ]
        );
        assert_eq!(req.props[0].1, r#"<D:displayname xmlns:D="DAV:">Lisa's Events</D:displayname>"#);
        let tz = reparse_embedded(&req.props[3].1);
        assert_eq!(tz.text(), "BEGIN:VCALENDAR\nEND:VCALENDAR");
        assert_eq!(reparse_embedded(&req.props[1].1).lang(), Some("en"));
    }

    #[test]
    fn extended_mkcol_resourcetype() {
        let body = r#"<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
            <D:resourcetype><D:collection/><C:calendar/></D:resourcetype>
            <D:displayname>Work</D:displayname></D:prop></D:set></D:mkcol>"#;
        let req = parse_mkcol(body.as_bytes()).unwrap();
        assert_eq!(req.resourcetype, Some(vec![dav("collection"), cal("calendar")]));
        assert_eq!(req.props.len(), 1);
        assert_eq!(parse_mkcol(b"").unwrap(), MkColRequest::default());
        assert!(matches!(parse_mkcol(b"<D:propfind xmlns:D='DAV:'/>"), Err(XmlError::Unexpected(_))));
        assert!(matches!(parse_mkcol(b"<D:mkcol xmlns:D='DAV:'>"), Err(XmlError::Malformed(_))));
    }
}
