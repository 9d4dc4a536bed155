//! slotdav: a CalDAV server and booking page for coaches and tutors, in one
//! binary.
//!
//! # Layout
//! Dependencies point downward only (ARCHITECTURE.md has the layer map,
//! and `tests/it/architecture.rs` keeps the module graph acyclic):
//!
//! - [`cli`], [`config`], [`admin`]: how an admin runs and manages it.
//! - [`server`]: the accept loop, routing and graceful shutdown (hyper).
//! - [`app`]: the shared state, and the composition root that registers
//!   the domain services' write hooks with [`dav`].
//! - [`dav`]: WebDAV (RFC 4918) and CalDAV ([`dav::caldav`]: REPORTs,
//!   RFC 4791, RFC 6578): paths, headers, methods on a narrow
//!   [`dav::DavContext`], the wire format in [`dav::xml`], and the one
//!   place errors become HTTP responses.
//! - [`web`], [`api`]: the public booking pages (askama), the published
//!   feeds' HTTP side, and their JSON API; [`web::errors`] is the one
//!   mapping of booking failures to HTTP for both.
//! - [`http`]: HTTP plumbing every surface shares (body, responses, dates,
//!   entity tags, path segments, the rate limiter).
//! - [`booking`]: slots, holds and bookings from the coach's calendars.
//! - [`mail`]: iMIP messages, the outbox and its worker, implicit scheduling.
//! - [`feeds`]: published ICS feeds and imported external calendars.
//! - [`audit`]: the audit trail of booking, hold and admin changes.
//! - [`webhooks`]: signed JSON POSTs of booking events, queued durably.
//! - [`scheduling`]: RFC 6638 between users of one server: invitations,
//!   replies and cancellations into inboxes and calendars, outbox free-busy.
//! - [`provision`]: the homes and calendars slotdav makes for users.
//! - [`auth`]: Basic credentials → an authenticated user.
//! - [`booking`]: slots, holds and bookings from the coach's calendars.
//! - [`mail`]: iMIP messages, the durable outbox and its worker, reminders,
//!   implicit scheduling by email.
//! - [`analytics`]: how a coach's weeks went (booked, held, cancelled,
//!   no-shows, students, utilisation, lead time, busiest hours, prices).
//! - [`metrics`]: the Prometheus registry behind `/metrics`.
//! - [`feeds`]: secret ICS feed tokens and their rendering; mirrors of
//!   external calendars ([`feeds::import`]).
//! - [`i18n`]: the student's language (issue 12 §5): locales, Fluent
//!   messages from `locales/`, `Accept-Language`, dates by locale.
//! - [`ical`]: the iCalendar domain: validation, recurrence, filters,
//!   free/busy, the writer. Knows nothing of HTTP, XML or storage.
//! - [`storage`]: the [`storage::Storage`] trait of atomic operations and
//!   its sled implementation, including the time-range index.
//! - [`telemetry`]: log output.
//! - [`model`], [`clock`], [`hex`]: small shared types and helpers.

pub mod i18n;
pub mod ical;
pub mod model;
pub mod provision;
pub mod dav;
pub mod storage;
pub mod admin;
pub mod analytics;
pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod booking;
pub mod calendar_files;
pub mod cli;
pub mod clock;
pub mod config;
pub mod feeds;
pub mod hex;
pub mod http;
pub mod mail;
pub mod scheduling;
pub mod metrics;
pub mod server;
pub mod telemetry;
pub mod web;
pub mod webhooks;
pub mod worker;
