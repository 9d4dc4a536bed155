//! Queuing and sending: the booking change hook that queues one
//! [`Delivery`] per event and webhook, and [`Webhooks::run_due`], which
//! POSTs what is due with a timeout, signs each attempt, and retries with
//! exponential backoff. One run at a time (a mutex), each delivery first
//! claimed for this process (`queue::claim`, a lease other processes on
//! the same store respect), and a delivery leaves the queue (and its
//! claim) in the write that records its outcome, so a healthy receiver
//! gets each event once however often and in however many processes the
//! worker runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE, USER_AGENT};
use hyper::Request;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

use super::config::WebhookConfig;
pub use crate::worker::Worker;
use super::event;
use super::queue::{self, Delivery, FailedDelivery, FAILED, QUEUE};
use crate::booking::service::ChangeHook;
use crate::booking::BookingChange;
use crate::clock::Clock;
use crate::storage::{RecordBatch, RecordWrites, Storage, StorageError};

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Deliveries one run sends at most (the next run goes on).
const RUN_LIMIT: usize = 200;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: usize,
    /// Failed, will be tried again.
    pub retried: usize,
    /// Given up on.
    pub failed: usize,
}

/// The configured webhooks, their queue and their sender.
pub struct Webhooks {
    storage: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
    hooks: Vec<WebhookConfig>,
    client: HttpsClient,
    interval: std::time::Duration,
    wake: Arc<tokio::sync::Notify>,
    running: tokio::sync::Mutex<()>,
}

/// Before attempt `attempts + 1`: `base · 2^(attempts-1)`, at most `max`.
pub fn backoff(base: std::time::Duration, max: std::time::Duration, attempts: u32) -> Duration {
    let factor = 1u32 << attempts.saturating_sub(1).min(20);
    let d = base.checked_mul(factor).filter(|d| *d <= max).unwrap_or(max);
    Duration::from_std(d).unwrap_or(Duration::hours(1))
}

fn new_id(now: DateTime<Utc>) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("evt_{:016x}{:06x}{:016x}", now.timestamp_micros(), n & 0xff_ffff, rand::random::<u64>())
}

impl Webhooks {
    pub fn new(storage: Arc<dyn Storage>, clock: Arc<dyn Clock>, hooks: Vec<WebhookConfig>) -> Self {
        let https = hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots().https_or_http().enable_http1().build();
        let client = Client::builder(TokioExecutor::new()).build(https);
        Webhooks {
            storage,
            clock,
            hooks,
            client,
            interval: std::time::Duration::from_secs(15),
            wake: Default::default(),
            running: tokio::sync::Mutex::new(()),
        }
    }

    /// Queued, failed and delivered (for the tests and `outbox list`).
    pub fn status(&self) -> Result<queue::QueueStatus, StorageError> {
        queue::status(&*self.storage)
    }

    pub fn hooks(&self) -> &[WebhookConfig] {
        &self.hooks
    }

    /// The deliveries of one booking change: one per webhook that wants
    /// its event (by name and coach), for the change's batch.
    pub fn change_records(&self, change: &BookingChange) -> RecordWrites {
        let Some(name) = event::event_name(change) else { return Vec::new() };
        let coach = change.coach;
        let mut records = RecordWrites::new();
        for hook in self.hooks.iter().filter(|h| h.wants(name, &coach.user) || h.wants(name, &coach.slug)) {
            let id = new_id(change.now);
            let delivery = Delivery {
                body: event::body(&id, name, change),
                id,
                url: hook.url.clone(),
                event: name.to_string(),
                reference: change.booking.reference.clone(),
                created: change.now,
                due: change.now,
                attempts: 0,
                last_error: None,
            };
            records.push(QUEUE.put(delivery.key(), &delivery));
        }
        records
    }

    /// The hook to register with `BookingService::add_change_hook`.
    pub fn change_hook(self: &Arc<Self>) -> Arc<ChangeHook> {
        let this = Arc::downgrade(self);
        Arc::new(move |change: &BookingChange| {
            let Some(this) = this.upgrade() else { return Vec::new() };
            let records = this.change_records(change);
            if !records.is_empty() {
                this.wake.notify_one();
            }
            records
        })
    }

    /// The hook to register with `BookingService::add_waitlist_hook`:
    /// `waitlist.offered` / `waitlist.claimed` deliveries in the waitlist
    /// change's batch.
    pub fn waitlist_hook(self: &Arc<Self>) -> Arc<crate::booking::service::WaitlistHook> {
        let this = Arc::downgrade(self);
        Arc::new(move |change: &crate::booking::waitlist::WaitlistChange| {
            let Some(this) = this.upgrade() else { return Vec::new() };
            let Some(name) = super::waitlist::event_name(change) else { return Vec::new() };
            let coach = change.coach;
            let mut records = RecordWrites::new();
            for hook in this.hooks.iter().filter(|h| h.wants(name, &coach.user) || h.wants(name, &coach.slug)) {
                let id = new_id(change.now);
                let delivery = Delivery {
                    body: super::waitlist::body(&id, name, change),
                    id,
                    url: hook.url.clone(),
                    event: name.to_string(),
                    reference: format!("waitlist {}", &change.entry.id[..8.min(change.entry.id.len())]),
                    created: change.now,
                    due: change.now,
                    attempts: 0,
                    last_error: None,
                };
                records.push(QUEUE.put(delivery.key(), &delivery));
            }
            if !records.is_empty() {
                this.wake.notify_one();
            }
            records
        })
    }

