//! The booking page as a student meets it (issue 12 §4 and §7), over real
//! HTTP: the month overview and its links, "next available" where a
//! month, week or day is empty, the zone picker without JavaScript (and
//! the zone it remembers), 12- or 24-hour times by `Accept-Language`, the
//! "add to calendar" links on the confirmation, the live list's ETag and
//! 304, and the weight of a week's page.
//!
//! The coach is `alice` in Europe/Berlin, Mon–Fri 09:00–17:00 unless a
//! test says otherwise; "now" is Monday 2026-05-04 08:00 Berlin (a
//! [`ManualClock`]); event types keep the 60-day horizon.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use slotdav::clock::ManualClock;
use slotdav::config::Config;

use crate::common::*;

const BERLIN: Tz = chrono_tz::Europe::Berlin;
const WEEKDAYS_9_TO_5: &str = r#"{ mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }"#;

/// Monday 2026-05-04 08:00 in Berlin.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, 6, 0, 0).unwrap()
}

fn berlin(mo: u32, d: u32, h: u32) -> DateTime<Utc> {
    BERLIN.with_ymd_and_hms(2026, mo, d, h, 0, 0).unwrap().with_timezone(&Utc)
}

async fn start_with(hours: &str, event_types: &str) -> TestServer {
    let text = format!(
        "[booking]\nrate_limit_per_minute = 100000\n[[coach]]\nuser = \"alice\"\ndisplay_name = \"Alice Coach\"\ntimezone = \"Europe/Berlin\"\nworking_hours = {hours}\n{event_types}"
    );
    let parsed = Config::parse(&text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"));
    TestServer::builder()
        .config(move |c| {
            c.coaches = parsed.coaches;
            c.rate_limit_per_minute = parsed.rate_limit_per_minute;
        })
        .start_with_clock(Arc::new(ManualClock::new(t0())))
        .await
}

const LESSON: &str = "[[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"60m\"\nprice = \"40 EUR\"\n";

async fn start() -> TestServer {
    start_with(WEEKDAYS_9_TO_5, LESSON).await
}

async fn get(s: &TestServer, path: &str) -> Resp {
    s.request("GET", path).send().await
}

fn json_of(r: &Resp) -> Value {
    serde_json::from_slice(&r.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.describe()))
}

/// Makes the coach busy (a plain event in her calendar) over `[from, to)`.
async fn busy(s: &TestServer, from: DateTime<Utc>, to: DateTime<Utc>) {
    s.request("MKCALENDAR", "/dav/calendars/alice/calendar/").as_user(ALICE).send().await.status_in(&[201, 403]);
    let stamp = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\nBEGIN:VEVENT\r\nUID:away-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:Away\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        stamp(from),
        stamp(to)
    );
    s.request("PUT", "/dav/calendars/alice/calendar/away.ics").as_user(ALICE).header("Content-Type", "text/calendar").body(ics).send().await.status(201);
}

/// The value of `attr="…"` right after `needle` in `html`.
fn attr_after(html: &str, needle: &str, attr: &str) -> Option<String> {
    let rest = &html[html.find(needle)?..];
    let at = rest.find(&format!("{attr}=\""))? + attr.len() + 2;
    Some(unescape(rest[at..].split('"').next()?))
}

/// An attribute's text as the browser reads it (askama writes `&` as `&#38;`).
fn unescape(v: &str) -> String {
    v.replace("&#38;", "&").replace("&amp;", "&").replace("&#34;", "\"").replace("&quot;", "\"")
}

/// The `href` of the link whose `aria-label` starts with `label`.
fn link_named(html: &str, label: &str) -> String {
    let at = html.find(&format!("aria-label=\"{label}")).unwrap_or_else(|| panic!("no link named {label}: {html}"));
    let open = html[..at].rfind("<a ").expect("a link");
    attr_after(&html[open..], "<a ", "href").unwrap()
}

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

