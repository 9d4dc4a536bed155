//! The public pages: the front page (`/`), how to connect a calendar app
//! (`/connect`, `/connect/feeds`), the booking pages under `/book/` and the published feeds
//! under `/feeds/`: server-rendered HTML that works without JavaScript. Every bad
//! input gets a readable page; every form is CSRF-protected; holds and
//! bookings are rate-limited per client address, one address keeps only a
//! few holds open, and a browser's new hold of an event type releases its
//! previous one (the browser is known by its CSRF cookie, so this works
//! without JavaScript).
//!
//! The router sends `/` (GET, HEAD) and `/connect*` straight to [`front`]
//! and [`connect`] (after its Basic auth check for the Apple profile).
//! This file owns the routing below `/book/`: [`handle`] reads the request, [`page_for`]
//! names the page of a path, `dispatch` runs it on the blocking pool.
//! One file per page:
//!
//! | route | page | file |
//! |---|---|---|
//! | `GET /book/{coach}` | the coach's profile and event types | [`coach`] |
//! | `GET /book/{coach}/photo.img` | the coach's photo (issue 12 §3) | [`photo`] |
//! | `GET /book/{coach}/{type}?day=&week=&month=&tz=&reschedule=` | the month and a day's or week's open times | [`slots`] |
//! | `GET /book/{coach}/{type}/times.json?from=&days=` | the shown times for the page's live refresh (ETag, 304) | [`live`] |
//! | `POST /book/{coach}/{type}/hold` | hold a slot → details form | [`hold`] |
//! | `GET /book/hold/{id}` | details form | [`hold`] |
//! | `POST /book/hold/{id}` | confirm (or move) | [`confirm`] |
//! | `POST /book/hold/{id}/repeat` | hold the held date as a series (issue 11 §2) | [`series_form`] |
//! | `GET /book/manage/{token}` | the student's booking | [`manage`] |
//! | `GET /book/manage/{token}/booking.ics` | "Add to calendar" | [`ics`] |
//! | `GET /book/manage/{token}/feed.ics` | the same booking as a subscription | [`ics`] |
//! | `POST /book/manage/{token}/cancel` | cancel | [`cancel`] |
//! | `POST /book/manage/{token}/withdraw-request` | withdraw a reschedule request (issue 11 §3) | [`withdraw`] |
//! | `GET /book/manage/{token}/series` | a series' dates (issue 11 §2) | [`series`] |
//! | `POST /book/manage/{token}/series/cancel` | cancel one date or all remaining | [`series`] |
//! | `POST /book/manage/{token}/series/move` | move every remaining date (issue 11 §2) | [`series`] |
//! | `GET /feeds/{token}.ics` | a published calendar | [`feeds`] |
//! | `GET /` | the front page: `site_name`, listed coaches | [`front`] |
//! | `GET /connect` | how to add this server to calendar apps | [`connect`] |
//! | `GET /connect/feeds` | the user's secret feed links (Basic auth, checked by the router) | [`connect`] |
//! | `GET /connect/apple.mobileconfig` | Apple profile (Basic auth, checked by the router) | [`connect`] |
//! | `GET /coach/analytics[.csv]` | the signed-in coach's analytics (Basic auth, checked by the router) | [`analytics`] |
//! | `GET /admin/analytics[.csv]` | every coach's analytics, for `admins` | [`analytics`] |
//!
//! Beside them: [`errors`] (the one mapping of booking failures to HTTP,
//! shared with the JSON API, `api`), [`request`] (the request and the POST
//! checks), [`respond`] (HTML, redirects, cookies), [`format`](mod@format) (how times,
//! zones and prices read, in the page's locale), [`zones`] (the zone
//! picker's list, typed names, the remembered zone), [`month`] (the month
//! overview's grid), [`calendar_links`] (Google and Outlook "add to
//! calendar" links), [`live`] (the times.json of the live refresh),
//! [`forms`] (form decoding, CSRF tokens, the
//! rate limiter), [`pages`] (the askama models), [`profile`] (the coach's
//! profile and an event type's details on every step, issue 12 §3),
//! [`embed`] (the frame policy every `/book/` response gets from
//! `embed_origins`, the embed snippets and `/static/*.js`, issue 12 §6),
//! [`locale`] (the page's
//! language: `?lang=`, its cookie, the booking's, `Accept-Language`, the
//! coach's; and the language switch).
//!
//! May import: `app`, `booking`, `feeds`, `ical::export`, `model`, the
//! response types of `dav` (`Body`, headers), hyper and askama. Nothing
//! below imports `web`, except `api` (form decoding, [`errors`]).

