//! The ping engines are async: several sessions and a sweep run at once on
//! one current-thread runtime, each counting only its own replies.

use ipkit::cancel::Cancel;
use std::net::IpAddr;
use std::time::Duration;

use ipkit::ping::session::{self, PingOptions};
use ipkit::ping::sweep::{self, SweepOptions};

/// May this process open an ICMP socket (root, CAP_NET_RAW, or the
/// unprivileged socket)? Under CI it must.
fn can_ping(rt: &tokio::runtime::Runtime) -> bool {
    use ipkit::probe::{ChannelConfig, IcmpProvider, System};
    let opened = rt.block_on(async {
        System
            .open(
                ipkit_core::wire::icmp::Family::V4,
                &ChannelConfig::default(),
            )
            .map(drop)
    });
    match opened {
        Ok(_) => true,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: {e}");
            false
        }
        Err(e) => panic!("CI is set, and this test must run: {e}"),
    }
}

#[test]
fn sessions_and_a_sweep_share_one_thread() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .expect("runtime");
    if !can_ping(&rt) {
        return;
    }
    let stop = Cancel::new();
    let o = PingOptions {
        count: Some(4),
        interval: Duration::from_millis(50),
        timeout: Duration::from_secs(2),
        ..PingOptions::default()
    };
    let targets: Vec<IpAddr> = (1..=200u8)
        .map(|i| IpAddr::from([127, 0, 1, i]))
        .chain(["::1".parse().unwrap()])
        .collect();
    let sweep_options = SweepOptions {
        rate: 0,
        count: Some(2),
        period: Duration::from_millis(50),
        ..SweepOptions::default()
    };
    let (v4, v6, swept) = rt.block_on(async {
        tokio::join!(
            session::run("127.0.0.1".parse().unwrap(), &o, &stop, |_| {
                std::ops::ControlFlow::Continue(())
            }),
            session::run("::1".parse().unwrap(), &o, &stop, |_| {
                std::ops::ControlFlow::Continue(())
            }),
            sweep::sweep(&targets, &sweep_options, &stop, |_| {
                std::ops::ControlFlow::Continue(())
            }),
        )
    });
    let (v4, v6, swept) = (v4.unwrap(), v6.unwrap(), swept.unwrap());
    // Each session saw its four replies and no one else's (the sweep's and
    // the other session's replies reach the same raw sockets).
    for t in [&v4, &v6] {
        assert_eq!((t.stats.transmitted, t.stats.received), (4, 4));
        assert_eq!(t.stats.duplicates, 0);
    }
    assert_eq!(swept.alive, targets.len() as u64);
    assert!(swept.targets.iter().all(|s| (s.sent, s.received) == (2, 2)));
}
