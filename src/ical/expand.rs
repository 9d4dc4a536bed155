//! Recurrence expansion (RFC 5545 §3.8.5, RFC 4791 §9.9): RRULE, RDATE,
//! EXDATE and RECURRENCE-ID overrides → concrete [`Instance`]s inside a
//! window, plus the time-range index entry built from them.
//!
//! Recurrence rules are evaluated on wall-clock time in the zone of the
//! master's DTSTART (the `rrule` crate runs on that wall-clock time as if it
//! were UTC) and each local start is then placed in its zone. That keeps a
//! weekly 09:00 Europe/Berlin lesson at 09:00 local across DST changes, and
//! lets floating and all-day recurrences use the same path.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::component::Component;
use super::object::CalendarObject;
use super::recurrence::rrule_locals;
use super::value::{parse_duration, DateValue, IcalDuration, PeriodEnd, RDateValue};
use super::zone::Zone;
use super::{BusyKind, ComponentKind, Error, IndexEntry, Occurrence};
use crate::model::TimeRange;

/// At most this many instances are produced per object and window; a
/// recurrence set that would give more is reported as [`Expansion::capped`].
pub const MAX_INSTANCES: usize = 10_000;

/// The recurrence work one expansion of one object may do, whatever the
/// number of RRULE, RDATE, EXDATE lines and overrides in it: every rule
/// result, RDATE, EXDATE value and override costs one step, and every RRULE
/// line [`RULE_COST`] more. An object that needs more to be indexed up to
/// its calendar's horizon is refused ([`Error::TooManyInstances`], shown as
/// `CALDAV:max-instances`); when a query window needs more, the expansion
/// stops and says so ([`Expansion::exhausted`]).
pub const RECURRENCE_BUDGET: usize = 100_000;

/// What evaluating one RRULE line costs up front, so a thousand rules
/// exhaust the budget without being evaluated (the `rrule` crate may look
/// at up to 100 000 candidates of a rule before giving up on it).
pub const RULE_COST: usize = 1_000;

/// Objects with more occurrences than this up to the horizon are not
/// filed occurrence by occurrence: the index marks them to be checked on
/// every query instead, so a tiny object cannot add megabytes of index.
pub const MAX_INDEXED_OCCURRENCES: usize = 2_000;

/// How far floating spans are widened in the index (the largest UTC offsets).
pub const FLOATING_SLACK: Duration = Duration::hours(14);

/// The earliest / latest instants we compute with, the whole span of
/// RFC 5545 DATE-TIME values (four-digit years; year 0000 is refused when
/// an object is read). Windows are clamped to it; the index expands every
/// object from [`min_time`], so whatever a client may store is indexed.
pub fn min_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap()
}
pub fn max_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap()
}

/// `CALDAV:min-date-time` (RFC 4791 §5.2.6): the earliest DATE or
/// DATE-TIME value a stored object may carry (as UTC), and the earliest
/// instant a REPORT's time ranges may name: [`min_time`], where the index
/// and expansion begin. Only a zoned value of the first hours of year 1
/// east of Greenwich falls before it.
pub fn min_date_time() -> DateTime<Utc> {
    min_time()
}

/// `CALDAV:max-date-time` (RFC 4791 §5.2.7), exclusive: values must be
/// before it, [`max_time`], where the index and expansion end. Only a zoned
/// value of the last hours of 9999 west of Greenwich reaches past it.
pub fn max_date_time() -> DateTime<Utc> {
    max_time()
}

fn clamp(t: DateTime<Utc>) -> DateTime<Utc> {
    t.clamp(min_time(), max_time())
}

/// One instance of a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// The original start of this instance (its RECURRENCE-ID), absolute.
    pub recurrence_id: DateTime<Utc>,
    /// The wall-clock original start, and whether it is a DATE.
    pub recurrence_local: NaiveDateTime,
    /// Where the instance lies (RFC 4791 §9.9 span).
    pub range: TimeRange,
    /// Wall-clock start in the instance's own zone.
    pub local_start: NaiveDateTime,
    /// Index into [`CalendarObject::components`] of the component that
    /// describes this instance (the master, or an override).
    pub component: usize,
    pub all_day: bool,
    pub floating: bool,
    /// The instance belongs to a recurrence set (RRULE/RDATE or overrides).
    pub recurring: bool,
}

/// The result of expanding an object over a window.
#[derive(Debug, Clone, Default)]
pub struct Expansion {
    /// Instances overlapping the window, sorted by start.
    pub instances: Vec<Instance>,
    /// The recurrence set continues past the end of the window.
    pub unbounded: bool,
    /// [`MAX_INSTANCES`] cut the expansion short.
    pub capped: bool,
    /// The [`RECURRENCE_BUDGET`] ran out: instances may be missing.
    pub exhausted: bool,
    /// Components that overlap every range (a VTODO with no dates, §9.9).
    pub always: Vec<usize>,
}

/// How a component's end is found (RFC 4791 §9.9).
#[derive(Debug, Clone, Copy)]
enum EndRule {
    /// DTEND (VEVENT) or DUE (VTODO).
    Value(DateValue),
    Dur(IcalDuration),
    OneDay,
    Instant,
}

