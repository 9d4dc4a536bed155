use super::*;
use crate::booking::holds::tests::booking;
use crate::booking::{Actor, Booking, BookingStatus, Cancellation};
use chrono::TimeZone;
use chrono_tz::Europe::Berlin;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Two weeks in May 2026: Monday 4th to Sunday 17th.
fn may() -> Period {
    Period::new(date(2026, 5, 4), date(2026, 5, 17)).unwrap()
}

/// A one-hour session at `start`, booked at `created` by `email`.
fn session(id: &str, start: DateTime<Utc>, created: DateTime<Utc>, email: &str, price: &str) -> Booking {
    let mut b = booking(id, "lesson", TimeRange::new(start, start + Duration::hours(1)), email);
    b.coach = "anna".into();
    b.created_at = created;
    b.price = price.into();
    b
}

fn cancelled(mut b: Booking, at: DateTime<Utc>, by: Actor, late: bool) -> Booking {
    b.status = BookingStatus::Cancelled;
    b.outcome.cancelled = Some(Cancellation { at, by, late });
    b
}

fn facts(bookings: &[Booking]) -> Vec<BookingFact> {
    bookings.iter().map(BookingFact::of).collect()
}

fn run(bookings: &[Booking], open: &[TimeRange]) -> Report {
    compute(may(), &[CoachData { coach: "anna", tz: Berlin, bookings: &facts(bookings), open }])
}

#[test]
fn booked_by_creation_and_held_by_start() {
    let r = run(
        &[
            session("a", utc(2026, 5, 12, 8, 0), utc(2026, 5, 5, 8, 0), "a@x.org", ""),
            // booked before the period, held in it
            session("b", utc(2026, 5, 6, 8, 0), utc(2026, 4, 20, 8, 0), "b@x.org", ""),
            // booked in it, held after it
            session("c", utc(2026, 6, 1, 8, 0), utc(2026, 5, 14, 8, 0), "c@x.org", ""),
        ],
        &[],
    );
    assert_eq!(r.weeks.len(), 2);
    assert_eq!((r.weeks[0].1.booked, r.weeks[0].1.held), (1, 1));
    assert_eq!((r.weeks[1].1.booked, r.weeks[1].1.held), (1, 1));
    assert_eq!((r.totals.booked, r.totals.held), (2, 2));
}

#[test]
fn no_shows_and_attendance_count_in_the_week_of_the_session() {
    let mut absent = session("a", utc(2026, 5, 5, 8, 0), utc(2026, 5, 1, 8, 0), "a@x.org", "");
    absent.outcome.attendance = Some(Attendance::NoShow);
    let mut came = session("b", utc(2026, 5, 12, 8, 0), utc(2026, 5, 1, 8, 0), "b@x.org", "");
    came.outcome.attendance = Some(Attendance::Attended);
    let r = run(&[absent, came], &[]);
    assert_eq!((r.weeks[0].1.no_shows, r.weeks[0].1.attended), (1, 0));
    assert_eq!((r.weeks[1].1.no_shows, r.weeks[1].1.attended), (0, 1));
    assert_eq!(r.students.iter().find(|s| s.email == "a@x.org").unwrap().no_shows, 1);
}

#[test]
fn cancellations_count_by_who_and_whether_late() {
    let s = |id: &str| session(id, utc(2026, 5, 20, 8, 0), utc(2026, 4, 1, 8, 0), &format!("{id}@x.org"), "");
    let student = Actor::Student { email: "a@x.org".into() };
    let coach = Actor::CoachCalendar { coach: "anna".into() };
    let dashboard = Actor::CoachDashboard { coach: "anna".into() };
    let mut old = s("e");
    old.status = BookingStatus::Cancelled;
    old.range = TimeRange::new(utc(2026, 5, 13, 8, 0), utc(2026, 5, 13, 9, 0));
    let r = run(
        &[
            cancelled(s("a"), utc(2026, 5, 5, 8, 0), student.clone(), false),
            cancelled(s("b"), utc(2026, 5, 6, 8, 0), student, true),
            cancelled(s("c"), utc(2026, 5, 12, 8, 0), coach, true),
            cancelled(s("d"), utc(2026, 5, 13, 8, 0), dashboard, false),
            // a record from before outcomes: by its start, nobody named
            old,
            // cancelled before the period: not counted
            cancelled(s("f"), utc(2026, 4, 30, 8, 0), Actor::Admin, false),
        ],
        &[],
    );
    let (w1, w2) = (&r.weeks[0].1, &r.weeks[1].1);
    assert_eq!((w1.cancelled, w1.cancelled_by_student, w1.cancelled_by_coach, w1.cancelled_late), (2, 2, 0, 1));
    assert_eq!((w2.cancelled, w2.cancelled_by_student, w2.cancelled_by_coach, w2.cancelled_late), (3, 0, 2, 1));
    assert_eq!(r.totals.held, 0, "cancelled sessions are not held");
}

