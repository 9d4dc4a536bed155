//! Slot computation: examples per rule, DST weeks, and property tests of the
//! invariants every returned slot must satisfy.

use super::*;
use crate::booking::availability::{available, local_day, merge};
use crate::booking::holds::tests::booking;
use crate::booking::policy::{TimeWindow, WorkingHours};
use crate::booking::BookingStatus;
use chrono::{TimeZone, Timelike};
use chrono_tz::Tz;
use proptest::prelude::*;

const WEEKDAYS: [&str; 5] = ["mon", "tue", "wed", "thu", "fri"];
const ALL_DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn hours(days: &[&str], windows: &[&str]) -> WorkingHours {
    WorkingHours::parse(days.iter().map(|d| (*d, windows.to_vec()))).unwrap()
}

fn coach(tz: Tz, working_hours: WorkingHours, event_types: Vec<EventType>) -> Coach {
    Coach { name: "anna".into(), tz, working_hours, event_types, pacing: Default::default() }
}

fn lesson(minutes: i64, interval: i64) -> EventType {
    let mut et = EventType::new("lesson", "Lesson", Duration::minutes(minutes));
    et.slot_interval = Duration::minutes(interval);
    et.horizon = Duration::days(365);
    et
}

fn local(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0).earliest().unwrap().with_timezone(&Utc)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The local week `[first 00:00, first + 7 days 00:00)` in `tz`.
fn week(tz: Tz, first: NaiveDate) -> TimeRange {
    TimeRange::new(local_day(tz, first).start, local_day(tz, first + Duration::days(7)).start)
}

fn query<'a>(c: &'a Coach, et: &'a EventType) -> SlotQuery<'a> {
    SlotQuery {
        coach: c,
        event_type: et,
        availability: &[],
        declared: None,
        busy_times: &[],
        busy_days: &[],
        holds: &[],
        bookings: &[],
        except: None,
    }
}

fn long_ago() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).unwrap()
}

/// Slot starts as local "YYYY-MM-DD HH:MM" strings.
fn local_starts(tz: Tz, slots: &[Slot]) -> Vec<String> {
    slots.iter().map(|s| s.range.start.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()).collect()
}

use chrono_tz::America::New_York;
use chrono_tz::Europe::Berlin;

#[test]
fn grid_fills_working_hours() {
    let et = lesson(30, 15);
    let c = coach(Berlin, hours(&WEEKDAYS, &["09:00-12:00", "13:00-17:00"]), vec![et.clone()]);
    let monday = local_day(Berlin, date(2026, 1, 5));
    let slots = query(&c, &et).slots(monday, long_ago());
    let starts = local_starts(Berlin, &slots);
    assert_eq!(starts.len(), 11 + 15);
    assert_eq!(starts.first().unwrap(), "2026-01-05 09:00");
    assert!(starts.contains(&"2026-01-05 11:30".to_string()));
    assert!(!starts.contains(&"2026-01-05 11:45".to_string()));
    assert_eq!(starts.last().unwrap(), "2026-01-05 16:30");
    assert!(slots.iter().all(|s| s.seats_left == 1));
}

#[test]
fn grid_is_aligned_to_local_midnight_not_window_start() {
    let et = lesson(30, 30);
    let c = coach(Berlin, hours(&["mon"], &["09:10-11:00"]), vec![et.clone()]);
    let slots = query(&c, &et).slots(local_day(Berlin, date(2026, 1, 5)), long_ago());
    assert_eq!(local_starts(Berlin, &slots), ["2026-01-05 09:30", "2026-01-05 10:00", "2026-01-05 10:30"]);
}

#[test]
fn notice_and_horizon_bound_the_starts() {
    let mut et = lesson(60, 60);
    et.min_notice = Duration::hours(2);
    et.horizon = Duration::days(1);
    let c = coach(Berlin, hours(&ALL_DAYS, &["09:00-17:00"]), vec![et.clone()]);
    let now = local(Berlin, 2026, 1, 5, 9, 30);
    let slots = query(&c, &et).slots(week(Berlin, date(2026, 1, 5)), now);
    let starts = local_starts(Berlin, &slots);
    assert_eq!(starts.first().unwrap(), "2026-01-05 12:00");
    // now + 1 day = Tuesday 09:30: Tuesday 09:00 is the last start.
    assert_eq!(starts.last().unwrap(), "2026-01-06 09:00");
    // The horizon is inclusive.
    let now = local(Berlin, 2026, 1, 5, 9, 0);
    let slots = query(&c, &et).slots(week(Berlin, date(2026, 1, 5)), now);
    assert_eq!(local_starts(Berlin, &slots).last().unwrap(), "2026-01-06 09:00");
}

