//! The tracer's real channels on this machine: probes with TTL 1 to the
//! loopback addresses reach them, for each protocol (classic and Paris),
//! IPv4 and IPv6 — as root (raw sockets), and as `nobody` in a network
//! namespace of its own with `ping_group_range` opened (the unprivileged
//! ICMP socket and the UDP socket's error queue). Nothing leaves the host.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpListener};
use std::time::{Duration, Instant};

use ipkit::trace::TraceError;
use ipkit::trace::channel::{
    ChannelConfig, ProbeSpec, Protocol, ReplyKind, System, TraceChannel, TraceProvider, TraceReply,
};
use ipkit_core::wire::icmp::Family;

const LOOPBACKS: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::LOCALHOST),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
];

/// Set in the unprivileged child this file runs of itself.
const CHILD: &str = "IPKIT_TRACE_CHANNELS_CHILD";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .expect("runtime")
}

fn config(protocol: Protocol, target: IpAddr, port: u16, paris: bool) -> ChannelConfig {
    ChannelConfig {
        family: Family::of(target),
        protocol,
        target,
        port,
        paris,
        source: None,
        interface: None,
        tos: None,
        size: None,
        dont_fragment: false,
    }
}

/// Send probes `ids` with TTL 1 and collect one reply for each (2 s at most).
async fn probe(config: &ChannelConfig, ids: &[u16]) -> Result<(bool, Vec<TraceReply>), TraceError> {
    let mut channel = System.open(config)?;
    for &id in ids {
        channel
            .send(&ProbeSpec {
                ttl: 1,
                id,
                size: None,
            })
            .map_err(|e| panic!("sending probe {id} to {}: {e:?}", config.target))
            .ok();
    }
    let mut replies: Vec<TraceReply> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while replies.len() < ids.len() && Instant::now() < deadline {
        channel
            .wait(Duration::from_millis(100))
            .await
            .expect("wait");
        while let Some(r) = channel.try_recv().expect("try_recv") {
            if !replies.iter().any(|seen| seen.id == r.id) {
                replies.push(r);
            }
        }
    }
    replies.sort_by_key(|r| r.id);
    Ok((channel.unprivileged(), replies))
}

/// Every protocol that `privileged` may use reaches both loopbacks at hop 1.
fn every_protocol_reaches_the_loopbacks(privileged: bool) {
    let rt = runtime();
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let open_port = listener.local_addr().unwrap().port();
    let mut cases = vec![
        (Protocol::Icmp, 0, false),
        (Protocol::Icmp, 0, true),
        (Protocol::Udp, 33434, false),
        (Protocol::Udp, 33434, true),
    ];
    if privileged {
        // A closed port answers RST, an open one SYN-ACK: both "reached".
        cases.push((Protocol::Tcp, 9, false));
        cases.push((Protocol::Tcp, open_port, false));
    }
    for target in LOOPBACKS {
        for &(protocol, port, paris) in &cases {
            if protocol == Protocol::Tcp && port == open_port && target.is_ipv6() {
                continue;
            }
            let c = config(protocol, target, port, paris);
            let (unprivileged, replies) = rt
                .block_on(probe(&c, &[1, 2, 300]))
                .unwrap_or_else(|e| panic!("opening {protocol:?} to {target}: {e}"));
            assert_eq!(unprivileged, !privileged, "{protocol:?} to {target}");
            let ids: Vec<u16> = replies.iter().map(|r| r.id).collect();
            assert_eq!(ids, [1, 2, 300], "{protocol:?} paris={paris} to {target}");
            for r in &replies {
                assert_eq!(r.from, target, "{protocol:?} to {target}");
                assert_eq!(r.kind, ReplyKind::Reached, "{protocol:?} to {target}");
                assert!(r.kernel_time.is_some(), "kernel timestamps");
            }
        }
    }
    drop(listener);
}

/// Whether a root-only test runs here: not in the child, and as root
/// (under CI it must be).
fn runs_as_root() -> bool {
    if std::env::var_os(CHILD).is_some() {
        return false;
    }
    if !ipkit::privilege::is_root() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set, and this test must run as root"
        );
        eprintln!("skipped: not root (raw sockets, and namespaces for the unprivileged run)");
        return false;
    }
    true
}

#[test]
fn as_root_every_protocol_reaches_the_loopbacks() {
    if runs_as_root() {
        every_protocol_reaches_the_loopbacks(true);
    }
}

/// Run as `nobody` by `as_nobody_…` below, in its own network namespace.
#[test]
fn unprivileged_child() {
    if std::env::var_os(CHILD).is_some() {
        every_protocol_reaches_the_loopbacks(false);
    }
}

#[test]
fn as_nobody_icmp_and_udp_reach_the_loopbacks() {
    if !runs_as_root() {
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let script = format!(
        "ip link set lo up && sysctl -qw net.ipv4.ping_group_range='0 2147483647' && \
         exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
         env {CHILD}=1 '{}' --exact unprivileged_child --nocapture --test-threads=1",
        exe.display()
    );
    let out = std::process::Command::new("unshare")
        .args(["--net", "sh", "-c", &script])
        .output()
        .expect("running unshare");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the unprivileged run failed:\n{text}");
    assert!(text.contains("1 passed"), "the child ran its test:\n{text}");
}
