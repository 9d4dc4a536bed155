//! The byte layout of keys in the one sled tree slotdav uses. Every record
//! kind has a one-byte tag; paths are `/`-joined decoded segments, which can
//! contain neither `/` inside a segment nor NUL, so `0x00` separates a
//! collection path from what follows it without ambiguity.
//!
//! | tag | key after the tag | value |
//! |---|---|---|
//! | `U` | user name | postcard `User` |
//! | `N` | parent path, `0x00`, name | postcard `Node` |
//! | `C` | path | the resource bytes, verbatim |
//! | `P` | path, `0x00`, Clark name | dead property XML fragment |
//! | `H` | collection, `0x00`, revision (u64 BE) | postcard `MemberChange` |
//! | `I` | calendar, `0x00`, UID | object name |
//! | `O` | calendar, `0x00`, object name | postcard `IndexEntry` |
//! | `T` | `S` or `W`, calendar, `0x00`, the page's lower bound (a start and name) | a page of up to 24 occurrences of the time-range index ([`super::kv::spans`]) |
//! | `L` | calendar, `0x00`, object name | empty: long or always-matching objects |
//! | `R` | calendar, `0x00`, object name | empty: unbounded series |
//! | `X` | table, `0x00`, key | a domain record (booking, hold, outbox …); tables, keys and the one time key: [`super::table`] |
//! | `G` | collection, `0x00`, the page's lower bound (a member name) | postcard page of members' names and heads: [`super::kv::pages`] |
//! | `Q` | user name | bytes the user's records take (u64 BE), for the quota |
//! | `M` | name | store metadata |
//!
//! The occurrences in a `T` page are *logical* records of two tags, never
//! stored as such (a store of format 1 did store them):
//!
//! | tag | key after the tag | value |
//! |---|---|---|
//! | `S` | calendar, `0x00`, start (biased i64 BE), object name | an occurrence up to a day long: end (i64 BE), busy kind, flags, the object's kind and etag ([`super::kv::index`]) |
//! | `W` | as `S` | as `S`: an occurrence longer than a day, up to a week |

use super::StorePath;

pub const USER: u8 = b'U';
pub const NODE: u8 = b'N';
pub const CONTENT: u8 = b'C';
pub const PROP: u8 = b'P';
pub const HISTORY: u8 = b'H';
pub const UID: u8 = b'I';
pub const OBJECT_INDEX: u8 = b'O';
pub const SPAN: u8 = b'S';
pub const WEEK_SPAN: u8 = b'W';
pub const LONG: u8 = b'L';
pub const UNBOUNDED: u8 = b'R';
pub const META: u8 = b'M';
pub const RECORD: u8 = b'X';
pub const USAGE: u8 = b'Q';
pub const LISTING: u8 = b'G';
pub const SPAN_PAGE: u8 = b'T';

/// The `M` record holding the store's format number (u32 BE,
/// [`super::migrate::STORE_FORMAT`]).
pub const FORMAT_KEY: &[u8] = b"Mformat";

/// The `Q` key holding a user's usage.
pub fn usage_key(user: &[u8]) -> Vec<u8> {
    let mut k = vec![USAGE];
    k.extend_from_slice(user);
    k
}

/// The user whose quota a record counts against: the home its path lies
/// in, for every record filed under a path (`N C P H I O L R`). Users,
/// domain records, metadata and pages (`G`, `T`: derived from records
/// that count) belong to no one.
pub fn owner_of(key: &[u8]) -> Option<&[u8]> {
    let (&tag, rest) = key.split_first()?;
    match tag {
        // A home's node is filed under the empty parent: `N 0x00 name`.
        NODE if rest.first() == Some(&0) => Some(&rest[1..]),
        NODE | CONTENT | PROP | HISTORY | UID | OBJECT_INDEX | LONG | UNBOUNDED => owner_of_path(rest),
        _ => None,
    }
}

