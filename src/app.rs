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
        Ok(App {
            rate_limit: RateLimiter::new(config.rate_limit_per_minute),
            storage,
            config,
            clock,
            auth: Authenticator::default(),
            booking,
        })
    }
}