fn end_rule(obj: &CalendarObject, c: &Component, kind: ComponentKind, start: &DateValue) -> EndRule {
    let end_name = match kind {
        ComponentKind::Todo => "DUE",
        ComponentKind::Event | ComponentKind::FreeBusy | ComponentKind::Availability => "DTEND",
        ComponentKind::Journal => "",
    };
    if !end_name.is_empty() {
        if let Some(v) = c.prop(end_name).and_then(|p| obj.date_value(p)) {
            return EndRule::Value(v);
        }
    }
    if kind != ComponentKind::Journal {
        if let Some(d) = c.prop("DURATION").and_then(|p| parse_duration(&p.value)) {
            return EndRule::Dur(d);
        }
    }
    if start.is_date() {
        EndRule::OneDay
    } else {
        EndRule::Instant
    }
}

/// The span of an instance starting at wall-clock `local` in `zone`.
fn span(local: NaiveDateTime, zone: Zone, dtstart: &DateValue, rule: EndRule, floating: Zone) -> TimeRange {
    let start = zone.to_utc(local);
    let end = match rule {
        EndRule::Instant => start,
        EndRule::OneDay => zone.to_utc(local.checked_add_signed(Duration::days(1)).unwrap_or(local)),
        EndRule::Dur(d) => d.add_to(local, zone),
        EndRule::Value(v) => {
            if v.same_frame(dtstart) {
                let delta = v.local() - dtstart.local();
                zone.to_utc(local.checked_add_signed(delta).unwrap_or(local))
            } else {
                let delta = v.resolve(floating) - dtstart.resolve(floating);
                start.checked_add_signed(delta).unwrap_or(start)
            }
        }
    };
    TimeRange::new(start, end.max(start))
}

/// FBTYPE an instance of `c` shows as (RFC 4791 §7.10 rules for VEVENT).
pub fn busy_of(kind: ComponentKind, c: &Component) -> Option<BusyKind> {
    if kind != ComponentKind::Event {
        return None;
    }
    let upper = |n: &str| c.prop(n).map(|p| p.value.trim().to_ascii_uppercase());
    if upper("TRANSP").as_deref() == Some("TRANSPARENT") {
        return None;
    }
    match upper("STATUS").as_deref() {
        Some("CANCELLED") => None,
        Some("TENTATIVE") => Some(BusyKind::BusyTentative),
        _ => Some(BusyKind::Busy),
    }
}

struct Override {
    idx: usize,
    rid: DateTime<Utc>,
    rid_local: NaiveDateTime,
    this_and_future: bool,
    start: DateValue,
    rule: EndRule,
}

/// What is left of the [`RECURRENCE_BUDGET`] of one expansion.
struct Budget(usize);

impl Budget {
    /// Takes `n` steps; false (and nothing taken) when fewer are left.
    fn take(&mut self, n: usize) -> bool {
        match self.0.checked_sub(n) {
            Some(left) => {
                self.0 = left;
                true
            }
            None => {
                self.0 = 0;
                false
            }
        }
    }
}

/// Expand `obj` over `window`; floating values are read in `floating`.
pub fn expand(obj: &CalendarObject, window: TimeRange, floating: Zone) -> Expansion {
    let mut left = RECURRENCE_BUDGET;
    expand_within(obj, window, floating, &mut left)
}