#[test]
fn busy_time_blocks_with_buffers() {
    let mut et = lesson(30, 30);
    et.buffer_before = Duration::minutes(15);
    et.buffer_after = Duration::minutes(10);
    let c = coach(Berlin, hours(&["mon"], &["09:00-13:00"]), vec![et.clone()]);
    let busy =
        [BusyTime { range: TimeRange::new(local(Berlin, 2026, 1, 5, 11, 0), local(Berlin, 2026, 1, 5, 11, 20)) }];
    let q = SlotQuery { busy_times: &busy, ..query(&c, &et) };
    let starts = local_starts(Berlin, &q.slots(local_day(Berlin, date(2026, 1, 5)), long_ago()));
    // 10:30 would end 11:00 + 10 min buffer → blocked; 11:30 starts 15 min
    // before is 11:15 < 11:20 → blocked; 12:00 is fine.
    let t = |s: &str| format!("2026-01-05 {s}");
    assert_eq!(starts, [t("09:00"), t("09:30"), t("10:00"), t("12:00"), t("12:30")]);
}

#[test]
fn availability_events_replace_working_hours_for_their_day_only() {
    let et = lesson(60, 60);
    let c = coach(Berlin, hours(&WEEKDAYS, &["09:00-11:00"]), vec![et.clone()]);
    let tue_evening = TimeRange::new(local(Berlin, 2026, 1, 6, 18, 0), local(Berlin, 2026, 1, 6, 20, 0));
    let q = SlotQuery { availability: &[tue_evening], ..query(&c, &et) };
    let starts = local_starts(Berlin, &q.slots(week(Berlin, date(2026, 1, 5)), long_ago()));
    assert_eq!(&starts[..4], ["2026-01-05 09:00", "2026-01-05 10:00", "2026-01-06 18:00", "2026-01-06 19:00"]);
    assert_eq!(starts[4], "2026-01-07 09:00");
    assert_eq!(starts.len(), 2 + 2 + 3 * 2);
}

#[test]
fn recurring_availability_blocks_as_several_ranges() {
    // "Tue and Thu 18:00-20:00 weekly" expanded over two weeks by the caller,
    // with touching blocks on Thursday (18:00-19:00 + 19:00-20:00) merged.
    let et = lesson(90, 30);
    let c = coach(Berlin, WorkingHours::default(), vec![et.clone()]);
    let mut blocks = Vec::new();
    for d in [6, 13] {
        blocks.push(TimeRange::new(local(Berlin, 2026, 1, d, 18, 0), local(Berlin, 2026, 1, d, 20, 0)));
        blocks.push(TimeRange::new(local(Berlin, 2026, 1, d + 2, 18, 0), local(Berlin, 2026, 1, d + 2, 19, 0)));
        blocks.push(TimeRange::new(local(Berlin, 2026, 1, d + 2, 19, 0), local(Berlin, 2026, 1, d + 2, 20, 0)));
    }
    let q = SlotQuery { availability: &blocks, ..query(&c, &et) };
    let range = TimeRange::new(week(Berlin, date(2026, 1, 5)).start, week(Berlin, date(2026, 1, 12)).end);
    let starts = local_starts(Berlin, &q.slots(range, long_ago()));
    let expect: Vec<String> =
        [6, 8, 13, 15].iter().flat_map(|d| ["18:00", "18:30"].map(|t| format!("2026-01-{d:02} {t}"))).collect();
    assert_eq!(starts, expect);
}

