//! The Prometheus registry behind `/metrics` (issue 13 §5), written with
//! the `prometheus-client` crate: request counts and latency by method,
//! route class and status class; booking changes by outcome; webhook
//! deliveries and external-calendar fetches by result; and gauges the
//! scrape sets from what the server already keeps ([`Snapshot`]: active
//! holds, outbox depth and failures by kind, store size, and the store's
//! group commit: syncs run and the durable writes they covered; password
//! checks run).
//!
//! Plumbing like `http`: it imports nothing of the crate. `app` owns the
//! one [`Metrics`] (`App::metrics`) and hands it to whoever counts:
//! `server` for requests, the booking change hook for outcomes, the
//! feed importer, and the webhook deliverer.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The content type of the exposition (OpenMetrics text, which Prometheus
/// scrapes; what `prometheus-client` writes).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

/// What a scrape reads from the server's state, each in O(1) or
/// O(number of kinds).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub holds_active: u64,
    /// Messages waiting in the outbox, as the mail worker last counted.
    pub outbox_depth: u64,
    /// Messages given up on, by kind (`student`, `coach`, …).
    pub outbox_failed: Vec<(&'static str, u64)>,
    pub store_bytes: u64,
    /// Syncs the store ran for durable writes since it was opened.
    pub store_flushes: u64,
    /// Writes that waited for durability since it was opened; with group
    /// commit, concurrent writes share a sync, so this outgrows
    /// `store_flushes` under load.
    pub store_durable_writes: u64,
    /// Password hashes verified (argon2 runs) since the server started:
    /// first logins, changed passwords and wrong ones; a client that
    /// sends the same credentials again costs none.
    pub password_checks: u64,
}