pub mod analytics;
pub mod calendar_links;
pub mod cancel;
pub mod coach;
pub mod confirm;
pub mod connect;
pub mod dashboard;
pub mod embed;
pub mod errors;
pub mod feeds;
pub mod format;
pub mod forms;
pub mod front;
pub mod hold;
pub mod ics;
pub mod live;
pub mod locale;
pub mod manage;
pub mod month;
pub mod pages;
pub mod photo;
pub mod profile;
pub mod request;
pub mod respond;
pub mod series;
pub mod series_form;
pub mod session;
pub mod slots;
pub mod withdraw;
pub mod waitlist;
pub mod zones;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::{Method, Request, Response, StatusCode};

use crate::app::App;
use crate::http::Body;
use errors::PageError;
use forms::decode;
use request::PageRequest;
use respond::error_page_in;

/// The most a page's form may send.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// Handles a request below `/book/`.
///
/// `peer` is the client's address as the router resolved it (behind a
/// trusted proxy, the client the proxy names).
pub async fn handle<B>(app: Arc<App>, peer: SocketAddr, req: Request<B>) -> Response<Body>
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let link_base = req.extensions().get::<crate::booking::links::LinkBase>().map(|b| b.0.clone());
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_FORM_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let tr = locale::tr(&parts.headers, &locale::only_lang(&decode(parts.uri.query().unwrap_or("").as_bytes())), locale::Speaker::default());
            return error_page_in(&tr, StatusCode::PAYLOAD_TOO_LARGE, &tr.t("error-too-much-data-heading"), &tr.t("error-too-much-data-text"), None);
        }
    };
    let query = decode(parts.uri.query().unwrap_or("").as_bytes());
    let segments = segments(parts.uri.path());
    let request = PageRequest { method: parts.method, headers: parts.headers, query, body, peer };
    let frame_app = app.clone();
    let resp = tokio::task::spawn_blocking(move || {
        let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
        let page = crate::booking::links::with_base(link_base, || dispatch(&app, &request, &seg));
        let resp = page.unwrap_or_else(|e| {
            // An error page speaks the language of the coach the path names, if any.
            let coach = seg.first().and_then(|slug| app.booking.coach(slug).ok());
            // Its language links keep only `lang`: an error page echoes
            // nothing of the address (a private type's wrong key must
            // read exactly like an unknown type).
            e.into_response_in(&locale::tr(&request.headers, &locale::only_lang(&request.query), locale::Speaker { coach, stored: None }))
        });
        locale::remember(resp, &request.query)
    })
    .await
    .unwrap_or_else(|_| PageError::Internal("page task failed".into()).into_response());
    // (issue 12 §6) which sites may frame the booking pages.
    embed::with_frame_policy(resp, &frame_app.config.embed_origins)
}

/// The percent-decoded, non-empty segments of a path below `/book/`.
pub fn segments(path: &str) -> Vec<String> {
    path.trim_start_matches("/book/")
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect()
}

