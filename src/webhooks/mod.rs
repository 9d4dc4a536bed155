//! Webhooks: booking events POSTed as signed JSON to the URLs of the
//! `[[webhook]]` blocks, so an admin connects payments, SMS or a CRM
//! without slotdav knowing them (docs/webhooks.md is the receiver's
//! contract).
//!
//! Each event a webhook wants is queued **in the same batch** as the
//! booking change ([`Webhooks::change_hook`]), in the store beside the
//! mail outbox ([`queue`]), and sent by the worker ([`deliver`]): 2xx is
//! delivered; anything else, a redirect or a timeout is tried again with
//! exponential backoff, and given up after `max_attempts` (kept as failed
//! for `slotdav outbox list`). Redirects are never followed: only the
//! configured URL is contacted.
//!
//! Rooms: [`config`] (the `[[webhook]]` block), [`event`] (event names,
//! the body, the signature; pure), [`queue`] (the tables and the listing),
//! [`deliver`] (the hook, the HTTP client and the worker), [`waitlist`]
//! (the waitlist's events and body; pure). Imports
//! `booking` (its change types), `storage`, `clock`, `hex`; the one domain
//! module besides `feeds::import` that names hyper types (its client).

pub mod config;
pub mod deliver;
pub mod event;
pub mod queue;
pub mod waitlist;

pub use config::{RawWebhook, WebhookConfig, DEFAULT_MAX_ATTEMPTS, EVENT_NAMES};
pub use deliver::{DeliveryReport, Webhooks, Worker};
pub use event::{signature, SCHEMA_VERSION};
pub use queue::{listing, status, Delivery, FailedDelivery, QueueStatus};
