//! The tracer's real channels on this machine: probes with TTL 1 to the
//! loopback addresses reach them, for each protocol (classic and Paris),
//! IPv4 and IPv6 — as root (raw sockets), and as `nobody` in a network
//! namespace of its own with `ping_group_range` opened (the unprivileged
//! ICMP socket, the UDP socket's error queue, a TCP `connect()` per probe);
//! and across a router in a
//! namespace chain of its own (client — router — server), where TTL 1 gets
//! the router's time-exceeded and TTL 2 reaches the server. Nothing leaves
//! the host.

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
        loose_route: Vec::new(),
        round_trip: false,
    }
}

/// Send probes (TTL, id) on one channel and collect one reply for each
/// (2 s at most), in id order.
async fn probe(
    config: &ChannelConfig,
    probes: &[(u8, u16)],
) -> Result<(bool, Vec<TraceReply>), TraceError> {
    let mut channel = System.open(config)?;
    for &(ttl, id) in probes {
        channel
            .send(&ProbeSpec {
                ttl,
                id,
                size: None,
            })
            .map_err(|e| panic!("sending probe {id} to {}: {e:?}", config.target))
            .ok();
        // Let the answer come before the next send: a send must not lose
        // what an earlier probe's error left queued.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut replies: Vec<TraceReply> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while replies.len() < probes.len() && Instant::now() < deadline {
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

/// (protocol, port, paris) for every way of probing: ICMP and UDP,
/// classic and Paris; TCP to a closed port (RST).
fn cases() -> Vec<(Protocol, u16, bool)> {
    vec![
        (Protocol::Icmp, 0, false),
        (Protocol::Icmp, 0, true),
        (Protocol::Udp, 33434, false),
        (Protocol::Udp, 33434, true),
        (Protocol::Tcp, 9, false),
    ]
}

/// Every protocol that `privileged` may use reaches both loopbacks at hop 1.
fn every_protocol_reaches_the_loopbacks(privileged: bool) {
    let rt = runtime();
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let open_port = listener.local_addr().unwrap().port();
    let mut cases = cases();
    // An open port answers SYN-ACK, as "reached" as a closed one's RST.
    cases.push((Protocol::Tcp, open_port, false));
    for target in LOOPBACKS {
        for &(protocol, port, paris) in &cases {
            if protocol == Protocol::Tcp && port == open_port && target.is_ipv6() {
                continue;
            }
            let c = config(protocol, target, port, paris);
            let (unprivileged, replies) = rt
                .block_on(probe(&c, &[(1, 1), (1, 2), (1, 300)]))
                .unwrap_or_else(|e| panic!("opening {protocol:?} to {target}: {e}"));
            assert_eq!(unprivileged, !privileged, "{protocol:?} to {target}");
            let ids: Vec<u16> = replies.iter().map(|r| r.id).collect();
            assert_eq!(ids, [1, 2, 300], "{protocol:?} paris={paris} to {target}");
            for r in &replies {
                assert_eq!(r.from, target, "{protocol:?} to {target}");
                assert_eq!(r.kind, ReplyKind::Reached, "{protocol:?} to {target}");
                // An unprivileged TCP probe's answer is its connect's
                // outcome, which has no packet and so no timestamp.
                if privileged || protocol != Protocol::Tcp {
                    assert!(r.kernel_time.is_some(), "kernel timestamps");
                }
            }
        }
    }
    drop(listener);
}

/// Whether a root-only test runs here: not in the child, and as root
/// (under CI it must be).
fn runs_as_root() -> bool {
    if std::env::var_os(CHILD).is_some() || std::env::var_os(HOP_CHILD).is_some() {
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
    if std::env::var_os(CHILD).is_some() && std::env::var_os(HOP_CHILD).is_none() {
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
    run_child_test("unshare", &["--net", "sh", "-c", &script], "nobody");
}

/// Run `program` (which runs one test of this binary) and check that the
/// child's test ran and passed.
fn run_child_test(program: &str, args: &[&str], who: &str) {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the {who} run failed:\n{text}");
    assert!(text.contains("1 passed"), "the child ran its test:\n{text}");
}

/// The chain's addresses: (target, router) per family.
const CHAIN: [(&str, &str); 2] = [("10.77.2.2", "10.77.1.1"), ("fd77:2::2", "fd77:1::1")];

/// Set (to "root" or "nobody") in the child that probes across the chain.
const HOP_CHILD: &str = "IPKIT_TRACE_CHANNELS_HOP_CHILD";

/// Namespaces client, router, server, removed when dropped.
struct Chain {
    names: [String; 3],
}

impl Chain {
    fn build() -> Chain {
        let tag = format!("iptc{}", std::process::id());
        let names = [format!("{tag}c"), format!("{tag}r"), format!("{tag}s")];
        let chain = Chain { names };
        let [c, r, s] = &chain.names;
        let script = format!(
            "set -e
            for n in {c} {r} {s}; do ip netns add $n; ip -n $n link set lo up; done
            ip link add tc0 netns {c} type veth peer name tr0 netns {r}
            ip link add ts0 netns {s} type veth peer name tr1 netns {r}
            for n in {r} {s}; do
              ip netns exec $n sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
            done
            ip netns exec {r} sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
            ip -n {c} addr add 10.77.1.2/24 dev tc0
            ip -n {c} addr add fd77:1::2/64 dev tc0 nodad
            ip -n {r} addr add 10.77.1.1/24 dev tr0
            ip -n {r} addr add fd77:1::1/64 dev tr0 nodad
            ip -n {r} addr add 10.77.2.1/24 dev tr1
            ip -n {r} addr add fd77:2::1/64 dev tr1 nodad
            ip -n {s} addr add 10.77.2.2/24 dev ts0
            ip -n {s} addr add fd77:2::2/64 dev ts0 nodad
            ip -n {c} link set tc0 up; ip -n {r} link set tr0 up
            ip -n {r} link set tr1 up; ip -n {s} link set ts0 up
            ip -n {c} route add default via 10.77.1.1
            ip -n {c} -6 route add default via fd77:1::1
            ip -n {s} route add default via 10.77.2.1
            ip -n {s} -6 route add default via fd77:2::1"
        );
        let out = std::process::Command::new("sh")
            .args(["-c", &script])
            .output()
            .expect("running ip");
        assert!(
            out.status.success(),
            "building the chain: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        chain
    }

    /// Run this test binary's `hop_child` in the client namespace, as
    /// root or (with ping_group_range opened) as nobody.
    fn run_child(&self, who: &str) {
        let exe = std::env::current_exe().expect("test binary");
        let drop_privilege = if who == "nobody" {
            "sysctl -qw net.ipv4.ping_group_range='0 2147483647' && \
             exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all"
        } else {
            "exec"
        };
        let script = format!(
            "{drop_privilege} env {HOP_CHILD}={who} '{}' --exact hop_child --nocapture --test-threads=1",
            exe.display()
        );
        run_child_test(
            "ip",
            &["netns", "exec", &self.names[0], "sh", "-c", &script],
            who,
        );
    }
}

impl Drop for Chain {
    fn drop(&mut self) {
        for n in &self.names {
            let _ = std::process::Command::new("ip")
                .args(["netns", "del", n])
                .status();
        }
    }
}

#[test]
fn across_a_router_ttl_1_is_the_router_and_ttl_2_the_server() {
    if !runs_as_root() {
        return;
    }
    let chain = Chain::build();
    chain.run_child("root");
    chain.run_child("nobody");
}

/// Run in the chain's client namespace by the test above.
#[test]
fn hop_child() {
    let Some(who) = std::env::var_os(HOP_CHILD) else {
        return;
    };
    let privileged = who == "root";
    let rt = runtime();
    let cases = cases();
    for (target, router) in CHAIN {
        let (target, router): (IpAddr, IpAddr) = (target.parse().unwrap(), router.parse().unwrap());
        for &(protocol, port, paris) in &cases {
            let what = format!("{protocol:?} paris={paris} to {target} as {who:?}");
            let mut c = config(protocol, target, port, paris);
            c.tos = Some(0x20);
            // Both hops on one channel, interleaved: an answer of one
            // must not be lost to the send of another.
            let probes = [(1, 10), (2, 20), (1, 11), (2, 21), (1, 4000), (2, 4001)];
            let (_, replies) = rt
                .block_on(probe(&c, &probes))
                .unwrap_or_else(|e| panic!("opening {what}: {e}"));
            let got: Vec<(u16, IpAddr, ReplyKind)> = replies
                .iter()
                .map(|r| (r.id, r.from, r.kind.clone()))
                .collect();
            let mut want: Vec<(u16, IpAddr, ReplyKind)> = probes
                .iter()
                .map(|&(ttl, id)| match ttl {
                    1 => (id, router, ReplyKind::TimeExceeded),
                    _ => (id, target, ReplyKind::Reached),
                })
                .collect();
            want.sort_by_key(|w| w.0);
            assert_eq!(got, want, "{what}");
            if privileged {
                let tos: Vec<Option<u8>> = replies
                    .iter()
                    .filter(|r| r.kind == ReplyKind::TimeExceeded)
                    .map(|r| r.quoted_tos)
                    .collect();
                assert_eq!(tos, [Some(0x20); 3], "{what}: the quoted TOS");
            }
        }
    }
}
