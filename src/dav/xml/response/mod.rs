//! Response bodies: `DAV:multistatus` (RFC 4918 §13, RFC 6578 §6.4) and
//! `DAV:error` (RFC 4918 §16). Namespaces get fixed prefixes (`D`, `C`,
//! `CS`, `ICAL`) and any other namespace a generated one.
//!
//! One file per room, bottom to top: `status` (reason phrases) and
//! `writer` (namespaces, escaping, elements) → `document` (single-root
//! bodies) and `multistatus`. May import: `dav::xml`'s names and
//! escaping; nothing of HTTP or storage.

mod document;
mod multistatus;
mod schedule;
mod status;
#[cfg(test)]
mod testing;
mod writer;

pub use document::{document, error_body, fragment};
pub use schedule::{schedule_response, ScheduleRecipient};
pub use multistatus::{ChunkSink, Finished, MultiStatus, MultiStatusBuilder, PropStat, Response, ResponseBody, SinkClosed, CHUNK};
pub use status::{reason_phrase, status_line};
pub use writer::Namespaces;
