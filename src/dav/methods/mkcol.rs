//! MKCOL (RFC 4918 §9.3), extended MKCOL (RFC 5689) and MKCALENDAR
//! (RFC 4791 §5.3.1): a new plain collection or calendar, with its initial
//! properties set in the same write.

use bytes::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};

use super::{store_path, Ctx, DavRequest};
use crate::dav::path::store_href;
use crate::dav::props;
use crate::dav::xml::request::{parse_mkcol, MkColRequest};
use crate::dav::xml::response::{document, status_line, MultiStatus, PropStat, Response as XmlResponse, ResponseBody};
use crate::dav::xml::{PropName, XmlError, XmlNode, NS_CALDAV, NS_DAV};
use crate::dav::{multistatus_response, DavError, DavResult};
use crate::http::{empty_response, Body};
use crate::ical::ComponentKind;
use crate::storage::{StorageError, StorePath};

pub fn mkcol(ctx: &Ctx, req: &DavRequest, calendar_method: bool) -> DavResult {
    let path = store_path(req)?;
    if path.len() < 2 {
        return Err(DavError::Status(StatusCode::METHOD_NOT_ALLOWED));
    }
    let request = read_body(req)?;
    let calendar = calendar_method
        || request.resourcetype.as_ref().is_some_and(|rt| rt.iter().any(|n| n.is(NS_CALDAV, "calendar")));
    let valid_type = |n: &PropName| n.is(NS_DAV, "collection") || n.is(NS_CALDAV, "calendar");
    // Every property named, in order (for the 424s), and the ones that
    // cannot be set.
    let mut named: Vec<PropName> = Vec::new();
    let mut refused: Vec<PropName> = Vec::new();
    if let Some(rt) = &request.resourcetype {
        named.push(PropName::dav("resourcetype"));
        if !rt.iter().all(valid_type) {
            // RFC 5689 §3 `DAV:valid-resourcetype`; MKCALENDAR makes a
            // calendar and nothing else, so there the property is refused.
            if !calendar_method {
                return Err(DavError::forbidden(PropName::dav("valid-resourcetype")));
            }
            refused.push(PropName::dav("resourcetype"));
        }
    }
    let mut components = Vec::new();
    let mut props_to_set = Vec::new();
    for (name, value) in request.props {
        named.push(name.clone());
        if name.is(NS_CALDAV, "supported-calendar-component-set") {
            components = component_names(&value);
            if components.is_empty() {
                return Err(DavError::forbidden(PropName::caldav("supported-calendar-component")));
            }
            continue;
        }
        if props::is_protected(&name) {
            refused.push(name);
            continue;
        }
        // RFC 4791 §5.3.1.1 / §5.2.2: one VTIMEZONE, or 403.
        if name.is(NS_CALDAV, "calendar-timezone") && !crate::dav::caldav::is_valid_calendar_timezone(&value) {
            return Err(DavError::forbidden(PropName::caldav("valid-calendar-data")));
        }
        props_to_set.push((name.clark(), value));
    }
    if !refused.is_empty() {
        return Ok(refusal(path, calendar_method, &named, &refused));
    }
    // The limits PROPPATCH applies (RFC 4918 §9.2.1: 507 when there is no
    // room to record a property).
    let config = &ctx.dav.limits;
    if props_to_set.len() > config.max_dead_properties
        || props_to_set.iter().any(|(_, v)| v.len() as u64 > config.max_dead_property_bytes)
    {
        return Err(DavError::Status(StatusCode::INSUFFICIENT_STORAGE));
    }
    if calendar && components.is_empty() {
        components = ALL_COMPONENT_KINDS.to_vec();
    }
    match ctx.dav.storage.create_collection(path, calendar, components, props_to_set, ctx.now) {
        Ok(_) => {}
        // Inside a calendar (RFC 4791 §4.2: it holds calendar objects
        // only): the location cannot take a collection, 403 for MKCALENDAR
        // (§5.3.1.1) and MKCOL alike (RFC 4918 §9.3.1: "the parent
        // collection … cannot accept members").
        Err(StorageError::Conflict(_)) => {
            return Err(DavError::forbidden(PropName::caldav("calendar-collection-location-ok")))
        }
        // RFC 4791 §5.3.1 `DAV:resource-must-be-null` (403); a plain MKCOL
        // stays 405 (RFC 4918 §9.3.1).
        Err(StorageError::AlreadyExists) if calendar_method => {
            return Err(DavError::forbidden(PropName::dav("resource-must-be-null")))
        }
        Err(e) => return Err(e.into()),
    }
    ctx.durable()?;
    Ok(empty_response(StatusCode::CREATED))
}