#[test]
fn all_day_busy_removes_the_whole_local_day() {
    let mut et = lesson(60, 60);
    et.buffer_after = Duration::minutes(15);
    let c = coach(New_York, hours(&ALL_DAYS, &["00:00-24:00"]), vec![et.clone()]);
    let days = [BusyDay(date(2026, 1, 7))];
    let q = SlotQuery { busy_days: &days, ..query(&c, &et) };
    let slots = q.slots(week(New_York, date(2026, 1, 5)), long_ago());
    assert!(slots.iter().all(|s| slot_date(&c, s) != date(2026, 1, 7)));
    assert_eq!(slots.len(), 6 * 24 - 1, "the slot whose buffer reaches into the busy day is gone too");
    let starts = local_starts(New_York, &slots);
    assert!(!starts.contains(&"2026-01-06 23:00".to_string()));
    assert!(starts.contains(&"2026-01-06 22:00".to_string()));
}

#[test]
fn group_session_shows_seats_and_vanishes_when_full() {
    let mut et = lesson(60, 60);
    et.seats = 2;
    let c = coach(Berlin, hours(&["mon"], &["09:00-11:00"]), vec![et.clone()]);
    let nine = TimeRange::new(local(Berlin, 2026, 1, 5, 9, 0), local(Berlin, 2026, 1, 5, 10, 0));
    let day = local_day(Berlin, date(2026, 1, 5));
    let one = [booking("b1", "lesson", nine, "a@x")];
    let slots = SlotQuery { bookings: &one, ..query(&c, &et) }.slots(day, long_ago());
    assert_eq!(slots.iter().map(|s| s.seats_left).collect::<Vec<_>>(), [1, 2]);
    let now = long_ago();
    let hold = [Hold {
        id: "h".into(),
        event_type: "lesson".into(),
        range: nine,
        expires_at: now + Duration::minutes(10),
        student_email: None,
    }];
    let q = SlotQuery { bookings: &one, holds: &hold, ..query(&c, &et) };
    assert_eq!(q.slots(day, now).len(), 1);
    assert_eq!(q.slots(day, now + Duration::minutes(10)).len(), 2, "expired holds free their seat");
}

#[test]
fn bookings_of_other_types_block_with_their_buffers() {
    let et = lesson(60, 60);
    let mut other = EventType::new("call", "Call", Duration::minutes(30));
    other.buffer_after = Duration::minutes(30);
    let c = coach(Berlin, hours(&["mon"], &["09:00-13:00"]), vec![et.clone(), other]);
    let call = [booking(
        "b",
        "call",
        TimeRange::new(local(Berlin, 2026, 1, 5, 9, 30), local(Berlin, 2026, 1, 5, 10, 0)),
        "a@x",
    )];
    let q = SlotQuery { bookings: &call, ..query(&c, &et) };
    let starts = local_starts(Berlin, &q.slots(local_day(Berlin, date(2026, 1, 5)), long_ago()));
    assert_eq!(starts, ["2026-01-05 11:00", "2026-01-05 12:00"]);
}

#[test]
fn daily_cap_closes_the_day_but_not_others() {
    let mut et = lesson(60, 60);
    et.max_per_day = Some(2);
    let c = coach(Berlin, hours(&WEEKDAYS, &["09:00-17:00"]), vec![et.clone()]);
    let at = |d, h| TimeRange::new(local(Berlin, 2026, 1, d, h, 0), local(Berlin, 2026, 1, d, h + 1, 0));
    let mut cancelled = booking("b3", "lesson", at(6, 9), "c@x");
    cancelled.status = BookingStatus::Cancelled;
    let bookings = [booking("b1", "lesson", at(5, 9), "a@x"), booking("b2", "lesson", at(5, 14), "b@x"), cancelled];
    let q = SlotQuery { bookings: &bookings, ..query(&c, &et) };
    let slots = q.slots(week(Berlin, date(2026, 1, 5)), long_ago());
    assert!(slots.iter().all(|s| slot_date(&c, s) != date(2026, 1, 5)));
    assert_eq!(slots.iter().filter(|s| slot_date(&c, s) == date(2026, 1, 6)).count(), 8);
}

#[test]
fn slot_at_checks_an_exact_pick() {
    let et = lesson(30, 30);
    let c = coach(Berlin, hours(&["mon"], &["09:00-12:00"]), vec![et.clone()]);
    let q = query(&c, &et);
    let start = local(Berlin, 2026, 1, 5, 10, 0);
    let pick = TimeRange::new(start, start + Duration::minutes(30));
    assert_eq!(q.slot_at(pick, long_ago()), Some(Slot { range: pick, seats_left: 1 }));
    let off_grid = TimeRange::new(start + Duration::minutes(5), start + Duration::minutes(35));
    assert_eq!(q.slot_at(off_grid, long_ago()), None);
    assert_eq!(q.slot_at(TimeRange::new(start, start + Duration::minutes(45)), long_ago()), None);
}

