//! The Happy Eyeballs driver (`ipkit::connect::race_with`) over scripted
//! connection attempts on tokio's paused clock: the timings asserted here
//! are the driver's own, exact to the nanosecond, because the clock only
//! moves when every task waits. The expected numbers are RFC 8305's: the
//! 250 ms Connection Attempt Delay and the 100 ms minimum (§5, §8), IPv6
//! first and the families alternating (§4), the 10 ms floor between two
//! attempts (§5: "MUST NOT be started within 10 milliseconds").

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use ipkit::cancel::Cancel;
use ipkit::connect::race::{Abandoned, AttemptState, Outcome};
use ipkit::connect::{Asked, Connector, Request, order, race_with};
use tokio::time::Instant;

/// What one address does when it is tried.
#[derive(Debug, Clone, Copy)]
enum Script {
    /// The handshake completes after this long.
    ConnectAfter(u64),
    /// The attempt fails (connection refused) after this long.
    RefuseAfter(u64),
    /// SYNs dropped: no answer, ever.
    Silent,
}

/// A connector playing a script per address, recording when each attempt
/// was started (since the first).
struct Scripted {
    scripts: HashMap<SocketAddr, Script>,
    started: RefCell<Vec<(SocketAddr, Duration)>>,
    epoch: Instant,
}

impl Scripted {
    fn new(scripts: &[(&str, Script)]) -> Scripted {
        Scripted {
            scripts: scripts
                .iter()
                .map(|(a, s)| (a.parse().expect("address"), *s))
                .collect(),
            started: RefCell::new(Vec::new()),
            epoch: Instant::now(),
        }
    }

    fn starts(&self) -> Vec<(String, u64)> {
        self.started
            .borrow()
            .iter()
            .map(|(a, t)| (a.to_string(), u64::try_from(t.as_millis()).unwrap()))
            .collect()
    }
}

impl Connector for Scripted {
    type Conn = SocketAddr;

    async fn connect(&self, addr: SocketAddr) -> io::Result<SocketAddr> {
        self.started.borrow_mut().push((addr, self.epoch.elapsed()));
        match self.scripts[&addr] {
            Script::ConnectAfter(ms) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok(addr)
            }
            Script::RefuseAfter(ms) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Err(io::Error::from(io::ErrorKind::ConnectionRefused))
            }
            Script::Silent => std::future::pending().await,
        }
    }
}

fn addrs(list: &[&str]) -> Vec<SocketAddr> {
    list.iter().map(|a| a.parse().expect("address")).collect()
}

const V6: &str = "[2001:db8::1]:443";
const V6B: &str = "[2001:db8::2]:443";
const V4: &str = "192.0.2.1:443";
const V4B: &str = "192.0.2.2:443";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

const DELAY: Duration = ipkit::connect::ATTEMPT_DELAY;

#[tokio::test(start_paused = true)]
async fn the_second_family_starts_after_250_ms_when_the_first_is_silent() {
    let c = Scripted::new(&[(V6, Script::Silent), (V4, Script::ConnectAfter(5))]);
    let raced = race_with(&c, addrs(&[V6, V4]), DELAY, ms(10_000), &Cancel::new()).await;
    assert_eq!(raced.conn, Some(V4.parse().unwrap()));
    assert_eq!(c.starts(), [(V6.into(), 0), (V4.into(), 250)]);
    assert_eq!(raced.elapsed, ms(255));
    assert_eq!(
        raced.race.attempts()[0],
        AttemptState::Abandoned {
            started: ms(0),
            at: ms(255),
            why: Abandoned::LostRace
        }
    );
}

#[tokio::test(start_paused = true)]
async fn a_fast_first_attempt_leaves_the_others_unstarted() {
    let c = Scripted::new(&[
        (V6, Script::ConnectAfter(20)),
        (V4, Script::ConnectAfter(1)),
    ]);
    let raced = race_with(&c, addrs(&[V6, V4]), DELAY, ms(10_000), &Cancel::new()).await;
    assert_eq!(raced.conn, Some(V6.parse().unwrap()));
    assert_eq!(c.starts(), [(V6.into(), 0)]);
    assert_eq!(raced.race.attempts()[1], AttemptState::NotStarted);
    assert_eq!(raced.elapsed, ms(20));
}

#[tokio::test(start_paused = true)]
async fn a_refused_attempt_starts_the_next_at_once() {
    let c = Scripted::new(&[(V6, Script::RefuseAfter(30)), (V4, Script::ConnectAfter(5))]);
    let raced = race_with(&c, addrs(&[V6, V4]), DELAY, ms(10_000), &Cancel::new()).await;
    assert_eq!(c.starts(), [(V6.into(), 0), (V4.into(), 30)]);
    assert_eq!(raced.elapsed, ms(35));
    let AttemptState::Failed { reason, at, .. } = &raced.race.attempts()[0] else {
        panic!("attempt 1 should have failed: {:?}", raced.race.attempts());
    };
    assert_eq!((reason.as_str(), *at), ("connection refused", ms(30)));
}

#[tokio::test(start_paused = true)]
async fn an_instant_refusal_still_waits_the_10_ms_floor() {
    let c = Scripted::new(&[(V6, Script::RefuseAfter(1)), (V4, Script::ConnectAfter(1))]);
    let raced = race_with(&c, addrs(&[V6, V4]), DELAY, ms(10_000), &Cancel::new()).await;
    assert_eq!(c.starts(), [(V6.into(), 0), (V4.into(), 10)]);
    assert_eq!(raced.race.outcome(), Some(Outcome::Connected(1)));
}