// ---------------------------------------------------------------------------
// The month overview
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_month_marks_its_open_days_as_links_and_the_chosen_day_shows_its_times() {
    let s = start().await;
    let page = get(&s, "/book/alice/lesson?month=2026-05&tz=Europe/Berlin").await.status(200).text();
    assert!(page.contains("<h2 id=\"month-heading\">May 2026</h2>"), "{page}");
    // Weekdays from today are links named with their open times; weekends and past days are not.
    assert!(page.contains(r#"aria-label="Tuesday 5 May 2026, 8 open times">5</a>"#), "{page}");
    assert!(page.contains(r#"aria-label="Friday 29 May 2026, 8 open times">29</a>"#));
    assert!(page.contains("<span>9</span>") && !page.contains("day=2026-05-09"), "Saturday is not a link");
    assert!(!page.contains("day=2026-05-01"), "the past is not a link");
    assert_eq!(count(&page, "open times\""), 20, "every weekday from 4 to 29 May");
    // Only a month: the first open day's times, today.
    assert!(page.contains(r#"aria-current="date">4</a>"#), "{page}");
    assert!(page.contains("Open times on Monday 4 May 2026"));

    // A day's link: that day's times only, the day marked in the month.
    let link = link_named(&page, "Tuesday 5 May");
    assert!(link.starts_with("/book/alice/lesson?day=2026-05-05&tz=Europe%2FBerlin"), "{link}");
    let day = get(&s, &link).await.status(200).text();
    assert!(day.contains(r#"aria-current="date">5</a>"#));
    assert_eq!(count(&day, "name=\"start\""), 8, "09:00 to 16:00");
    assert!(day.contains(&format!("value=\"{}\"", berlin(5, 5, 9).to_rfc3339())));
    assert!(!day.contains(&format!("value=\"{}\"", berlin(5, 6, 9).to_rfc3339())), "only the chosen day");
    assert!(day.contains("All open times of this week"));

    // Months step forward to the horizon (60 days: early July), never back before this one.
    assert!(page.contains("aria-label=\"Next month\"") && !page.contains("aria-label=\"Previous month\""));
    let july = get(&s, "/book/alice/lesson?month=2026-07&tz=Europe/Berlin").await.status(200).text();
    assert!(july.contains("aria-label=\"Previous month\"") && !july.contains("aria-label=\"Next month\""), "{july}");
    // The latest start is now + 60 days: 3 July 08:00, before the working day.
    assert!(july.contains(r#"aria-label="Thursday 2 July 2026, 8 open times""#) && !july.contains("day=2026-07-03"), "{july}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_month_says_when_the_next_open_time_is_and_links_to_it() {
    let s = start().await;
    // Away from 30 May to 1 July 10:00.
    busy(&s, berlin(5, 30, 0), berlin(7, 1, 10)).await;
    let june = get(&s, "/book/alice/lesson?month=2026-06&tz=Europe/Berlin").await.status(200).text();
    assert!(june.contains("No open times in June 2026. Next available: <a href=\""), "{june}");
    let link = attr_after(&june, "Next available: <a", "href").unwrap();
    assert!(link.starts_with("/book/alice/lesson?day=2026-07-01&"), "{link}");
    assert!(june.contains(">Wed 1 Jul 10:00</a>"), "{june}");
    // The link opens that day, with its times.
    let day = get(&s, &link).await.status(200).text();
    assert!(day.contains(&format!("value=\"{}\"", berlin(7, 1, 10).to_rfc3339())), "{day}");
    assert!(!day.contains("No open times on this day"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_week_or_day_shows_next_available_with_a_link() {
    let s = start().await;
    busy(&s, berlin(5, 30, 0), berlin(7, 1, 10)).await;
    let week = get(&s, "/book/alice/lesson?week=2026-06-08&tz=Europe/Berlin").await.status(200).text();
    assert!(unescape(&week).contains("No open times this week. Next available: <a href=\"/book/alice/lesson?day=2026-07-01&tz=Europe%2FBerlin\">Wed 1 Jul 10:00</a>"), "{week}");
    let day = get(&s, "/book/alice/lesson?day=2026-06-10&tz=Europe/Berlin").await.status(200).text();
    assert!(day.contains("No open times on this day. Next available: <a href=\"/book/alice/lesson?day=2026-07-01"), "{day}");
    // A week with times says nothing of the kind.
    let open = get(&s, "/book/alice/lesson?week=2026-05-11&tz=Europe/Berlin").await.status(200).text();
    assert!(!open.contains("Next available"));
    // Past the horizon nothing is ahead, and the page says so instead of searching on.
    let far = get(&s, "/book/alice/lesson?week=2026-08-03&tz=Europe/Berlin").await.status(200).text();
    assert!(far.contains("No open times this week. Nothing is open in the coming months yet."), "{far}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_far_away_in_the_address_are_todays_week_not_a_crash() {
    let s = start().await;
    // Before: a week at chrono's last date overflowed into a 500.
    for q in ["week=+262142-12-31", "day=+262142-12-31", "month=+262142-12", "week=0001-01-01", "day=tomorrow", "month=2026-13"] {
        let page = get(&s, &format!("/book/alice/lesson?{q}&tz=Europe/Berlin")).await.status(200).text();
        assert!(page.contains("May 2026"), "{q}: {page}");
    }
}

// ---------------------------------------------------------------------------
// Zones and hours
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_zone_picker_without_javascript_changes_the_times_and_is_remembered() {
    let s = start().await;
    let week = "/book/alice/lesson?week=2026-05-11";
    let berlin_page = get(&s, &format!("{week}&tz=Europe/Berlin")).await.status(200).text();
    assert!(berlin_page.contains(">09:00</button>") && !berlin_page.contains("Alice Coach is in"));
    assert!(berlin_page.contains(r#"<input type="text" id="tz" name="tz" list="zone-list" value="Europe/Berlin""#));
    assert!(berlin_page.contains("<option>America/New_York") && berlin_page.contains("<option>Asia/Tokyo"));

    // The picker's form sends what was typed: a city is enough.
    let r = get(&s, &format!("{week}&tz=new+york")).await.status(200);
    let cookie = r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string()).find(|c| c.starts_with("slotdav_tz="));
    assert_eq!(cookie.as_deref(), Some("slotdav_tz=America%2FNew_York"));
    let ny = r.text();
    assert!(berlin_page.contains(">16:00</button>"));
    assert!(ny.contains(">03:00</button>") && ny.contains(">10:00</button>") && !ny.contains(">16:00</button>"), "09:00 Berlin is 03:00 in New York: {ny}");
    assert!(ny.contains("Times are in America/New_York. Alice Coach is in Europe/Berlin."), "{ny}");
    assert!(!ny.contains("Intl.DateTimeFormat"), "a chosen zone is not second-guessed by the browser's");

    // Remembered: the next page without `tz` opens in New York.
    let again = s.request("GET", week).header("Cookie", cookie.as_deref().unwrap()).send().await.status(200).text();
    assert!(again.contains(">03:00</button>") && !again.contains("Intl.DateTimeFormat"), "{again}");
    // Without either, the coach's zone, and the browser is asked (JavaScript on).
    let fresh = get(&s, week).await.status(200).text();
    assert!(fresh.contains(">09:00</button>") && fresh.contains("Intl.DateTimeFormat"));

    // A name that is no zone: said so, and the times stay readable.
    let bad = get(&s, &format!("{week}&tz=Atlantis%3Cb%3E")).await.status(200).text();
    assert!(bad.contains("“Atlantis&#60;b&#62;” is not a time zone we know") || bad.contains("“Atlantis&lt;b&gt;” is not a time zone we know"), "{bad}");
    assert!(bad.contains(">09:00</button>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_are_12_hour_for_american_english_and_24_hour_otherwise() {
    let s = start().await;
    let page = |lang: &'static str| {
        let s = &s;
        async move { s.request("GET", "/book/alice/lesson?week=2026-05-11&tz=Europe/Berlin").header("Accept-Language", lang).send().await.status(200).text() }
    };
    let us = page("en-US,en;q=0.9").await;
    assert!(us.contains(">9:00 AM</button>") && us.contains(">4:00 PM</button>"), "{us}");
    let de = page("de-DE,de;q=0.9,en;q=0.5").await;
    assert!(de.contains(">09:00</button>") && de.contains(">16:00</button>"));
    let gb = page("en-GB").await;
    assert!(gb.contains(">16:00</button>"));
}

// ---------------------------------------------------------------------------
// Booking through the page, and the confirmation
// ---------------------------------------------------------------------------

/// A browser's cookie jar: every `Set-Cookie` pair kept by name.
#[derive(Default)]
struct Jar(Vec<String>);

impl Jar {
    fn keep(&mut self, r: &Resp) {
        for v in r.headers.get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap().to_string();
            let name = pair.split('=').next().unwrap().to_string();
            self.0.retain(|c| !c.starts_with(&format!("{name}=")));
            self.0.push(pair);
        }
    }
    fn header(&self) -> String {
        self.0.join("; ")
    }
}

/// The hidden fields of the form around `needle`, and its action.
fn form_fields(html: &str, needle: &str) -> (String, Vec<(String, String)>) {
    let at = html.find(needle).unwrap_or_else(|| panic!("no {needle} in {html}"));
    let start = html[..at].rfind("<form").expect("a form");
    let end = at + html[at..].find("</form>").expect("form end");
    let form = &html[start..end];
    let action = attr_after(form, "<form", "action").unwrap();
    let mut fields = Vec::new();
    for input in form.split("<input type=\"hidden\"").skip(1) {
        let name = attr_after(input, "name=", "name").unwrap();
        let value = attr_after(input, "value=", "value").unwrap();
        fields.push((name, value));
    }
    (action, fields)
}

async fn post_form(s: &TestServer, path: &str, jar: &Jar, fields: &[(String, String)]) -> Resp {
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))).finish();
    s.request("POST", path).header("Cookie", &jar.header()).header("Content-Type", "application/x-www-form-urlencoded").body(body).send().await
}

/// Books `start` as a browser would: the slots page at `page`, the time's
/// button, the details form. Returns the confirmation page's address.
async fn book_on_page(s: &TestServer, page: &str, start: DateTime<Utc>) -> String {
    let done = book_on_page_in(s, page, start).await;
    let html = get(s, &done).await.text();
    assert!(html.contains("<dt>Duration</dt><dd>1 h</dd>"), "duration on the confirmation: {html}");
    done
}

/// [`book_on_page`] in any language (`page` may carry `lang=`).
async fn book_on_page_in(s: &TestServer, page: &str, start: DateTime<Utc>) -> String {
    let mut jar = Jar::default();
    let r = get(s, page).await.status(200);
    jar.keep(&r);
    let html = r.text();
    let button = format!("name=\"start\" value=\"{}\"", start.to_rfc3339());
    let (action, mut fields) = form_fields(&html, &button);
    fields.push(("start".into(), start.to_rfc3339()));
    let r = post_form(s, &action, &jar, &fields).await.status(303);
    let hold_page = r.header("location").unwrap().to_string();
    let r = s.request("GET", &hold_page).header("Cookie", &jar.header()).send().await.status(200);
    let html = r.text();
    assert!(html.contains("<dd>1 h</dd>") && html.contains("<dd>40 EUR</dd>"), "duration and price on the details step: {html}");
    let (action, mut fields) = form_fields(&html, "name=\"csrf\"");
    fields.push(("name".into(), "Dana Student".into()));
    fields.push(("email".into(), "dana@example.org".into()));
    let r = post_form(s, &action, &jar, &fields).await.status(303);
    r.header("location").unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_confirmation_links_google_and_outlook_with_the_time_in_utc() {
    let s = start().await;
    let done = book_on_page(&s, "/book/alice/lesson?week=2026-05-04&tz=Europe/Berlin", berlin(5, 5, 9)).await;
    let page = get(&s, &done).await.status(200).text();
    assert!(page.contains("You are booked"), "{page}");
    let at = page.find("https://calendar.google.com").expect("a Google Calendar link");
    let google = unescape(page[at..].split('"').next().unwrap());
    assert!(google.starts_with("https://calendar.google.com/calendar/render?action=TEMPLATE&text=Lesson%20with%20Alice%20Coach&dates=20260505T070000Z/20260505T080000Z&details=Booking%20"), "{google}");
    let at = page.find("https://outlook.live.com/calendar/0/deeplink/compose?").expect("an Outlook link");
    let outlook = unescape(page[at..].split('"').next().unwrap());
    assert!(outlook.contains("&subject=Lesson%20with%20Alice%20Coach&startdt=2026-05-05T07%3A00%3A00Z&enddt=2026-05-05T08%3A00%3A00Z&body=Booking%20"), "{outlook}");
    // The details carry the manage link, encoded so it cannot end the parameter.
    assert!(outlook.contains("%2Fbook%2Fmanage%2F"), "{outlook}");
    assert!(page.contains("/booking.ics\" download>Add to calendar (.ics)"));
    assert!(page.contains("<dt>Duration</dt><dd>1 h</dd>") && page.contains("<dt>Price</dt><dd>40 EUR</dd>"));
    // Links only: nothing on the page is loaded from another site.
    for attr in ["src=\"http", "src=\"//", "href=\"//", "<link", "@import", "url("] {
        assert!(!page.contains(attr), "{attr} on the confirmation page");
    }
    // The manage page is the same page, in the same style.
    let manage = get(&s, done.split('?').next().unwrap()).await.status(200).text();
    assert!(manage.contains("https://calendar.google.com/calendar/render?action=TEMPLATE") && manage.contains("Add to your calendar"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_types_time_can_be_picked_from_its_page() {
    let s = start_with(WEEKDAYS_9_TO_5, "[[coach.event_type]]\nslug = \"secret\"\ntitle = \"Lesson\"\nduration = \"60m\"\nprice = \"40 EUR\"\nprivate = true\n").await;
    let (key, _) = slotdav::booking::service::private_links::create_with(&*s.storage, "alice", "secret", t0(), |_| Vec::new()).unwrap();
    let page = format!("/book/alice/secret?week=2026-05-04&tz=Europe/Berlin&key={key}");
    // Before: the time buttons' form lacked the key, so picking one was a 404.
    let done = book_on_page(&s, &page, berlin(5, 5, 9)).await;
    assert!(done.contains("done=booked"), "{done}");
}

// ---------------------------------------------------------------------------
// In the student's language
// ---------------------------------------------------------------------------

/// English words of the booking page that no other language may show.
const ENGLISH: [&str; 14] = [
    "Open times",
    "open time",
    "Next available",
    "No open times",
    "Times are in",
    "Previous month",
    "Next month",
    "Add to your calendar",
    "Duration",
    "Price",
    "Just taken",
    "opens in a new tab",
    "Type a city",
    "All open times",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_month_day_zone_and_next_available_speak_german() {
    let s = start().await;
    let de = |path: String| {
        let s = &s;
        async move { s.request("GET", &path).header("Accept-Language", "de-DE,de;q=0.9").send().await.status(200).text() }
    };
    let page = de("/book/alice/lesson?month=2026-05&tz=America/New_York".into()).await;
    assert!(page.contains("<html lang=\"de\">"));
    assert!(page.contains("<h2 id=\"month-heading\">Mai 2026</h2>"), "{page}");
    assert!(page.contains(r#"<abbr title="Montag">Mo</abbr>"#), "{page}");
    assert!(page.contains(r#"aria-label="Dienstag, 5. Mai 2026, 8 freie Termine">5</a>"#), "{page}");
    assert!(page.contains("aria-label=\"Nächster Monat\""));
    assert!(page.contains("Freie Termine am Montag, 4. Mai 2026"), "{page}");
    assert!(page.contains("Die Uhrzeiten gelten für America/New_York. Alice Coach ist in Europe/Berlin."), "{page}");
    assert!(page.contains("<dt>Dauer</dt><dd>1 Std.</dd>"), "{page}");
    assert!(page.contains("data-taken=\"Gerade vergeben:\""), "the live script's words are German too");
    for english in ENGLISH {
        assert!(!page.contains(english), "English {english:?} on the German page: {page}");
    }

    busy(&s, berlin(5, 30, 0), berlin(7, 1, 10)).await;
    let june = de("/book/alice/lesson?month=2026-06&tz=Europe/Berlin".into()).await;
    assert!(june.contains("Im Juni 2026 gibt es keine freien Termine. Nächster freier Termin: <a href=\""), "{june}");
    assert!(june.contains(">Mi., 1. Jul, 10:00</a>"), "{june}");
    let week = de("/book/alice/lesson?week=2026-06-08&tz=Europe/Berlin".into()).await;
    assert!(week.contains("Diese Woche gibt es keine freien Termine. Nächster freier Termin:"), "{week}");
    let bad = de("/book/alice/lesson?week=2026-05-11&tz=Atlantis".into()).await;
    assert!(bad.contains("„Atlantis“ ist keine uns bekannte Zeitzone."), "{bad}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn french_and_spanish_pages_show_no_english_from_month_to_confirmation() {
    let s = start().await;
    for (lang, month, add) in [("fr", "mai 2026", "Ajouter à votre calendrier"), ("es", "mayo de 2026", "Añadir a su calendario")] {
        let page = s.request("GET", "/book/alice/lesson?month=2026-05&tz=America/New_York").header("Accept-Language", lang).send().await.status(200).text();
        assert!(page.contains(&format!("<h2 id=\"month-heading\">{month}</h2>")), "{lang}: {page}");
        for english in ENGLISH {
            assert!(!page.contains(english), "English {english:?} on the {lang} slots page: {page}");
        }
        let done = book_on_page_in(&s, &format!("/book/alice/lesson?week=2026-05-11&tz=Europe/Berlin&lang={lang}"), berlin(5, 12, 9 + if lang == "fr" { 0 } else { 1 })).await;
        let confirmation = s.request("GET", &done).send().await.status(200).text();
        assert!(confirmation.contains(add), "{lang}: {confirmation}");
        for english in ENGLISH {
            assert!(!confirmation.contains(english), "English {english:?} on the {lang} confirmation: {confirmation}");
        }
    }
}

// ---------------------------------------------------------------------------
// The live list
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_list_answers_304_until_another_student_takes_a_time() {
    let s = start().await;
    let page = get(&s, "/book/alice/lesson?week=2026-05-11&tz=Europe/Berlin").await.status(200).text();
    let live = attr_after(&page, "id=\"times\"", "data-live").unwrap();
    assert_eq!(live, "/book/alice/lesson/times.json?from=2026-05-11&days=7&tz=Europe%2FBerlin");
    let page_etag = attr_after(&page, "id=\"times\"", "data-etag").unwrap().replace("&quot;", "\"").replace("&#34;", "\"");

    let r = get(&s, &live).await.status(200);
    let etag = r.etag();
    assert_eq!(etag, page_etag, "the page's first poll is already a 304");
    let starts = json_of(&r)["starts"].as_array().unwrap().clone();
    assert_eq!(starts.len(), 40);
    assert_eq!(starts[0], "2026-05-11T07:00:00Z");
    assert_eq!(r.header("cache-control"), Some("private, no-cache"));

    let unchanged = s.request("GET", &live).header("If-None-Match", &etag).send().await.status(304);
    assert!(unchanged.bytes.is_empty());

    // Another student books Monday 09:00.
    let hold = json_of(
        &s.request("POST", "/api/v1/coaches/alice/event-types/lesson/holds")
            .header("Content-Type", "application/json")
            .body(json!({"start": berlin(5, 11, 9).to_rfc3339()}).to_string())
            .send()
            .await
            .status(201),
    );
    let r = s.request("GET", &live).header("If-None-Match", &etag).send().await.status(200);
    assert_ne!(r.etag(), etag);
    let now_open = json_of(&r)["starts"].as_array().unwrap().clone();
    assert_eq!(now_open.len(), 39);
    assert!(!now_open.contains(&json!("2026-05-11T07:00:00Z")));
    assert!(hold["hold_id"].is_string());

    // Bounded: a week at most, dates near today.
    get(&s, "/book/alice/lesson/times.json?from=2026-05-11&days=8").await.status(400);
    get(&s, "/book/alice/lesson/times.json?from=2026-05-11&days=x").await.status(400);
    get(&s, "/book/alice/lesson/times.json?from=+262142-01-01").await.status(400);
    get(&s, "/book/alice/lesson/times.json").await.status(400);
    get(&s, "/book/alice/nothing/times.json?from=2026-05-11").await.status(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_script_is_first_party_and_small() {
    let s = start().await;
    let page = get(&s, "/book/alice/lesson?week=2026-05-11&tz=Europe/Berlin").await.status(200).text();
    assert!(page.contains("If-None-Match") && page.contains("document.hidden"), "the live script polls politely");
    for part in page.split("<script").skip(1) {
        let tag = part.split('>').next().unwrap();
        assert!(!tag.contains("src=") || tag.contains("src=\"/static/"), "only first-party scripts: {tag}");
    }
}

// ---------------------------------------------------------------------------
// Fast (§7)
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_with_50_open_times_weighs_under_40_kb_with_its_css() {
    // Mon–Fri 09:00–19:00, one-hour lessons: ten a day, fifty a week.
    let hours = r#"{ mon = ["09:00-19:00"], tue = ["09:00-19:00"], wed = ["09:00-19:00"], thu = ["09:00-19:00"], fri = ["09:00-19:00"] }"#;
    let s = start_with(hours, LESSON).await;
    // Every language (American English has the longer 12-hour labels).
    for lang in ["en-US", "en", "de", "fr", "es"] {
        let r = s.request("GET", "/book/alice/lesson?week=2026-05-11&tz=America/New_York").header("Accept-Language", lang).send().await.status(200);
        let html = r.text();
        assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{lang}: {html}");
        assert_eq!(count(&html, "name=\"start\""), 50, "{lang}: {html}");
        let mut total = r.bytes.len();
        // Any stylesheet the page links counts too.
        for part in html.split("<link").skip(1) {
            if part.contains("stylesheet") {
                let href = attr_after(part, "href=", "href").unwrap();
                total += get(&s, &href).await.status(200).bytes.len();
            }
        }
        assert!(total < 40 * 1024, "{lang}: the page and its CSS are {total} bytes");
    }
}
