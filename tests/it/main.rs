//! slotdav's integration tests: one binary (see STYLE.md §1.4), one module
//! per area. `common` holds the harness: an in-process server, the real
//! binary as a child process, and a fluent HTTP client.

mod common;

mod analytics;
mod architecture;
mod audit;
mod auth;
mod availability;
mod backup;
mod booking;
mod booking_browser;
mod booking_busy_cache;
mod booking_guardian;
mod booking_page;
mod booking_reschedule;
mod booking_pacing;
mod booking_private;
mod booking_questions;
mod booking_series;
mod booking_series_web;
mod booking_waitlist;
mod caldav;
mod check;
mod cli;
mod crash;
mod crash_mixed;
mod disk_full;
mod export_import;
mod dashboard;
mod feeds;
mod front;
mod i18n;
mod group_commit;
mod ical_interop;
mod listings;
mod mail;
mod profile;
mod properties;
mod scheduling_local;
mod startup;
mod metrics;
mod multi_process;
mod pg_faults;
mod security_booking;
mod security_ical;
mod security_dav;
mod security_edge;
mod storage_contract;
mod two_servers;
mod webdav;
mod webhooks;