#[test]
fn students_are_new_at_their_first_booking_by_email_in_any_case() {
    let r = run(
        &[
            // Ann booked before the period: returning in week 2.
            session("a1", utc(2026, 4, 1, 8, 0), utc(2026, 3, 20, 8, 0), "Ann@X.org", ""),
            session("a2", utc(2026, 5, 20, 8, 0), utc(2026, 5, 12, 8, 0), "ann@x.org", ""),
            // Ben is new in week 1, books twice that week, returns in week 2.
            session("b1", utc(2026, 5, 20, 9, 0), utc(2026, 5, 4, 8, 0), "ben@x.org", ""),
            session("b2", utc(2026, 5, 21, 9, 0), utc(2026, 5, 5, 8, 0), "BEN@x.org", ""),
            session("b3", utc(2026, 5, 22, 9, 0), utc(2026, 5, 13, 8, 0), "ben@x.org", ""),
        ],
        &[],
    );
    assert_eq!((r.weeks[0].1.new_students, r.weeks[0].1.returning_students), (1, 0));
    assert_eq!((r.weeks[1].1.new_students, r.weeks[1].1.returning_students), (0, 2));
    let ben = r.students.iter().find(|s| s.email == "ben@x.org").unwrap();
    assert!(ben.new && ben.booked == 3);
    assert!(!r.students.iter().find(|s| s.email == "ann@x.org").unwrap().new);
}

#[test]
fn a_free_consultation_followed_by_a_paid_session_is_one_conversion() {
    let r = run(
        &[
            session("a1", utc(2026, 5, 5, 8, 0), utc(2026, 5, 1, 8, 0), "a@x.org", "free"),
            session("a2", utc(2026, 5, 19, 8, 0), utc(2026, 5, 6, 8, 0), "a@x.org", "€40"),
            session("a3", utc(2026, 5, 26, 8, 0), utc(2026, 5, 13, 8, 0), "a@x.org", "€40"),
            // paid first, free later: no conversion
            session("b1", utc(2026, 5, 5, 9, 0), utc(2026, 5, 1, 8, 0), "b@x.org", "40 EUR"),
            session("b2", utc(2026, 5, 19, 9, 0), utc(2026, 5, 6, 8, 0), "b@x.org", "free"),
            // a cancelled consultation does not count
            cancelled(session("c1", utc(2026, 5, 5, 10, 0), utc(2026, 5, 1, 8, 0), "c@x.org", "free"), utc(2026, 5, 2, 8, 0), Actor::Admin, false),
            session("c2", utc(2026, 5, 19, 10, 0), utc(2026, 5, 6, 8, 0), "c@x.org", "€40"),
        ],
        &[],
    );
    assert_eq!((r.weeks[0].1.conversions, r.weeks[1].1.conversions), (1, 0));
    assert!(r.students.iter().find(|s| s.email == "a@x.org").unwrap().converted);
    assert!(!r.students.iter().find(|s| s.email == "b@x.org").unwrap().converted);
}

#[test]
fn utilisation_is_booked_time_over_open_time() {
    // Open Monday 09:00–17:00 Berlin (07:00–15:00 UTC) minus a busy hour.
    let open = subtract(
        &[TimeRange::new(utc(2026, 5, 4, 7, 0), utc(2026, 5, 4, 15, 0))],
        &[TimeRange::new(utc(2026, 5, 4, 12, 0), utc(2026, 5, 4, 13, 0))],
    );
    let mut group = session("g1", utc(2026, 5, 4, 8, 0), utc(2026, 5, 1, 8, 0), "a@x.org", "");
    let other_seat = session("g2", utc(2026, 5, 4, 8, 0), utc(2026, 5, 1, 8, 0), "b@x.org", "");
    group.range.end = utc(2026, 5, 4, 9, 30);
    let r = run(&[group, other_seat, session("s", utc(2026, 5, 4, 13, 0), utc(2026, 5, 1, 8, 0), "c@x.org", "")], &open);
    let w = &r.weeks[0].1;
    assert_eq!((w.available_minutes, w.booked_minutes), (7 * 60, 150), "seats of one group session count once");
    assert_eq!(w.utilisation(), Some(150.0 / 420.0));
    assert_eq!(r.weeks[1].1.utilisation(), None, "no open time, no ratio");
}

