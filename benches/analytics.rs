//! How long a coach's analytics take with 10,000 bookings: two years of
//! booking records (students returning, free intros and paid lessons,
//! cancellations by both sides, no-shows), each with its index entries and
//! its VEVENT in the coach's sessions calendar, in a real sled store; then
//! `analytics::for_coaches` over the default 12 weeks and over two years,
//! through the booking service (every record read and decoded, and the
//! coach's availability and busy time computed as for slots), 20 times.
//!
//! Run with `cargo bench --bench analytics` (on a shared machine,
//! `cargo bench --profile dev --bench analytics` reuses the debug build;
//! its figures are slower than release). Prints figures; asserts nothing
//! about time.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use slotdav::analytics::{self, Period};
use slotdav::app::App;
use slotdav::booking::{Actor, Attendance, Booking, BookingStatus, Cancellation, Outcome};
use slotdav::clock::ManualClock;
use slotdav::config::Config;
use slotdav::ical::CalendarObject;
use slotdav::model::TimeRange;
use slotdav::storage::table::{encode, time_key};
use slotdav::storage::{CalendarWrite, RecordBatch, RecordKey, ResourceWrite, SledStorage, Storage, StorePath, User, WriteCondition};

const BOOKINGS: usize = 10_000;
const RUNS: usize = 20;

const COACH: &str = r#"
[[coach]]
user = "alice"
timezone = "Europe/Berlin"
working_hours = { mon = ["08:00-20:00"], tue = ["08:00-20:00"], wed = ["08:00-20:00"], thu = ["08:00-20:00"], fri = ["08:00-20:00"], sat = ["09:00-13:00"] }

[[coach.event_type]]
slug = "intro"
title = "Intro"
duration = "30m"
price = "free"

[[coach.event_type]]
slug = "lesson"
title = "Lesson"
duration = "45m"
price = "€40"
"#;

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Booking `i`: a session somewhere in the two years before `now`
/// (plus a few weeks ahead), booked 1–30 days before it.
fn booking(i: usize, rng: &mut StdRng, now: DateTime<Utc>) -> Booking {
    let day = rng.gen_range(-730i64..21);
    let start = (now + Duration::days(day)).date_naive().and_hms_opt(rng.gen_range(7..18), [0, 15, 30, 45][rng.gen_range(0..4)], 0).unwrap().and_utc();
    let student = rng.gen_range(0..1500);
    let intro = i % 7 == 0;
    let created_at = start - Duration::days(rng.gen_range(1..30)) - Duration::minutes(rng.gen_range(0..600));
    let mut outcome = Outcome::default();
    let mut status = BookingStatus::Confirmed;
    match i % 20 {
        0 | 1 => {
            status = BookingStatus::Cancelled;
            let by = if i % 40 == 0 { Actor::CoachCalendar { coach: "alice".into() } } else { Actor::Student { email: format!("s{student}@example.org") } };
            outcome.cancelled = Some(Cancellation { at: start - Duration::hours(rng.gen_range(1..72)), by, late: i % 3 == 0 });
        }
        2 => outcome.attendance = Some(Attendance::NoShow),
        3..=9 if start < now => outcome.attendance = Some(Attendance::Attended),
        _ => {}
    }
    Booking {
        id: format!("bench{i:06}"),
        reference: format!("REF-{i:05}"),
        coach: "alice".into(),
        event_type: if intro { "intro" } else { "lesson" }.into(),
        range: TimeRange::new(start, start + Duration::minutes(if intro { 30 } else { 45 })),
        student_name: format!("Student {student}"),
        student_email: if i % 2 == 0 { format!("S{student}@Example.org") } else { format!("s{student}@example.org") },
        student_note: None,
        status,
        uid: format!("bench{i:06}@slotdav"),
        sequence: 0,
        created_at,
        price: if intro { "free" } else { "€40" }.into(),
        cancel_deadline: None,
        outcome,
        locale: "en".into(),
        guardian: None,
    }
}

