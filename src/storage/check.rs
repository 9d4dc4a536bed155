//! What `slotdav check` reports: the invariants of the store, each problem
//! found (and, with `--repair`, whether it was fixed). The DAV tree's
//! invariants are checked by each backend's [`super::Storage::check_tree`]
//! (the sled one in `storage/sled/check.rs`); the domain modules check
//! their own records (bookings in `booking::service`, the outbox in
//! `mail::outbox`) and report in the same [`Problem`] terms, composed by
//! `admin`. Imports nothing of the crate but serde types.
//!
//! The tree's invariants:
//! - every node's parent exists and is a collection, every resource has its
//!   bytes (`node`, `content`);
//! - every calendar object has its UID-index entry, and every entry names an
//!   existing object with that UID (`uid-index`);
//! - every calendar object's occurrence index is what its stored bytes
//!   expand to up to the calendar's horizon, and no index record names an
//!   object that does not exist (`occurrence-index`);
//! - replaying a collection's change log from revision 0 gives its member
//!   set, and no entry is past its revision (`change-log`);
//! - each home's usage record equals the sum of its records' sizes (`usage`).
//!
//! A repair never deletes or changes a user's object: it rebuilds indexes
//! and usage from the objects, drops index entries that point nowhere, and
//! appends change-log entries so sync clients see the members as they are.

use serde::{Deserialize, Serialize};

/// One broken invariant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Which invariant: `node`, `content`, `uid-index`, `occurrence-index`,
    /// `change-log`, `usage`, `booking`, `outbox`.
    pub check: String,
    /// What is wrong, naming the path or record.
    pub what: String,
    /// `--repair` fixed it.
    pub repaired: bool,
}

impl Problem {
    pub fn new(check: &str, what: impl Into<String>) -> Self {
        Problem { check: check.to_string(), what: what.into(), repaired: false }
    }
}

/// What a check looked at and found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    /// Nodes (collections and resources) looked at.
    pub nodes: u64,
    /// Calendar objects whose indexes were re-derived.
    pub calendar_objects: u64,
    /// Domain records looked at (bookings, outbox entries).
    pub records: u64,
    pub problems: Vec<Problem>,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// Adds another part's findings (a domain module's) to this report.
    pub fn merge(&mut self, other: CheckReport) {
        self.nodes += other.nodes;
        self.calendar_objects += other.calendar_objects;
        self.records += other.records;
        self.problems.extend(other.problems);
    }

    /// The report for a person: one line per problem, then a summary.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for p in &self.problems {
            let fixed = if p.repaired { " (repaired)" } else { "" };
            out.push_str(&format!("{}: {}{fixed}\n", p.check, p.what));
        }
        let repaired = self.problems.iter().filter(|p| p.repaired).count();
        out.push_str(&format!(
            "checked {} nodes, {} calendar objects, {} records: {} problems{}",
            self.nodes,
            self.calendar_objects,
            self.records,
            self.problems.len(),
            if repaired > 0 { format!(", {repaired} repaired") } else { String::new() }
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_lists_each_problem_and_counts_repairs() {
        let mut r = CheckReport { nodes: 3, ..Default::default() };
        let mut fixed = Problem::new("uid-index", "alice/cal: no entry for UID x");
        fixed.repaired = true;
        r.merge(CheckReport { records: 2, problems: vec![fixed, Problem::new("booking", "b1: no VEVENT")], ..Default::default() });
        assert!(!r.is_clean());
        let text = r.text();
        assert!(text.contains("uid-index: alice/cal: no entry for UID x (repaired)\nbooking: b1: no VEVENT\n"), "{text}");
        assert!(text.ends_with("checked 3 nodes, 0 calendar objects, 2 records: 2 problems, 1 repaired"), "{text}");
    }
}
