//! Issue 12 §5, in the student's language, over real HTTP: the browser's
//! `Accept-Language` (where the coach allows it), `?lang=` remembered in a
//! cookie, the coach's own `language`, dates and times as the locale
//! writes them, error pages, and a German booking's German mail at a real
//! SMTP sink (the sink of `tests/it/mail.rs`).

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

use slotdav::clock::{Clock, ManualClock};
use slotdav::config::Config;
use slotdav::mail::MailTransport;

use crate::common::*;
use crate::mail::Sink;

const COACH_EMAIL: &str = "alice@coach.example";

fn coach_toml(extra: &str) -> String {
    format!(
        "[[coach]]\nuser = \"alice\"\ndisplay_name = \"Alice Coach\"\ntimezone = \"Europe/Berlin\"\n{extra}\
working_hours = {{ mon = [\"13:00-16:00\"], tue = [\"13:00-16:00\"], wed = [\"09:00-16:00\"], thu = [\"13:00-16:00\"], fri = [\"13:00-16:00\"] }}\n\
[[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"1h\"\nprice = \"€40\"\n"
    )
}

/// Monday 4 March 2030, 09:00 in Berlin.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 8, 0, 0).unwrap()
}

async fn start(extra: &str, smtp_port: Option<u16>) -> TestServer {
    let coaches = Config::parse(&coach_toml(extra), std::path::Path::new("test.toml")).expect("coach config").coaches;
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(t0()));
    TestServer::builder()
        .user_with_email(ALICE, ALICE_PW, COACH_EMAIL)
        .config(move |c| {
            c.coaches = coaches;
            if let Some(port) = smtp_port {
                c.mail.transport = MailTransport::Smtp;
                c.mail.smtp_host = "127.0.0.1".into();
                c.mail.smtp_port = port;
                c.mail.smtp_timeout = std::time::Duration::from_secs(5);
            }
        })
        .start_with_clock(clock)
        .await
}

const WEEK: &str = "/book/alice/lesson?week=2030-03-04&tz=Europe%2FBerlin";

async fn get(s: &TestServer, path: &str, headers: &[(&str, &str)]) -> Resp {
    let mut req = s.request("GET", path);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    req.send().await
}

/// Every `Set-Cookie` of a response, as `name=value`.
fn cookies(r: &Resp) -> Vec<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|c| c.split(';').next().unwrap_or("").to_string())
        .collect()
}

fn set_cookie_line<'a>(r: &'a Resp, name: &str) -> Option<&'a str> {
    r.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|c| c.starts_with(&format!("{name}=")))
}

#[tokio::test]
async fn accept_language_de_gives_a_german_slot_page_with_24_hour_times() {
    let s = start("", None).await;
    let page = get(&s, WEEK, &[("Accept-Language", "de-DE,de;q=0.9,en;q=0.5")]).await.status(200);
    let page = page
        .contains("<html lang=\"de\">")
        .contains(">14:00</button>")
        .contains("Mo., 4. Mär")
        .contains("Nächste Woche")
        .contains("1 Std.")
        .contains("Zum Inhalt springen")
        .lacks(" PM<")
        .lacks("Next week");
    assert!(page.text().contains("aria-current=\"true\"><strong>Deutsch</strong>"), "the switch marks German: {}", page.text());

    // US English: 12-hour times, month first.
    let page = get(&s, WEEK, &[("Accept-Language", "en-US,en;q=0.9")]).await.status(200);
    page.contains("<html lang=\"en-US\">").contains(">2:00 PM</button>").contains("Mon, Mar 4").contains("Next week");

    // No preference: the coach's language (English by default), 24-hour as before.
    get(&s, WEEK, &[]).await.status(200).contains("<html lang=\"en\">").contains(">14:00</button>").contains("Mon 4 Mar");
    // A language we do not speak falls back the same way.
    get(&s, WEEK, &[("Accept-Language", "it, nl;q=0.8")]).await.status(200).contains("<html lang=\"en\">");
}

