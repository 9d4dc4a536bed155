//! Properties of a resource: the live ones computed here (RFC 4918 §15,
//! RFC 4791 §5.2 and §6.2, RFC 5397, RFC 6578 §4), the dead ones from the
//! store. Used by PROPFIND, REPORT answers and PROPPATCH.

use chrono::{DateTime, Utc};

use crate::http::{http_date, quote_etag};
use super::path::{self, Target};
use super::xml::{PropName, XmlNode, NS_CALDAV, NS_CALENDARSERVER, NS_DAV};
use crate::ical::ComponentKind;
use crate::storage::{NodeKind, Storage, StorageError, StorePath, INBOX_AVAILABILITY_PROP};

/// Where slotdav keeps values of its own among a resource's dead
/// properties (see [`INBOX_AVAILABILITY_PROP`]): never listed, never set
/// by a client.
const NS_PRIVATE: &str = "http://slotdav.org/ns/private";

/// `CALDAV:calendar-availability` (RFC 7953 §7.2.4), a property of the
/// scheduling inbox.
pub fn is_calendar_availability(name: &PropName) -> bool {
    name.is(NS_CALDAV, "calendar-availability")
}

/// The stored `CALDAV:calendar-availability` of `user`'s inbox.
pub fn inbox_availability(storage: &dyn Storage, user: &str) -> Result<Option<String>, StorageError> {
    storage.prop(&StorePath::home(user), INBOX_AVAILABILITY_PROP)
}

/// The request-independent facts live properties need.
pub struct PropContext<'a> {
    pub storage: &'a dyn Storage,
    /// The authenticated user.
    pub user: &'a str,
    pub user_email: Option<&'a str>,
    pub max_resource_size: u64,
    /// `mail.max_attendees`, announced as `CALDAV:max-attendees-per-instance`.
    pub max_attendees: u32,
    /// Bytes each user may store (`u64::MAX`: no quota).
    pub quota: u64,
}

fn dav(local: &str) -> PropName {
    PropName::dav(local)
}
fn cal(local: &str) -> PropName {
    PropName::caldav(local)
}

/// A scheduling object resource (RFC 6638 §3.1): a calendar object with
/// an ORGANIZER. Its Schedule-Tag is its entity tag: slotdav changes
/// scheduling objects only when their owner writes them.
pub fn is_scheduling_object(bytes: &[u8]) -> bool {
    crate::ical::contentline::has_line_named(bytes, "ORGANIZER")
}

/// The media type of [`page`].
pub const PAGE_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// What GET answers for a resource that is not stored bytes (a calendar, a
/// plain collection, `/dav/`, a principal, an inbox): a short fixed text,
/// so its length and type are known without listing members and PROPFIND
/// gives the same `getcontentlength` and `getcontenttype` (RFC 4918
/// §15.4–§15.5). `None` for a stored resource.
pub fn page(target: &Target) -> Option<&'static str> {
    match target {
        Target::Store((_, n)) => match &n.kind {
            NodeKind::Resource(_) => None,
            NodeKind::Collection(c) if c.calendar => {
                Some("A slotdav calendar: point your calendar app at this URL to see its events.\n")
            }
            NodeKind::Collection(_) => Some("A slotdav collection: point your calendar app at this URL.\n"),
        },
        _ => Some("slotdav CalDAV server: point your calendar app at this URL.\n"),
    }
}

/// Live properties that cannot be set with PROPPATCH
/// (→ `DAV:cannot-modify-protected-property`).
pub fn is_protected(name: &PropName) -> bool {
    const DAV_PROTECTED: &[&str] = &[
        "resourcetype",
        "getetag",
        "getlastmodified",
        "getcontentlength",
        "getcontenttype",
        "creationdate",
        "current-user-principal",
        "principal-URL",
        "owner",
        "current-user-privilege-set",
        "supported-report-set",
        "supported-live-property-set",
        "sync-token",
        "lockdiscovery",
        "supportedlock",
        "principal-collection-set",
        "acl",
        "supported-privilege-set",
        "group-membership",
        "quota-available-bytes",
        "quota-used-bytes",
    ];
    const CALDAV_PROTECTED: &[&str] = &[
        "supported-calendar-component-set",
        "supported-calendar-data",
        "max-resource-size",
        "max-attendees-per-instance",
        "max-instances",
        "min-date-time",
        "max-date-time",
        "calendar-home-set",
        "calendar-user-address-set",
        "calendar-data",
        "supported-collation-set",
        "calendar-user-type",
        "schedule-inbox-URL",
        "schedule-outbox-URL",
        "schedule-tag",
    ];
    (name.ns == NS_DAV && DAV_PROTECTED.contains(&name.local.as_str()))
        || (name.ns == NS_CALDAV && CALDAV_PROTECTED.contains(&name.local.as_str()))
        || name.is(NS_CALENDARSERVER, "getctag")
        || name.ns == NS_PRIVATE
}

