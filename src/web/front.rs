//! `GET /`: the front page. The server's name (`site_name`), the coaches
//! who chose to be listed (`listed = true`), each linking to their booking
//! page, and a link to `/connect` for calendar apps.
//!
//! May import: `app` (the configuration), the page models, [`super::respond`].

use hyper::{HeaderMap, Response};

use crate::app::App;
use crate::http::Body;

use super::errors::PageError;
use super::locale;
use super::pages::{CoachLink, FrontPage};
use super::respond::{enc, render};

/// The page, in the language `?lang=`, its cookie or the browser asks for
/// (`query`: the raw query string).
pub fn front_page(app: &App, headers: &HeaderMap, query: Option<&str>) -> Result<Response<Body>, PageError> {
    let query = super::forms::decode(query.unwrap_or("").as_bytes());
    let tr = locale::tr(headers, &query, locale::Speaker::default());
    let coaches = app
        .config
        .coaches
        .iter()
        .filter(|c| c.listed)
        .map(|c| CoachLink { name: c.display_name.clone(), link: format!("/book/{}", enc(&c.slug)) })
        .collect();
    Ok(locale::remember(render(FrontPage { tr, site_name: app.config.site_name.clone(), coaches })?, &query))
}