/// [`expand`] on a budget shared with other expansions: `left` is what is
/// left of it before and after (the AVAILABLE sets of RFC 7953 availability
/// share one [`RECURRENCE_BUDGET`] however many there are).
pub(super) fn expand_within(obj: &CalendarObject, window: TimeRange, floating: Zone, left: &mut usize) -> Expansion {
    let window = TimeRange::new(clamp(window.start), clamp(window.end));
    let kind = obj.kind();
    if kind == ComponentKind::Availability {
        return availability_spans(obj, window, floating);
    }
    let comps: Vec<&Component> = obj.components().collect();
    let mut exp = Expansion::default();
    let mut budget = Budget(*left);
    let master_idx = comps.iter().position(|c| !c.has("RECURRENCE-ID"));
    let recurring_obj = comps.len() > 1
        || master_idx.is_some_and(|m| comps[m].has("RRULE") || comps[m].has("RDATE"));

    // Overrides, with the master's end rule when they carry none of their own.
    let master_start = master_idx.and_then(|m| comps[m].prop("DTSTART")).and_then(|p| obj.date_value(p));
    let master_rule = master_idx
        .zip(master_start)
        .map(|(m, s)| end_rule(obj, comps[m], kind, &s));
    let mut overrides: Vec<Override> = Vec::new();
    for (idx, c) in comps.iter().enumerate() {
        let Some(rid_p) = c.prop("RECURRENCE-ID") else { continue };
        if !budget.take(1) {
            exp.exhausted = true;
            break;
        }
        let Some(rid_v) = obj.date_value(rid_p) else { continue };
        let rid_zone = match (rid_v, master_start) {
            (DateValue::Date(_) | DateValue::Floating(_), Some(ms)) => ms.zone(floating),
            _ => rid_v.zone(floating),
        };
        let rid = rid_zone.to_utc(rid_v.local());
        let start = c.prop("DTSTART").and_then(|p| obj.date_value(p)).unwrap_or(rid_v);
        let mut rule = end_rule(obj, c, kind, &start);
        if matches!(rule, EndRule::Instant | EndRule::OneDay) && !start.is_date() {
            if let (Some(ms), Some(EndRule::Value(_) | EndRule::Dur(_))) = (master_start, master_rule) {
                let m = span(ms.local(), ms.zone(floating), &ms, master_rule.unwrap(), floating);
                rule = EndRule::Dur(IcalDuration { days: 0, seconds: m.duration().num_seconds() });
            }
        }
        let this_and_future = rid_p.param("RANGE").is_some_and(|r| r.eq_ignore_ascii_case("THISANDFUTURE"));
        overrides.push(Override { idx, rid, rid_local: rid_v.local(), this_and_future, start, rule });
    }

    let push = |exp: &mut Expansion, inst: Instance| {
        if inst.range.overlaps(&window) || (inst.range.start == inst.range.end && inst.range.start == window.start) {
            if exp.instances.len() >= MAX_INSTANCES {
                exp.capped = true;
            } else {
                exp.instances.push(inst);
            }
        }
    };

    if let Some(m) = master_idx {
        let c = comps[m];
        match c.prop("DTSTART").and_then(|p| obj.date_value(p)) {
            Some(ds) => {
                let zone = ds.zone(floating);
                let rule = master_rule.unwrap_or(EndRule::Instant);
                let local0 = ds.local();
                // Wall-clock limit with a day of slack for zone offsets; the
                // absolute test happens per instance.
                let limit = zone.to_local(window.end) + Duration::days(2);
                let until_zone = if ds.is_floating() { None } else { Some(zone) };
                let mut locals: Vec<(NaiveDateTime, Option<DateTime<Utc>>)> = vec![(local0, None)];
                for p in c.props_named("RRULE") {
                    if !budget.take(RULE_COST) {
                        exp.exhausted = true;
                        break;
                    }
                    let cap = budget.0;
                    let (more, cont) = rrule_locals(local0, &p.value, until_zone, limit, cap);
                    if cont {
                        exp.unbounded = true;
                        if more.len() >= cap {
                            exp.exhausted = true;
                        }
                    }
                    budget.take(more.len());
                    locals.extend(more.into_iter().map(|l| (l, None)));
                }
                'rdates: for p in c.props_named("RDATE") {
                    for rd in obj.rdates(p) {
                        if !budget.take(1) {
                            exp.exhausted = true;
                            break 'rdates;
                        }
                        let (v, end) = match rd {
                            RDateValue::At(v) => (v, None),
                            RDateValue::Period(v, PeriodEnd::End(e)) => (v, Some(e.resolve(floating))),
                            RDateValue::Period(v, PeriodEnd::Duration(d)) => {
                                (v, Some(d.add_to(v.local(), v.zone(floating))))
                            }
                        };
                        let local = if v.is_floating() || v.same_frame(&ds) {
                            v.local()
                        } else {
                            zone.to_local(v.resolve(floating))
                        };
                        if local >= limit {
                            exp.unbounded = true;
                        } else {
                            locals.push((local, end));
                        }
                    }
                }
                locals.sort_by_key(|l| l.0);
                locals.dedup_by_key(|l| l.0);

                let mut ex_abs: HashSet<DateTime<Utc>> = HashSet::new();
                let mut ex_dates: HashSet<NaiveDate> = HashSet::new();
                'exdates: for p in c.props_named("EXDATE") {
                    for v in obj.multi_dates(p) {
                        if !budget.take(1) {
                            exp.exhausted = true;
                            break 'exdates;
                        }
                        match v {
                            DateValue::Date(d) => ex_dates.insert(d),
                            DateValue::Floating(l) => ex_abs.insert(zone.to_utc(l)),
                            other => ex_abs.insert(other.resolve(floating)),
                        };
                    }
                }

                let mut tafs: Vec<&Override> = overrides.iter().filter(|o| o.this_and_future).collect();
                tafs.sort_by_key(|o| o.rid);
                let overridden: HashSet<DateTime<Utc>> = overrides.iter().map(|o| o.rid).collect();
                for (local, explicit_end) in locals {
                    let rid = zone.to_utc(local);
                    if ex_abs.contains(&rid) || ex_dates.contains(&local.date()) {
                        continue;
                    }
                    if overridden.contains(&rid) {
                        continue;
                    }
                    if rid >= window.end && exp.instances.len() < MAX_INSTANCES {
                        // Past the window; with THISANDFUTURE shifts it could
                        // still move in, handled best effort below.
                        if tafs.is_empty() {
                            exp.unbounded = true;
                            break;
                        }
                    }
                    let mut inst = Instance {
                        recurrence_id: rid,
                        recurrence_local: local,
                        range: span(local, zone, &ds, rule, floating),
                        local_start: local,
                        component: m,
                        all_day: ds.is_date(),
                        floating: ds.is_floating(),
                        recurring: recurring_obj,
                    };
                    if let Some(end) = explicit_end {
                        inst.range = TimeRange::new(inst.range.start, end.max(inst.range.start));
                    }
                    let before = tafs.partition_point(|o| o.rid < rid);
                    if let Some(o) = before.checked_sub(1).map(|i| tafs[i]) {
                        // RANGE=THISANDFUTURE: later instances take the
                        // override's shift, duration and properties.
                        let o_zone = o.start.zone(floating);
                        let shift = o.start.local() - o.rid_local;
                        let new_local = local.checked_add_signed(shift).unwrap_or(local);
                        let new_zone = if o.start.same_frame(&ds) { zone } else { o_zone };
                        inst.local_start = new_local;
                        inst.range = span(new_local, new_zone, &o.start, o.rule, floating);
                        inst.component = o.idx;
                    }
                    push(&mut exp, inst);
                    if exp.capped {
                        break;
                    }
                }
            }
            // RFC 4791 §9.9: a VFREEBUSY without DTSTART lies where its
            // FREEBUSY periods do, whatever their FBTYPE.
            None if kind == ComponentKind::FreeBusy => {
                for p in c.props_named("FREEBUSY") {
                    for period in obj.rdates(p) {
                        if !budget.take(1) {
                            exp.exhausted = true;
                            break;
                        }
                        let (start, range) = match period {
                            RDateValue::Period(v, PeriodEnd::End(e)) => (v, TimeRange::new(v.resolve(floating), e.resolve(floating))),
                            RDateValue::Period(v, PeriodEnd::Duration(d)) => {
                                (v, TimeRange::new(v.resolve(floating), d.add_to(v.local(), v.zone(floating))))
                            }
                            RDateValue::At(_) => continue,
                        };
                        let range = TimeRange::new(range.start, range.end.max(range.start));
                        push(
                            &mut exp,
                            Instance {
                                recurrence_id: range.start,
                                recurrence_local: start.local(),
                                range,
                                local_start: start.local(),
                                component: m,
                                all_day: false,
                                floating: start.is_floating(),
                                recurring: false,
                            },
                        );
                    }
                }
            }
            None => {
                if let Some(s) = untimed_span(obj, c, kind) {
                    match s {
                        Some(r) => push(
                            &mut exp,
                            Instance {
                                recurrence_id: r.start,
                                recurrence_local: r.start.naive_utc(),
                                range: r,
                                local_start: r.start.naive_utc(),
                                component: m,
                                all_day: false,
                                floating: false,
                                recurring: false,
                            },
                        ),
                        None => exp.always.push(m),
                    }
                }
            }
        }
    }

    for o in &overrides {
        let zone = o.start.zone(floating);
        let inst = Instance {
            recurrence_id: o.rid,
            recurrence_local: o.rid_local,
            range: span(o.start.local(), zone, &o.start, o.rule, floating),
            local_start: o.start.local(),
            component: o.idx,
            all_day: o.start.is_date(),
            floating: o.start.is_floating(),
            recurring: true,
        };
        if inst.range.start >= window.end {
            exp.unbounded = true;
        }
        push(&mut exp, inst);
    }
    exp.instances.sort_by_key(|i| (i.range.start, i.range.end));
    *left = budget.0;
    exp
}

