//! `GET /book/{coach}`: the coach's event types, each linking to its week
//! of slots.
//!
//! May import: `app`, the page models, [`super::format`], [`super::respond`].

use hyper::Response;

use crate::app::App;
use crate::http::Body;

use super::errors::PageError;
use super::format::{human_duration_in, price_in};
use super::locale::page_tr;
use super::pages::{CoachPage, EventTypeCard};
use super::request::PageRequest;
use super::respond::{enc, render};

pub fn coach_page(app: &App, req: &PageRequest, slug: &str) -> Result<Response<Body>, PageError> {
    let coach = app.booking.coach(slug)?;
    let tr = page_tr(req, Some(coach), None);
    // (D) private types are reachable only through their secret links.
    let cards = app
        .booking
        .listed_event_types(coach)
        .map(|t| EventTypeCard {
            title: t.title.clone(),
            duration: human_duration_in(&tr, t.duration),
            price: price_in(&tr, &t.price),
            seats: t.seats,
            group: t.seats > 1,
            link: format!("/book/{}/{}", enc(&coach.slug), enc(&t.slug)),
            description: t.description.clone(),
            location: t.location.as_ref().map(|l| tr.t(l.summary().0)).unwrap_or_default(),
        })
        .collect();
    let profile = super::profile::CoachProfile::of(app, coach);
    render(CoachPage { tr, coach_name: coach.display_name.clone(), profile, event_types: cards })
}
