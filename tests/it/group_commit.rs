//! Group commit (issue 16): concurrent writers that need durability share
//! one flush of the store instead of one each, over real HTTP, for DAV
//! writes and for the booking confirm path alike. That every acknowledged
//! write is on disk is what `crash` checks with `kill -9`; the exact
//! sharing rule is the unit test in `storage::flush_group`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};

use slotdav::clock::ManualClock;
use slotdav::config::Config;
use slotdav::ical::ComponentKind;
use slotdav::model::TimeRange;
use slotdav::storage::flush_group::FlushGroup;
use slotdav::storage::*;

use crate::common::*;

const WRITERS: usize = 32;

fn event(i: usize) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\nBEGIN:VEVENT\r\nUID:gc-{i}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260505T{:02}0000Z\r\nDURATION:PT1H\r\nSUMMARY:writer {i}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        i % 24
    )
}

/// The store on a slow disk: each flush takes [`SlowDisk::SYNC`] longer,
/// and concurrent flushes are grouped the way the sled backend groups them.
/// With a sync this slow, callers that do not serialise their flushes
/// must share them, whatever the machine's speed.
struct SlowDisk {
    inner: Arc<dyn Storage>,
    group: FlushGroup,
}

impl SlowDisk {
    const SYNC: StdDuration = StdDuration::from_millis(100);
}