/// The names of live properties a resource has (for `DAV:propname`).
pub fn live_names(target: &Target) -> Vec<PropName> {
    let mut names = vec![
        dav("resourcetype"),
        dav("displayname"),
        dav("current-user-principal"),
        dav("current-user-privilege-set"),
        dav("supported-report-set"),
        dav("principal-collection-set"),
    ];
    match target {
        Target::Principal(_) => names.extend([
            dav("principal-URL"),
            dav("owner"),
            cal("calendar-home-set"),
            cal("calendar-user-address-set"),
            cal("calendar-user-type"),
            cal("schedule-inbox-URL"),
            cal("schedule-outbox-URL"),
        ]),
        // RFC 7953 §7.2.4; not in allprop (it SHOULD NOT be returned there).
        Target::ScheduleInbox(_) => names.extend([dav("supported-live-property-set"), cal("calendar-availability")]),
        Target::Store((_, node)) => {
            names.extend([dav("owner"), dav("creationdate"), dav("getlastmodified")]);
            match &node.kind {
                NodeKind::Collection(c) => {
                    names.extend([dav("getcontentlength"), dav("getcontenttype")]);
                    names.extend([dav("sync-token"), PropName::new(NS_CALENDARSERVER, "getctag")]);
                    names.extend([dav("quota-used-bytes"), dav("quota-available-bytes")]);
                    if c.calendar {
                        names.extend([
                            cal("supported-calendar-component-set"),
                            cal("supported-calendar-data"),
                            cal("max-resource-size"),
                            cal("max-attendees-per-instance"),
                            cal("max-instances"),
                            cal("min-date-time"),
                            cal("max-date-time"),
                            cal("supported-collation-set"),
                        ]);
                    }
                }
                NodeKind::Resource(_) => {
                    names.extend([dav("getetag"), dav("getcontentlength"), dav("getcontenttype")]);
                }
            }
        }
        _ => {}
    }
    names
}

