use super::*;
use crate::booking::holds::tests::booking;
use crate::booking::holds::{admit, occupancy, Admission};
use crate::booking::{Booking, Pacing, WorkingHours};
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn coach(tz: Tz, event_types: Vec<EventType>, pacing: Pacing) -> Coach {
    Coach { name: "anna".into(), tz, working_hours: WorkingHours::default(), event_types, pacing }
}

fn hour_type(slug: &str) -> EventType {
    EventType::new(slug, slug, Duration::hours(1))
}

fn at(start: DateTime<Utc>, minutes: i64) -> TimeRange {
    TimeRange::new(start, start + Duration::minutes(minutes))
}

fn try_admit(c: &Coach, et: &EventType, range: TimeRange, bookings: &[Booking]) -> Result<(), SlotUnavailable> {
    let ask = Admission { event_type: et, range, student_email: None, replaces: None };
    admit(c, &ask, &[], bookings, utc(2026, 1, 1, 0, 0))
}

#[test]
fn weeks_start_on_monday_and_months_on_the_first() {
    let d = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(); // a Sunday
    assert_eq!(Period::Week.start_of(d), NaiveDate::from_ymd_opt(2026, 3, 23).unwrap());
    assert_eq!(Period::Month.start_of(d), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
    assert_eq!(Period::Day.start_of(d), d);
}

#[test]
fn weekly_cap_counts_in_the_coachs_local_week_across_the_dst_change() {
    // Berlin springs forward on Sunday 2026-03-29. Monday 30 March 00:30
    // local is Sunday 22:30 UTC: a new local week although UTC says Sunday.
    let mut et = hour_type("lesson");
    et.max_per_week = Some(1);
    let c = coach(chrono_tz::Europe::Berlin, vec![et.clone()], Pacing::default());
    let sunday_evening = at(utc(2026, 3, 29, 19, 0), 60); // 21:00 CEST, Sunday
    let existing = vec![booking("b1", "lesson", sunday_evening, "a@x")];
    let monday_just_after_midnight = at(utc(2026, 3, 29, 22, 30), 60);
    assert_eq!(try_admit(&c, &et, monday_just_after_midnight, &existing), Ok(()), "next local week");
    let monday_before = at(utc(2026, 3, 23, 8, 0), 60); // Monday 09:00 CET, same week as the Sunday
    assert_eq!(
        try_admit(&c, &et, monday_before, &existing),
        Err(SlotUnavailable::PeriodLimit { period: Period::Week, starting: NaiveDate::from_ymd_opt(2026, 3, 23).unwrap() })
    );
}

#[test]
fn monthly_cap_counts_local_months_and_allows_joining_a_group() {
    let mut et = hour_type("group");
    et.seats = 3;
    et.max_per_month = Some(1);
    let c = coach(chrono_tz::America::New_York, vec![et.clone()], Pacing::default());
    // 31 March 22:00 in New York is 1 April 02:00 UTC: still March locally.
    let march_last = at(utc(2026, 4, 1, 2, 0), 60);
    let existing = vec![booking("b1", "group", march_last, "a@x")];
    assert_eq!(try_admit(&c, &et, march_last, &existing), Ok(()), "a seat in the same session");
    let march_first = at(utc(2026, 3, 2, 15, 0), 60);
    assert!(matches!(try_admit(&c, &et, march_first, &existing), Err(SlotUnavailable::PeriodLimit { period: Period::Month, .. })));
    let april = at(utc(2026, 4, 2, 15, 0), 60);
    assert_eq!(try_admit(&c, &et, april, &existing), Ok(()));
}

#[test]
fn coach_caps_count_every_event_type() {
    let a = hour_type("a");
    let b = hour_type("b");
    let pacing = Pacing { max_per_day: Some(2), max_per_week: Some(3), ..Pacing::default() };
    let c = coach(chrono_tz::UTC, vec![a.clone(), b.clone()], pacing);
    let mon = |h| at(utc(2026, 5, 4, h, 0), 60);
    let tue = |h| at(utc(2026, 5, 5, h, 0), 60);
    let mut existing = vec![booking("b1", "a", mon(9), "a@x"), booking("b2", "b", mon(11), "a@x")];
    assert!(matches!(try_admit(&c, &a, mon(14), &existing), Err(SlotUnavailable::PeriodLimit { period: Period::Day, .. })));
    assert_eq!(try_admit(&c, &b, tue(9), &existing), Ok(()));
    existing.push(booking("b3", "b", tue(9), "a@x"));
    assert!(matches!(try_admit(&c, &a, tue(14), &existing), Err(SlotUnavailable::PeriodLimit { period: Period::Week, .. })));
    // Cancelled sessions free the cap.
    existing[2].status = crate::booking::BookingStatus::Cancelled;
    assert_eq!(try_admit(&c, &a, tue(14), &existing), Ok(()));
}

#[test]
fn runs_chain_through_short_gaps_only() {
    let t = |h, m| utc(2026, 5, 4, h, m);
    let blocks = [TimeRange::new(t(9, 0), t(10, 0)), TimeRange::new(t(10, 10), t(11, 0)), TimeRange::new(t(11, 30), t(12, 0))];
    let got = runs(&blocks, Duration::minutes(30));
    assert_eq!(got, vec![TimeRange::new(t(9, 0), t(11, 0)), TimeRange::new(t(11, 30), t(12, 0))], "a gap of exactly break_after ends a run");
    let touching = runs(&blocks[..2], Duration::minutes(5));
    assert_eq!(touching.len(), 2);
}

#[test]
fn breaks_count_buffers_and_every_type() {
    let mut lesson = hour_type("lesson");
    lesson.buffer_after = Duration::minutes(15);
    let call = EventType::new("call", "Call", Duration::minutes(30));
    let pacing = Pacing { max_consecutive: Some(Duration::hours(3)), break_after: Duration::minutes(30), ..Pacing::default() };
    let c = coach(chrono_tz::UTC, vec![lesson.clone(), call.clone()], pacing);
    let t = |h, m| utc(2026, 5, 4, h, m);
    // 09:00–10:15 and 10:15–11:30 blocked (buffers), then a call 11:30–12:00: 3h run.
    let existing = vec![
        booking("b1", "lesson", at(t(9, 0), 60), "a@x"),
        booking("b2", "lesson", at(t(10, 15), 60), "a@x"),
        booking("b3", "call", at(t(11, 30), 30), "a@x"),
    ];
    assert_eq!(try_admit(&c, &call, at(t(12, 0), 30), &existing), Err(SlotUnavailable::BreakNeeded));
    assert_eq!(try_admit(&c, &call, at(t(12, 20), 30), &existing), Err(SlotUnavailable::BreakNeeded), "a 20-minute gap is no break");
    assert_eq!(try_admit(&c, &call, at(t(12, 30), 30), &existing), Ok(()), "after a 30-minute break");
    assert_eq!(try_admit(&c, &call, at(t(8, 0), 30), &existing), Ok(()), "30 minutes before the run: its own run");
}

#[test]
fn a_break_rule_keeps_slot_listing_and_admission_in_step() {
    let mut lesson = hour_type("lesson");
    lesson.slot_interval = Duration::minutes(30);
    let mut hours = WorkingHours::default();
    hours.set(chrono::Weekday::Mon, vec![crate::booking::TimeWindow::parse("08:00-18:00").unwrap()]).unwrap();
    let pacing = Pacing { max_consecutive: Some(Duration::hours(2)), break_after: Duration::hours(1), ..Pacing::default() };
    let c = Coach { working_hours: hours, ..coach(chrono_tz::UTC, vec![lesson.clone()], pacing) };
    let t = |h, m| utc(2026, 5, 4, h, m);
    let existing = vec![booking("b1", "lesson", at(t(10, 0), 60), "a@x"), booking("b2", "lesson", at(t(11, 0), 60), "a@x")];
    let q = crate::booking::SlotQuery {
        coach: &c,
        event_type: &lesson,
        availability: &[],
        declared: None,
        busy_times: &[],
        busy_days: &[],
        holds: &[],
        bookings: &existing,
        except: None,
    };
    let starts: Vec<DateTime<Utc>> = q.slots(TimeRange::new(t(8, 0), t(18, 0)), utc(2026, 5, 1, 0, 0)).iter().map(|s| s.range.start).collect();
    assert_eq!(starts, vec![t(8, 0), t(13, 0), t(13, 30), t(14, 0), t(14, 30), t(15, 0), t(15, 30), t(16, 0), t(16, 30), t(17, 0)]);
}

#[test]
fn load_margin_covers_the_longest_period() {
    let mut et = hour_type("x");
    assert_eq!(load_margin(&coach(chrono_tz::UTC, vec![et.clone()], Pacing::default())), Duration::days(2) + Duration::hours(1));
    et.max_per_week = Some(2);
    assert!(load_margin(&coach(chrono_tz::UTC, vec![et.clone()], Pacing::default())) >= Duration::days(8));
    let monthly = Pacing { max_per_month: Some(9), ..Pacing::default() };
    assert!(load_margin(&coach(chrono_tz::UTC, vec![et], monthly)) >= Duration::days(32));
}

#[test]
fn pacing_validation_names_the_key() {
    let ok = Pacing { max_consecutive: Some(Duration::hours(3)), break_after: Duration::minutes(30), ..Pacing::default() };
    assert_eq!(ok.validate(), Ok(()));
    let no_break = Pacing { max_consecutive: Some(Duration::hours(3)), ..Pacing::default() };
    assert!(matches!(no_break.validate(), Err(crate::booking::PolicyError::InvalidPacing { field: "break_after", .. })));
    let zero = Pacing { max_per_week: Some(0), ..Pacing::default() };
    assert!(matches!(zero.validate(), Err(crate::booking::PolicyError::InvalidPacing { field: "max_per_week", .. })));
}

/// Every run of `bookings` (widened by buffers, chained through gaps
/// shorter than `break_after`) and every cap, checked from scratch.
fn violations(c: &Coach, bookings: &[Booking]) -> Vec<String> {
    let occupied = occupancy(c, &[], bookings, utc(2026, 1, 1, 0, 0), None);
    let mut out = Vec::new();
    let mut blocks: Vec<TimeRange> = occupied.iter().map(|o| o.blocked).collect();
    blocks.sort_by_key(|b| (b.start, b.end));
    if let Some(longest) = c.pacing.max_consecutive {
        for run in runs(&blocks, c.pacing.break_after) {
            if run.end - run.start > longest {
                out.push(format!("run {run:?}"));
            }
        }
    }
    for o in &occupied {
        let date = local_date(c.tz, o.range.start);
        let et = c.event_type(o.event_type).unwrap();
        for (period, type_cap, coach_cap) in [
            (Period::Day, et.max_per_day, c.pacing.max_per_day),
            (Period::Week, et.max_per_week, c.pacing.max_per_week),
            (Period::Month, et.max_per_month, c.pacing.max_per_month),
        ] {
            if type_cap.is_some_and(|cap| sessions_in(c, period, date, &occupied, Some(o.event_type)) > cap as usize) {
                out.push(format!("{} cap of {} on {date}", period.name(), o.event_type));
            }
            if coach_cap.is_some_and(|cap| sessions_in(c, period, date, &occupied, None) > cap as usize) {
                out.push(format!("coach {} cap on {date}", period.name()));
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// No sequence of admitted bookings ever breaks a cap or a break rule,
    /// in a zone with DST changes inside the weeks tried.
    #[test]
    fn admitted_bookings_never_violate_caps_or_breaks(
        picks in proptest::collection::vec((0usize..2, 0i64..(40 * 24 * 4)), 1..60),
        day in proptest::option::of(1u32..4),
        week in proptest::option::of(2u32..8),
        month in proptest::option::of(4u32..16),
        type_week in proptest::option::of(1u32..5),
        consecutive in proptest::option::of(1i64..5),
        gap in 1i64..4,
    ) {
        let mut lesson = hour_type("lesson");
        lesson.buffer_after = Duration::minutes(15);
        lesson.max_per_week = type_week;
        let mut group = EventType::new("group", "Group", Duration::minutes(45));
        group.seats = 2;
        let pacing = Pacing {
            max_per_day: day,
            max_per_week: week,
            max_per_month: month,
            max_consecutive: consecutive.map(Duration::hours),
            break_after: if consecutive.is_some() { Duration::minutes(15 * gap) } else { Duration::zero() },
        };
        let c = coach(chrono_tz::Europe::Berlin, vec![lesson, group], pacing);
        // 15-minute grid from 10 March 2026 (across Berlin's 29 March change).
        let base = utc(2026, 3, 10, 0, 0);
        let mut bookings: Vec<Booking> = Vec::new();
        for (i, (which, quarter)) in picks.into_iter().enumerate() {
            let et = &c.event_types[which];
            let range = at(base + Duration::minutes(15 * quarter), et.duration.num_minutes());
            if try_admit(&c, et, range, &bookings).is_ok() {
                bookings.push(booking(&format!("b{i}"), &et.slug, range, "s@x"));
                let bad = violations(&c, &bookings);
                prop_assert!(bad.is_empty(), "after admitting {range:?}: {bad:?}");
            }
        }
    }
}