impl Storage for SlowDisk {
    fn flush(&self) -> Result<()> {
        self.group.flush(|| {
            std::thread::sleep(Self::SYNC);
            self.inner.flush()
        })
    }
    fn flush_stats(&self) -> FlushStats {
        self.group.stats()
    }
    fn user(&self, name: &str) -> Result<Option<User>> {
        self.inner.user(name)
    }
    fn users(&self) -> Result<Vec<User>> {
        self.inner.users()
    }
    fn put_user(&self, user: &User) -> Result<()> {
        self.inner.put_user(user)
    }
    fn remove_user(&self, name: &str) -> Result<bool> {
        self.inner.remove_user(name)
    }
    fn usage(&self, user: &str) -> Result<u64> {
        self.inner.usage(user)
    }
    fn recount_usage(&self, user: &str) -> Result<u64> {
        self.inner.recount_usage(user)
    }
    fn set_quota(&self, bytes: u64){
        self.inner.set_quota(bytes)
    }
    fn node(&self, path: &StorePath) -> Result<Option<Node>> {
        self.inner.node(path)
    }
    fn children(&self, path: &StorePath) -> Result<Vec<(String, Node)>> {
        self.inner.children(path)
    }
    fn for_each_child(&self, path: &StorePath, f: &mut dyn FnMut(String, Node) -> Result<()>) -> Result<()> {
        self.inner.for_each_child(path, f)
    }
    fn content(&self, path: &StorePath) -> Result<Option<Vec<u8>>> {
        self.inner.content(path)
    }
    fn create_collection(&self, path: &StorePath, calendar: bool, components: Vec<ComponentKind>, props: Vec<(String, String)>, now: DateTime<Utc>) -> Result<Node> {
        self.inner.create_collection(path, calendar, components, props, now)
    }
    fn put_resource(&self, path: &StorePath, write: ResourceWrite, cond: &WriteCondition, now: DateTime<Utc>) -> Result<PutOutcome> {
        self.inner.put_resource(path, write, cond, now)
    }
    fn delete(&self, path: &StorePath, cond: &WriteCondition, now: DateTime<Utc>) -> Result<()> {
        self.inner.delete(path, cond, now)
    }
    fn copy(&self, from: &StorePath, to: &StorePath, overwrite: bool, deep: bool, remove_source: bool, now: DateTime<Utc>) -> Result<bool> {
        self.inner.copy(from, to, overwrite, deep, remove_source, now)
    }
    fn props(&self, path: &StorePath) -> Result<Vec<(String, String)>> {
        self.inner.props(path)
    }
    fn prop(&self, path: &StorePath, clark: &str) -> Result<Option<String>> {
        self.inner.prop(path, clark)
    }
    fn patch_props(&self, path: &StorePath, changes: &[PropChange], now: DateTime<Utc>) -> Result<()> {
        self.inner.patch_props(path, changes, now)
    }
    fn object_by_uid(&self, calendar: &StorePath, uid: &str) -> Result<Option<String>> {
        self.inner.object_by_uid(calendar, uid)
    }
    fn changes_since(&self, collection: &StorePath, revision: u64, limit: Option<usize>) -> Result<Option<ChangeSet>> {
        self.inner.changes_since(collection, revision, limit)
    }
    fn time_range_candidates(&self, calendar: &StorePath, range: &TimeRange) -> Result<Vec<Candidate>> {
        self.inner.time_range_candidates(calendar, range)
    }
    fn visit_occurrences(&self, calendar: &StorePath, range: &TimeRange, f: &mut dyn FnMut(OccurrenceRef<'_>)) -> Result<()> {
        self.inner.visit_occurrences(calendar, range, f)
    }
    fn set_read_only(&self, path: &StorePath, read_only: bool) -> Result<()> {
        self.inner.set_read_only(path, read_only)
    }
    fn extend_horizon(&self, calendar: &StorePath, until: DateTime<Utc>, reindex: Reindex<'_>) -> Result<()> {
        self.inner.extend_horizon(calendar, until, reindex)
    }
    fn record(&self, key: &RecordKey) -> Result<Option<Vec<u8>>> {
        self.inner.record(key)
    }
    fn records(&self, table: &'static str, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.inner.records(table, prefix)
    }
    fn take_record(&self, key: &RecordKey) -> Result<Option<Vec<u8>>> {
        self.inner.take_record(key)
    }
    fn apply(&self, batch: RecordBatch, now: DateTime<Utc>) -> Result<Option<PutOutcome>> {
        self.inner.apply(batch, now)
    }
}

/// Flushes and callers counted between two snapshots.
/// `WRITERS` PUTs of new events at once (`{prefix}-{i}.ics`), each
/// acknowledged with 201.
async fn put_concurrently(server: &TestServer, prefix: &str) {
    let tasks: Vec<_> = (0..WRITERS)
        .map(|i| {
            let http = server.http.clone();
            let path = format!("/dav/calendars/alice/calendar/{prefix}-{i}.ics");
            tokio::spawn(async move {
                http.request("PUT", &path).as_user(ALICE).header("Content-Type", "text/calendar").body(event(i)).send().await.status(201);
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

fn since(before: FlushStats, after: FlushStats) -> FlushStats {
    FlushStats { flushes: after.flushes - before.flushes, waiters: after.waiters - before.waiters }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_puts_share_flushes_and_every_acknowledged_one_is_there() {
    if crate::common::pg::skip_on_pg("counts sled flushes (group commit); PostgreSQL commits each write durably") {
        return;
    }
    let server = TestServer::start().await;
    // Provision alice's home and default calendar first.
    server.request("PROPFIND", "/dav/calendars/alice/").as_user(ALICE).depth("0").xml(PROPFIND_ALLPROP).send().await.status(207);
    let before = server.storage.flush_stats();
    put_concurrently(&server, "gc").await;
    let used = since(before, server.storage.flush_stats());
    assert!(used.waiters >= WRITERS as u64, "every PUT waits for durability: {used:?}");
    assert!(used.flushes < used.waiters, "{WRITERS} concurrent PUTs shared no flush: {used:?}");
    for i in 0..WRITERS {
        let body = server.http.get(ALICE, &format!("/dav/calendars/alice/calendar/gc-{i}.ics")).await;
        assert!(String::from_utf8_lossy(&body).contains(&format!("UID:gc-{i}")));
    }
}

/// A confirmation decides under the booking service's lock; it must let
/// go of it before it waits for the disk, or every confirmation pays for
/// its own sync one after the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_booking_confirms_share_flushes() {
    if crate::common::pg::skip_on_pg("counts sled flushes (group commit); PostgreSQL commits each write durably") {
        return;
    }
    // Monday 2026-05-04 08:00 Berlin; alice takes 30-minute sessions.
    let now = Utc.with_ymd_and_hms(2026, 5, 4, 6, 0, 0).unwrap();
    let text = "[booking]\nrate_limit_per_minute = 100000\nmax_holds_per_client = 100\nmax_upcoming_bookings_per_email = 100\n\
        [[coach]]\nuser = \"alice\"\ndisplay_name = \"Alice\"\ntimezone = \"Europe/Berlin\"\n\
        working_hours = { mon = [\"09:00-17:00\"], tue = [\"09:00-17:00\"], wed = [\"09:00-17:00\"], thu = [\"09:00-17:00\"], fri = [\"09:00-17:00\"] }\n\
        [[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"30m\"\n";
    let parsed = Config::parse(text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}"));
    let server = TestServer::builder()
        .config(move |c| {
            c.coaches = parsed.coaches;
            c.rate_limit_per_minute = parsed.rate_limit_per_minute;
            c.booking_limits = parsed.booking_limits;
        })
        .wrap_storage(|inner| Arc::new(SlowDisk { inner, group: FlushGroup::new() }))
        .start_with_clock(Arc::new(ManualClock::new(now)))
        .await;
    // Tuesday 09:00 Berlin (07:00 UTC) onwards, one half hour per student.
    let first: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 5, 5, 7, 0, 0).unwrap();
    let mut holds = Vec::new();
    for i in 0..WRITERS {
        let start = first + Duration::minutes(30 * (i % 16) as i64) + Duration::days((i / 16) as i64);
        let r = server
            .request("POST", "/api/v1/coaches/alice/event-types/lesson/holds")
            .header("Content-Type", "application/json")
            .body(json!({"start": start.to_rfc3339()}).to_string())
            .send()
            .await
            .status(201);
        let hold: Value = serde_json::from_slice(&r.bytes).unwrap();
        holds.push(hold["hold_id"].as_str().unwrap().to_string());
    }
    let before = server.storage.flush_stats();
    let tasks: Vec<_> = holds
        .into_iter()
        .enumerate()
        .map(|(i, id)| {
            let http = server.http.clone();
            tokio::spawn(async move {
                http.request("POST", &format!("/api/v1/holds/{id}/confirm"))
                    .header("Content-Type", "application/json")
                    .body(json!({"name": format!("Student {i}"), "email": format!("s{i}@example.org")}).to_string())
                    .send()
                    .await
                    .status(201);
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let used = since(before, server.storage.flush_stats());
    assert!(used.waiters >= WRITERS as u64, "every confirm waits for durability: {used:?}");
    assert!(used.flushes < used.waiters, "{WRITERS} concurrent confirms shared no flush: {used:?}");
}

/// A counter of the `/metrics` exposition (0 when absent).
async fn counter(server: &TestServer, name: &str) -> u64 {
    let text = server.request("GET", "/metrics").send().await.status(200).text();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .map(|v| v.trim().parse::<f64>().unwrap_or_else(|e| panic!("{name}: {v}: {e}")) as u64)
        .unwrap_or(0)
}

/// What an operator sees of group commit: `/metrics` counts the syncs
/// and the durable writes they covered, and concurrent PUTs show as more
/// writes than syncs.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_count_syncs_and_the_writes_that_shared_them() {
    if crate::common::pg::skip_on_pg("counts sled flushes (group commit); PostgreSQL commits each write durably") {
        return;
    }
    let server = TestServer::builder().wrap_storage(|inner| Arc::new(SlowDisk { inner, group: FlushGroup::new() })).start().await;
    server.request("PROPFIND", "/dav/calendars/alice/").as_user(ALICE).depth("0").xml(PROPFIND_ALLPROP).send().await.status(207);
    let (flushes, writes) = ("slotdav_store_flushes_total", "slotdav_store_durable_writes_total");
    let (flushes_before, writes_before) = (counter(&server, flushes).await, counter(&server, writes).await);
    put_concurrently(&server, "m").await;
    let synced = counter(&server, flushes).await - flushes_before;
    let durable = counter(&server, writes).await - writes_before;
    assert!(durable >= WRITERS as u64, "every PUT counted as a durable write: {durable}");
    assert!(synced >= 1 && synced < durable, "{durable} durable writes over {synced} syncs");
}
