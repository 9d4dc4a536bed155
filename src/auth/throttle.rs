//! Brute-force throttling of password checks: pure bookkeeping, time is a
//! parameter.
//!
//! Failures are counted per user name and per client address (an IPv6
//! client by its /64, which one subscriber usually owns whole). After
//! `free` failures every further one makes the key wait `backoff`,
//! doubling up to `backoff_max`; a key is forgotten once it has been quiet
//! for `backoff_max`. A user throttled this way can still sign in from an
//! address they signed in from before (a known-good address), so an
//! attacker elsewhere cannot lock them out.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Entries kept per map before the quiet ones are dropped.
const MAX_ENTRIES: usize = 100_000;
/// How long a successful sign-in keeps an address known-good for its user.
const KNOWN_GOOD_FOR: Duration = Duration::from_secs(30 * 24 * 3600);

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    blocked_until: Instant,
}

/// The failure counts; see the module documentation.
#[derive(Debug)]
pub struct Throttle {
    free: u32,
    backoff: Duration,
    backoff_max: Duration,
    users: HashMap<String, Failures>,
    clients: HashMap<IpAddr, Failures>,
    known_good: HashMap<(String, IpAddr), Instant>,
}

impl Throttle {
    pub fn new(free: u32, backoff: Duration, backoff_max: Duration) -> Self {
        Throttle { free, backoff, backoff_max, users: HashMap::new(), clients: HashMap::new(), known_good: HashMap::new() }
    }

    /// How long `client` must wait before trying `user` again, if at all.
    pub fn wait(&self, user: &str, client: IpAddr, now: Instant) -> Option<Duration> {
        let client = client_key(client);
        let blocked = |f: Option<&Failures>| f.and_then(|f| f.blocked_until.checked_duration_since(now)).filter(|d| !d.is_zero());
        let by_client = blocked(self.clients.get(&client));
        let by_user = if self.is_known_good(user, client, now) { None } else { blocked(self.users.get(user)) };
        by_client.max(by_user)
    }

    /// Counts a wrong password (or unknown user) from `client`.
    pub fn failure(&mut self, user: &str, client: IpAddr, now: Instant) {
        let client = client_key(client);
        let (free, backoff, max) = (self.free, self.backoff, self.backoff_max);
        let bump = |f: &mut Failures| {
            if now.saturating_duration_since(f.last) >= max {
                f.count = 0;
            }
            f.count = f.count.saturating_add(1);
            f.last = now;
            if f.count > free {
                let doublings = (f.count - free - 1).min(30);
                let wait = backoff.saturating_mul(1 << doublings).min(max);
                f.blocked_until = now + wait;
            }
        };
        let fresh = Failures { count: 0, last: now, blocked_until: now };
        bump(self.users.entry(user.to_string()).or_insert(fresh));
        bump(self.clients.entry(client).or_insert(fresh));
        if self.users.len() > MAX_ENTRIES || self.clients.len() > MAX_ENTRIES {
            self.forget_quiet(now);
        }
    }

    /// Records a successful sign-in: the address becomes known-good for
    /// the user.
    pub fn success(&mut self, user: &str, client: IpAddr, now: Instant) {
        if self.known_good.len() > MAX_ENTRIES {
            self.known_good.retain(|_, t| now.saturating_duration_since(*t) < KNOWN_GOOD_FOR);
            if self.known_good.len() > MAX_ENTRIES {
                self.known_good.clear();
            }
        }
        self.known_good.insert((user.to_string(), client_key(client)), now);
    }

    fn is_known_good(&self, user: &str, client: IpAddr, now: Instant) -> bool {
        self.known_good.get(&(user.to_string(), client)).is_some_and(|t| now.saturating_duration_since(*t) < KNOWN_GOOD_FOR)
    }

    /// Drops entries quiet for `backoff_max`; under a flood of names or
    /// addresses, also the ones that are not blocked.
    fn forget_quiet(&mut self, now: Instant) {
        let max = self.backoff_max;
        let keep = |f: &Failures| now.saturating_duration_since(f.last) < max;
        self.users.retain(|_, f| keep(f));
        self.clients.retain(|_, f| keep(f));
        if self.users.len() > MAX_ENTRIES {
            self.users.retain(|_, f| f.blocked_until > now);
        }
        if self.clients.len() > MAX_ENTRIES {
            self.clients.retain(|_, f| f.blocked_until > now);
        }
    }
}

/// The key of a client: its IPv4 address, or its IPv6 /64.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & (u128::MAX << 64)).into()),
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn waits_double_after_the_free_failures_and_stop_at_the_maximum() {
        let mut t = Throttle::new(3, Duration::from_secs(1), Duration::from_secs(10));
        let now = Instant::now();
        let attacker = ip("203.0.113.9");
        let mut waits = Vec::new();
        for _ in 0..8 {
            t.failure("alice", attacker, now);
            waits.push(t.wait("alice", attacker, now).map(|d| d.as_secs()).unwrap_or(0));
        }
        assert_eq!(waits, vec![0, 0, 0, 1, 2, 4, 8, 10]);
        // Any other address waits for alice too, but not for bob.
        assert_eq!(t.wait("alice", ip("198.51.100.1"), now), Some(Duration::from_secs(10)));
        assert_eq!(t.wait("bob", ip("198.51.100.1"), now), None);
        // The attacker's address waits for every user.
        assert!(t.wait("bob", attacker, now).is_some());
        // Quiet for the maximum: forgotten.
        let later = now + Duration::from_secs(11);
        assert_eq!(t.wait("alice", attacker, later), None);
        t.failure("alice", attacker, later);
        assert_eq!(t.wait("alice", attacker, later), None);
    }

    #[test]
    fn a_known_good_address_is_not_locked_out_by_others() {
        let mut t = Throttle::new(1, Duration::from_secs(5), Duration::from_secs(60));
        let now = Instant::now();
        t.success("alice", ip("192.0.2.10"), now);
        for i in 0..5 {
            t.failure("alice", ip(&format!("203.0.113.{i}")), now);
        }
        assert!(t.wait("alice", ip("203.0.113.200"), now).is_some());
        assert_eq!(t.wait("alice", ip("192.0.2.10"), now), None);
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_slash_64() {
        let mut t = Throttle::new(0, Duration::from_secs(5), Duration::from_secs(60));
        let now = Instant::now();
        t.failure("x", ip("2001:db8:1:2::1"), now);
        assert!(t.wait("y", ip("2001:db8:1:2:ffff::9"), now).is_some());
        assert!(t.wait("y", ip("2001:db8:1:3::1"), now).is_none());
    }
}