#[test]
fn except_lets_a_booking_move_over_itself_and_a_hold_be_confirmed() {
    let et = lesson(60, 30);
    let c = coach(Berlin, hours(&["mon"], &["09:00-12:00"]), vec![et.clone()]);
    let nine = TimeRange::new(local(Berlin, 2026, 1, 5, 9, 0), local(Berlin, 2026, 1, 5, 10, 0));
    let half_past = TimeRange::new(nine.start + Duration::minutes(30), nine.end + Duration::minutes(30));
    let own = [booking("b1", "lesson", nine, "a@x")];
    let q = SlotQuery { bookings: &own, ..query(&c, &et) };
    assert_eq!(q.slot_at(half_past, long_ago()), None);
    let moving = SlotQuery { except: Some("b1"), ..q };
    assert_eq!(moving.slot_at(half_past, long_ago()), Some(Slot { range: half_past, seats_left: 1 }));

    let now = long_ago();
    let held = [Hold {
        id: "h1".into(),
        event_type: "lesson".into(),
        range: nine,
        expires_at: now + Duration::minutes(10),
        student_email: None,
    }];
    let q = SlotQuery { holds: &held, ..query(&c, &et) };
    assert_eq!(q.slot_at(nine, now), None, "held by someone else");
    assert!(SlotQuery { except: Some("h1"), ..q }.slot_at(nine, now).is_some(), "the holder may confirm");
}

/// Checks that every day of the DST week in `tz` offers exactly the local
/// starts 09:00, 09:15, …, 16:45 (working hours 09:00–17:00 every day).
fn assert_working_hours_on_wall_clock(tz: Tz, first: NaiveDate) {
    let et = lesson(15, 15);
    let c = coach(tz, hours(&ALL_DAYS, &["09:00-17:00"]), vec![et.clone()]);
    let slots = query(&c, &et).slots(week(tz, first), long_ago());
    let expected: Vec<String> = (0..7)
        .flat_map(|d| {
            let day = first + Duration::days(d);
            (0..32).map(move |k| format!("{} {:02}:{:02}", day, 9 + k / 4, (k % 4) * 15))
        })
        .collect();
    assert_eq!(local_starts(tz, &slots), expected);
}

#[test]
fn dst_weeks_keep_working_hours_on_local_wall_time() {
    assert_working_hours_on_wall_clock(Berlin, date(2026, 3, 26));
    assert_working_hours_on_wall_clock(Berlin, date(2026, 10, 22));
    assert_working_hours_on_wall_clock(New_York, date(2026, 3, 5));
    assert_working_hours_on_wall_clock(New_York, date(2026, 10, 29));
}

#[test]
fn spring_forward_skips_missing_times_and_fall_back_takes_first() {
    let et = lesson(15, 15);
    let c = coach(Berlin, hours(&ALL_DAYS, &["00:00-24:00"]), vec![et.clone()]);
    let spring = query(&c, &et).slots(local_day(Berlin, date(2026, 3, 29)), long_ago());
    assert_eq!(spring.len(), 23 * 4);
    let starts = local_starts(Berlin, &spring);
    assert!(starts.contains(&"2026-03-29 01:45".to_string()));
    assert!(!starts.iter().any(|s| s.starts_with("2026-03-29 02:")));
    assert!(starts.contains(&"2026-03-29 03:00".to_string()));

    let fall = query(&c, &et).slots(local_day(Berlin, date(2026, 10, 25)), long_ago());
    assert_eq!(fall.len(), 24 * 4, "the repeated hour gets no second set of starts");
    let first_230 = local(Berlin, 2026, 10, 25, 2, 30);
    assert_eq!(first_230, Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap());
    assert!(fall.iter().any(|s| s.range.start == first_230));
    assert!(!fall.iter().any(|s| s.range.start == first_230 + Duration::hours(1)));
}

