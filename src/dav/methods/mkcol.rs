//! MKCOL (RFC 4918 §9.3), extended MKCOL (RFC 5689) and MKCALENDAR
//! (RFC 4791 §5.3.1): a new plain collection or calendar, with its initial
//! properties set in the same write.

use hyper::header::CONTENT_TYPE;
use hyper::StatusCode;

use super::{store_path, Ctx, DavRequest};
use crate::dav::props;
use crate::dav::xml::request::{parse_mkcol, MkColRequest};
use crate::dav::xml::{PropName, NS_CALDAV};
use crate::dav::{DavError, DavResult};
use crate::http::empty_response;
use crate::ical::ComponentKind;
use crate::storage::StorageError;

pub fn mkcol(ctx: &Ctx, req: &DavRequest, calendar_method: bool) -> DavResult {
    let path = store_path(req)?;
    if path.len() < 2 {
        return Err(DavError::Status(StatusCode::METHOD_NOT_ALLOWED));
    }
    let has_body = !req.body.iter().all(u8::is_ascii_whitespace);
    let is_xml = req
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| ct.contains("xml"))
        .unwrap_or_else(|| req.body.trim_ascii_start().starts_with(b"<"));
    let request = if !has_body {
        MkColRequest::default()
    } else if is_xml {
        parse_mkcol(&req.body)?
    } else {
        // A body MKCOL does not understand (RFC 4918 §9.3.1).
        return Err(DavError::Status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    };
    let calendar = calendar_method
        || request.resourcetype.as_ref().is_some_and(|rt| rt.iter().any(|n| n.is(NS_CALDAV, "calendar")));
    if let Some(rt) = &request.resourcetype {
        if rt.iter().any(|n| !(n.is(crate::dav::xml::NS_DAV, "collection") || n.is(NS_CALDAV, "calendar"))) {
            return Err(DavError::forbidden(PropName::dav("valid-resourcetype")));
        }
    }
    let mut components = Vec::new();
    let mut props_to_set = Vec::new();
    for (name, value) in request.props {
        if name.is(NS_CALDAV, "supported-calendar-component-set") {
            components = component_names(&value);
            if components.is_empty() {
                return Err(DavError::forbidden(PropName::caldav("supported-calendar-component")));
            }
            continue;
        }
        if props::is_protected(&name) {
            return Err(DavError::Status(StatusCode::FORBIDDEN));
        }
        // RFC 4791 §5.3.1.1 / §5.2.2: one VTIMEZONE, or 403.
        if name.is(NS_CALDAV, "calendar-timezone") && !crate::dav::caldav::is_valid_calendar_timezone(&value) {
            return Err(DavError::forbidden(PropName::caldav("valid-calendar-data")));
        }
        props_to_set.push((name.clark(), value));
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
        components = vec![ComponentKind::Event, ComponentKind::Todo, ComponentKind::Journal];
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
