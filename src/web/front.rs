//! `GET /`: the front page. The server's name (`site_name`), the coaches
//! who chose to be listed (`listed = true`), each linking to their booking
//! page, and a link to `/connect` for calendar apps.
//!
//! May import: `app` (the configuration), the page models, [`super::respond`].

use hyper::Response;

use crate::app::App;
use crate::http::Body;

use super::errors::PageError;
use super::pages::{CoachLink, FrontPage};
use super::respond::{enc, render};

pub fn front_page(app: &App) -> Result<Response<Body>, PageError> {
    let coaches = app
        .config
        .coaches
        .iter()
        .filter(|c| c.listed)
        .map(|c| CoachLink { name: c.display_name.clone(), link: format!("/book/{}", enc(&c.slug)) })
        .collect();
    render(FrontPage { site_name: app.config.site_name.clone(), coaches })
}