#[test]
fn slots_cross_midnight_when_availability_does() {
    let et = lesson(60, 60);
    let c = coach(Berlin, WorkingHours::default(), vec![et.clone()]);
    let late = [TimeRange::new(local(Berlin, 2026, 1, 5, 22, 0), local(Berlin, 2026, 1, 6, 1, 0))];
    let q = SlotQuery { availability: &late, ..query(&c, &et) };
    let starts = local_starts(Berlin, &q.slots(local_day(Berlin, date(2026, 1, 5)), long_ago()));
    assert_eq!(starts, ["2026-01-05 22:00", "2026-01-05 23:00"]);
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

const ZONES: [Tz; 4] = [Berlin, New_York, chrono_tz::UTC, chrono_tz::Asia::Kolkata];
/// Weeks containing the DST changes under test, plus an ordinary week.
const WEEK_STARTS: [(i32, u32, u32); 5] = [(2026, 3, 26), (2026, 10, 22), (2026, 3, 5), (2026, 10, 29), (2026, 1, 5)];

/// A randomly generated slot query with owned inputs.
#[derive(Debug, Clone)]
struct Scenario {
    coach: Coach,
    availability: Vec<TimeRange>,
    busy_times: Vec<BusyTime>,
    busy_days: Vec<BusyDay>,
    holds: Vec<Hold>,
    bookings: Vec<Booking>,
    query: TimeRange,
    now: DateTime<Utc>,
}

impl Scenario {
    fn slot_query(&self) -> SlotQuery<'_> {
        SlotQuery {
            declared: None,
            coach: &self.coach,
            event_type: &self.coach.event_types[0],
            availability: &self.availability,
            busy_times: &self.busy_times,
            busy_days: &self.busy_days,
            holds: &self.holds,
            bookings: &self.bookings,
            except: None,
        }
    }
}

fn minutes(choices: &'static [i64]) -> impl Strategy<Value = Duration> {
    prop::sample::select(choices).prop_map(Duration::minutes)
}

fn arb_event_type(slug: &'static str) -> impl Strategy<Value = EventType> {
    (
        minutes(&[15, 30, 45, 60, 90]),
        minutes(&[5, 10, 15, 20, 30, 60]),
        minutes(&[0, 0, 5, 10, 15, 30]),
        minutes(&[0, 0, 5, 10, 15, 30]),
        minutes(&[0, 60, 600, 1440]),
        minutes(&[1440, 3 * 1440, 30 * 1440]),
        prop::option::of(1u32..4),
        1u32..4,
    )
        .prop_map(move |(duration, interval, before, after, notice, horizon, cap, seats)| {
            let mut et = EventType::new(slug, slug, duration);
            et.slot_interval = interval;
            et.buffer_before = before;
            et.buffer_after = after;
            et.min_notice = notice;
            et.horizon = horizon;
            et.max_per_day = cap;
            et.seats = seats;
            et
        })
}

/// Working-hours windows per weekday, on a 30-minute grid.
fn arb_hours() -> impl Strategy<Value = WorkingHours> {
    prop::collection::vec(prop::collection::vec((0u16..48, 1u16..16), 0..3), 7).prop_map(|days| {
        let mut hours = WorkingHours::default();
        for (i, spans) in days.into_iter().enumerate() {
            let mut windows: Vec<TimeWindow> = spans
                .into_iter()
                .filter_map(|(s, len)| TimeWindow::new(s * 30, (s * 30 + len * 30).min(1440)))
                .collect();
            windows.sort();
            windows.dedup_by(|b, a| b.start_minute() < a.end_minute());
            let day = [
                chrono::Weekday::Mon,
                chrono::Weekday::Tue,
                chrono::Weekday::Wed,
                chrono::Weekday::Thu,
                chrono::Weekday::Fri,
                chrono::Weekday::Sat,
                chrono::Weekday::Sun,
            ][i];
            hours.set(day, windows).unwrap();
        }
        hours
    })
}

/// Ranges inside a 9-day span starting a day before `base`, on 5-minute steps.
fn arb_ranges(base: DateTime<Utc>, max: usize, max_len_min: i64) -> impl Strategy<Value = Vec<TimeRange>> {
    prop::collection::vec((0i64..9 * 288, 1i64..=max_len_min / 5), 0..max).prop_map(move |v| {
        v.into_iter()
            .map(|(s, len)| {
                let start = base - Duration::days(1) + Duration::minutes(s * 5);
                TimeRange::new(start, start + Duration::minutes(len * 5))
            })
            .collect()
    })
}

