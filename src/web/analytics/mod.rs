//! `GET /coach/analytics` (the signed-in coach's own figures),
//! `GET /coach/admin/analytics` or `/admin/analytics` (every coach's, for the users named in
//! `admins`), and their downloads `…/analytics.csv?table=weekly|hours|students`,
//! each with `?from=YYYY-MM-DD&to=YYYY-MM-DD` (default: the last 12
//! weeks). The router checks who is signed in (`analytics_viewer`: the
//! dashboard's session, else Basic credentials) and
//! hands over the user name; this file decides what they may see (a
//! coach only their own: `?coach=` naming another is 403), reads the
//! report (`analytics::for_coaches`) and answers a bad period with a
//! readable 400 page.
//!
//! Rooms: this file (routing, access, errors), [`page`] (the page model
//! and the SVG charts' geometry, laid out by `templates/analytics.html`),
//! [`csv`] (RFC 4180 downloads, safe against formula injection).
//!
//! May import: `app`, `analytics`, `booking` (the coaches' setup), `http`,
//! the page helpers of `web`.

pub mod csv;
pub mod page;

use chrono::NaiveDate;
use hyper::{Response, StatusCode};

use crate::analytics::{self, AnalyticsError, Period};
use crate::app::App;
use crate::booking::coach::CoachConfig;
use crate::http::Body;

use super::errors::PageError;
use super::forms::decode;
use super::respond::error_page;

/// Whose figures a request asks for.
struct Scope<'a> {
    coaches: Vec<&'a CoachConfig>,
    admin: bool,
    /// The coach a page is narrowed to (`?coach=`), for links.
    coach_param: Option<String>,
}

/// Answers one analytics request of the signed-in `user`.
pub fn handle(app: &App, user: &str, path: &str, query: &str) -> Response<Body> {
    answer(app, user, path, query).unwrap_or_else(|e| e.into_response())
}

fn answer(app: &App, user: &str, path: &str, query: &str) -> Result<Response<Body>, PageError> {
    let params = decode(query.as_bytes());
    let param = |k: &str| params.get(k).map(String::as_str);
    let admin = path.starts_with("/admin/") || path.starts_with("/coach/admin/");
    let scope = scope(app, user, admin, param("coach"))?;
    let Some(scope) = scope else { return Ok(forbidden(admin)) };
    let tz = match scope.coaches.as_slice() {
        [one] => one.policy.tz,
        _ => chrono_tz::UTC,
    };
    let today: NaiveDate = app.clock.now().with_timezone(&tz).date_naive();
    let period = match Period::parse(param("from"), param("to"), today) {
        Ok(p) => p,
        Err(e) => return Ok(bad_period(&e)),
    };
    let report = match analytics::for_coaches(&app.booking, &scope.coaches, period) {
        Ok(r) => r,
        Err(AnalyticsError::Booking(e)) => return Err(PageError::Booking(e)),
        Err(e) => return Ok(bad_period(&e)),
    };
    let base = match (admin, path.starts_with("/coach/")) {
        (true, true) => "/coach/admin/analytics",
        (true, false) => "/admin/analytics",
        (false, _) => "/coach/analytics",
    };
    if path.ends_with(".csv") {
        let table = match param("table").unwrap_or("weekly") {
            "weekly" => csv::Table::Weekly,
            "hours" => csv::Table::Hours,
            "students" => csv::Table::Students,
            other => {
                let text = format!("There is no table `{}`: use weekly, hours or students.", other.chars().take(40).collect::<String>());
                return Ok(error_page(StatusCode::BAD_REQUEST, "No such table", &text, Some((base.to_string(), "Back to analytics".into()))));
            }
        };
        return Ok(csv::response(&report, table));
    }
    let title = match (scope.admin, scope.coaches.as_slice()) {
        (true, [one]) if scope.coach_param.is_some() => format!("Analytics: {}", one.display_name),
        (true, _) => "Analytics: all coaches".to_string(),
        (false, [one]) => format!("Analytics: {}", one.display_name),
        _ => "Analytics".to_string(),
    };
    super::respond::render(page::AnalyticsPage::new(&report, title, base, scope.coach_param.as_deref(), &app.config.site_name))
}

/// The coaches `user` may see on this page, or `None` when they may not.
fn scope<'a>(app: &'a App, user: &str, admin: bool, coach: Option<&str>) -> Result<Option<Scope<'a>>, PageError> {
    let coaches = app.booking.coaches();
    let coach = coach.filter(|c| !c.is_empty());
    if admin {
        if !app.config.admins.iter().any(|a| a == user) {
            return Ok(None);
        }
        let chosen: Vec<&CoachConfig> = match coach {
            Some(slug) => vec![coaches.iter().find(|c| c.slug == slug).ok_or(PageError::NotFound)?],
            None => coaches.iter().collect(),
        };
        return Ok(Some(Scope { coaches: chosen, admin: true, coach_param: coach.map(str::to_string) }));
    }
    let Some(own) = crate::booking::coach::by_user(coaches, user) else { return Ok(None) };
    if coach.is_some_and(|slug| slug != own.slug && slug != own.user) {
        return Ok(None);
    }
    Ok(Some(Scope { coaches: vec![own], admin: false, coach_param: None }))
}

fn forbidden(admin: bool) -> Response<Body> {
    let text = if admin {
        "These figures are for the administrators named in the server's `admins` setting."
    } else {
        "You can see the analytics of your own coaching only."
    };
    error_page(StatusCode::FORBIDDEN, "Not yours to see", text, None)
}

fn bad_period(e: &AnalyticsError) -> Response<Body> {
    let text = format!("{e}. Choose dates like 2026-05-04, `from` before `to`, at most {} days apart.", analytics::period::MAX_DAYS);
    error_page(StatusCode::BAD_REQUEST, "Check the dates", &text, Some(("?".into(), "Show the last 12 weeks".into())))
}