#[tokio::test]
async fn lang_fr_switches_and_the_cookie_keeps_it_on_the_next_page() {
    let s = start("", None).await;
    let coach = get(&s, "/book/alice?lang=fr", &[("Accept-Language", "de")]).await.status(200);
    let line = set_cookie_line(&coach, "slotdav_lang").unwrap_or_else(|| panic!("no language cookie: {}", coach.describe())).to_string();
    assert!(line.starts_with("slotdav_lang=fr;") && line.contains("SameSite=Lax") && line.contains("Path=/"), "{line}");
    let coach = coach.contains("<html lang=\"fr\">").contains("Réserver une séance avec Alice Coach").contains("Voir les créneaux libres");
    // The switch: plain links to the same page in each language.
    for (tag, name) in [("en", "English"), ("de", "Deutsch"), ("es", "Español")] {
        assert!(coach.text().contains(&format!("href=\"?lang={tag}\" hreflang=\"{tag}\" lang=\"{tag}\">{name}</a>")), "{tag}: {}", coach.text());
    }

    // The next page, with the cookie (and a German browser), stays French.
    let cookie = cookies(&coach).into_iter().find(|c| c.starts_with("slotdav_lang=")).unwrap();
    let week = get(&s, WEEK, &[("Cookie", &cookie), ("Accept-Language", "de")]).await.status(200);
    let week = week.contains("<html lang=\"fr\">").contains("Semaine suivante").contains("lun. 4 mars").contains(">14:00</button>");
    assert!(set_cookie_line(&week, "slotdav_lang").is_none(), "only a ?lang= sets the cookie");
    // The switch keeps the page's other parameters.
    week.contains("href=\"?tz=Europe%2FBerlin&#38;week=2030-03-04&#38;lang=es\"");

    // Every student-facing page takes ?lang=: the front page and the connect page too.
    get(&s, "/?lang=es", &[]).await.status(200).contains("<html lang=\"es\">").contains("Su propio calendario");
    get(&s, "/connect", &[("Cookie", "slotdav_lang=de")]).await.status(200).contains("<html lang=\"de\">").contains("Kalender verbinden");
    // A bad ?lang= is no choice: neither an error nor a cookie.
    let bad = get(&s, "/book/alice?lang=xx", &[]).await.status(200).contains("<html lang=\"en\">");
    assert!(set_cookie_line(&bad, "slotdav_lang").is_none());
}

#[tokio::test]
async fn a_coach_with_browser_language_false_stays_in_their_language() {
    let s = start("language = \"es\"\nbrowser_language = false\n", None).await;
    get(&s, "/book/alice", &[("Accept-Language", "de")]).await.status(200).contains("<html lang=\"es\">").contains("Reservar una sesión con Alice Coach");
    get(&s, WEEK, &[("Accept-Language", "de, fr;q=0.9")]).await.status(200).contains("<html lang=\"es\">").contains("Semana siguiente").contains("lun 4 mar");
    // The student's own choice still wins.
    get(&s, "/book/alice?lang=de", &[("Accept-Language", "fr")]).await.status(200).contains("<html lang=\"de\">");
    // Its error pages too: an unknown event type of this coach, in Spanish.
    get(&s, "/book/alice/nothing", &[("Accept-Language", "de")]).await.status(404).contains("<html lang=\"es\">").contains("No disponible");
}

#[tokio::test]
async fn error_pages_speak_the_browsers_language() {
    let s = start("", None).await;
    get(&s, "/book/nobody", &[("Accept-Language", "de")]).await.status(404).contains("<html lang=\"de\">").contains("Coach nicht gefunden");
    get(&s, "/book/manage/not-a-token", &[("Accept-Language", "fr")]).await.status(404).contains("Réservation introuvable");
    get(&s, "/book/nobody", &[]).await.status(404).contains("<html lang=\"en\">").contains("Coach not found");
}