    /// One POST; `Ok` for a 2xx answer, else why not.
    async fn post(&self, hook: &WebhookConfig, d: &Delivery, now: DateTime<Utc>) -> Result<(), String> {
        let signature = event::signature(&hook.secret, now, &d.body);
        let req = Request::post(&hook.url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, HeaderValue::from_static("slotdav-webhooks/1"))
            .header("Idempotency-Key", &d.id)
            .header("Slotdav-Signature", signature)
            .body(Full::new(Bytes::from(d.body.clone())))
            .map_err(|e| format!("bad request: {e}"))?;
        let resp = tokio::time::timeout(hook.timeout, self.client.request(req))
            .await
            .map_err(|_| format!("no answer within {}s", hook.timeout.as_secs()))?
            .map_err(|e| format!("request failed: {e}"))?;
        let status = resp.status();
        if status.is_success() {
            Ok(())
        } else if status.is_redirection() {
            Err(format!("HTTP {} (redirects are not followed)", status.as_u16()))
        } else {
            Err(format!("HTTP {}", status.as_u16()))
        }
    }

    /// Sends every delivery due now (by the clock), at most a few hundred
    /// per run: delivered ones leave the queue, failed ones are due again
    /// after a backoff or, after `max_attempts`, move to `webhook-failed`.
    pub async fn run_due(&self) -> Result<DeliveryReport, StorageError> {
        let _one = self.running.lock().await;
        let now = self.clock.now();
        let mut report = DeliveryReport::default();
        for (key, bytes) in queue::claim(&*self.storage, now, RUN_LIMIT)? {
            let d = match <Delivery as crate::storage::table::TableValue>::decode(&bytes) {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(key, error = %e, "unreadable webhook delivery; dropped");
                    self.storage.apply(RecordBatch { records: vec![queue::released(&key), QUEUE.remove(key)], object: None }, now)?;
                    continue;
                }
            };
            let hook = self.hooks.iter().find(|h| h.url == d.url);
            let result = match hook {
                Some(h) => self.post(h, &d, now).await,
                None => Err("the webhook is no longer configured".to_string()),
            };
            let max_attempts = hook.map_or(1, |h| h.max_attempts);
            let release = queue::released(&key);
            let mut records = match result {
                Ok(()) => {
                    report.delivered += 1;
                    tracing::info!(id = %d.id, url = %d.url, event = %d.event, "webhook delivered");
                    let n = queue::delivered(&*self.storage)? + 1;
                    vec![QUEUE.remove(key), (queue::delivered_key(), Some(n.to_le_bytes().to_vec()))]
                }
                Err(reason) if d.attempts + 1 < max_attempts => {
                    let h = hook.expect("only a configured hook is retried");
                    let mut next = d.clone();
                    next.attempts += 1;
                    next.last_error = Some(reason.clone());
                    next.due = now + backoff(h.retry_backoff, h.retry_backoff_max, next.attempts);
                    report.retried += 1;
                    tracing::warn!(id = %d.id, url = %d.url, attempts = next.attempts, retry_at = %next.due, %reason, "webhook not delivered; will retry");
                    vec![QUEUE.remove(key), QUEUE.put(next.key(), &next)]
                }
                Err(reason) => {
                    let mut last = d.clone();
                    last.attempts += 1;
                    last.last_error = Some(reason.clone());
                    let reason = format!("gave up after {} attempt(s); last: {reason}", last.attempts);
                    report.failed += 1;
                    tracing::error!(id = %d.id, url = %d.url, %reason, "webhook failed; see `slotdav outbox list`");
                    let failed = FailedDelivery { delivery: last, failed_at: now, reason };
                    vec![QUEUE.remove(key), FAILED.put(d.id.clone(), &failed)]
                }
            };
            records.push(release);
            self.storage.apply(RecordBatch { records, object: None }, now)?;
        }
        if report != DeliveryReport::default() {
            self.storage.flush()?;
        }
        Ok(report)
    }

    /// Runs [`Webhooks::run_due`] every few seconds and soon after a
    /// booking change, until stopped.
    pub fn spawn_worker(self: &Arc<Self>) -> Worker {
        let this = self.clone();
        Worker::spawn(self.interval, self.wake.clone(), move || {
            let this = this.clone();
            async move {
                if let Err(e) = this.run_due().await {
                    tracing::error!(error = %e, "webhook run failed");
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = std::time::Duration::from_secs;
        assert_eq!(backoff(s(30), s(3600), 1), Duration::seconds(30));
        assert_eq!(backoff(s(30), s(3600), 3), Duration::seconds(120));
        assert_eq!(backoff(s(30), s(3600), 9), Duration::seconds(3600));
        assert_eq!(backoff(s(30), s(3600), 500), Duration::seconds(3600));
    }
}
