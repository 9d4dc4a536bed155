//! How long slot listing takes for a busy coach: 10,000 events spread over
//! the coach's calendars (single, weekly with EXDATE, all-day,
//! transparent), stored through `SledStorage` the way a CalDAV PUT stores
//! them, then `BookingService::slots` over a 60-day horizon, 50 times.
//!
//! Run with `cargo bench --bench slots`. Prints figures; asserts nothing
//! about time.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use slotdav::app::App;
use slotdav::clock::ManualClock;
use slotdav::config::Config;
use slotdav::ical::CalendarObject;
use slotdav::model::TimeRange;
use slotdav::storage::{CalendarWrite, ResourceWrite, SledStorage, Storage, StorePath, User, WriteCondition};

const EVENTS: usize = 10_000;
const RUNS: usize = 50;

const COACH: &str = r#"
[[coach]]
user = "alice"
timezone = "Europe/Berlin"
working_hours = { mon = ["09:00-12:00", "13:00-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"], thu = ["09:00-18:00"], fri = ["09:00-15:00"] }

[[coach.event_type]]
slug = "lesson"
title = "Lesson"
duration = "45m"
slot_interval = "15m"
buffer_after = "10m"
horizon = "60d"
"#;

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// One event: kind chosen by `i`, time by `rng`, somewhere in four years of
/// history and one year ahead (a coach who has used their calendar a while).
fn event(i: usize, rng: &mut StdRng, now: DateTime<Utc>) -> String {
    let day = rng.gen_range(-4 * 365i64..365);
    let start = (now + Duration::days(day)).date_naive().and_hms_opt(rng.gen_range(6..21), [0, 15, 30, 45][rng.gen_range(0..4)], 0).unwrap().and_utc();
    let len = Duration::minutes([30, 45, 60, 90, 120][rng.gen_range(0..5)]);
    let timed = |extra: &str| format!("DTSTART:{}\r\nDTEND:{}\r\n{extra}", stamp(start), stamp(start + len));
    let body = match i % 100 {
        // weekly series skipping their 3rd week; one in a thousand never ends
        0..=3 => {
            let end = if i.is_multiple_of(1000) { String::new() } else { ";COUNT=8".to_string() };
            timed(&format!("RRULE:FREQ=WEEKLY{end}\r\nEXDATE:{}\r\nSUMMARY:Weekly {i}\r\n", stamp(start + Duration::weeks(2))))
        }
        4..=5 => {
            let d = start.date_naive();
            format!(
                "DTSTART;VALUE=DATE:{}\r\nDTEND;VALUE=DATE:{}\r\nSUMMARY:Day off {i}\r\n",
                d.format("%Y%m%d"),
                (d + Duration::days(rng.gen_range(1..3))).format("%Y%m%d")
            )
        }
        6..=15 => timed(&format!("TRANSP:TRANSPARENT\r\nSUMMARY:Reminder {i}\r\n")),
        _ => timed(&format!("SUMMARY:Meeting {i}\r\n")),
    };
    vcalendar(&format!("bench-{i}@example.org"), &body)
}

fn vcalendar(uid: &str, body: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav bench//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n{body}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn put(storage: &dyn Storage, calendar: &StorePath, name: &str, ics: &str, now: DateTime<Utc>) {
    let node = storage.node(calendar).unwrap().expect("calendar exists");
    let horizon = DateTime::from_timestamp(node.collection().unwrap().horizon, 0).unwrap_or(DateTime::<Utc>::MAX_UTC);
    let object = CalendarObject::parse(ics.as_bytes()).expect("valid event");
    let write = ResourceWrite {
        bytes: ics.as_bytes().to_vec(),
        content_type: "text/calendar; charset=utf-8".into(),
        calendar: Some(CalendarWrite { uid: object.uid().to_string(), kind: object.kind(), index: object.index_entry(horizon) }),
    };
    storage.put_resource(&calendar.child(name), write, &WriteCondition::default(), now).expect("put");
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let now = Utc.with_ymd_and_hms(2026, 5, 4, 6, 0, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let storage: Arc<dyn Storage> = Arc::new(SledStorage::open(dir.path(), true, None).unwrap());
    storage
        .put_user(&User { name: "alice".into(), password_hash: "not-used".into(), email: None, created: now })
        .unwrap();
    let mut config = Config::parse(COACH, Path::new("bench.toml")).unwrap();
    config.data_dir = dir.path().to_path_buf();
    let clock = Arc::new(ManualClock::new(now));
    let app = App::new(storage.clone(), config, clock).expect("app");

    let home = StorePath::home("alice");
    let calendars = ["calendar", "work", "family"];
    for c in calendars {
        // A new coach's home already has `calendar`.
        match storage.create_collection(&home.child(c), true, vec![slotdav::ical::ComponentKind::Event], vec![], now) {
            Ok(_) | Err(slotdav::storage::StorageError::AlreadyExists) => {}
            Err(e) => panic!("{e}"),
        }
    }
    let mut rng = StdRng::seed_from_u64(20260504);
    let loading = Instant::now();
    // Saturday mornings are bookable through the availability calendar
    // (working hours do not cover them), except one.
    let saturdays = vcalendar(
        "saturdays@example.org",
        "DTSTART:20240106T090000Z\r\nDTEND:20240106T130000Z\r\nRRULE:FREQ=WEEKLY\r\nEXDATE:20260516T090000Z\r\nSUMMARY:Open\r\n",
    );
    put(storage.as_ref(), &home.child("availability"), "saturdays.ics", &saturdays, now);
    for i in 1..EVENTS {
        let ics = event(i, &mut rng, now);
        put(storage.as_ref(), &home.child(calendars[i % calendars.len()]), &format!("e{i}.ics"), &ics, now);
    }
    storage.flush().unwrap();
    println!("stored {EVENTS} events in {:.1} s", loading.elapsed().as_secs_f64());

    let range = TimeRange::new(now, now + Duration::days(60));
    let first = Instant::now();
    let n = app.booking.slots("alice", "lesson", range).expect("slots").len();
    println!("first call (extends the index horizon): {:.1} ms", ms(first.elapsed()));
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let slots = app.booking.slots("alice", "lesson", range).expect("slots");
        times.push(t.elapsed());
        assert_eq!(slots.len(), n);
    }
    times.sort();
    let p = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "slots_60d_10k_events: min {:.2} ms, median {:.2} ms, p99 {:.2} ms, max {:.2} ms, {n} slots ({RUNS} runs)",
        ms(times[0]),
        ms(p(0.5)),
        ms(p(0.99)),
        ms(times[times.len() - 1])
    );
}