/// The component kinds a calendar made without
/// `supported-calendar-component-set` takes: every kind RFC 4791 §5.2.3
/// knows.
pub const ALL_COMPONENT_KINDS: &[ComponentKind] =
    &[ComponentKind::Event, ComponentKind::Todo, ComponentKind::Journal, ComponentKind::FreeBusy, ComponentKind::Availability];

/// The request body: none, or XML whatever the Content-Type says (some
/// clients label MKCALENDAR bodies `text/calendar`, or not at all). A body
/// that is not XML is one MKCOL does not understand: 415 (RFC 4918 §9.3).
fn read_body(req: &DavRequest) -> DavResult<MkColRequest> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(MkColRequest::default());
    }
    let labelled_xml =
        req.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| ct.to_ascii_lowercase().contains("xml"));
    match parse_mkcol(&req.body) {
        Ok(request) => Ok(request),
        Err(e @ XmlError::ExternalEntities) => Err(e.into()),
        Err(e) if labelled_xml => Err(e.into()),
        Err(_) => Err(DavError::Status(StatusCode::UNSUPPORTED_MEDIA_TYPE)),
    }
}

/// A MKCALENDAR or extended MKCOL that fails because `refused` cannot be
/// set: nothing is made. Each refused property gets 403, every other one
/// named 424 (RFC 4918 §9.2.1). MKCALENDAR answers a 207 multistatus (as
/// the large servers do, RFC 4791 §5.3.1), extended MKCOL a 403 with a
/// `DAV:mkcol-response` (RFC 5689 §3.3); both carry
/// `DAV:cannot-modify-protected-property`.
fn refusal(path: &StorePath, calendar_method: bool, named: &[PropName], refused: &[PropName]) -> Response<Body> {
    let mut groups = vec![PropStat { status: 403, props: Vec::new() }, PropStat { status: 424, props: Vec::new() }];
    for name in named {
        let group = if refused.contains(name) { 0 } else { 1 };
        let node = XmlNode::empty(name.clone());
        if !groups[group].props.contains(&node) {
            groups[group].props.push(node);
        }
    }
    groups.retain(|g| !g.props.is_empty());
    let condition = XmlNode::empty(PropName::dav("cannot-modify-protected-property"));
    if calendar_method {
        let ms = MultiStatus {
            responses: vec![XmlResponse {
                href: store_href(path, true),
                body: ResponseBody::PropStats(groups),
                error: Some(condition),
            }],
            sync_token: None,
        };
        return multistatus_response(&ms);
    }
    let children: Vec<XmlNode> = groups
        .into_iter()
        .map(|g| {
            let mut inner = vec![XmlNode::element(PropName::dav("prop"), g.props)];
            inner.push(XmlNode::text_element(PropName::dav("status"), status_line(g.status)));
            if g.status == 403 {
                inner.push(XmlNode::element(PropName::dav("error"), vec![condition.clone()]));
            }
            XmlNode::element(PropName::dav("propstat"), inner)
        })
        .collect();
    let body = document(&XmlNode::element(PropName::dav("mkcol-response"), children));
    let mut resp = Response::new(Body::new(Bytes::from(body)));
    *resp.status_mut() = StatusCode::FORBIDDEN;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
    resp
}

/// The component kinds named in a `supported-calendar-component-set`
/// fragment (`<C:comp name="VEVENT"/>` …).
fn component_names(fragment: &str) -> Vec<ComponentKind> {
    fragment
        .split("name=")
        .skip(1)
        .filter_map(|rest| {
            let quote = rest.chars().next()?;
            let value = rest[1..].split(quote).next()?;
            ComponentKind::from_name(value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_set_fragment() {
        let f = r#"<C:supported-calendar-component-set xmlns:C="urn:ietf:params:xml:ns:caldav"><C:comp name="VEVENT"/><C:comp name='VTODO'/></C:supported-calendar-component-set>"#;
        assert_eq!(component_names(f), vec![ComponentKind::Event, ComponentKind::Todo]);
    }
}