#[tokio::test(start_paused = true)]
async fn families_alternate_and_every_address_gets_its_turn() {
    // getaddrinfo's order (RFC 6724: both IPv6 first), interleaved by §4.
    let ordered = order::interleave(&addrs(&[V6, V6B, V4, V4B]));
    assert_eq!(ordered, addrs(&[V6, V4, V6B, V4B]));
    let c = Scripted::new(&[
        (V6, Script::Silent),
        (V6B, Script::Silent),
        (V4, Script::Silent),
        (V4B, Script::ConnectAfter(40)),
    ]);
    let raced = race_with(&c, ordered, DELAY, ms(10_000), &Cancel::new()).await;
    assert_eq!(
        c.starts(),
        [
            (V6.into(), 0),
            (V4.into(), 250),
            (V6B.into(), 500),
            (V4B.into(), 750)
        ]
    );
    assert_eq!(raced.conn, Some(V4B.parse().unwrap()));
    assert_eq!(raced.elapsed, ms(790));
}

#[tokio::test(start_paused = true)]
async fn an_earlier_attempt_that_answers_late_still_wins_over_a_later_one() {
    let c = Scripted::new(&[
        (V6, Script::ConnectAfter(260)),
        (V4, Script::ConnectAfter(50)),
    ]);
    let raced = race_with(&c, addrs(&[V6, V4]), DELAY, ms(10_000), &Cancel::new()).await;
    assert_eq!(raced.conn, Some(V6.parse().unwrap()));
    assert_eq!(
        raced.race.attempts()[1],
        AttemptState::Abandoned {
            started: ms(250),
            at: ms(260),
            why: Abandoned::LostRace
        }
    );
}

#[tokio::test(start_paused = true)]
async fn every_address_refusing_is_a_lost_race() {
    let c = Scripted::new(&[(V6, Script::RefuseAfter(15)), (V4, Script::RefuseAfter(15))]);
    let raced = race_with(&c, addrs(&[V6, V4]), DELAY, ms(10_000), &Cancel::new()).await;
    assert_eq!(raced.race.outcome(), Some(Outcome::AllFailed));
    assert!(raced.conn.is_none());
    assert_eq!(raced.elapsed, ms(30));
}

#[tokio::test(start_paused = true)]
async fn the_overall_timeout_abandons_what_is_in_flight() {
    let c = Scripted::new(&[(V6, Script::Silent), (V4, Script::Silent)]);
    let raced = race_with(&c, addrs(&[V6, V4]), DELAY, ms(600), &Cancel::new()).await;
    assert_eq!(raced.race.outcome(), Some(Outcome::TimedOut));
    assert_eq!(raced.elapsed, ms(600));
    for a in raced.race.attempts() {
        assert!(
            matches!(
                a,
                AttemptState::Abandoned {
                    why: Abandoned::TimedOut,
                    ..
                }
            ),
            "{a:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_timeout_before_the_second_turn_never_starts_it() {
    let c = Scripted::new(&[(V6, Script::Silent), (V4, Script::ConnectAfter(1))]);
    let raced = race_with(&c, addrs(&[V6, V4]), DELAY, ms(200), &Cancel::new()).await;
    assert_eq!(raced.race.outcome(), Some(Outcome::TimedOut));
    assert_eq!(c.starts(), [(V6.into(), 0)]);
}

#[tokio::test(start_paused = true)]
async fn cancelling_interrupts_the_race() {
    let c = Scripted::new(&[(V6, Script::Silent), (V4, Script::Silent)]);
    let cancel = Cancel::new();
    let stop = cancel.clone();
    let (raced, ()) = tokio::join!(
        race_with(&c, addrs(&[V6, V4]), DELAY, ms(10_000), &cancel),
        async move {
            tokio::time::sleep(ms(100)).await;
            stop.cancel();
        }
    );
    assert_eq!(raced.race.outcome(), Some(Outcome::Interrupted));
    // The token is looked at every 20 ms.
    assert!(
        raced.elapsed >= ms(100) && raced.elapsed <= ms(120),
        "{:?}",
        raced.elapsed
    );
}

#[tokio::test(start_paused = true)]
async fn the_attempt_delay_is_kept_within_rfc_8305s_bounds() {
    let short = Request::new(&Asked {
        host: "h".into(),
        port: "1".into(),
        attempt_delay_ms: Some(20),
        ..Asked::default()
    })
    .expect("request");
    assert_eq!(short.attempt_delay, ms(100));
    assert_eq!(short.attempt_delay_asked, Some(ms(20)));
    let long = Request::new(&Asked {
        host: "h".into(),
        port: "1".into(),
        attempt_delay_ms: Some(5000),
        ..Asked::default()
    })
    .expect("request");
    assert_eq!(long.attempt_delay, ms(2000));
    let c = Scripted::new(&[(V6, Script::Silent), (V4, Script::ConnectAfter(1))]);
    race_with(
        &c,
        addrs(&[V6, V4]),
        short.attempt_delay,
        ms(10_000),
        &Cancel::new(),
    )
    .await;
    assert_eq!(c.starts(), [(V6.into(), 0), (V4.into(), 100)]);
}
