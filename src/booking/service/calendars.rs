//! Reading the coach's calendars: which count as busy, their indexed
//! occurrences (floating time placed in the coach's zone), the bookable
//! time of the availability calendar, the coach's declared working hours
//! (RFC 7953 VAVAILABILITY in the inbox property and the availability
//! calendar), and the active bookings and holds that occupy slots. Busy
//! occurrences come through [`super::busy_cache`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::super::availability::{BusyDay, BusyTime, DeclaredHours};
use super::super::coach::{BusyCalendars, CoachConfig};
use super::super::Booking;
use super::busy_cache::{self, BusyEntry, Version};
use super::records::{BookingStore, HoldRecord, HoldStore};
use super::{BookingService, Result};
use crate::ical::availability::{resolve, Availability};
use crate::ical::CalendarObject;
use crate::model::TimeRange;
use crate::storage::{availability_objects, StorePath, User, INBOX_AVAILABILITY_PROP};


impl BookingService {

    /// The coach's calendars that count as busy.
    /// The booking records of this store.
    pub(super) fn bookings(&self) -> BookingStore<'_> {
        BookingStore { storage: &*self.storage }
    }

    /// The holds of this store.
    pub(super) fn holds(&self) -> HoldStore<'_> {
        HoldStore { storage: &*self.storage }
    }

    fn busy_calendars(&self, coach: &CoachConfig) -> Result<Vec<StorePath>> {
        let home = StorePath::home(&coach.user);
        let names: Vec<String> = match &coach.busy_calendars {
            BusyCalendars::All => self
                .storage
                .children(&home)?
                .into_iter()
                .filter(|(name, n)| n.is_calendar() && *name != coach.availability_calendar)
                .map(|(name, _)| name)
                .collect(),
            BusyCalendars::Only(list) => {
                let mut names = list.clone();
                names.extend(coach.external_busy.iter().map(|e| e.name.clone()));
                names
            }
        };
        Ok(names.into_iter().map(|n| home.child(&n)).collect())
    }

    /// Indexed occurrences of a calendar in `range`, with floating-time
    /// objects placed exactly in the coach's zone.
    /// Each occurrence of `calendar` in `range` with its object's name and
    /// whether the object may be an invitation someone declined
    /// ([`IndexedOccurrence::may_be_declined`]).
    fn occurrences(&self, coach: &CoachConfig, calendar: &StorePath, range: TimeRange) -> Result<Vec<(String, crate::ical::Occurrence, bool)>> {
        let reindex = |bytes: &[u8], horizon: DateTime<Utc>| CalendarObject::parse(bytes).ok().map(|o| o.index_entry(horizon));
        self.storage.extend_horizon(calendar, range.end, &reindex)?;
        let mut out = Vec::new();
        let mut exact_needed = HashSet::new();
        for occ in self.storage.occurrences(calendar, &range)? {
            if occ.approximate && !occ.occurrence.all_day {
                exact_needed.insert(occ.name);
            } else {
                let may_be_declined = occ.may_be_declined();
                out.push((occ.name, occ.occurrence, may_be_declined));
            }
        }
        for name in exact_needed {
            let Some(bytes) = self.storage.content(&calendar.child(&name))? else { continue };
            let Ok(obj) = CalendarObject::parse(&bytes) else { continue };
            for inst in obj.expand(range, Some(coach.policy.tz)).instances {
                let busy = obj.busy_occurrences(inst.range, Some(coach.policy.tz)).into_iter().next().and_then(|o| o.busy);
                out.push((
                    name.clone(),
                    crate::ical::Occurrence { range: inst.range, busy, all_day: inst.all_day },
                    true,
                ));
            }
        }
        Ok(out)
    }

    /// Bookable time from the availability calendar's events in `range`
    /// (its VAVAILABILITY objects count through [`Self::declared_hours`]).
    pub(super) fn availability_events(&self, coach: &CoachConfig, range: TimeRange) -> Result<Vec<TimeRange>> {
        let cal = StorePath::home(&coach.user).child(&coach.availability_calendar);
        if self.storage.node(&cal)?.is_none() {
            return Ok(Vec::new());
        }
        let tz = coach.policy.tz;
        let vavailability = availability_objects(&*self.storage, &cal, &range)?;
        Ok(self
            .occurrences(coach, &cal, range)?
            .into_iter()
            .filter(|(name, _, _)| !vavailability.contains(name))
            .map(|(_, occ, _)| match occ.all_day_dates() {
                Some((first, end)) if occ.all_day => TimeRange::new(
                    super::super::availability::local_day(tz, first).start,
                    super::super::availability::local_day(tz, end).start,
                ),
                _ => occ.range,
            })
            .collect())
    }

    /// The coach's declared working hours around `range` (RFC 7953): the
    /// `calendar-availability` of their scheduling inbox and the
    /// VAVAILABILITY objects of their availability calendar, resolved
    /// together. `None` when they declared none.
    pub(super) fn declared_hours(&self, coach: &CoachConfig, range: TimeRange) -> Result<Option<DeclaredHours>> {
        let tz = Some(coach.policy.tz);
        let home = StorePath::home(&coach.user);
        let mut list: Vec<Availability> = Vec::new();
        if let Some(text) = self.storage.prop(&home, INBOX_AVAILABILITY_PROP)? {
            list.extend(Availability::parse_all(text.as_bytes(), tz).unwrap_or_default());
        }
        let cal = home.child(&coach.availability_calendar);
        if self.storage.node(&cal)?.is_some() {
            for name in availability_objects(&*self.storage, &cal, &range)? {
                let Some(bytes) = self.storage.content(&cal.child(&name))? else { continue };
                if let Ok(obj) = CalendarObject::parse(&bytes) {
                    list.extend(Availability::all_in(&obj, tz));
                }
            }
        }
        if list.is_empty() {
            return Ok(None);
        }
        let resolved = resolve(&list, range);
        Ok(Some(DeclaredHours { covered: resolved.covered, open: resolved.available }))
    }

    /// Busy time in `range`: timed busy events and all-day busy days,
    /// except the events of bookings themselves (they count through the
    /// booking records, which know about seats).
    pub(super) fn busy(&self, coach: &CoachConfig, range: TimeRange) -> Result<(Vec<BusyTime>, Vec<BusyDay>)> {
        let coach_user = self.storage.user(&coach.user)?;
        let mut times = Vec::new();
        let mut days = Vec::new();
        for cal in self.busy_calendars(coach)? {
            let Some(node) = self.storage.node(&cal)? else { continue };
            let Some(collection) = node.collection() else { continue };
            let is_bookings = cal.name() == coach.bookings_calendar;
            let version = Version {
                sync_id: collection.sync_id,
                revision: collection.revision,
                context: format!("{}|{:?}", coach.policy.tz.name(), coach_user.as_ref().map(|u| (&u.name, &u.email))),
            };
            let entries = self.busy_entries(coach, &cal, version, coach_user.as_ref(), range)?;
            // Whether an object of the bookings calendar is a booking's
            // event, asked once per object met in `range` (not once per
            // booking the coach ever had). Booking records change without
            // the calendar, so this is never cached.
            let mut booking_event: HashMap<&str, bool> = HashMap::new();
            for entry in entries.iter().filter(|e| e.occurrence.range.overlaps(&range)) {
                let (name, occ) = (entry.name.as_str(), &entry.occurrence);
                if is_bookings {
                    let is_booking = match booking_event.get(name).copied() {
                        Some(b) => b,
                        None => {
                            let b = self.is_booking_event(coach, &cal, name)?;
                            booking_event.insert(name, b);
                            b
                        }
                    };
                    if is_booking {
                        continue;
                    }
                }
                if entry.declined {
                    continue;
                }
                match occ.all_day_dates().filter(|_| occ.all_day) {
                    Some((first, end)) => {
                        let mut d = first;
                        while d < end {
                            days.push(BusyDay(d));
                            d = d.succ_opt().unwrap_or(end);
                        }
                    }
                    None => times.push(BusyTime { range: occ.range }),
                }
            }
        }
        Ok((times, days))
    }

    /// The busy occurrences of `cal` over (at least) `range`, each with
    /// whether it is an invitation the coach declined (a colleague's
    /// invitation the coach declined is free time; accepted, tentative or
    /// not yet answered, it is busy): from the cache when it holds this
    /// revision of the calendar, else read and kept.
    fn busy_entries(&self, coach: &CoachConfig, cal: &StorePath, version: Version, user: Option<&User>, range: TimeRange) -> Result<Arc<Vec<BusyEntry>>> {
        if let Some(hit) = self.busy_cache.get(cal, &version, range) {
            return Ok(hit);
        }
        let load = busy_cache::load_range(range);
        let mut declined: HashMap<String, bool> = HashMap::new();
        let mut entries = Vec::new();
        for (name, occurrence, may_be_declined) in self.occurrences(coach, cal, load)? {
            if occurrence.busy.is_none() {
                continue;
            }
            let declined = match (user, declined.get(&name)) {
                (None, _) => false,
                _ if !may_be_declined => false,
                (Some(_), Some(d)) => *d,
                (Some(user), None) => {
                    let d = crate::scheduling::freebusy::declined(&*self.storage, user, &cal.child(&name))?;
                    declined.insert(name.clone(), d);
                    d
                }
            };
            entries.push(BusyEntry { name, occurrence, declined });
        }
        let entries = Arc::new(entries);
        // Kept under the revision read before loading: a write since then
        // bumped it, so the next request loads again.
        self.busy_cache.put(cal, version, load, entries.clone());
        Ok(entries)
    }

    /// Whether the object `name` of the bookings calendar `cal` is a
    /// booking's event (its UID is a booking UID of this coach) or a
    /// reschedule request's (those count as holds, not busy time).
    fn is_booking_event(&self, coach: &CoachConfig, cal: &StorePath, name: &str) -> Result<bool> {
        let Some(node) = self.storage.node(&cal.child(name))? else { return Ok(false) };
        let Some(uid) = node.resource().and_then(|r| r.calendar.as_ref()).map(|c| c.uid.clone()) else { return Ok(false) };
        Ok(self.bookings().id_by_uid(&coach.user, &uid)?.is_some() || self.request_by_uid(coach, &uid)?.is_some())
    }

    /// Active bookings of a coach that start within `range`.
    pub(super) fn bookings_in(&self, coach: &CoachConfig, range: TimeRange) -> Result<Vec<Booking>> {
        Ok(self.bookings().starting_in(&coach.user, range)?.into_iter().filter(Booking::is_active).collect())
    }

    pub(super) fn active_holds(&self, coach: &CoachConfig, now: DateTime<Utc>) -> Result<Vec<HoldRecord>> {
        Ok(self.all_active_holds(now)?.into_iter().filter(|rec| rec.coach == coach.user).collect())
    }

    /// Active holds of every coach.
    pub(super) fn all_active_holds(&self, now: DateTime<Utc>) -> Result<Vec<HoldRecord>> {
        let mut holds: Vec<HoldRecord> = self.holds().all()?.into_iter().map(|(_, rec)| rec).filter(|rec| rec.hold.is_active(now)).collect();
        // Pending reschedule requests hold their time too (issue 11 §3).
        holds.extend(self.request_holds(now)?);
        Ok(holds)
    }
}
