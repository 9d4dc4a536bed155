//! [`App`]: the state every request handler shares: the store, the
//! configuration, the clock, the credential cache and the booking service.

use std::sync::Arc;

use crate::auth::Authenticator;
use crate::booking::service::{BookingError, BookingService};
use crate::clock::Clock;
use crate::config::Config;
use crate::storage::Storage;
use crate::web::forms::RateLimiter;

pub struct App {
    pub storage: Arc<dyn Storage>,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    pub auth: Authenticator,
    pub booking: Arc<BookingService>,
    /// The mail outbox; its worker is started by the binary.
    pub outbox: Arc<crate::mail::Outbox>,
    /// Holds and confirmations per client address and minute.
    pub rate_limit: RateLimiter,
}

impl App {
    /// Builds the shared state; makes the coaches' calendars if missing.
    pub fn new(storage: Arc<dyn Storage>, config: Config, clock: Arc<dyn Clock>) -> Result<Self, BookingError> {
        let booking = Arc::new(BookingService::new(
            storage.clone(),
            clock.clone(),
            config.coaches.clone(),
            config.public_url.clone(),
        )?);
        let outbox = Arc::new(
            crate::mail::Outbox::new(storage.clone(), clock.clone(), &config)
                .map_err(|e| BookingError::Storage(crate::storage::StorageError::Backend(format!("mail: {e}"))))?,
        );
        booking.set_change_hook(crate::mail::change_hook(outbox.clone(), Arc::downgrade(&booking), config.mail.from.clone()));
        Ok(App {
            outbox,
            rate_limit: RateLimiter::new(config.rate_limit_per_minute),
            storage,
            config,
            clock,
            auth: Authenticator::default(),
            booking,
        })
    }
}
