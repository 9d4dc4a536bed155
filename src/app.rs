//! [`App`]: the state every request handler shares: the store, the
//! configuration, the clock and the credential cache.

use std::sync::Arc;

use crate::auth::Authenticator;
use crate::clock::Clock;
use crate::config::Config;
use crate::storage::Storage;

pub struct App {
    pub storage: Arc<dyn Storage>,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    pub auth: Authenticator,
}

impl App {
    pub fn new(storage: Arc<dyn Storage>, config: Config, clock: Arc<dyn Clock>) -> Self {
        App { storage, config, clock, auth: Authenticator::default() }
    }
}
