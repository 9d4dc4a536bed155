//! WebDAV (RFC 4918).
pub mod xml;