/// The whole flow with a German browser: the pages, then the mail at a
/// real SMTP sink and the invitation's calendar texts, all German; the
/// coach's own notice stays English.
#[tokio::test]
async fn a_german_booking_produces_a_german_invitation_mail() {
    let sink = Sink::start().await;
    let s = start("", Some(sink.port())).await;
    let de = ("Accept-Language", "de");
    let week = get(&s, WEEK, &[de]).await.status(200);
    let csrf_cookie = cookies(&week).into_iter().find(|c| c.starts_with("slotdav_csrf=")).expect("csrf cookie");
    let csrf = week.text().split("name=\"csrf\" value=\"").nth(1).and_then(|t| t.split('"').next()).unwrap().to_string();
    // Wednesday 6 March 2030, 10:00 in Berlin.
    let start = Utc.with_ymd_and_hms(2030, 3, 6, 9, 0, 0).unwrap().to_rfc3339();
    let form = |fields: &[(&str, &str)]| {
        let mut f = form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            f.append_pair(k, v);
        }
        f.finish()
    };
    let post = |path: String, body: String| {
        s.request("POST", &path)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Cookie", &csrf_cookie)
            .header("Accept-Language", "de")
            .body(body)
            .send()
    };
    let held = post("/book/alice/lesson/hold".into(), form(&[("csrf", &csrf), ("start", &start), ("tz", "Europe/Berlin")])).await.status(303);
    let hold_path = held.header("location").unwrap().to_string();
    let hold = get(&s, &hold_path, &[de, ("Cookie", &csrf_cookie)]).await.status(200);
    hold.contains("<html lang=\"de\">").contains("Ihre Angaben").contains("Mittwoch, 6. März 2030, 10:00 – 11:00").contains("Verbindlich buchen");
    let action = hold_path.split('?').next().unwrap().to_string();
    let booked = post(action, form(&[("csrf", &csrf), ("tz", "Europe/Berlin"), ("name", "Ben Schüler"), ("email", "ben@example.org"), ("note", "")])).await.status(303);
    let manage = booked.header("location").unwrap().to_string();
    // The manage page (a link from the mail: no browser preference) speaks the booking's language.
    get(&s, &manage, &[]).await.status(200).contains("<html lang=\"de\">").contains("Sie sind gebucht").contains("Bestätigt");

    let report = s.app.outbox.run_due().await.expect("outbox run");
    assert_eq!(report.sent, 2, "{report:?}");
    let student = sink.to("ben@example.org");
    assert_eq!(student.len(), 1);
    let m = &student[0];
    assert_eq!(m.subject(), "Gebucht: Lesson mit Alice Coach, Mi., 6. Mär 2030, 10:00");
    let text = m.all().into_iter().find(|p| p.body.contains("Hallo Ben")).map(|p| p.body.clone()).expect("a text part");
    assert!(text.contains("Hallo Ben Schüler,") && text.contains("Ihr Termin ist gebucht."), "{text}");
    assert!(text.contains("Wann: Mittwoch, 6. März 2030, 10:00–11:00 (Europe/Berlin)"), "{text}");
    assert!(text.contains("Buchungsnummer: ") && text.contains("Verschieben oder stornieren: "), "{text}");
    let (method, calendar) = m.calendar().expect("the invitation");
    assert_eq!(method.to_ascii_uppercase(), "REQUEST");
    let ics = calendar.raw().replace("\r\n ", "");
    assert!(ics.contains("Verwalten: ") && ics.contains("Buchung "), "{ics}");

    let coach = sink.to(COACH_EMAIL);
    assert_eq!(coach.len(), 1);
    assert!(coach[0].subject().starts_with("New booking: Lesson with Ben Schüler"), "the coach's mail stays English: {}", coach[0].subject());
}

/// The JSON API books in the language it is told (else the coach's); the
/// booking's manage page then speaks it.
#[tokio::test]
async fn the_api_books_in_the_language_it_names() {
    let s = start("language = \"de\"\n", None).await;
    let wed = |h: u32| Utc.with_ymd_and_hms(2030, 3, 6, h - 1, 0, 0).unwrap().to_rfc3339();
    let post = |path: String, body: String| s.request("POST", &path).header("Content-Type", "application/json").body(body).send();
    let hold = |h: u32| post("/api/v1/coaches/alice/event-types/lesson/holds".into(), format!("{{\"start\": \"{}\"}}", wed(h)));
    let hold_id = |r: &Resp| serde_json::from_slice::<serde_json::Value>(&r.bytes).unwrap()["hold_id"].as_str().unwrap().to_string();
    let token = |r: &Resp| serde_json::from_slice::<serde_json::Value>(&r.bytes).unwrap()["manage_token"].as_str().unwrap().to_string();

    let h = hold_id(&hold(10).await.status(201));
    let body = r#"{"name": "Ana", "email": "ana@example.org", "language": "fr"}"#.to_string();
    let booked = post(format!("/api/v1/holds/{h}/confirm"), body).await.status(201);
    get(&s, &format!("/book/manage/{}", token(&booked)), &[]).await.status(200).contains("<html lang=\"fr\">").contains("Votre réservation");

    let h = hold_id(&hold(12).await.status(201));
    let bad = r#"{"name": "Ana", "email": "ana@example.org", "language": "tlh"}"#.to_string();
    post(format!("/api/v1/holds/{h}/confirm"), bad).await.status(400).contains("tlh");
    let body = r#"{"name": "Ana", "email": "ana@example.org"}"#.to_string();
    let booked = post(format!("/api/v1/holds/{h}/confirm"), body).await.status(201);
    get(&s, &format!("/book/manage/{}", token(&booked)), &[]).await.status(200).contains("<html lang=\"de\">").contains("Ihre Buchung");
}
