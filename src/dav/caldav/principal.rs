//! Principal REPORTs clients use during discovery: `DAV:expand-property`
//! (RFC 3253 §3.8), `DAV:principal-property-search` and
//! `DAV:principal-search-property-set` (RFC 3744 §9.4, §9.5). A user sees
//! only their own principal.

use crate::dav::methods::propfind::describe;
use crate::dav::methods::Ctx;
use crate::dav::path::Target;
use crate::dav::xml::request::PropFind;
use crate::dav::xml::response::MultiStatus;
use crate::dav::xml::{PropName, XmlNode};
use crate::dav::{multistatus_response, DavResult};
use crate::http::Body;

pub fn expand_property(ctx: &Ctx, target: &Target, props: &[PropName]) -> DavResult {
    let pctx = ctx.props();
    let ms = MultiStatus { responses: vec![describe(&pctx, target, &PropFind::Prop(props.to_vec()), None)?], sync_token: None };
    Ok(multistatus_response(&ms))
}

pub fn search_property_set() -> hyper::Response<Body> {
    let prop = |name: PropName, text: &str| {
        XmlNode::element(
            PropName::dav("principal-search-property"),
            vec![
                XmlNode::element(PropName::dav("prop"), vec![XmlNode::empty(name)]),
                XmlNode::text_element(PropName::dav("description"), text),
            ],
        )
    };
    let doc = XmlNode::element(
        PropName::dav("principal-search-property-set"),
        vec![
            prop(PropName::dav("displayname"), "Name"),
            prop(PropName::caldav("calendar-user-address-set"), "Email address"),
        ],
    );
    let mut resp = hyper::Response::new(crate::http::Body::new(bytes::Bytes::from(
        crate::dav::xml::response::document(&doc),
    )));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    resp
}

pub fn property_search(ctx: &Ctx, matches: &[(Vec<PropName>, String)], props: &[PropName]) -> DavResult {
    let user = ctx.user;
    let haystacks = [Some(user.name.to_lowercase()), user.email.as_ref().map(|e| e.to_lowercase())];
    let hit = matches.iter().all(|(_, text)| {
        let needle = text.to_lowercase();
        haystacks.iter().flatten().any(|h| h.contains(&needle))
    });
    // Some clients (python-caldav) put the wanted properties beside an
    // empty DAV:prop; answer them with what a principal search is for.
    let props = if props.is_empty() {
        vec![
            PropName::dav("displayname"),
            PropName::caldav("calendar-home-set"),
            PropName::caldav("calendar-user-address-set"),
            PropName::dav("resourcetype"),
        ]
    } else {
        props.to_vec()
    };
    let mut ms = MultiStatus::default();
    if hit {
        let pctx = ctx.props();
        ms.responses.push(describe(&pctx, &Target::Principal(user.name.clone()), &PropFind::Prop(props), None)?);
    }
    Ok(multistatus_response(&ms))
}