/// The time range of each VAVAILABILITY (RFC 7953 §3.1, §7.1): DTSTART to
/// DTEND (or DTSTART + DURATION); without DTSTART it starts at the
/// beginning of time, without an end it never ends. One instance each.
fn availability_spans(obj: &CalendarObject, window: TimeRange, floating: Zone) -> Expansion {
    let mut exp = Expansion::default();
    for (idx, c) in obj.components().enumerate() {
        let start = c.prop("DTSTART").and_then(|p| obj.date_value(p));
        let from = start.map(|s| s.resolve(floating)).unwrap_or_else(min_time);
        let to = match (c.prop("DTEND").and_then(|p| obj.date_value(p)), start) {
            (Some(e), _) => e.resolve(floating),
            (None, Some(s)) => match c.prop("DURATION").and_then(|p| parse_duration(&p.value)) {
                Some(d) => d.add_to(s.local(), s.zone(floating)),
                None => max_time(),
            },
            (None, None) => max_time(),
        };
        let range = TimeRange::new(clamp(from), clamp(to).max(clamp(from)));
        if range.start >= window.end {
            exp.unbounded = true;
        }
        if !range.overlaps(&window) {
            continue;
        }
        let floating_value = start.is_some_and(|s| s.is_floating());
        exp.instances.push(Instance {
            recurrence_id: range.start,
            recurrence_local: range.start.naive_utc(),
            range,
            local_start: start.map(|s| s.local()).unwrap_or(range.start.naive_utc()),
            component: idx,
            all_day: start.is_some_and(|s| s.is_date()),
            floating: floating_value,
            recurring: false,
        });
    }
    exp.instances.sort_by_key(|i| (i.range.start, i.range.end));
    exp
}

/// RFC 4791 §9.9 for a component without DTSTART: `Some(Some(span))`, or
/// `Some(None)` when it matches every range, or `None` when it never does.
fn untimed_span(obj: &CalendarObject, c: &Component, kind: ComponentKind) -> Option<Option<TimeRange>> {
    if kind != ComponentKind::Todo {
        return None;
    }
    let utc = |n: &str| c.prop(n).and_then(|p| obj.date_value(p)).map(|v| v.resolve(Zone::UTC));
    if let Some(due) = utc("DUE") {
        return Some(Some(TimeRange::new(due, due)));
    }
    match (utc("COMPLETED"), utc("CREATED")) {
        (Some(done), Some(created)) => Some(Some(TimeRange::new(created.min(done), created.max(done)))),
        (Some(done), None) => Some(Some(TimeRange::new(done, done))),
        (None, Some(created)) => Some(Some(TimeRange::new(created, max_time()))),
        (None, None) => Some(None),
    }
}

