//! slotdav: a CalDAV server and booking page for coaches and tutors, in one
//! binary.
//!
//! # Layout
//! Dependencies point downward only:
//!
//! - [`server`]: the accept loop, routing and graceful shutdown (hyper).
//! - [`web`], [`api`]: the public booking pages (askama) and their JSON API.
//! - [`booking`]: slots, holds and bookings from the coach's calendars.
//! - [`dav`]: WebDAV (RFC 4918): paths, headers, methods, the wire format
//!   in [`dav::xml`], and the one place errors become HTTP responses.
//! - [`caldav`]: CalDAV REPORTs and discovery (RFC 4791, RFC 6578, RFC 6764).
//! - [`auth`]: Basic credentials → an authenticated user.
//! - [`ical`]: the iCalendar domain: validation, recurrence, filters,
//!   free/busy. Knows nothing of HTTP, XML or storage.
//! - [`storage`]: the [`storage::Storage`] trait of atomic operations and
//!   its sled implementation, including the time-range index.
//! - [`config`], [`cli`], [`admin`]: how an admin runs and manages it.
//! - [`model`], [`clock`]: small shared types.

pub mod ical;
pub mod model;
pub mod provision;
pub mod dav;
pub mod storage;
pub mod admin;
pub mod api;
pub mod app;
pub mod auth;
pub mod booking;
pub mod cli;
pub mod clock;
pub mod config;
pub mod feeds;
pub mod http;
pub mod mail;
pub mod server;
pub mod telemetry;
pub mod web;
