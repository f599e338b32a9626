//! A per-caller limit on how often something may be done (e.g. identity-number lookups): at
//! most `limit` times in any `window`. In memory, per process: a guess at a number costs a
//! request, and a caller who spreads guesses over instances still meets the limit on each.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    limit: usize,
    window: Duration,
    seen: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(limit: usize, window: Duration) -> RateLimiter {
        RateLimiter {
            limit,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one use by `who`; false (and not counted) if `who` reached the limit.
    pub fn allow(&self, who: &str) -> bool {
        self.allow_at(who, Instant::now())
    }

    fn allow_at(&self, who: &str, now: Instant) -> bool {
        let Ok(mut seen) = self.seen.lock() else {
            return false;
        };
        let times = seen.entry(who.to_string()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.limit {
            return false;
        }
        times.push_back(now);
        true
    }

    pub fn limit(&self) -> usize {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_limit_per_window_and_per_caller() {
        let r = RateLimiter::new(3, Duration::from_secs(60));
        let t = Instant::now();
        assert!((0..3).all(|_| r.allow_at("a", t)));
        assert!(!r.allow_at("a", t + Duration::from_secs(59)));
        assert!(r.allow_at("b", t));
        assert!(r.allow_at("a", t + Duration::from_secs(60)));
    }
}
