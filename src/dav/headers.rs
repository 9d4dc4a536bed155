//! The request headers WebDAV gives meaning to: Depth, If-Match,
//! If-None-Match, If, Destination, Overwrite (RFC 4918 §10, RFC 7232).

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

/// Most lists an `If` header may carry; each tagged one costs a lookup.
const MAX_IF_LISTS: usize = 32;

/// One condition of an `If` list (RFC 4918 §10.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfCondition {
    /// A state token (`<urn:uuid:…>`, `<DAV:no-lock>`): slotdav holds no
    /// locks, so none is ever the current state of a resource.
    StateToken(String),
    /// `[entity-tag]`, compared strongly, without quotes.
    Etag(String),
}

/// A parsed `If` header (RFC 4918 §10.4): lists of (negated, condition),
/// each for the request resource (no tag) or the tagged one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfHeader {
    pub lists: Vec<(Option<String>, Vec<(bool, IfCondition)>)>,
}

impl IfHeader {
    /// True when some list holds (§10.4.3): every condition in it matches
    /// (or, with `Not`, does not). `etag_of` gives the current entity tag
    /// of the request resource (`None`) or of a tagged one.
    pub fn holds(&self, etag_of: &dyn Fn(Option<&str>) -> Option<String>) -> bool {
        self.lists.iter().any(|(tag, conditions)| {
            let etag = etag_of(tag.as_deref());
            conditions.iter().all(|(not, c)| {
                let matches = match c {
                    IfCondition::StateToken(_) => false,
                    IfCondition::Etag(e) => etag.as_deref() == Some(e.as_str()),
                };
                matches != *not
            })
        })
    }
}

/// The `If` header: `Ok(None)` when absent, `Err(())` when it does not
/// follow §10.4.2's grammar (→ 400) or has more than [`MAX_IF_LISTS`] lists.
pub fn if_header(headers: &HeaderMap) -> Result<Option<IfHeader>, ()> {
    let Some(value) = headers.get("if") else { return Ok(None) };
    let mut rest = value.to_str().map_err(|_| ())?.trim_start();
    let mut lists = Vec::new();
    let mut tag: Option<String> = None;
    let mut tagged = None;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('<') {
            // A resource tag for the lists that follow.
            let end = after.find('>').ok_or(())?;
            if tagged == Some(false) {
                return Err(());
            }
            tagged = Some(true);
            tag = Some(after[..end].to_string());
            rest = after[end + 1..].trim_start();
            if !rest.starts_with('(') {
                return Err(());
            }
            continue;
        }
        let after = rest.strip_prefix('(').ok_or(())?;
        if tagged.is_none() {
            tagged = Some(false);
        }
        let end = after.find(')').ok_or(())?;
        let mut inner = after[..end].trim();
        let mut conditions = Vec::new();
        while !inner.is_empty() {
            let not = inner.len() >= 3 && inner[..3].eq_ignore_ascii_case("not");
            if not {
                inner = inner[3..].trim_start();
            }
            let (condition, remaining) = if let Some(t) = inner.strip_prefix('<') {
                let e = t.find('>').ok_or(())?;
                (IfCondition::StateToken(t[..e].to_string()), &t[e + 1..])
            } else if let Some(t) = inner.strip_prefix('[') {
                let e = t.find(']').ok_or(())?;
                (IfCondition::Etag(t[..e].trim().trim_matches('"').to_string()), &t[e + 1..])
            } else {
                return Err(());
            };
            conditions.push((not, condition));
            inner = remaining.trim_start();
        }
        if conditions.is_empty() || lists.len() >= MAX_IF_LISTS {
            return Err(());
        }
        lists.push((tag.clone(), conditions));
        rest = after[end + 1..].trim_start();
    }
    if lists.is_empty() {
        return Err(());
    }
    Ok(Some(IfHeader { lists }))
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
    fn if_header_grammar_and_evaluation() {
        let parse = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert("if", v.parse().unwrap());
            if_header(&h)
        };
        let etag = |want: &'static str| move |tag: Option<&str>| if tag.is_none() { Some(want.to_string()) } else { None };
        let h = parse("(<urn:uuid:a> [\"e1\"]) (Not <DAV:no-lock>)").unwrap().unwrap();
        assert_eq!(h.lists.len(), 2);
        assert!(h.holds(&etag("e1")), "the second list holds");
        let h = parse("(<urn:uuid:a>)").unwrap().unwrap();
        assert!(!h.holds(&etag("e1")), "no lock is held");
        let h = parse("([\"e1\"])").unwrap().unwrap();
        assert!(h.holds(&etag("e1")) && !h.holds(&etag("e2")));
        let h = parse("(not [\"e1\"])").unwrap().unwrap();
        assert!(!h.holds(&etag("e1")) && h.holds(&etag("e2")));
        let h = parse("<http://x/dav/a> ([\"e1\"])").unwrap().unwrap();
        assert_eq!(h.lists[0].0.as_deref(), Some("http://x/dav/a"));
        assert!(!h.holds(&etag("e1")), "the tagged resource has no etag here");
        for bad in ["garbage", "()", "(<a>", "([e1)", "(x)", "<http://x/> ", "(<a>) <http://x/> (<b>)"] {
            assert_eq!(parse(bad), Err(()), "{bad}");
        }
        assert_eq!(if_header(&HeaderMap::new()), Ok(None));
        let many = "(<a>)".repeat(MAX_IF_LISTS + 1);
        let mut h = HeaderMap::new();
        h.insert("if", many.parse().unwrap());
        assert_eq!(if_header(&h), Err(()));
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