/// A page and what its path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page<'a> {
    Coach { coach: &'a str },
    /// (issue 12 §3) The coach's photo.
    Photo { coach: &'a str },
    Slots { coach: &'a str, event_type: &'a str },
    OpenTimes { coach: &'a str, event_type: &'a str },
    PlaceHold { coach: &'a str, event_type: &'a str },
    HoldForm { hold: &'a str },
    Confirm { hold: &'a str },
    /// issue 11 §2: the hold page's repeat form.
    RepeatHold { hold: &'a str },
    Manage { token: &'a str },
    BookingIcs { token: &'a str },
    StudentFeed { token: &'a str },
    Cancel { token: &'a str },
    WithdrawRequest { token: &'a str },
    Series { token: &'a str },
    CancelOccurrence { token: &'a str },
    MoveRemaining { token: &'a str },
    // waitlists (part A)
    JoinWaitlist { coach: &'a str, event_type: &'a str },
    Waitlist { token: &'a str },
    ClaimWaitlist { token: &'a str },
    LeaveWaitlist { token: &'a str },
}

/// The page a method and path segments name. HEAD is a GET.
pub fn page_for<'a>(method: &Method, seg: &[&'a str]) -> Result<Page<'a>, PageError> {
    let get = *method == Method::GET || *method == Method::HEAD;
    let post = *method == Method::POST;
    match *seg {
        ["hold", hold] if get => Ok(Page::HoldForm { hold }),
        ["hold", hold] if post => Ok(Page::Confirm { hold }),
        ["hold", hold, "repeat"] if post => Ok(Page::RepeatHold { hold }),
        ["manage", token] if get => Ok(Page::Manage { token }),
        ["manage", token, "booking.ics"] if get => Ok(Page::BookingIcs { token }),
        ["manage", token, "feed.ics"] if get => Ok(Page::StudentFeed { token }),
        ["manage", token, "cancel"] if post => Ok(Page::Cancel { token }),
        ["manage", token, "withdraw-request"] if post => Ok(Page::WithdrawRequest { token }),
        ["manage", token, "series"] if get => Ok(Page::Series { token }),
        ["manage", token, "series", "cancel"] if post => Ok(Page::CancelOccurrence { token }),
        ["manage", token, "series", "move"] if post => Ok(Page::MoveRemaining { token }),
        ["waitlist", token] if get => Ok(Page::Waitlist { token }),
        ["waitlist", token, "claim"] if post => Ok(Page::ClaimWaitlist { token }),
        ["waitlist", token, "leave"] if post => Ok(Page::LeaveWaitlist { token }),
        [coach, event_type, "waitlist"] if post => Ok(Page::JoinWaitlist { coach, event_type }),
        [coach] if get => Ok(Page::Coach { coach }),
        [coach, "photo.img"] if get => Ok(Page::Photo { coach }),
        [coach, event_type] if get => Ok(Page::Slots { coach, event_type }),
        [coach, event_type, "times.json"] if get => Ok(Page::OpenTimes { coach, event_type }),
        [coach, event_type, "hold"] if post => Ok(Page::PlaceHold { coach, event_type }),
        [] => Err(PageError::NotFound),
        _ if !get && !post => Err(PageError::MethodNotAllowed),
        _ => Err(PageError::NotFound),
    }
}

/// Runs the page of a request.
fn dispatch(app: &App, req: &PageRequest, seg: &[&str]) -> Result<Response<Body>, PageError> {
    match page_for(&req.method, seg)? {
        Page::Coach { coach } => coach::coach_page(app, req, coach),
        Page::Photo { coach } => photo::photo(app, req, coach),
        Page::Slots { coach, event_type } => slots::slots_page(app, req, coach, event_type),
        Page::OpenTimes { coach, event_type } => live::open_times(app, req, coach, event_type),
        Page::PlaceHold { coach, event_type } => hold::hold(app, req, coach, event_type),
        Page::HoldForm { hold } => hold::hold_page(app, req, hold, None),
        Page::Confirm { hold } => confirm::confirm(app, req, hold),
        Page::RepeatHold { hold } => series_form::repeat(app, req, hold),
        Page::Manage { token } => manage::manage_page(app, req, token, None),
        Page::BookingIcs { token } => ics::booking_ics(app, token),
        Page::StudentFeed { token } => ics::student_feed(app, token),
        Page::Cancel { token } => cancel::cancel(app, req, token),
        Page::WithdrawRequest { token } => withdraw::withdraw(app, req, token),
        Page::Series { token } => series::series_page(app, req, token, None),
        Page::CancelOccurrence { token } => series::cancel_occurrence(app, req, token),
        Page::MoveRemaining { token } => series::move_remaining(app, req, token),
        Page::JoinWaitlist { coach, event_type } => waitlist::join(app, req, coach, event_type),
        Page::Waitlist { token } => waitlist::waitlist_page(app, req, token, None),
        Page::ClaimWaitlist { token } => waitlist::claim(app, req, token),
        Page::LeaveWaitlist { token } => waitlist::leave(app, req, token),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: Method, path: &str) -> Result<Page<'static>, StatusCode> {
        let seg: Vec<&'static str> = segments(path).into_iter().map(|s| &*Box::leak(s.into_boxed_str())).collect();
        page_for(&method, &seg).map_err(|e| e.answer().0)
    }

    #[test]
    fn segments_are_decoded_and_empty_ones_dropped() {
        assert_eq!(segments("/book/alice//lesson/"), ["alice", "lesson"]);
        assert_eq!(segments("/book/J%C3%BCrgen/a%20b"), ["Jürgen", "a b"]);
        assert!(segments("/book/").is_empty());
    }

    #[test]
    fn paths_name_their_pages() {
        use Method as M;
        assert_eq!(route(M::GET, "/book/alice"), Ok(Page::Coach { coach: "alice" }));
        assert_eq!(route(M::HEAD, "/book/alice"), Ok(Page::Coach { coach: "alice" }));
        assert_eq!(route(M::GET, "/book/alice/lesson"), Ok(Page::Slots { coach: "alice", event_type: "lesson" }));
        assert_eq!(route(M::POST, "/book/alice/lesson/hold"), Ok(Page::PlaceHold { coach: "alice", event_type: "lesson" }));
        assert_eq!(route(M::GET, "/book/alice/lesson/times.json"), Ok(Page::OpenTimes { coach: "alice", event_type: "lesson" }));
        assert_eq!(route(M::POST, "/book/alice/lesson/times.json"), Err(StatusCode::NOT_FOUND));
        assert_eq!(route(M::GET, "/book/hold/h1"), Ok(Page::HoldForm { hold: "h1" }));
        assert_eq!(route(M::POST, "/book/hold/h1"), Ok(Page::Confirm { hold: "h1" }));
        assert_eq!(route(M::POST, "/book/hold/h1/repeat"), Ok(Page::RepeatHold { hold: "h1" }));
        assert_eq!(route(M::GET, "/book/manage/t"), Ok(Page::Manage { token: "t" }));
        assert_eq!(route(M::GET, "/book/manage/t/booking.ics"), Ok(Page::BookingIcs { token: "t" }));
        assert_eq!(route(M::GET, "/book/manage/t/feed.ics"), Ok(Page::StudentFeed { token: "t" }));
        assert_eq!(route(M::POST, "/book/manage/t/cancel"), Ok(Page::Cancel { token: "t" }));
        // (issue 12 §3) no event type slug has a dot, so the photo's path is its own.
        assert_eq!(route(M::GET, "/book/alice/photo.img"), Ok(Page::Photo { coach: "alice" }));
        assert_eq!(route(M::GET, "/book/alice/photo"), Ok(Page::Slots { coach: "alice", event_type: "photo" }));
    }

    #[test]
    fn waitlist_paths_name_their_pages() {
        use Method as M;
        assert_eq!(route(M::POST, "/book/alice/group/waitlist"), Ok(Page::JoinWaitlist { coach: "alice", event_type: "group" }));
        assert_eq!(route(M::GET, "/book/waitlist/t"), Ok(Page::Waitlist { token: "t" }));
        assert_eq!(route(M::POST, "/book/waitlist/t/claim"), Ok(Page::ClaimWaitlist { token: "t" }));
        assert_eq!(route(M::POST, "/book/waitlist/t/leave"), Ok(Page::LeaveWaitlist { token: "t" }));
        assert_eq!(route(M::GET, "/book/waitlist/t/claim"), Err(StatusCode::NOT_FOUND));
    }

    #[test]
    fn hold_and_manage_paths_come_before_coach_pages() {
        // `/book/hold` alone is the coach page of a coach slugged "hold".
        assert_eq!(route(Method::GET, "/book/hold"), Ok(Page::Coach { coach: "hold" }));
        assert_eq!(route(Method::GET, "/book/manage/t"), Ok(Page::Manage { token: "t" }));
        assert_eq!(route(Method::GET, "/book/manage/t/x"), Err(StatusCode::NOT_FOUND));
    }

    #[test]
    fn wrong_methods_and_unknown_paths() {
        assert_eq!(route(Method::GET, "/book/"), Err(StatusCode::NOT_FOUND));
        assert_eq!(route(Method::PUT, "/book/"), Err(StatusCode::NOT_FOUND), "the bare prefix is not found, whatever the method");
        assert_eq!(route(Method::PUT, "/book/alice"), Err(StatusCode::METHOD_NOT_ALLOWED));
        assert_eq!(route(Method::DELETE, "/book/manage/t"), Err(StatusCode::METHOD_NOT_ALLOWED));
        assert_eq!(route(Method::POST, "/book/alice"), Err(StatusCode::NOT_FOUND), "POST is a method of pages, just not this one");
        assert_eq!(route(Method::GET, "/book/alice/lesson/hold"), Err(StatusCode::NOT_FOUND));
        assert_eq!(route(Method::GET, "/book/a/b/c/d"), Err(StatusCode::NOT_FOUND));
    }
}
