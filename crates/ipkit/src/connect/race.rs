//! The Happy Eyeballs race (RFC 8305 §5) as a sans-IO state machine: events
//! in (start, an attempt connected, an attempt failed, the timer fired, the
//! overall deadline passed, the user interrupted), actions out (start
//! attempt N at address A, arm the timer at T, abort an attempt, the race is
//! over). No sockets and no clocks: every time is a [`Duration`] since the
//! race began, passed in by the driver ([`super::run`]), so every rule is
//! tested without I/O — and the driver is tested on tokio's paused clock.
//!
//! The rules, in RFC 8305's words where it has them:
//! - "one connection attempt to a single address is started first, followed
//!   by the others in the list, one at a time" — in the order
//!   [`super::order::interleave`] gives.
//! - The next attempt starts when the Connection Attempt Delay has passed
//!   since the last one started ("One recommended value for a default delay
//!   is 250 milliseconds"), or at once when every attempt in flight has
//!   failed. RFC 8305 sets no rule for a failure; waiting out the rest of
//!   the delay with nothing in flight would only add latency, which is what
//!   the delay's lower bound is not for (it exists "to avoid congestion
//!   collapse", and a failed attempt sends nothing more). The one hard
//!   rule still holds: "a subsequent connection MUST NOT be started within
//!   10 milliseconds of the previous attempt" ([`MIN_GAP`]).
//! - "Starting a new connection attempt does not affect previous attempts":
//!   several may be in flight at once.
//! - "Once one of the connection attempts succeeds … all other connections
//!   attempts that have not yet succeeded SHOULD be canceled. Any address
//!   that was not yet attempted as a connection SHOULD be ignored."
//!
//! What it does not do: resolve names (the driver gives it the ordered
//! list), keep RTT history to compute the delay, or retry an address.

use std::net::SocketAddr;
use std::time::Duration;

/// RFC 8305 §5: "a subsequent connection MUST NOT be started within 10
/// milliseconds of the previous attempt" — even after a failure.
pub const MIN_GAP: Duration = Duration::from_millis(10);

/// Why an attempt that had started was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abandoned {
    /// Another attempt connected first.
    LostRace,
    /// The overall deadline passed before it connected.
    TimedOut,
    /// The user interrupted the race.
    Interrupted,
}

/// Where one attempt (one address) stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptState {
    /// Not started: the race ended before its turn.
    NotStarted,
    /// Started at `started`, no answer yet.
    Pending {
        /// When it started.
        started: Duration,
    },
    /// Connected: it won.
    Connected {
        /// When it started.
        started: Duration,
        /// When it connected.
        at: Duration,
    },
    /// Failed with `reason` (the operating system's error).
    Failed {
        /// When it started.
        started: Duration,
        /// When it failed.
        at: Duration,
        /// Why, in the operating system's words.
        reason: String,
    },
    /// Given up before it answered.
    Abandoned {
        /// When it started.
        started: Duration,
        /// When it was given up.
        at: Duration,
        /// Why.
        why: Abandoned,
    },
}

impl AttemptState {
    /// When the attempt started, if it did.
    pub fn started(&self) -> Option<Duration> {
        match self {
            AttemptState::NotStarted => None,
            AttemptState::Pending { started }
            | AttemptState::Connected { started, .. }
            | AttemptState::Failed { started, .. }
            | AttemptState::Abandoned { started, .. } => Some(*started),
        }
    }

    /// When the attempt ended (connected, failed or given up), if it did.
    pub fn ended(&self) -> Option<Duration> {
        match self {
            AttemptState::NotStarted | AttemptState::Pending { .. } => None,
            AttemptState::Connected { at, .. }
            | AttemptState::Failed { at, .. }
            | AttemptState::Abandoned { at, .. } => Some(*at),
        }
    }
}

/// What happened, as the driver tells the race.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Begin: the first attempt starts.
    Start,
    /// Attempt `n` connected.
    Connected(usize),
    /// Attempt `n` failed, for this reason.
    Failed(usize, String),
    /// The timer the race armed last has fired.
    TimerFired,
    /// The overall deadline passed.
    TimedOut,
    /// The user interrupted.
    Interrupted,
}

/// How the race ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Attempt `n` connected.
    Connected(usize),
    /// Every address was tried and every attempt failed.
    AllFailed,
    /// The deadline passed first.
    TimedOut,
    /// The user interrupted.
    Interrupted,
}