#[test]
fn subtract_cuts_busy_time_out_of_open_time() {
    let r = |a: u32, b: u32| TimeRange::new(utc(2026, 5, 4, a, 0), utc(2026, 5, 4, b, 0));
    assert_eq!(subtract(&[r(9, 17)], &[r(8, 10), r(12, 13), r(16, 18)]), vec![r(10, 12), r(13, 16)]);
    assert_eq!(subtract(&[r(9, 10), r(11, 12)], &[r(9, 12)]), vec![]);
    assert_eq!(subtract(&[r(9, 10), r(11, 12)], &[]), vec![r(9, 10), r(11, 12)]);
}

#[test]
fn lead_time_median_and_p90_by_nearest_rank() {
    let created = utc(2026, 5, 4, 8, 0);
    let bookings: Vec<Booking> =
        (1..=10).map(|d| session(&format!("b{d}"), created + Duration::days(d), created, &format!("s{d}@x.org"), "")).collect();
    let r = run(&bookings, &[]);
    assert_eq!(r.lead_time, LeadTime { samples: 10, median: Some(Duration::days(5)), p90: Some(Duration::days(9)) });
    assert_eq!(run(&[], &[]).lead_time, LeadTime::default());
}

#[test]
fn busiest_hours_are_local_weekday_and_hour() {
    // Tuesday 2026-05-05 08:00 UTC is 10:00 in Berlin (UTC+2).
    let r = run(&[session("a", utc(2026, 5, 5, 8, 0), utc(2026, 5, 1, 8, 0), "a@x.org", "")], &[]);
    assert_eq!(r.hours[1][10], 1);
    assert_eq!(r.hours.iter().flatten().sum::<u32>(), 1);
}

#[test]
fn prices_of_held_sessions_are_summed_per_currency() {
    let s = |id: &str, price: &str| session(id, utc(2026, 5, 5, 8, 0), utc(2026, 5, 1, 8, 0), &format!("{id}@x.org"), price);
    let r = run(
        &[
            s("a", "€40"),
            s("b", "40 EUR"),
            s("c", "$12.50"),
            s("d", "free"),
            s("e", "on request"),
            cancelled(s("f", "€40"), utc(2026, 5, 2, 8, 0), Actor::Admin, false),
        ],
        &[],
    );
    assert_eq!(
        r.prices,
        vec![PriceSum { currency: "$".into(), cents: 1250, sessions: 1 }, PriceSum { currency: "€".into(), cents: 8000, sessions: 2 }]
    );
    assert_eq!(r.unpriced_sessions, 1);
}

/// A session on the Sunday after the spring change falls in that week,
/// one on the Monday after it in the next, in the coach's zone.
#[test]
fn sessions_fall_in_local_weeks_across_a_dst_change() {
    let period = Period::new(date(2026, 3, 23), date(2026, 4, 5)).unwrap();
    // Sunday 29 March 23:30 Berlin (CEST) = 21:30 UTC; Monday 30 March 00:30 CEST = 22:30 UTC Sunday.
    let bookings = [
        session("a", utc(2026, 3, 29, 21, 30), utc(2026, 3, 1, 8, 0), "a@x.org", ""),
        session("b", utc(2026, 3, 29, 22, 30), utc(2026, 3, 1, 8, 0), "b@x.org", ""),
    ];
    let r = compute(period, &[CoachData { coach: "anna", tz: Berlin, bookings: &facts(&bookings), open: &[] }]);
    assert_eq!((r.weeks[0].1.held, r.weeks[1].1.held), (1, 1));
    assert_eq!(r.hours[6][23], 1, "Sunday 23:00 local");
    assert_eq!(r.hours[0][0], 1, "Monday 00:00 local");
}

#[test]
fn coaches_add_up_week_by_week() {
    let a = [session("a", utc(2026, 5, 5, 8, 0), utc(2026, 5, 4, 9, 0), "s@x.org", "€10")];
    let mut b = [session("b", utc(2026, 5, 5, 8, 0), utc(2026, 5, 4, 9, 0), "s@x.org", "€15")];
    b[0].coach = "ben".into();
    let r = compute(
        may(),
        &[
            CoachData { coach: "anna", tz: Berlin, bookings: &facts(&a), open: &[] },
            CoachData { coach: "ben", tz: chrono_tz::UTC, bookings: &facts(&b), open: &[] },
        ],
    );
    assert_eq!(r.weeks[0].1.held, 2);
    assert_eq!(r.weeks[0].1.new_students, 2, "a student is new with each coach");
    assert_eq!(r.prices, vec![PriceSum { currency: "€".into(), cents: 2500, sessions: 2 }]);
    assert_eq!(r.students.len(), 2);
}
