//! `GET /book/{coach}/{type}?week=&tz=&reschedule=&key=`: one week of open
//! slots in the student's zone, with links to the weeks around it; with
//! `reschedule`, the slots a booking may move to; `key` is a private event
//! type's secret link token (a wrong one: the same 404 as no such type).
//!
//! May import: `app`, `booking`, `model`, the page models,
//! [`super::format`], [`super::request`], [`super::respond`].

use chrono::{Duration, NaiveDate};
use hyper::Response;

use crate::app::App;
use crate::http::Body;
use crate::model::TimeRange;

use super::errors::PageError;
use super::format::{human_duration_in, local_midnight, price_in, week_start, zone};
use super::locale::page_tr;
use crate::i18n::dates;
use super::pages::{DayRow, FullSlot, SlotButton, SlotsPage, ZoneOption};
use super::request::PageRequest;
use super::respond::{enc, render, with_csrf};

pub fn slots_page(app: &App, req: &PageRequest, coach_slug: &str, type_slug: &str) -> Result<Response<Body>, PageError> {
    let svc = &app.booking;
    let coach = svc.coach(coach_slug)?;
    let tz = zone(req.query.get("tz"), coach.policy.tz);
    let reschedule = match req.query.get("reschedule") {
        Some(token) => Some((token.clone(), svc.booking(token)?)),
        None => None,
    };
    // (D) A private type needs its secret link's key, or a booking of it being moved.
    let key = req.query.get("key").cloned();
    let et = match &reschedule {
        Some((_, b)) if b.coach == coach.user && b.event_type == type_slug => svc.event_type(coach, type_slug)?,
        _ => svc.visible_event_type(coach, type_slug, key.as_deref())?,
    };
    let key = key.filter(|_| et.private);
    let tr = page_tr(req, Some(coach), reschedule.as_ref().map(|(_, b)| crate::i18n::Locale::from_stored(&b.locale)));
    let loc = tr.locale;
    let monday = week_start(req.query.get("week"), tz, svc.now());
    let range = TimeRange::new(local_midnight(tz, monday), local_midnight(tz, monday + Duration::days(7)));
    let slots = svc.slots(coach_slug, type_slug, range)?;
    let mut days: Vec<DayRow> = (0..7)
        .map(|i| DayRow { label: dates::day(loc, monday + Duration::days(i)), slots: Vec::new() })
        .collect();
    for slot in slots {
        let local = slot.range.start.with_timezone(&tz);
        let idx = (local.date_naive() - monday).num_days();
        if let Some(day) = usize::try_from(idx).ok().and_then(|i| days.get_mut(i)) {
            day.slots.push(SlotButton {
                start: slot.range.start.to_rfc3339(),
                label: dates::time(loc, &local),
                seats_note: if et.seats > 1 { tr.t_args("slots-seats-left", &[("left", slot.seats_left.into()), ("seats", et.seats.into())]) } else { String::new() },
            });
        }
    }
    let base = format!("/book/{}/{}", enc(&coach.slug), enc(&et.slug));
    let mut extra = reschedule.as_ref().map(|(t, _)| format!("&reschedule={}", enc(t))).unwrap_or_default();
    if let Some(k) = &key {
        extra.push_str(&format!("&key={}", enc(k)));
    }
    let link = |d: NaiveDate| format!("{base}?week={}&tz={}{extra}", d.format("%Y-%m-%d"), enc(tz.name()));
    // Full sessions take a waitlist (not while rescheduling).
    let full_slots: Vec<FullSlot> = if reschedule.is_some() {
        Vec::new()
    } else {
        svc.full_slots(coach_slug, type_slug, range)?
            .into_iter()
            .map(|r| FullSlot { start: r.start.to_rfc3339(), label: dates::day_time(loc, &r.start.with_timezone(&tz)) })
            .collect()
    };
    let (csrf, fresh) = req.csrf();
    let page = SlotsPage {
        profile: super::profile::CoachProfile::of(app, coach),
        about: super::profile::EventAbout::of(et),
        tr: tr.clone(),
        title: et.title.clone(),
        coach_name: coach.display_name.clone(),
        coach_link: format!("/book/{}", enc(&coach.slug)),
        duration: human_duration_in(&tr, et.duration),
        price: price_in(&tr, &et.price),
        tz: tz.name().to_string(),
        has_tz_param: req.query.contains_key("tz"),
        zones: chrono_tz::TZ_VARIANTS.iter().map(|z| ZoneOption { name: z.name(), selected: *z == tz }).collect(),
        week: monday.format("%Y-%m-%d").to_string(),
        week_label: dates::week(loc, monday, monday + Duration::days(6)),
        // No way back into weeks that are over.
        prev_link: (monday > week_start(None, tz, svc.now())).then(|| link(monday - Duration::days(7))),
        next_link: link(monday + Duration::days(7)),
        days,
        hold_action: format!("{base}/hold"),
        full_slots,
        waitlist_action: format!("{base}/waitlist"),
        csrf: csrf.clone(),
        rescheduling: reschedule.is_some(),
        reschedule_reference: reschedule.as_ref().map(|(_, b)| b.reference.clone()).unwrap_or_default(),
        reschedule_token: reschedule.map(|(t, _)| t),
        private_key: key,
    };
    Ok(with_csrf(render(page)?, &csrf, fresh))
}