/// What the driver must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start attempt `attempt`: connect to `addr`.
    Start {
        /// The attempt's number (its index in the ordered address list).
        attempt: usize,
        /// The address to connect to.
        addr: SocketAddr,
    },
    /// Arm the timer to fire at `at` (replacing any armed before).
    ArmTimer {
        /// When, since the race began.
        at: Duration,
    },
    /// Abort attempt `attempt` (close its socket).
    Abort {
        /// The attempt's number.
        attempt: usize,
    },
    /// The race is over.
    Finish(Outcome),
}

/// One race over an ordered list of addresses.
#[derive(Debug, Clone)]
pub struct Race {
    addrs: Vec<SocketAddr>,
    delay: Duration,
    attempts: Vec<AttemptState>,
    next: usize,
    last_start: Duration,
    timer: Option<Duration>,
    outcome: Option<Outcome>,
}

impl Race {
    /// A race over `addrs` (already in RFC 8305 §4's order) with this
    /// Connection Attempt Delay. Nothing starts until [`Event::Start`].
    pub fn new(addrs: Vec<SocketAddr>, delay: Duration) -> Race {
        let attempts = vec![AttemptState::NotStarted; addrs.len()];
        Race {
            addrs,
            delay,
            attempts,
            next: 0,
            last_start: Duration::ZERO,
            timer: None,
            outcome: None,
        }
    }

    /// The addresses, in the order they are (or would be) tried.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The Connection Attempt Delay.
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// Every attempt's state, by attempt number.
    pub fn attempts(&self) -> &[AttemptState] {
        &self.attempts
    }