fn arb_scenario() -> impl Strategy<Value = Scenario> {
    (prop::sample::select(ZONES.to_vec()), prop::sample::select(WEEK_STARTS.to_vec())).prop_flat_map(
        |(tz, (y, m, d))| {
            let first = date(y, m, d);
            let query = week(tz, first);
            let base = query.start;
            (
                arb_event_type("lesson"),
                arb_event_type("other"),
                arb_hours(),
                arb_ranges(base, 6, 600),
                arb_ranges(base, 8, 240),
                prop::collection::vec(0i64..9, 0..2),
                prop::collection::vec((0i64..9 * 96, any::<bool>(), any::<bool>(), 0i64..60), 0..12),
                -2 * 1440i64..4 * 1440,
            )
                .prop_map(
                    move |(et, other, working_hours, availability, busy, busy_days, commitments, now_min)| {
                        let now = base + Duration::minutes(now_min);
                        let mut holds = Vec::new();
                        let mut bookings = Vec::new();
                        for (i, (slot, same_type, is_hold, ttl)) in commitments.into_iter().enumerate() {
                            let t = if same_type { &et } else { &other };
                            // On the type's own grid (from a local midnight), so that
                            // same-slot commitments, and so seats, come up often.
                            let step = t.slot_interval.num_minutes();
                            let start = base - Duration::days(1) + Duration::minutes((slot % (9 * 1440 / step)) * step);
                            let range = TimeRange::new(start, start + t.duration);
                            if is_hold {
                                let expires_at = now + Duration::minutes(ttl - 20);
                                holds.push(Hold {
                                    id: format!("h{i}"),
                                    event_type: t.slug.clone(),
                                    range,
                                    expires_at,
                                    student_email: None,
                                });
                            } else {
                                bookings.push(booking(&format!("b{i}"), &t.slug, range, "s@x"));
                            }
                        }
                        let busy_days = busy_days
                            .into_iter()
                            .map(|k| BusyDay(first - Duration::days(1) + Duration::days(k)))
                            .collect();
                        Scenario {
                            coach: coach(tz, working_hours, vec![et, other]),
                            availability,
                            busy_times: busy.into_iter().map(|range| BusyTime { range }).collect(),
                            busy_days,
                            holds,
                            bookings,
                            query,
                            now,
                        }
                    },
                )
        },
    )
}