/// What `DAV:allprop` returns besides dead properties: the RFC 4918 set,
/// without the computed CalDAV ones (RFC 4791 §7.8 leaves those out).
pub fn allprop_names(target: &Target) -> Vec<PropName> {
    let mut names = vec![dav("resourcetype"), dav("displayname")];
    if let Target::Store((_, node)) = target {
        names.extend([dav("creationdate"), dav("getlastmodified")]);
        if node.resource().is_some() {
            names.extend([dav("getetag"), dav("getcontentlength"), dav("getcontenttype")]);
        }
    }
    names
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn privileges(all: bool) -> XmlNode {
    let mut privs = vec![dav("read"), dav("read-current-user-privilege-set"), cal("read-free-busy")];
    if all {
        privs.extend([dav("write"), dav("write-properties"), dav("write-content"), dav("bind"), dav("unbind"), dav("all")]);
    }
    XmlNode::element(
        dav("current-user-privilege-set"),
        privs.into_iter().map(|p| XmlNode::element(dav("privilege"), vec![XmlNode::empty(p)])).collect(),
    )
}

fn report_set(reports: &[PropName]) -> Vec<XmlNode> {
    reports
        .iter()
        .map(|r| {
            XmlNode::element(dav("supported-report"), vec![XmlNode::element(dav("report"), vec![XmlNode::empty(r.clone())])])
        })
        .collect()
}

/// The sync token of a collection (RFC 6578 §4): a URI naming the
/// collection's incarnation and revision.
pub fn sync_token(sync_id: u64, revision: u64) -> String {
    format!("http://slotdav.org/ns/sync/{sync_id:016x}-{revision}")
}

/// The revision in a sync token of the collection with `sync_id`, or
/// `None` when the token is not one of its tokens.
pub fn parse_sync_token(token: &str, sync_id: u64) -> Option<u64> {
    let rest = token.strip_prefix("http://slotdav.org/ns/sync/")?;
    let (id, rev) = rest.split_once('-')?;
    if u64::from_str_radix(id, 16).ok()? != sync_id {
        return None;
    }
    rev.parse().ok()
}

/// The value of a live property, or `None` when the resource has no such
/// live property (a dead property may still exist).
pub fn live(ctx: &PropContext, target: &Target, name: &PropName) -> Result<Option<XmlNode>, StorageError> {
    let owner_href = |u: &str| XmlNode::element(name.clone(), vec![XmlNode::href(path::principal_href(u))]);
    let v = if name.ns == NS_DAV {
        match (name.local.as_str(), target) {
            ("resourcetype", _) => Some(XmlNode::element(name.clone(), resourcetype(target))),
            ("displayname", Target::Principal(u)) => Some(XmlNode::text_element(name.clone(), u.clone())),
            ("displayname", _) => None,
            ("current-user-principal", _) => Some(owner_href(ctx.user)),
            ("principal-collection-set", _) => {
                Some(XmlNode::element(name.clone(), vec![XmlNode::href(path::PRINCIPALS)]))
            }
            ("current-user-privilege-set", t) => {
                let read_only = matches!(t, Target::Store((_, n)) if n.collection().is_some_and(|c| c.read_only));
                let own = matches!(t, Target::Store((..)) | Target::Principal(_)) && !read_only;
                Some(privileges(own))
            }
            // RFC 3253 §3.1.4, announced where a client looks for
            // RFC 7953's calendar-availability: the inbox.
            ("supported-live-property-set", t @ Target::ScheduleInbox(_)) => Some(XmlNode::element(
                name.clone(),
                live_names(t)
                    .into_iter()
                    .map(|n| {
                        XmlNode::element(dav("supported-live-property"), vec![XmlNode::element(dav("prop"), vec![XmlNode::empty(n)])])
                    })
                    .collect(),
            )),
            ("supported-report-set", t) => Some(XmlNode::element(name.clone(), report_set(&supported_reports(t)))),
            ("principal-URL", Target::Principal(u)) => Some(owner_href(u)),
            ("owner", Target::Principal(u)) => Some(owner_href(u)),
            ("owner", Target::Store((p, _))) => Some(owner_href(p.owner())),
            ("creationdate", Target::Store((_, n))) => Some(XmlNode::text_element(name.clone(), rfc3339(n.created))),
            ("getlastmodified", Target::Store((_, n))) => Some(XmlNode::text_element(name.clone(), http_date(n.modified))),
            ("getetag" | "getcontenttype", Target::ScheduleInboxItem(u, m)) => {
                crate::scheduling::inbox::get(ctx.storage, u, m)?.map(|msg| match name.local.as_str() {
                    "getetag" => XmlNode::text_element(name.clone(), quote_etag(&msg.etag())),
                    _ => XmlNode::text_element(name.clone(), "text/calendar; charset=utf-8"),
                })
            }
            ("getetag", Target::Store((_, n))) => n.resource().map(|r| XmlNode::text_element(name.clone(), quote_etag(&r.etag))),
            ("getcontentlength", Target::Store((_, n))) if n.resource().is_some() => {
                n.resource().map(|r| XmlNode::text_element(name.clone(), r.length.to_string()))
            }
            ("getcontenttype", Target::Store((_, n))) if n.resource().is_some() => {
                n.resource().map(|r| XmlNode::text_element(name.clone(), r.content_type.clone()))
            }
            // What GET answers for the others (RFC 4918 §15.4: defined on
            // every resource whose GET has a Content-Length).
            ("getcontentlength", t) => page(t).map(|p| XmlNode::text_element(name.clone(), p.len().to_string())),
            ("getcontenttype", t) => page(t).map(|_| XmlNode::text_element(name.clone(), PAGE_CONTENT_TYPE)),
            // RFC 4331: the owner's usage and what is left of the quota, on
            // every collection of a home (not in allprop, §3).
            ("quota-used-bytes", Target::Store((p, n))) if n.is_collection() => {
                Some(XmlNode::text_element(name.clone(), ctx.storage.usage(p.owner())?.to_string()))
            }
            ("quota-available-bytes", Target::Store((p, n))) if n.is_collection() && ctx.quota != u64::MAX => {
                let left = ctx.quota.saturating_sub(ctx.storage.usage(p.owner())?);
                Some(XmlNode::text_element(name.clone(), left.to_string()))
            }
            ("sync-token", Target::Store((_, n))) => {
                n.collection().map(|c| XmlNode::text_element(name.clone(), sync_token(c.sync_id, c.revision)))
            }
            _ => None,
        }
    } else if name.ns == NS_CALDAV {
        match (name.local.as_str(), target) {
            ("calendar-home-set", Target::Principal(u)) => {
                Some(XmlNode::element(name.clone(), vec![XmlNode::href(path::home_href(u))]))
            }
            ("calendar-user-address-set", Target::Principal(u)) => {
                let mut hrefs = Vec::new();
                if u == ctx.user {
                    if let Some(email) = ctx.user_email {
                        hrefs.push(XmlNode::href(format!("mailto:{email}")));
                    }
                } else if let Some(user) = ctx.storage.user(u)? {
                    if let Some(email) = user.email {
                        hrefs.push(XmlNode::href(format!("mailto:{email}")));
                    }
                }
                hrefs.push(XmlNode::href(path::principal_href(u)));
                Some(XmlNode::element(name.clone(), hrefs))
            }
            ("calendar-user-type", Target::Principal(_)) => Some(XmlNode::text_element(name.clone(), "INDIVIDUAL")),
            ("schedule-inbox-URL", Target::Principal(u)) => {
                Some(XmlNode::element(name.clone(), vec![XmlNode::href(Target::ScheduleInbox(u.clone()).href())]))
            }
            ("schedule-outbox-URL", Target::Principal(u)) => {
                Some(XmlNode::element(name.clone(), vec![XmlNode::href(Target::ScheduleOutbox(u.clone()).href())]))
            }
            ("calendar-availability", Target::ScheduleInbox(u)) => {
                inbox_availability(ctx.storage, u)?.map(|text| XmlNode::text_element(name.clone(), text))
            }
            ("schedule-tag", Target::Store((p, n))) => match n.resource() {
                Some(r) if r.calendar.is_some() => {
                    let bytes = ctx.storage.content(p)?.unwrap_or_default();
                    is_scheduling_object(&bytes)
                        .then(|| crate::ical::CalendarObject::parse(&bytes).ok())
                        .flatten()
                        .map(|o| XmlNode::text_element(name.clone(), quote_etag(&crate::scheduling::itip::schedule_tag(&o))))
                }
                _ => None,
            },
            (local, Target::Store((_, n))) if n.is_calendar() => {
                let coll = n.collection().expect("calendars are collections");
                match local {
                    "supported-calendar-component-set" => {
                        // An empty set (calendars of older stores) takes every kind.
                        let kinds = if coll.components.is_empty() {
                            vec![ComponentKind::Event, ComponentKind::Todo, ComponentKind::Journal, ComponentKind::FreeBusy, ComponentKind::Availability]
                        } else {
                            coll.components.clone()
                        };
                        Some(XmlNode::element(
                            name.clone(),
                            kinds.iter().map(|k| XmlNode::empty(cal("comp")).with_attr("name", k.name())).collect(),
                        ))
                    }
                    "supported-calendar-data" => Some(XmlNode::element(
                        name.clone(),
                        vec![XmlNode::empty(cal("calendar-data"))
                            .with_attr("content-type", "text/calendar")
                            .with_attr("version", "2.0")],
                    )),
                    "max-resource-size" => Some(XmlNode::text_element(name.clone(), ctx.max_resource_size.to_string())),
                    "max-attendees-per-instance" => Some(XmlNode::text_element(name.clone(), ctx.max_attendees.to_string())),
                    // RFC 4791 §5.2.8; a PUT beyond it is refused with
                    // CALDAV:max-instances (see ical::expand::RECURRENCE_BUDGET).
                    "max-instances" => {
                        Some(XmlNode::text_element(name.clone(), crate::ical::expand::RECURRENCE_BUDGET.to_string()))
                    }
                    // RFC 4791 §5.2.6/§5.2.7: what PUT accepts and REPORT
                    // time ranges may name (dav::caldav::check_date_bounds).
                    "min-date-time" => Some(XmlNode::text_element(
                        name.clone(),
                        crate::ical::write::utc_stamp(crate::ical::expand::min_date_time()),
                    )),
                    "max-date-time" => Some(XmlNode::text_element(
                        name.clone(),
                        crate::ical::write::utc_stamp(crate::ical::expand::max_date_time()),
                    )),
                    "supported-collation-set" => Some(XmlNode::element(
                        name.clone(),
                        ["i;ascii-casemap", "i;unicode-casemap", "i;octet"]
                            .iter()
                            .map(|c| XmlNode::text_element(cal("supported-collation"), *c))
                            .collect(),
                    )),
                    _ => None,
                }
            }
            _ => None,
        }
    } else if name.is(NS_CALENDARSERVER, "getctag") {
        match target {
            Target::Store((_, n)) => {
                n.collection().map(|c| XmlNode::text_element(name.clone(), format!("{:016x}-{}", c.sync_id, c.revision)))
            }
            _ => None,
        }
    } else {
        None
    };
    Ok(v)
}

fn resourcetype(target: &Target) -> Vec<XmlNode> {
    match target {
        Target::Principal(_) => vec![XmlNode::empty(dav("collection")), XmlNode::empty(dav("principal"))],
        Target::ScheduleInbox(_) => vec![XmlNode::empty(dav("collection")), XmlNode::empty(cal("schedule-inbox"))],
        Target::ScheduleOutbox(_) => vec![XmlNode::empty(dav("collection")), XmlNode::empty(cal("schedule-outbox"))],
        Target::ScheduleInboxItem(..) => vec![],
        Target::Store((_, n)) => match &n.kind {
            NodeKind::Collection(c) if c.calendar => {
                vec![XmlNode::empty(dav("collection")), XmlNode::empty(cal("calendar"))]
            }
            NodeKind::Collection(_) => vec![XmlNode::empty(dav("collection"))],
            NodeKind::Resource(_) => vec![],
        },
        _ => vec![XmlNode::empty(dav("collection"))],
    }
}

/// The REPORTs a resource supports (RFC 3253 §3.1.5).
pub fn supported_reports(target: &Target) -> Vec<PropName> {
    match target {
        // Calendars, homes and plain collections: queries search the
        // calendars they are or contain (RFC 4791 §7).
        Target::Store((_, n)) if n.is_collection() => vec![
            cal("calendar-query"),
            cal("calendar-multiget"),
            cal("free-busy-query"),
            dav("sync-collection"),
            dav("expand-property"),
        ],
        // Calendar object resources (RFC 4791 §7: MUST).
        Target::Store((_, n)) if n.resource().is_some_and(|r| r.calendar.is_some()) => {
            vec![cal("calendar-query"), cal("calendar-multiget"), dav("expand-property")]
        }
        Target::Store((..)) => vec![dav("expand-property")],
        _ => vec![dav("expand-property"), dav("principal-property-search"), dav("principal-search-property-set")],
    }
}

/// Dead properties of a target, as (name, stored fragment).
pub fn dead(storage: &dyn Storage, target: &Target) -> Result<Vec<(PropName, String)>, StorageError> {
    let Some(path) = target.store_path() else { return Ok(Vec::new()) };
    Ok(storage
        .props(path)?
        .into_iter()
        .filter_map(|(clark, value)| PropName::from_clark(&clark).map(|n| (n, value)))
        .filter(|(n, _)| n.ns != NS_PRIVATE)
        .collect())
}

/// One property of a target: live first, then dead.
pub fn get(ctx: &PropContext, target: &Target, name: &PropName) -> Result<Option<XmlNode>, StorageError> {
    if let Some(v) = live(ctx, target, name)? {
        return Ok(Some(v));
    }
    if let Some(path) = target.store_path().filter(|_| name.ns != NS_PRIVATE) {
        if let Some(raw) = ctx.storage.prop(path, &name.clark())? {
            return Ok(Some(XmlNode::Raw(raw)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_tokens_belong_to_one_collection() {
        let t = sync_token(0xabc, 7);
        assert_eq!(parse_sync_token(&t, 0xabc), Some(7));
        assert_eq!(parse_sync_token(&t, 0xabd), None);
        assert_eq!(parse_sync_token("garbage", 0xabc), None);
    }
}