impl Instance {
    /// The span widened by [`FLOATING_SLACK`] when floating.
    pub fn index_range(&self) -> TimeRange {
        if self.floating {
            TimeRange::new(
                clamp(self.range.start - FLOATING_SLACK),
                clamp(self.range.end + FLOATING_SLACK),
            )
        } else {
            self.range
        }
    }
}

impl CalendarObject {
    /// RFC 4791 §5.2.6/§5.2.7 for a PUT: every time value of the object's
    /// components (DTSTART, DTEND, DUE, RECURRENCE-ID, RDATE, EXDATE, an
    /// RRULE's UNTIL; floating ones read as UTC) lies in
    /// [`min_date_time`]..[`max_date_time`]. VTIMEZONE observances are not
    /// looked at (their DTSTARTs of 1601 or 1970 only anchor rules), nor
    /// are the timestamps DTSTAMP, CREATED and LAST-MODIFIED.
    pub fn check_date_bounds(&self) -> Result<(), Error> {
        let (min, max) = (min_date_time(), max_date_time());
        let check = |t: DateTime<Utc>, what: &str| {
            if t < min {
                Err(Error::BeforeMinDateTime(format!("{what} {}", t.format("%Y%m%dT%H%M%SZ"))))
            } else if t >= max {
                Err(Error::AfterMaxDateTime(format!("{what} {}", t.format("%Y%m%dT%H%M%SZ"))))
            } else {
                Ok(())
            }
        };
        for c in self.components() {
            for p in &c.props {
                let name = p.name.as_str();
                match name {
                    "DTSTART" | "DTEND" | "DUE" | "RECURRENCE-ID" => {
                        if let Some(v) = self.date_value(p) {
                            check(v.resolve(Zone::UTC), name)?;
                        }
                    }
                    "EXDATE" => {
                        for v in self.multi_dates(p) {
                            check(v.resolve(Zone::UTC), name)?;
                        }
                    }
                    "RDATE" => {
                        for v in self.rdates(p) {
                            let (RDateValue::At(v) | RDateValue::Period(v, _)) = v;
                            check(v.resolve(Zone::UTC), name)?;
                        }
                    }
                    "RRULE" => {
                        let until = p.value.split(';').find_map(|part| {
                            let (k, v) = part.split_once('=')?;
                            k.trim().eq_ignore_ascii_case("UNTIL").then(|| super::value::parse_local_datetime(v))?
                        });
                        if let Some(local) = until {
                            check(local.and_utc(), "UNTIL")?;
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Expand over `window`, floating times read in `floating_tz` (UTC when
    /// None).
    pub fn expand(&self, window: TimeRange, floating_tz: Option<chrono_tz::Tz>) -> Expansion {
        expand(self, window, floating_tz.map(Zone::Iana).unwrap_or(Zone::UTC))
    }

    /// The time-range index entry: every occurrence starting before
    /// `horizon`. Floating (and all-day) spans are read in UTC and widened by
    /// ±14 h; for an all-day occurrence `range.start + 14h` is midnight
    /// starting its first day, read as UTC (see [`Occurrence::all_day_dates`]).
    ///
    /// A recurrence set too big to index (more than
    /// [`MAX_INDEXED_OCCURRENCES`], or beyond the budget) gets an entry
    /// without occurrences that matches every range: the object is checked
    /// exactly on every query. For a new object use
    /// [`CalendarObject::checked_index_entry`], which refuses the latter.
    pub fn index_entry(&self, horizon: DateTime<Utc>) -> IndexEntry {
        self.index_expansion(horizon).0
    }

    /// [`CalendarObject::index_entry`] for an object a client stores: one
    /// whose recurrence set cannot be computed up to `horizon` within the
    /// [`RECURRENCE_BUDGET`] is refused (RFC 4791 §5.3.2.1
    /// `CALDAV:max-instances`), whatever the number of rules in it.
    pub fn checked_index_entry(&self, horizon: DateTime<Utc>) -> Result<IndexEntry, Error> {
        match self.index_expansion(horizon) {
            (_, true) => Err(Error::TooManyInstances { limit: RECURRENCE_BUDGET }),
            (entry, false) => Ok(entry),
        }
    }

    /// The index entry, and whether the budget ran out building it.
    fn index_expansion(&self, horizon: DateTime<Utc>) -> (IndexEntry, bool) {
        let exp = expand(self, TimeRange::new(min_time(), clamp(horizon) + FLOATING_SLACK), Zone::UTC);
        let comps: Vec<&Component> = self.components().collect();
        let kind = self.kind();
        let mut occurrences: Vec<Occurrence> = exp
            .instances
            .iter()
            .map(|i| Occurrence {
                range: i.index_range(),
                busy: busy_of(kind, comps[i.component]),
                all_day: i.all_day,
            })
            .filter(|o| o.range.start < horizon)
            .collect();
        occurrences.sort_by_key(|o| (o.range.start, o.range.end));
        let floating = exp.instances.iter().any(|i| i.floating) || self.uses_floating();
        let unbounded = exp.unbounded
            || exp.instances.iter().any(|i| i.index_range().start >= horizon);
        let lazy = exp.capped || exp.exhausted || occurrences.len() > MAX_INDEXED_OCCURRENCES;
        if lazy {
            occurrences = Vec::new();
        }
        let entry = IndexEntry { occurrences, unbounded, floating, always_matches: !exp.always.is_empty() || lazy };
        (entry, exp.exhausted)
    }

    /// Exact busy occurrences overlapping `range` (floating times read in
    /// `floating_tz`), for free/busy: only instances that block time.
    pub fn busy_occurrences(&self, range: TimeRange, floating_tz: Option<chrono_tz::Tz>) -> Vec<Occurrence> {
        let exp = self.expand(range, floating_tz);
        let comps: Vec<&Component> = self.components().collect();
        exp.instances
            .iter()
            .filter_map(|i| {
                let busy = busy_of(self.kind(), comps[i.component])?;
                Some(Occurrence { range: i.range, busy: Some(busy), all_day: i.all_day })
            })
            .collect()
    }
}

impl Occurrence {
    /// For an all-day occurrence from the index: its first day and the day
    /// after its last (undoing the ±14 h floating widening).
    pub fn all_day_dates(&self) -> Option<(NaiveDate, NaiveDate)> {
        if !self.all_day {
            return None;
        }
        let s = (self.range.start + FLOATING_SLACK).date_naive();
        let e = (self.range.end - FLOATING_SLACK).date_naive();
        Some((s, e.max(s)))
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    use crate::ical::testing::obj;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn year(y: i32) -> TimeRange {
        TimeRange::new(utc(y, 1, 1, 0, 0), utc(y + 1, 1, 1, 0, 0))
    }

    fn starts(o: &CalendarObject, w: TimeRange) -> Vec<DateTime<Utc>> {
        o.expand(w, None).instances.iter().map(|i| i.range.start).collect()
    }

    /// Found by the `ical` fuzz target (a 15 s timeout under load): a
    /// weekly event from the year 266 whose every instance lasts until
    /// 2026, so all ~92,000 of them overlap any window. Expansion must
    /// stop at its caps and say so, never grow with the input's age.
    #[test]
    fn an_ancient_weekly_event_whose_instances_all_overlap_is_capped() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fuzz//EN\r\nBEGIN:VEVENT\r\nUID:ancient\r\nDTSTAMP:20260101T000000Z\r\n\
DTSTART:02660201T080000Z\r\nDTEND:20260601T090000Z\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let o = CalendarObject::parse(text.as_bytes()).expect("it parses");
        let e = o.expand(TimeRange::new(utc(2025, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0)), None);
        assert!(e.capped || e.exhausted, "an expansion of ~92,000 overlapping instances must be cut short");
        assert!(e.instances.len() <= MAX_INSTANCES, "{} instances", e.instances.len());
        let entry = o.index_entry(utc(2028, 1, 1, 0, 0));
        assert!(entry.occurrences.len() <= RECURRENCE_BUDGET);
    }

    const BERLIN_VTZ: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nEND:VTIMEZONE\r\n";

    #[test]
    fn weekly_berlin_keeps_wall_clock_across_dst() {
        let o = obj(&format!(
            "{BERLIN_VTZ}BEGIN:VEVENT\r\nUID:w\r\nDTSTART;TZID=Europe/Berlin:20260323T090000\r\n\
DTEND;TZID=Europe/Berlin:20260323T100000\r\nRRULE:FREQ=WEEKLY;COUNT=32\r\nEND:VEVENT\r\n"
        ));
        let s = starts(&o, year(2026));
        assert_eq!(s.len(), 32);
        assert_eq!(s[0], utc(2026, 3, 23, 8, 0)); // CET
        assert_eq!(s[1], utc(2026, 3, 30, 7, 0)); // CEST after March 29
        assert_eq!(s[30], utc(2026, 10, 19, 7, 0));
        assert_eq!(s[31], utc(2026, 10, 26, 8, 0)); // CET again after October 25
        let i = &o.expand(year(2026), None).instances[1];
        assert_eq!(i.range.duration(), Duration::hours(1));
    }

    #[test]
    fn daily_new_york_across_both_2026_changes() {
        let o = obj("BEGIN:VEVENT\r\nUID:ny\r\nDTSTART;TZID=America/New_York:20260307T170000\r\n\
DURATION:PT30M\r\nRRULE:FREQ=DAILY;UNTIL=20261102T000000Z\r\nEND:VEVENT\r\n");
        let s = starts(&o, year(2026));
        assert_eq!(s[0], utc(2026, 3, 7, 22, 0)); // EST
        assert_eq!(s[1], utc(2026, 3, 8, 21, 0)); // EDT from March 8
        let last = *s.last().unwrap();
        assert_eq!(last, utc(2026, 11, 1, 22, 0)); // EST from November 1
        assert_eq!(s.len(), 240);
    }

    #[test]
    fn override_moves_instance_and_exdate_removes_one() {
        let o = obj("BEGIN:VEVENT\r\nUID:o\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\n\
RRULE:FREQ=DAILY;COUNT=5\r\nEXDATE:20260107T090000Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:o\r\nRECURRENCE-ID:20260106T090000Z\r\nDTSTART:20260106T150000Z\r\n\
DTEND:20260106T160000Z\r\nSTATUS:TENTATIVE\r\nEND:VEVENT\r\n");
        let s = starts(&o, year(2026));
        assert_eq!(
            s,
            vec![utc(2026, 1, 5, 9, 0), utc(2026, 1, 6, 15, 0), utc(2026, 1, 8, 9, 0), utc(2026, 1, 9, 9, 0)]
        );
        let e = o.index_entry(utc(2027, 1, 1, 0, 0));
        assert_eq!(e.occurrences[1].busy, Some(BusyKind::BusyTentative));
        assert_eq!(e.occurrences[0].busy, Some(BusyKind::Busy));
        assert!(!e.unbounded && !e.floating && !e.always_matches);
    }

    #[test]
    fn cancelled_override_is_not_busy() {
        let o = obj("BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\n\
RRULE:FREQ=DAILY;COUNT=2\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:c\r\nRECURRENCE-ID:20260106T090000Z\r\n\
DTSTART:20260106T090000Z\r\nDTEND:20260106T100000Z\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n");
        let e = o.index_entry(utc(2027, 1, 1, 0, 0));
        assert_eq!(e.occurrences.len(), 2);
        assert_eq!(e.occurrences[1].busy, None);
    }

    #[test]
    fn this_and_future_shifts_later_instances() {
        let o = obj("BEGIN:VEVENT\r\nUID:t\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\n\
RRULE:FREQ=DAILY;COUNT=4\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:t\r\n\
RECURRENCE-ID;RANGE=THISANDFUTURE:20260106T090000Z\r\nDTSTART:20260106T110000Z\r\nDTEND:20260106T120000Z\r\nEND:VEVENT\r\n");
        let s = starts(&o, year(2026));
        assert_eq!(
            s,
            vec![utc(2026, 1, 5, 9, 0), utc(2026, 1, 6, 11, 0), utc(2026, 1, 7, 11, 0), utc(2026, 1, 8, 11, 0)]
        );
    }

    #[test]
    fn unbounded_rule_and_horizon() {
        let o = obj("BEGIN:VEVENT\r\nUID:u\r\nDTSTART:20260105T090000Z\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n");
        let e = o.index_entry(utc(2026, 2, 1, 0, 0));
        assert!(e.unbounded);
        assert_eq!(e.occurrences.len(), 4);
        // DATE-TIME without DTEND: an instant.
        assert_eq!(e.occurrences[0].range.duration(), Duration::zero());
    }

    #[test]
    fn all_day_and_floating_are_widened_and_flagged() {
        let o = obj("BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20260105\r\nRRULE:FREQ=DAILY;COUNT=2\r\n\
EXDATE;VALUE=DATE:20260106\r\nRDATE;VALUE=DATE:20260110,20260111\r\nEND:VEVENT\r\n");
        let e = o.index_entry(utc(2027, 1, 1, 0, 0));
        assert!(e.floating);
        assert_eq!(e.occurrences.len(), 3);
        let first = &e.occurrences[0];
        assert!(first.all_day);
        assert_eq!(first.range.start, utc(2026, 1, 4, 10, 0));
        assert_eq!(first.range.end, utc(2026, 1, 6, 14, 0));
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(first.all_day_dates(), Some((d(1, 5), d(1, 6))));
        // Read in a zone, the day is that zone's day.
        let tokyo = o.expand(year(2026), Some(Tz::Asia__Tokyo));
        assert_eq!(tokyo.instances[0].range.start, utc(2026, 1, 4, 15, 0));
    }

    #[test]
    fn floating_recurrence_follows_query_zone() {
        let o = obj("BEGIN:VEVENT\r\nUID:f\r\nDTSTART:20260105T090000\r\nDURATION:PT1H\r\n\
RRULE:FREQ=WEEKLY;UNTIL=20260120\r\nEND:VEVENT\r\n");
        let berlin = o.expand(year(2026), Some(Tz::Europe__Berlin));
        assert_eq!(berlin.instances.len(), 3);
        assert_eq!(berlin.instances[0].range.start, utc(2026, 1, 5, 8, 0));
        assert!(o.index_entry(utc(2027, 1, 1, 0, 0)).floating);
    }

    #[test]
    fn period_rdates_and_multiple_exdate_lines() {
        let o = obj("BEGIN:VEVENT\r\nUID:p\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\n\
RRULE:FREQ=DAILY;COUNT=5\r\nEXDATE:20260106T090000Z,20260107T090000Z\r\nEXDATE:20260108T090000Z\r\n\
RDATE;VALUE=PERIOD:20260120T120000Z/PT3H,20260121T120000Z/20260121T123000Z\r\nEND:VEVENT\r\n");
        let exp = o.expand(year(2026), None);
        let spans: Vec<_> = exp.instances.iter().map(|i| (i.range.start, i.range.duration())).collect();
        assert_eq!(
            spans,
            vec![
                (utc(2026, 1, 5, 9, 0), Duration::hours(1)),
                (utc(2026, 1, 9, 9, 0), Duration::hours(1)),
                (utc(2026, 1, 20, 12, 0), Duration::hours(3)),
                (utc(2026, 1, 21, 12, 0), Duration::minutes(30)),
            ]
        );
    }

    #[test]
    fn outlook_windows_tzid_with_vtimezone() {
        let o = obj("BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nBEGIN:STANDARD\r\n\
DTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r\n\
END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n\
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:ol\r\nDTSTART;TZID=W. Europe Standard Time:20260326T090000\r\n\
DTEND;TZID=W. Europe Standard Time:20260326T100000\r\nRRULE:FREQ=WEEKLY;UNTIL=20260402T070000Z\r\nEND:VEVENT\r\n");
        assert_eq!(starts(&o, year(2026)), vec![utc(2026, 3, 26, 8, 0), utc(2026, 4, 2, 7, 0)]);
    }

    #[test]
    fn mozilla_tzid() {
        let o = obj("BEGIN:VEVENT\r\nUID:m\r\nDTSTART;TZID=/mozilla.org/20050126_1/Europe/Berlin:20260701T090000\r\n\
END:VEVENT\r\n");
        assert_eq!(o.dtstart(), Some(utc(2026, 7, 1, 7, 0)));
        assert!(!o.index_entry(utc(2027, 1, 1, 0, 0)).floating);
    }

    #[test]
    fn todo_and_journal_rules() {
        let todo = obj("BEGIN:VTODO\r\nUID:t\r\nSUMMARY:x\r\nEND:VTODO\r\n");
        assert!(todo.index_entry(utc(2027, 1, 1, 0, 0)).always_matches);
        let due = obj("BEGIN:VTODO\r\nUID:t\r\nDUE:20260105T090000Z\r\nEND:VTODO\r\n");
        let e = due.index_entry(utc(2027, 1, 1, 0, 0));
        assert_eq!(e.occurrences[0].range, TimeRange::new(utc(2026, 1, 5, 9, 0), utc(2026, 1, 5, 9, 0)));
        assert_eq!(e.occurrences[0].busy, None);
        let both = obj("BEGIN:VTODO\r\nUID:t\r\nDTSTART:20260105T090000Z\r\nDUE:20260106T090000Z\r\nEND:VTODO\r\n");
        assert_eq!(both.expand(year(2026), None).instances[0].range.duration(), Duration::days(1));
        let journal = obj("BEGIN:VJOURNAL\r\nUID:j\r\nSUMMARY:x\r\nEND:VJOURNAL\r\n");
        let e = journal.index_entry(utc(2027, 1, 1, 0, 0));
        assert!(e.occurrences.is_empty() && !e.always_matches);
        let jday = obj("BEGIN:VJOURNAL\r\nUID:j\r\nDTSTART;VALUE=DATE:20260105\r\nEND:VJOURNAL\r\n");
        assert_eq!(jday.expand(year(2026), None).instances[0].range.duration(), Duration::days(1));
    }

    #[test]
    fn transparent_is_not_busy() {
        let o = obj("BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\nTRANSP:TRANSPARENT\r\nEND:VEVENT\r\n");
        assert_eq!(o.index_entry(utc(2027, 1, 1, 0, 0)).occurrences[0].busy, None);
    }

    #[test]
    fn hostile_rule_is_refused_and_indexed_lazily() {
        let o = obj("BEGIN:VEVENT\r\nUID:h\r\nDTSTART:20200101T000000Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\n");
        let e = o.index_entry(utc(2030, 1, 1, 0, 0));
        assert!(e.occurrences.is_empty());
        assert!(e.always_matches);
        assert_eq!(o.checked_index_entry(utc(2030, 1, 1, 0, 0)), Err(Error::TooManyInstances { limit: RECURRENCE_BUDGET }));
    }

    #[test]
    fn many_rules_share_one_budget() {
        let rules: String = (1..=150).map(|n| format!("RRULE:FREQ=DAILY;INTERVAL={n};COUNT=5\r\n")).collect();
        let o = obj(&format!("BEGIN:VEVENT\r\nUID:m\r\nDTSTART:20260101T000000Z\r\n{rules}END:VEVENT\r\n"));
        // 150 rules cost more than the budget even though each is tiny.
        assert!(o.expand(year(2026), None).exhausted);
        assert!(o.checked_index_entry(utc(2028, 1, 1, 0, 0)).is_err());
        let two: String = (1..=2).map(|n| format!("RRULE:FREQ=DAILY;INTERVAL={n};COUNT=5\r\n")).collect();
        let o = obj(&format!("BEGIN:VEVENT\r\nUID:m\r\nDTSTART:20260101T000000Z\r\n{two}END:VEVENT\r\n"));
        assert_eq!(o.checked_index_entry(utc(2028, 1, 1, 0, 0)).unwrap().occurrences.len(), 7);
    }

    #[test]
    fn big_but_bounded_series_is_indexed_lazily() {
        let o = obj("BEGIN:VEVENT\r\nUID:s\r\nDTSTART:20260101T000000Z\r\nRRULE:FREQ=SECONDLY;COUNT=20000\r\nEND:VEVENT\r\n");
        let e = o.checked_index_entry(utc(2028, 1, 1, 0, 0)).unwrap();
        assert!(e.occurrences.is_empty() && e.always_matches);
        let daily = obj("BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20260101T000000Z\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n");
        let e = daily.checked_index_entry(utc(2028, 1, 1, 0, 0)).unwrap();
        assert_eq!(e.occurrences.len(), 730);
        assert!(!e.always_matches && e.unbounded);
    }

    #[test]
    fn date_until_with_zoned_start() {
        let o = obj("BEGIN:VEVENT\r\nUID:d\r\nDTSTART;TZID=Europe/Berlin:20260105T090000\r\n\
RRULE:FREQ=DAILY;UNTIL=20260107\r\nEND:VEVENT\r\n");
        assert_eq!(starts(&o, year(2026)).len(), 3);
    }
}