/// Every metric slotdav exports.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    bookings: Family<OutcomeLabels, Counter>,
    webhooks: Family<ResultLabels, Counter>,
    feed_fetches: Family<ResultLabels, Counter>,
    holds_active: Gauge<i64, std::sync::atomic::AtomicI64>,
    outbox_depth: Gauge<i64, std::sync::atomic::AtomicI64>,
    outbox_failed: Family<KindLabels, Gauge<i64, std::sync::atomic::AtomicI64>>,
    store_bytes: Gauge<f64, AtomicU64>,
    store_flushes: Counter,
    store_durable_writes: Counter,
    password_checks: Counter,
    /// One scrape encodes at a time (the gauges are set, then written).
    scrape: std::sync::Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("slotdav");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by method, route class and status class", requests.clone());
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| Histogram::new(exponential_buckets(0.001, 2.5, 12)));
        registry.register("http_request_duration_seconds", "Time to answer an HTTP request", latency.clone());
        let bookings = Family::<OutcomeLabels, Counter>::default();
        registry.register("booking_changes", "Booking changes by outcome (booked, cancelled, rescheduled, …)", bookings.clone());
        let webhooks = Family::<ResultLabels, Counter>::default();
        registry.register("webhook_deliveries", "Webhook delivery attempts by result", webhooks.clone());
        let feed_fetches = Family::<ResultLabels, Counter>::default();
        registry.register("feed_fetches", "External calendar fetches by result", feed_fetches.clone());
        let holds_active = Gauge::default();
        registry.register("holds_active", "Slots held and not yet expired", holds_active.clone());
        let outbox_depth = Gauge::default();
        registry.register("outbox_depth", "Messages waiting in the outbox (as the mail worker last counted)", outbox_depth.clone());
        let outbox_failed = Family::<KindLabels, Gauge<i64, std::sync::atomic::AtomicI64>>::default();
        registry.register("outbox_failed", "Messages the outbox gave up on, by kind", outbox_failed.clone());
        let store_bytes = Gauge::<f64, AtomicU64>::default();
        registry.register("store_size_bytes", "Size of the store on disk", store_bytes.clone());
        let store_flushes = Counter::default();
        registry.register("store_flushes", "Syncs the store ran to make acknowledged writes durable", store_flushes.clone());
        let store_durable_writes = Counter::default();
        registry.register("store_durable_writes", "Writes that waited for a sync before they were acknowledged (group commit: many per sync under load)", store_durable_writes.clone());
        let password_checks = Counter::default();
        registry.register("password_checks", "Password hashes verified (argon2 runs): first logins, new passwords and wrong ones", password_checks.clone());
        Metrics {
            registry,
            requests,
            latency,
            bookings,
            webhooks,
            feed_fetches,
            holds_active,
            outbox_depth,
            outbox_failed,
            store_bytes,
            store_flushes,
            store_durable_writes,
            password_checks,
            scrape: std::sync::Mutex::new(()),
        }
    }

    /// Counts one answered request: `route` is a [`route_class`].
    pub fn observe_request(&self, method: &str, route: &'static str, status: u16, seconds: f64) {
        let method = method_label(method);
        self.requests.get_or_create(&RequestLabels { method, route, status: status_class(status) }).inc();
        self.latency.get_or_create(&RouteLabels { method, route }).observe(seconds);
    }

    /// Counts a booking change (`outcome` names its kind).
    pub fn booking_change(&self, outcome: &'static str) {
        self.bookings.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// Counts a webhook delivery attempt (`delivered`, `retried`, `failed`).
    pub fn webhook_delivery(&self, result: &'static str) {
        self.webhooks.get_or_create(&ResultLabels { result }).inc();
    }

    /// Counts an external-calendar fetch (`imported`, `not_modified`, `failed`).
    pub fn feed_fetch(&self, result: &'static str) {
        self.feed_fetches.get_or_create(&ResultLabels { result }).inc();
    }

    /// The exposition in the Prometheus text format, with the gauges set
    /// from `snapshot`.
    pub fn encode(&self, snapshot: &Snapshot) -> String {
        let _one = self.scrape.lock().unwrap_or_else(|p| p.into_inner());
        self.holds_active.set(clamp(snapshot.holds_active));
        self.outbox_depth.set(clamp(snapshot.outbox_depth));
        for (kind, n) in &snapshot.outbox_failed {
            self.outbox_failed.get_or_create(&KindLabels { kind }).set(clamp(*n));
        }
        self.store_bytes.set(snapshot.store_bytes as f64);
        catch_up(&self.store_flushes, snapshot.store_flushes);
        catch_up(&self.store_durable_writes, snapshot.store_durable_writes);
        catch_up(&self.password_checks, snapshot.password_checks);
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Moves a counter kept elsewhere (the store counts its own flushes) up
/// to `total`; never down (the scrape lock makes this read-then-add safe).
fn catch_up(counter: &Counter, total: u64) {
    let seen = counter.get();
    if total > seen {
        counter.inc_by(total - seen);
    }
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The route class of a path: `dav`, `book`, `api`, `feeds`, `coach`,
/// `ops` (metrics and health) or `other`. A few fixed values, so label
/// sets stay bounded whatever paths clients send.
pub fn route_class(path: &str) -> &'static str {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    if under("/dav") || path == "/" || path.starts_with("/.well-known/") {
        "dav"
    } else if under("/book") {
        "book"
    } else if under("/api") {
        "api"
    } else if under("/feeds") {
        "feeds"
    } else if under("/coach") || under("/admin") {
        "coach"
    } else if matches!(path, "/metrics" | "/healthz" | "/readyz") {
        "ops"
    } else {
        "other"
    }
}

/// Known methods by name; anything else is `other` (bounded labels).
fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 19] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "MKCALENDAR", "COPY", "MOVE",
        "REPORT", "LOCK", "UNLOCK", "ACL", "TRACE", "CONNECT",
    ];
    KNOWN.iter().find(|m| **m == method).copied().unwrap_or("other")
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_methods_and_statuses_fall_in_few_classes() {
        assert_eq!(route_class("/dav/calendars/a/"), "dav");
        assert_eq!(route_class("/.well-known/caldav"), "dav");
        assert_eq!(route_class("/book/alice"), "book");
        assert_eq!(route_class("/api/v1/holds"), "api");
        assert_eq!(route_class("/feeds/x.ics"), "feeds");
        assert_eq!(route_class("/coach/analytics"), "coach");
        assert_eq!(route_class("/admin/analytics.csv"), "coach");
        assert_eq!(route_class("/metrics"), "ops");
        assert_eq!(route_class("/booking"), "other");
        assert_eq!(method_label("PROPFIND"), "PROPFIND");
        assert_eq!(method_label("BREW"), "other");
        assert_eq!((status_class(204), status_class(404), status_class(503)), ("2xx", "4xx", "5xx"));
    }

    #[test]
    fn the_exposition_counts_and_sets_gauges() {
        let m = Metrics::new();
        m.observe_request("GET", "book", 200, 0.004);
        m.observe_request("GET", "book", 200, 0.004);
        m.booking_change("booked");
        let snapshot = Snapshot {
            holds_active: 3,
            outbox_depth: 2,
            outbox_failed: vec![("student", 1)],
            store_bytes: 4096,
            store_flushes: 5,
            store_durable_writes: 40,
            password_checks: 2,
        };
        let text = m.encode(&snapshot);
        assert!(text.contains(r#"slotdav_http_requests_total{method="GET",route="book",status="2xx"} 2"#), "{text}");
        assert!(text.contains(r#"slotdav_booking_changes_total{outcome="booked"} 1"#), "{text}");
        assert!(text.contains("slotdav_holds_active 3"), "{text}");
        assert!(text.contains(r#"slotdav_outbox_failed{kind="student"} 1"#), "{text}");
        assert!(text.contains("slotdav_http_request_duration_seconds_bucket"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert!(text.contains("slotdav_store_flushes_total 5"), "{text}");
        assert!(text.contains("slotdav_store_durable_writes_total 40"), "{text}");
        assert!(text.contains("slotdav_password_checks_total 2"), "{text}");
        // The store's counts only grow; a scrape follows them.
        let text = m.encode(&Snapshot { store_flushes: 7, store_durable_writes: 90, ..snapshot });
        assert!(text.contains("slotdav_store_flushes_total 7"), "{text}");
        assert!(text.contains("slotdav_store_durable_writes_total 90"), "{text}");
    }
}
