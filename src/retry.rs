//! Retry with capped exponential back-off: a pure policy plus the one loop helper every retry in
//! smt goes through (Stream Load transactions, commits, label polling, FE statements, binlog
//! reconnects, the sync engine's restarts). Whether an error is worth repeating is a property of
//! its type ([`Retryable`]), never of its message text.
//!
//! The loop never changes what is retried: the closure is called again with the attempt
//! number only, so a Stream Load retry re-sends the same label and the same bytes (rule 1 of
//! reference/starrocks-protocol.md). Only errors the caller marks retryable are retried; any
//! other error is returned at once, and the last retryable error is returned when the attempts
//! run out. No jitter: delays are deterministic so behaviour can be tested and reasoned about.

use std::time::Duration;

/// How often and how long to retry.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Total number of attempts including the first (>= 1; 0 is treated as 1).
    pub max_attempts: u32,
    /// Delay before the second attempt.
    pub initial_delay: Duration,
    /// Upper bound of any single delay.
    pub max_delay: Duration,
    /// Growth factor between consecutive delays (>= 1.0).
    pub multiplier: f64,
}

impl Default for RetryPolicy {
    /// 8 attempts: 0.5 s, 1 s, 2 s, 4 s, 8 s, 16 s, 30 s between them (about 1 min in total).
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            multiplier: 2.0,
        }
    }
}

impl RetryPolicy {
    /// No retry at all: one attempt.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// A policy for tests: `attempts` attempts with no waiting.
    pub fn immediate(attempts: u32) -> Self {
        RetryPolicy {
            max_attempts: attempts,
            initial_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            multiplier: 1.0,
        }
    }

    /// Delay to wait after failed attempt number `attempt` (1-based) before the next one.
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let factor = if self.multiplier.is_finite() && self.multiplier >= 1.0 {
            self.multiplier
        } else {
            1.0
        };
        let exp = attempt.saturating_sub(1).min(64) as i32;
        let secs = self.initial_delay.as_secs_f64() * factor.powi(exp);
        let capped = secs.min(self.max_delay.as_secs_f64());
        if capped.is_finite() && capped >= 0.0 {
            Duration::from_secs_f64(capped)
        } else {
            self.max_delay
        }
    }

    /// Whether another attempt is allowed after `attempt` (1-based) failed.
    pub fn allows_after(&self, attempt: u32) -> bool {
        attempt < self.max_attempts.max(1)
    }
}

/// Errors that know whether repeating the same operation is safe and useful.
pub trait Retryable {
    fn is_retryable(&self) -> bool;
}

/// The outcome of one attempt when the closure itself decides: repeat, or stop with `E`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt<E> {
    Again(E),
    Stop(E),
}

impl<E> Attempt<E> {
    pub fn into_inner(self) -> E {
        match self {
            Attempt::Again(e) | Attempt::Stop(e) => e,
        }
    }
    /// Repeat when `e` is itself retryable, else stop.
    pub fn of(e: E) -> Self
    where
        E: Retryable,
    {
        if e.is_retryable() {
            Attempt::Again(e)
        } else {
            Attempt::Stop(e)
        }
    }
}

impl<E> Retryable for Attempt<E> {
    fn is_retryable(&self) -> bool {
        matches!(self, Attempt::Again(_))
    }
}

/// Run `op(attempt)` (attempt = 1, 2, ...) until it succeeds, fails with a non-retryable error,
/// or the policy's attempts are used up. Sleeps between attempts.
pub fn retry<T, E: Retryable>(
    policy: &RetryPolicy,
    op: impl FnMut(u32) -> Result<T, E>,
) -> Result<T, E> {
    retry_with_sleep(policy, std::thread::sleep, op)
}

/// [`retry`] with an injectable sleep (tests pass a recorder instead of sleeping).
pub fn retry_with_sleep<T, E: Retryable>(
    policy: &RetryPolicy,
    mut sleep: impl FnMut(Duration),
    mut op: impl FnMut(u32) -> Result<T, E>,
) -> Result<T, E> {
    let mut attempt = 1u32;
    loop {
        match op(attempt) {
            Ok(v) => return Ok(v),
            Err(e) => {
                if !e.is_retryable() || !policy.allows_after(attempt) {
                    return Err(e);
                }
                tracing::debug!(attempt, "retryable failure; backing off");
                sleep(policy.delay_after(attempt));
                attempt += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum E {
        Again,
        Stop,
    }
    impl Retryable for E {
        fn is_retryable(&self) -> bool {
            matches!(self, E::Again)
        }
    }

    #[test]
    fn delays_grow_and_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_after(1), Duration::from_millis(500));
        assert_eq!(p.delay_after(2), Duration::from_secs(1));
        assert_eq!(p.delay_after(4), Duration::from_secs(4));
        assert_eq!(p.delay_after(7), Duration::from_secs(30));
        assert_eq!(p.delay_after(1000), Duration::from_secs(30));
    }

    #[test]
    fn retries_only_retryable_errors_and_stops_at_the_cap() {
        let p = RetryPolicy::default();
        let mut slept = Vec::new();
        let mut calls = Vec::new();
        let r: Result<(), E> = retry_with_sleep(
            &p,
            |d| slept.push(d),
            |a| {
                calls.push(a);
                Err(E::Again)
            },
        );
        assert_eq!(r, Err(E::Again));
        assert_eq!(calls, (1..=8).collect::<Vec<_>>());
        assert_eq!(slept.len(), 7);

        let mut n = 0;
        let r: Result<(), E> = retry_with_sleep(
            &p,
            |_| {},
            |_| {
                n += 1;
                Err(E::Stop)
            },
        );
        assert_eq!(r, Err(E::Stop));
        assert_eq!(n, 1);
    }

    #[test]
    fn returns_first_success() {
        let r: Result<u32, E> = retry_with_sleep(
            &RetryPolicy::immediate(5),
            |_| {},
            |a| if a < 3 { Err(E::Again) } else { Ok(a) },
        );
        assert_eq!(r, Ok(3));
        let r: Result<u32, E> = retry_with_sleep(&RetryPolicy::none(), |_| {}, |_| Err(E::Again));
        assert_eq!(r, Err(E::Again));
    }
}
