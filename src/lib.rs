//! slotdav: a CalDAV server and booking page for coaches and tutors, in one
//! binary.
//!
//! # Layout
//! Dependencies point downward only (ARCHITECTURE.md has the layer map and
//! what each module may import):
//!
//! - [`server`]: the accept loop, connection limits, routing and graceful
//!   shutdown (hyper).
//! - [`app`]: [`app::App`], the state handlers share, built at start-up.
//! - [`web`], [`api`]: the public booking pages (askama), the published
//!   feeds' HTTP side, and their JSON API; [`web::errors`] is the one
//!   mapping of booking failures to HTTP for both.
//! - [`dav`]: WebDAV (RFC 4918): paths, headers, methods, the wire format
//!   in [`dav::xml`], and the one place DAV errors become HTTP responses.
//! - [`caldav`]: CalDAV REPORTs and discovery (RFC 4791, RFC 6578, RFC 6764).
//! - [`auth`]: Basic credentials → an authenticated user.
//! - [`booking`]: slots, holds and bookings from the coach's calendars.
//! - [`mail`]: iMIP messages, the durable outbox and its worker, reminders,
//!   implicit scheduling by email.
//! - [`feeds`]: secret ICS feed tokens and their rendering; mirrors of
//!   external calendars ([`feeds::import`]).
//! - [`ical`]: the iCalendar domain: validation, recurrence, filters,
//!   free/busy, the writer. Knows nothing of HTTP, XML or storage.
//! - [`storage`]: the [`storage::Storage`] trait of atomic operations and
//!   its sled implementation, including the time-range index.
//! - [`config`], [`cli`], [`admin`], [`telemetry`]: how an admin runs and
//!   manages it.
//! - [`model`], [`clock`], [`hex`]: small shared types and helpers.

pub mod ical;
pub mod model;
pub mod dav;
pub mod storage;
pub mod admin;
pub mod api;
pub mod app;
pub mod auth;
pub mod booking;
pub mod caldav;
pub mod cli;
pub mod clock;
pub mod config;
pub mod feeds;
pub mod hex;
pub mod mail;
pub mod server;
pub mod telemetry;
pub mod web;