/// Active commitments as (slug, range, range widened by its type's buffers).
fn active(s: &Scenario) -> Vec<(String, TimeRange, TimeRange)> {
    let holds = s.holds.iter().filter(|h| h.is_active(s.now)).map(|h| (h.event_type.clone(), h.range));
    let bookings = s.bookings.iter().filter(|b| b.is_active()).map(|b| (b.event_type.clone(), b.range));
    holds
        .chain(bookings)
        .map(|(slug, r)| {
            let et = s.coach.event_type(&slug).unwrap();
            (slug, r, TimeRange::new(r.start - et.buffer_before, r.end + et.buffer_after))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_slot_obeys_every_rule(s in arb_scenario()) {
        let q = s.slot_query();
        let et = q.event_type;
        let tz = s.coach.tz;
        let slots = q.slots(s.query, s.now);
        let avail = available(tz, &s.coach.working_hours, &s.availability, SlotQuery::input_range(&s.coach, s.query));
        let commitments = active(&s);
        for w in slots.windows(2) {
            prop_assert!(w[0].range.start < w[1].range.start, "sorted and unique");
        }
        for slot in &slots {
            let r = slot.range;
            let widened = TimeRange::new(r.start - et.buffer_before, r.end + et.buffer_after);
            // Query, notice, horizon.
            prop_assert!(s.query.start <= r.start && r.start < s.query.end);
            prop_assert!(r.start >= s.now + et.min_notice);
            prop_assert!(r.start <= s.now + et.horizon);
            prop_assert_eq!(r.duration(), et.duration);
            // Grid: whole multiples of the interval after local midnight, first occurrence.
            let local = r.start.with_timezone(&tz).naive_local();
            let since_midnight = local.time().num_seconds_from_midnight() as i64;
            prop_assert_eq!(since_midnight % et.slot_interval.num_seconds(), 0);
            prop_assert_eq!(local_instant(tz, local), Some(r.start));
            prop_assert_eq!(local.time().second(), 0);
            // Inside availability.
            prop_assert!(avail.iter().any(|a| a.contains(&r)), "{:?} outside availability", r);
            // Clear of busy time widened by buffers.
            for b in &s.busy_times {
                prop_assert!(!widened.overlaps(&b.range), "{:?} overlaps busy {:?}", widened, b.range);
            }
            let (first_day, last_day) = (local_date(tz, widened.start), local_date(tz, widened.end - Duration::nanoseconds(1)));
            for d in &s.busy_days {
                prop_assert!(d.0 < first_day || last_day < d.0, "{:?} touches busy day {}", widened, d.0);
            }
            // Seats and other commitments.
            let mut taken = 0u32;
            for (slug, range, blocked) in &commitments {
                if *slug == et.slug && *range == r {
                    taken += 1;
                } else {
                    prop_assert!(!widened.overlaps(range) && !r.overlaps(blocked), "{:?} collides with {} {:?}", r, slug, range);
                }
            }
            prop_assert!(slot.seats_left >= 1);
            prop_assert_eq!(slot.seats_left + taken, et.seats);
            // Daily cap.
            if let Some(cap) = et.max_per_day {
                let date = local_date(tz, r.start);
                let mut sessions: Vec<TimeRange> = commitments.iter().filter(|(slug, range, _)| *slug == et.slug && local_date(tz, range.start) == date).map(|c| c.1).collect();
                sessions.sort();
                sessions.dedup();
                prop_assert!(sessions.len() < cap as usize || sessions.contains(&r));
            }
        }
    }

    #[test]
    fn free_calendar_offers_every_grid_point_in_working_hours(
        tz in prop::sample::select(ZONES.to_vec()),
        week_start in prop::sample::select(WEEK_STARTS.to_vec()),
        hours in arb_hours(),
        interval in minutes(&[15, 30, 60]),
    ) {
        // With nothing booked or busy and duration = interval, the slots are
        // exactly the existing grid times inside the working-hours windows
        // (each window edge read as local wall time).
        let first = date(week_start.0, week_start.1, week_start.2);
        let mut et = lesson(interval.num_minutes(), interval.num_minutes());
        et.horizon = Duration::days(3650);
        let c = coach(tz, hours.clone(), vec![et.clone()]);
        let slots = query(&c, &et).slots(week(tz, first), long_ago());
        let mut expected = Vec::new();
        for d in 0..7 {
            let day = first + Duration::days(d);
            let windows = merge(crate::booking::availability::working_hours_on(tz, &hours, day));
            let midnight: NaiveDateTime = day.into();
            let mut local = midnight;
            while local.date() == day {
                if let Some(start) = local_instant(tz, local) {
                    let r = TimeRange::new(start, start + et.duration);
                    if windows.iter().any(|w| w.contains(&r)) {
                        expected.push(start);
                    }
                }
                local += interval;
            }
        }
        expected.sort();
        prop_assert_eq!(slots.iter().map(|s| s.range.start).collect::<Vec<_>>(), expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn seats_count_down_at_the_exact_slot(
        s in arb_scenario(),
        picks in prop::collection::vec((any::<prop::sample::Index>(), 1u32..5, any::<bool>()), 1..6),
    ) {
        // Start from a scenario with nothing booked, then book or hold some
        // offered slots k times each.
        let mut s = s;
        s.holds.clear();
        s.bookings.clear();
        s.coach.event_types[0].max_per_day = None;
        let before = s.slot_query().slots(s.query, s.now);
        prop_assume!(!before.is_empty());
        let et = s.coach.event_types[0].clone();
        let mut taken: Vec<(TimeRange, u32)> = Vec::new();
        for (i, (pick, k, as_holds)) in picks.into_iter().enumerate() {
            let range = before[pick.index(before.len())].range;
            if taken.iter().any(|(r, _)| *r == range) {
                continue;
            }
            for j in 0..k {
                let id = format!("{i}-{j}");
                if as_holds {
                    s.holds.push(Hold { id, event_type: et.slug.clone(), range, expires_at: s.now + Duration::minutes(1), student_email: None });
                } else {
                    s.bookings.push(booking(&id, &et.slug, range, "s@x"));
                }
            }
            taken.push((range, k));
        }
        let after = s.slot_query().slots(s.query, s.now);
        for slot in &before {
            let k = taken.iter().find(|(r, _)| *r == slot.range).map_or(0, |(_, k)| *k);
            let widened = TimeRange::new(slot.range.start - et.buffer_before, slot.range.end + et.buffer_after);
            let blocked = taken.iter().any(|(r, _)| {
                *r != slot.range && (widened.overlaps(r) || slot.range.overlaps(&TimeRange::new(r.start - et.buffer_before, r.end + et.buffer_after)))
            });
            let now = after.iter().find(|a| a.range == slot.range);
            match now {
                Some(a) => {
                    prop_assert!(!blocked && k < et.seats);
                    prop_assert_eq!(a.seats_left, et.seats - k);
                }
                None => prop_assert!(blocked || k >= et.seats, "{:?} vanished with {} of {} seats taken", slot.range, k, et.seats),
            }
        }
        prop_assert!(after.iter().all(|a| before.iter().any(|b| b.range == a.range)), "booking never adds slots");
    }
}

/// The grid as every candidate mapped through the zone, one by one.
fn grid_one_by_one(tz: Tz, step: Duration, date: NaiveDate) -> Vec<DateTime<Utc>> {
    let midnight: NaiveDateTime = date.into();
    let next: NaiveDateTime = date.succ_opt().unwrap().into();
    (0..).map(|k| midnight + step * k).take_while(|l| *l < next).filter_map(|l| local_instant(tz, l)).collect()
}

#[test]
fn the_grid_of_a_steady_day_is_the_grid_mapped_one_by_one() {
    use chrono::Datelike;
    // Every zone, every day of two years (the changes of 2026 and 2027,
    // and the days around them), 15-minute steps; and odd steps on the
    // change days of a few zones.
    let step = Duration::minutes(15);
    let mut steady_days = 0;
    let mut change_days = 0;
    for tz in chrono_tz::TZ_VARIANTS {
        let mut d = date(2026, 1, 1);
        while d < date(2028, 1, 1) {
            let changes = steady_offset(tz, d).is_none();
            // A steady day is checked when it is next to a change; every
            // 15th otherwise (the test's time).
            let near_change = steady_offset(tz, d.pred_opt().unwrap()).is_none() || steady_offset(tz, d.succ_opt().unwrap()).is_none();
            if changes || near_change || d.ordinal() % 15 == 0 {
                assert_eq!(grid_of(tz, step, d).collect::<Vec<_>>(), grid_one_by_one(tz, step, d), "{tz} {d}");
                if changes { change_days += 1 } else { steady_days += 1 }
            }
            d = d.succ_opt().unwrap();
        }
    }
    assert!(change_days > 100 && steady_days > 10_000, "{change_days} {steady_days}");
    for tz in [Berlin, New_York, chrono_tz::Australia::Lord_Howe, chrono_tz::America::Havana, chrono_tz::Asia::Kolkata] {
        for d in [date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 10, 4), date(2026, 10, 25), date(2026, 11, 1)] {
            for minutes in [1, 7, 20, 45, 90] {
                let step = Duration::minutes(minutes);
                assert_eq!(grid_of(tz, step, d).collect::<Vec<_>>(), grid_one_by_one(tz, step, d), "{tz} {d} {minutes}m");
            }
        }
    }
}

#[test]
fn a_day_with_an_offset_change_is_not_steady() {
    assert_eq!(steady_offset(Berlin, date(2026, 3, 29)), None);
    assert_eq!(steady_offset(Berlin, date(2026, 10, 25)), None);
    assert_eq!(steady_offset(Berlin, date(2026, 3, 28)), Some(Duration::hours(1)));
    assert_eq!(steady_offset(Berlin, date(2026, 3, 30)), Some(Duration::hours(2)));
    assert_eq!(steady_offset(New_York, date(2026, 11, 1)), None);
    assert_eq!(steady_offset(chrono_tz::Asia::Kolkata, date(2026, 3, 29)), Some(Duration::minutes(330)));
}