    /// How the race ended, once it has.
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }

    /// Feed one event that happened at `now` (since the race began); the
    /// actions to take, in order. After the race is over every event is
    /// ignored (no actions).
    pub fn handle(&mut self, now: Duration, event: Event) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.outcome.is_some() {
            return actions;
        }
        match event {
            Event::Start => {
                if self.next == 0 {
                    self.start_next(now, &mut actions);
                }
            }
            Event::TimerFired => {
                if self.timer.is_some_and(|t| now >= t) {
                    self.timer = None;
                    self.start_next(now, &mut actions);
                }
            }
            Event::Connected(n) => {
                if let Some(AttemptState::Pending { started }) = self.attempts.get(n).cloned() {
                    self.attempts[n] = AttemptState::Connected { started, at: now };
                    self.abandon_pending(now, Abandoned::LostRace, &mut actions);
                    self.finish(Outcome::Connected(n), &mut actions);
                }
            }
            Event::Failed(n, reason) => {
                if let Some(AttemptState::Pending { started }) = self.attempts.get(n).cloned() {
                    self.attempts[n] = AttemptState::Failed {
                        started,
                        at: now,
                        reason,
                    };
                    if !self.any_pending() {
                        // Nothing in flight: the next address now (or as
                        // soon as MIN_GAP allows), not after the delay.
                        let earliest = self.last_start + MIN_GAP;
                        if now >= earliest || self.next >= self.addrs.len() {
                            self.start_next(now, &mut actions);
                        } else {
                            self.timer = Some(earliest);
                            actions.push(Action::ArmTimer { at: earliest });
                        }
                    }
                }
            }
            Event::TimedOut => {
                self.abandon_pending(now, Abandoned::TimedOut, &mut actions);
                self.finish(Outcome::TimedOut, &mut actions);
            }
            Event::Interrupted => {
                self.abandon_pending(now, Abandoned::Interrupted, &mut actions);
                self.finish(Outcome::Interrupted, &mut actions);
            }
        }
        actions
    }

    fn any_pending(&self) -> bool {
        self.attempts
            .iter()
            .any(|a| matches!(a, AttemptState::Pending { .. }))
    }

    /// Start the next address, arming the timer if one is left after it;
    /// with none left and none in flight, the race is lost.
    fn start_next(&mut self, now: Duration, actions: &mut Vec<Action>) {
        let Some(&addr) = self.addrs.get(self.next) else {
            if !self.any_pending() {
                self.finish(Outcome::AllFailed, actions);
            }
            return;
        };
        let attempt = self.next;
        self.next += 1;
        self.last_start = now;
        self.attempts[attempt] = AttemptState::Pending { started: now };
        actions.push(Action::Start { attempt, addr });
        if self.next < self.addrs.len() {
            let at = now + self.delay;
            self.timer = Some(at);
            actions.push(Action::ArmTimer { at });
        } else {
            self.timer = None;
        }
    }

    fn abandon_pending(&mut self, now: Duration, why: Abandoned, actions: &mut Vec<Action>) {
        for (attempt, state) in self.attempts.iter_mut().enumerate() {
            if let AttemptState::Pending { started } = *state {
                *state = AttemptState::Abandoned {
                    started,
                    at: now,
                    why,
                };
                actions.push(Action::Abort { attempt });
            }
        }
    }

    fn finish(&mut self, outcome: Outcome, actions: &mut Vec<Action>) {
        self.outcome = Some(outcome);
        self.timer = None;
        actions.push(Action::Finish(outcome));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn two() -> Race {
        Race::new(
            vec!["[::1]:80".parse().unwrap(), "127.0.0.1:80".parse().unwrap()],
            ms(250),
        )
    }

    #[test]
    fn first_attempt_and_the_timer_for_the_second() {
        let mut r = two();
        assert_eq!(
            r.handle(ms(0), Event::Start),
            vec![
                Action::Start {
                    attempt: 0,
                    addr: "[::1]:80".parse().unwrap()
                },
                Action::ArmTimer { at: ms(250) }
            ]
        );
        // A stale or early timer changes nothing.
        assert!(r.handle(ms(100), Event::TimerFired).is_empty());
        assert_eq!(
            r.handle(ms(250), Event::TimerFired),
            vec![Action::Start {
                attempt: 1,
                addr: "127.0.0.1:80".parse().unwrap()
            }]
        );
        assert_eq!(
            r.handle(ms(260), Event::Connected(1)),
            vec![
                Action::Abort { attempt: 0 },
                Action::Finish(Outcome::Connected(1))
            ]
        );
        assert_eq!(
            r.attempts()[0],
            AttemptState::Abandoned {
                started: ms(0),
                at: ms(260),
                why: Abandoned::LostRace
            }
        );
        assert!(r.handle(ms(300), Event::Connected(0)).is_empty());
    }

    #[test]
    fn a_failure_with_nothing_in_flight_starts_the_next_at_once() {
        let mut r = two();
        r.handle(ms(0), Event::Start);
        let a = r.handle(ms(12), Event::Failed(0, "refused".into()));
        assert_eq!(
            a,
            vec![Action::Start {
                attempt: 1,
                addr: "127.0.0.1:80".parse().unwrap()
            }]
        );
        assert_eq!(
            r.handle(ms(13), Event::Failed(1, "refused".into())),
            vec![Action::Finish(Outcome::AllFailed)]
        );
    }

    #[test]
    fn a_quick_failure_waits_out_the_10_ms_minimum_gap() {
        let mut r = two();
        r.handle(ms(0), Event::Start);
        assert_eq!(
            r.handle(ms(1), Event::Failed(0, "refused".into())),
            vec![Action::ArmTimer { at: ms(10) }]
        );
        assert_eq!(
            r.handle(ms(10), Event::TimerFired),
            vec![Action::Start {
                attempt: 1,
                addr: "127.0.0.1:80".parse().unwrap()
            }]
        );
    }

    #[test]
    fn a_failure_while_another_is_in_flight_waits_for_the_timer() {
        let addrs = ["[::1]:80", "127.0.0.1:80", "[::2]:80"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        let mut r = Race::new(addrs, ms(250));
        r.handle(ms(0), Event::Start);
        r.handle(ms(250), Event::TimerFired);
        assert!(r.handle(ms(300), Event::Failed(1, "x".into())).is_empty());
        assert_eq!(
            r.handle(ms(500), Event::TimerFired),
            vec![Action::Start {
                attempt: 2,
                addr: "[::2]:80".parse().unwrap()
            }]
        );
    }

    #[test]
    fn timeout_abandons_what_is_in_flight() {
        let mut r = two();
        r.handle(ms(0), Event::Start);
        r.handle(ms(250), Event::TimerFired);
        assert_eq!(
            r.handle(ms(1000), Event::TimedOut),
            vec![
                Action::Abort { attempt: 0 },
                Action::Abort { attempt: 1 },
                Action::Finish(Outcome::TimedOut)
            ]
        );
    }

    #[test]
    fn no_addresses_is_a_lost_race() {
        let mut r = Race::new(Vec::new(), ms(250));
        assert_eq!(
            r.handle(ms(0), Event::Start),
            vec![Action::Finish(Outcome::AllFailed)]
        );
    }
}