/// The home a key's path (what follows its tag) lies in: its first segment.
pub fn owner_of_path(rest: &[u8]) -> Option<&[u8]> {
    let end = rest.iter().position(|b| *b == b'/' || *b == 0).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The `X` key of a domain record (or, with an empty key, the prefix of its table).
pub fn record_key(table: &str, key: &str) -> Vec<u8> {
    let mut k = vec![RECORD];
    k.extend_from_slice(table.as_bytes());
    k.push(0);
    k.extend_from_slice(key.as_bytes());
    k
}

/// `tag` + joined path.
pub fn path_key(tag: u8, path: &StorePath) -> Vec<u8> {
    let mut k = vec![tag];
    k.extend_from_slice(path.joined().as_bytes());
    k
}

/// `tag` + joined path + `0x00`: the prefix of everything filed under a
/// collection (or resource) for that tag.
pub fn prefix(tag: u8, path: &StorePath) -> Vec<u8> {
    let mut k = path_key(tag, path);
    k.push(0);
    k
}

/// `tag` + joined path + `0x00` + `suffix`.
pub fn sub_key(tag: u8, path: &StorePath, suffix: &[u8]) -> Vec<u8> {
    let mut k = prefix(tag, path);
    k.extend_from_slice(suffix);
    k
}

/// The `N` key of a node: its parent's path, `0x00`, its name. A home's
/// parent is the empty path.
pub fn node_key(path: &StorePath) -> Vec<u8> {
    let segs = path.segments();
    let mut k = vec![NODE];
    k.extend_from_slice(segs[..segs.len() - 1].join("/").as_bytes());
    k.push(0);
    k.extend_from_slice(segs[segs.len() - 1].as_bytes());
    k
}

/// Prefix of the `N` keys of a collection's direct members.
pub fn children_prefix(path: &StorePath) -> Vec<u8> {
    prefix(NODE, path)
}

pub fn user_key(name: &str) -> Vec<u8> {
    let mut k = vec![USER];
    k.extend_from_slice(name.as_bytes());
    k
}

/// Seconds since the epoch, biased so that byte order is numeric order.
pub fn encode_time(secs: i64) -> [u8; 8] {
    ((secs as u64) ^ (1u64 << 63)).to_be_bytes()
}

pub fn decode_time(b: &[u8]) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    (u64::from_be_bytes(a) ^ (1u64 << 63)) as i64
}

/// Occurrences filed by start, by how long they are: each tag with the
/// longest occurrence it holds, so that a query looks back that far (an
/// hour-long event is not looked for a week before the range). Longer
/// occurrences are not filed by start (`L`).
pub const SPAN_TIERS: [(u8, i64); 2] = [(SPAN, 24 * 3600), (WEEK_SPAN, 7 * 24 * 3600)];

/// The tag an occurrence from `start` to `end` (unix seconds) is filed
/// under: `None` when it is longer than every tier.
pub fn span_tag(start: i64, end: i64) -> Option<u8> {
    SPAN_TIERS.iter().find(|(_, longest)| end.saturating_sub(start) <= *longest).map(|(tag, _)| *tag)
}

/// The key of one occurrence filed by start under `tag` (a [`SPAN_TIERS`] tag).
pub fn span_key(tag: u8, calendar: &StorePath, start: i64, name: &str) -> Vec<u8> {
    let mut k = prefix(tag, calendar);
    k.extend_from_slice(&encode_time(start));
    k.extend_from_slice(name.as_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &[&str]) -> StorePath {
        StorePath::new(s.iter().map(|x| x.to_string()).collect())
    }

    #[test]
    fn time_encoding_keeps_order_across_zero() {
        let times = [-5_000_000_000i64, -1, 0, 1, 1_790_000_000, i64::MAX / 2];
        for w in times.windows(2) {
            assert!(encode_time(w[0]) < encode_time(w[1]));
            assert_eq!(decode_time(&encode_time(w[0])), w[0]);
        }
    }

    #[test]
    fn every_record_of_a_home_is_owned_by_its_user() {
        let cal = p(&["alice", "cal"]);
        let obj = p(&["alice", "cal", "x.ics"]);
        for key in [
            node_key(&p(&["alice"])),
            node_key(&cal),
            node_key(&obj),
            path_key(CONTENT, &obj),
            sub_key(PROP, &p(&["alice"]), b"{DAV:}displayname"),
            sub_key(HISTORY, &p(&["alice"]), &1u64.to_be_bytes()),
            sub_key(UID, &cal, b"u"),
            sub_key(OBJECT_INDEX, &cal, b"x.ics"),
        ] {
            assert_eq!(owner_of(&key), Some(&b"alice"[..]), "{key:?}");
        }
        // Pages, and the occurrences in them, are derived from the `O`
        // entry, which counts.
        for key in [span_key(SPAN, &cal, 5, "x.ics"), span_key(WEEK_SPAN, &cal, 5, "x.ics"), vec![SPAN_PAGE, SPAN, b'a', 0]] {
            assert_eq!(owner_of(&key), None, "{key:?}");
        }
        assert_eq!(owner_of(&user_key("alice")), None);
        assert_eq!(owner_of(&record_key("booking", "alice")), None);
    }

    #[test]
    fn children_of_a_collection_do_not_include_grandchildren_or_siblings() {
        let home = p(&["alice"]);
        let cal = p(&["alice", "cal"]);
        let obj = p(&["alice", "cal", "x.ics"]);
        let other = p(&["alicex", "cal"]);
        assert!(node_key(&cal).starts_with(&children_prefix(&home)));
        assert!(!node_key(&obj).starts_with(&children_prefix(&home)));
        assert!(!node_key(&other).starts_with(&children_prefix(&home)));
    }
}