/// The records the booking service keeps for a booking (layouts pinned in
/// `booking::service::records`; the analytics facts are made from them
/// when the service starts, as for a store written before facts were
/// kept), and its VEVENT.
fn store(storage: &dyn Storage, calendar: &StorePath, b: &Booking, now: DateTime<Utc>) {
    let records = vec![
        (RecordKey::new("booking", b.id.clone()), Some(encode(b))),
        (RecordKey::new("booking-uid", format!("alice/{}", b.uid)), Some(b.id.as_bytes().to_vec())),
        (RecordKey::new("coach-booking", format!("alice/{}/{}", time_key(b.range.start), b.id)), Some(b.id.as_bytes().to_vec())),
    ];
    storage.apply(RecordBatch { records, object: None }, now).expect("records");
    let status = if b.status == BookingStatus::Cancelled { "CANCELLED" } else { "CONFIRMED" };
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav bench//EN\r\nBEGIN:VEVENT\r\nUID:{}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{}\r\nDTEND:{}\r\nSTATUS:{status}\r\nSUMMARY:Session\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        b.uid,
        stamp(b.range.start),
        stamp(b.range.end)
    );
    let node = storage.node(calendar).unwrap().expect("calendar exists");
    let horizon = DateTime::from_timestamp(node.collection().unwrap().horizon, 0).unwrap_or(DateTime::<Utc>::MAX_UTC);
    let object = CalendarObject::parse(ics.as_bytes()).expect("valid event");
    let write = ResourceWrite {
        bytes: ics.into_bytes(),
        content_type: "text/calendar; charset=utf-8".into(),
        calendar: Some(CalendarWrite { uid: b.uid.clone(), kind: object.kind(), index: object.index_entry(horizon) }),
    };
    storage.put_resource(&calendar.child(&format!("{}.ics", b.id)), write, &WriteCondition::default(), now).expect("put");
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let now = Utc.with_ymd_and_hms(2026, 5, 4, 6, 0, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let storage: Arc<dyn Storage> = Arc::new(SledStorage::open(dir.path(), false, None).unwrap());
    storage.put_user(&User { name: "alice".into(), password_hash: "not-used".into(), email: None, created: now }).unwrap();
    let mut config = Config::parse(COACH, Path::new("bench.toml")).unwrap();
    config.data_dir = dir.path().to_path_buf();
    let sessions = StorePath::home("alice").child("sessions");
    slotdav::provision::home(&*storage, "alice", now).unwrap();
    slotdav::provision::calendar(&*storage, &sessions, "Sessions", vec![slotdav::ical::ComponentKind::Event], now).unwrap();
    let mut rng = StdRng::seed_from_u64(20260504);
    let loading = Instant::now();
    for i in 0..BOOKINGS {
        store(storage.as_ref(), &sessions, &booking(i, &mut rng, now), now);
    }
    storage.flush().unwrap();
    println!("stored {BOOKINGS} bookings in {:.1} s", loading.elapsed().as_secs_f64());
    let starting = Instant::now();
    let app = App::new(storage.clone(), config, Arc::new(ManualClock::new(now))).expect("app");
    println!("service start, writing the analytics facts of {BOOKINGS} bookings once: {:.0} ms", ms(starting.elapsed()));
    let coach = app.booking.coach("alice").unwrap();
    let today = now.date_naive();
    for (name, period) in [("12_weeks", Period::last_weeks(today)), ("2_years", Period::new(today - Duration::days(730), today).unwrap())] {
        let first = analytics::for_coaches(&app.booking, &[coach], period).expect("report");
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let t = Instant::now();
            let report = analytics::for_coaches(&app.booking, &[coach], period).expect("report");
            times.push(t.elapsed());
            assert_eq!(report, first);
        }
        times.sort();
        let p = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
        println!(
            "analytics_{name}_10k_bookings: min {:.2} ms, median {:.2} ms, max {:.2} ms ({} weeks, {} held, {} students; {RUNS} runs)",
            ms(times[0]),
            ms(p(0.5)),
            ms(times[times.len() - 1]),
            first.weeks.len(),
            first.totals.held,
            first.students.len()
        );
    }
}
