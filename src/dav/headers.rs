//! The request headers WebDAV gives meaning to: Depth, If-Match,
//! If-None-Match, Destination, Overwrite (RFC 4918 §10, RFC 7232).

use hyper::header::{HeaderMap, IF_MATCH, IF_NONE_MATCH};

use crate::storage::WriteCondition;

/// `Depth` (RFC 4918 §10.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    Zero,
    One,
    Infinity,
}

/// The Depth header, or `default` when absent. `None` for a value that is
/// not 0, 1 or infinity.
pub fn depth(headers: &HeaderMap, default: Depth) -> Option<Depth> {
    match headers.get("depth").map(|v| v.to_str().unwrap_or("").trim().to_ascii_lowercase()) {
        None => Some(default),
        Some(v) => match v.as_str() {
            "0" => Some(Depth::Zero),
            "1" => Some(Depth::One),
            "infinity" => Some(Depth::Infinity),
            _ => None,
        },
    }
}

/// `Overwrite` (RFC 4918 §10.6): true unless `F`.
pub fn overwrite(headers: &HeaderMap) -> Option<bool> {
    match headers.get("overwrite").map(|v| v.to_str().unwrap_or("").trim().to_ascii_uppercase()) {
        None => Some(true),
        Some(v) if v == "T" => Some(true),
        Some(v) if v == "F" => Some(false),
        Some(_) => None,
    }
}

/// The entity tags of an If-Match/If-None-Match list, without quotes.
/// Weak tags are kept with their `W/` so they never equal a strong tag.
fn etag_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty() && *t != "*")
        .map(|t| {
            if t.starts_with("W/") {
                t.to_string()
            } else {
                t.trim_matches('"').to_string()
            }
        })
        .collect()
}

/// The write condition of If-Match / If-None-Match.
pub fn write_condition(headers: &HeaderMap) -> WriteCondition {
    let mut cond = WriteCondition::default();
    if let Some(v) = headers.get(IF_MATCH).and_then(|v| v.to_str().ok()) {
        if v.trim() == "*" {
            cond.if_match_any = true;
        } else {
            cond.if_match = Some(etag_list(v));
        }
    }
    if let Some(v) = headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        if v.trim() == "*" {
            cond.if_none_match_any = true;
        } else {
            cond.if_none_match = etag_list(v);
        }
    }
    cond
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_lists_and_star() {
        let mut h = HeaderMap::new();
        h.insert(IF_MATCH, "\"a\", W/\"b\"".parse().unwrap());
        h.insert(IF_NONE_MATCH, "*".parse().unwrap());
        let c = write_condition(&h);
        assert_eq!(c.if_match, Some(vec!["a".to_string(), "W/\"b\"".to_string()]));
        assert!(c.if_none_match_any);
    }

    #[test]
    fn depth_values() {
        let mut h = HeaderMap::new();
        assert_eq!(depth(&h, Depth::Infinity), Some(Depth::Infinity));
        h.insert("depth", "1".parse().unwrap());
        assert_eq!(depth(&h, Depth::Zero), Some(Depth::One));
        h.insert("depth", "2".parse().unwrap());
        assert_eq!(depth(&h, Depth::Zero), None);
    }
}
