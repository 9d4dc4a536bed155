//! [`App`]: the state every request handler shares: the store, the
//! configuration, the clock, the credential cache, the booking service,
//! the outbox, and the [`DavContext`] the DAV surface runs on, with the
//! write hooks (`write_hooks`) that let bookings and implicit scheduling
//! follow calendar writes; and [`AppError`], why it could not be built at
//! start-up.
//!
//! The change hooks it registers with the booking service, in order:
//! mail (the outbox), the audit trail (and its hold hook), webhooks.
//!
//! The composition root below `server`: may import every domain module,
//! `dav` (to build its context and hooks), `http` and `metrics`; not
//! `server`, `web` or `api`. `ops`: the metrics hook, the scrape's gauges
//! and readiness.

mod ops;
mod write_hooks;

use std::sync::Arc;

use crate::auth::Authenticator;
use crate::booking::service::{BookingError, BookingService};
use crate::clock::Clock;
use crate::config::Config;
use crate::dav::{DavContext, DavLimits};
use crate::http::RateLimiter;
use crate::storage::{Storage, StorageError};

/// Why the shared state could not be built at start-up (the binary logs it
/// and exits).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The booking service refused the coaches' setup, or its store failed.
    #[error(transparent)]
    Booking(#[from] BookingError),
    /// Making the coaches' calendars failed in the store.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The mail transport could not be set up from `[mail]`.
    #[error("mail: {0}")]
    Mail(String),
}

pub struct App {
    pub storage: Arc<dyn Storage>,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    pub auth: Arc<Authenticator>,
    pub booking: Arc<BookingService>,
    /// The mail outbox; its worker is started by the binary.
    pub outbox: Arc<crate::mail::Outbox>,
    /// The `[[webhook]]` deliveries; their worker is started by the binary.
    pub webhooks: Arc<crate::webhooks::Webhooks>,
    /// Holds and confirmations per client address and minute.
    pub rate_limit: RateLimiter,
    /// What DAV requests run on: the store, the clock, the limits, and
    /// booking reconciliation and implicit scheduling as write hooks.
    pub dav: DavContext,
    /// What `/metrics` exports; the server counts requests, the booking
    /// change hook outcomes, and the feed importer and webhook deliverer
    /// their results through it (`ops`: the scrape's gauges, readiness).
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl App {
    /// Builds the shared state; makes the coaches' calendars if missing.
    pub fn new(storage: Arc<dyn Storage>, config: Config, clock: Arc<dyn Clock>) -> Result<Self, AppError> {
        storage.set_quota(config.quota);
        provision_coaches(&*storage, &config, clock.now())?;
        let booking = Arc::new(BookingService::new(
            storage.clone(),
            clock.clone(),
            config.coaches.clone(),
            config.public_url.clone(),
        )?
        .with_limits(config.booking_limits));
        let outbox = Arc::new(
            crate::mail::Outbox::new(storage.clone(), clock.clone(), &config.mail, &config.data_dir).map_err(AppError::Mail)?,
        );
        booking.add_change_hook(crate::mail::change_hook(outbox.clone(), Arc::downgrade(&booking), config.mail.from.clone()));
        booking.add_change_hook(crate::audit::change_hook());
        booking.add_hold_hook(crate::audit::hold_hook());
        booking.add_waitlist_hook(crate::mail::waitlist::waitlist_hook(outbox.clone(), config.mail.from.clone()));
        booking.add_waitlist_hook(crate::audit::waitlist_hook());
        let audit_storage = storage.clone();
        outbox.add_sent_hook(Arc::new(move |entry: &crate::mail::OutboxEntry, now| match entry.kind {
            crate::mail::MessageKind::Reminder { offset_secs } => {
                let changes = vec![
                    crate::audit::FieldChange::new("to", None, Some(entry.to.clone())),
                    crate::audit::FieldChange::new("before_start", None, Some(format!("{}m", offset_secs / 60))),
                ];
                crate::audit::system_booking_records(&*audit_storage, &entry.booking_id, "booking.reminder-sent", "reminder", changes, now)
            }
            _ => Vec::new(),
        }));
        let webhooks = Arc::new(crate::webhooks::Webhooks::new(storage.clone(), clock.clone(), config.webhooks.clone()));
        booking.add_change_hook(webhooks.change_hook());
        let metrics = Arc::new(crate::metrics::Metrics::new());
        booking.add_change_hook(ops::metrics_hook(metrics.clone()));
        booking.add_waitlist_hook(webhooks.waitlist_hook());
        let limits = DavLimits {
            max_resource_size: config.max_resource_size,
            max_attendees: config.mail.max_attendees,
            max_dead_properties: config.max_dead_properties,
            max_dead_property_bytes: config.max_dead_property_bytes,
            quota: config.quota,
        };
        let mut dav = DavContext::new(storage.clone(), clock.clone(), limits);
        dav.hooks.register(Arc::new(write_hooks::BookingReconciliation { booking: booking.clone(), outbox: outbox.clone() }));
        let local = Arc::new(crate::scheduling::LocalDelivery::new(storage.clone()));
        // Deliveries a crash left in the queue go out now.
        local.run(clock.now())?;
        dav.hooks.register(Arc::new(write_hooks::ImplicitScheduling {
            outbox: outbox.clone(),
            local,
            storage: storage.clone(),
            clock: clock.clone(),
            from: config.mail.from.clone(),
            max_attendees: config.mail.max_attendees,
        }));
        Ok(App {
            metrics,
            dav,
            outbox,
            webhooks,
            rate_limit: RateLimiter::new(config.rate_limit_per_minute),
            auth: Arc::new(Authenticator::new(&config.auth)),
            storage,
            config,
            clock,
            booking,
        })
    }
}

/// Makes the availability and bookings calendars of every coach whose user
/// exists (and their home), so they appear in the coach's app at once.
fn provision_coaches(storage: &dyn Storage, config: &Config, now: chrono::DateTime<chrono::Utc>) -> Result<(), StorageError> {
    use crate::provision;
    use crate::ical::ComponentKind;
    for coach in &config.coaches {
        if storage.user(&coach.user)?.is_none() {
            tracing::warn!(coach = %coach.user, "coach has no slotdav user yet; add it with `slotdav user add`");
            continue;
        }
        let home = crate::storage::StorePath::home(&coach.user);
        provision::home(storage, &coach.user, now)?;
        provision::calendar(storage, &home.child(&coach.availability_calendar), "Availability", vec![ComponentKind::Event, ComponentKind::Availability], now)?;
        provision::calendar(storage, &home.child(&coach.bookings_calendar), "Sessions", vec![ComponentKind::Event], now)?;
    }
    storage.flush()?;
    Ok(())
}
