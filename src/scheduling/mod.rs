//! Scheduling between users of one server (RFC 6638, the attendee side):
//! an organizer's invitation to another slotdav user lands in that user's
//! schedule inbox and default calendar, their reply comes back into the
//! organizer's copy, a cancellation marks their copy cancelled; and the
//! outbox's free-busy request ([`freebusy`]) answers for local users.
//!
//! - [`itip`]: the pure rules (attendee diff, the attendee's copy, reply
//!   merge, the Schedule-Tag).
//! - [`directory`]: calendar user addresses → slotdav users.
//! - [`local`]: what a write of a scheduling object sends to local users
//!   ([`local::plan`]), as a [`queue::Delivery`] written in the same batch
//!   as the write.
//! - [`queue`]: the durable queue of deliveries and [`queue::LocalDelivery`],
//!   which carries them out once the write is durable (and at start-up,
//!   for what a crash left).
//! - [`inbox`]: the schedule inbox's messages, a domain table.
//!
//! External attendees are not this module's: `mail::scheduling` mails
//! them. Domain level: may import `ical`, `storage`, `provision`, `model`
//! and `hex`; never `dav`, `mail` or anything above.

pub mod directory;
pub mod freebusy;
pub mod inbox;
pub mod itip;
pub mod local;
pub mod queue;

pub use directory::Directory;
pub use queue::LocalDelivery;
