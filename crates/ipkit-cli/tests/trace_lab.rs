//! The tracer's lab: client — r1 … r8 — server as eleven network namespaces
//! in a line (nine hops), IPv4 and IPv6 on every link, forwarding on and
//! routes both ways, and a dnsmasq in the client's namespace that names
//! every router address. Variants switch on the cases a tracer must show: a
//! router that sends no time-exceeded, a destination that answers nothing,
//! an MTU-1280 link, two equal-cost links, a router that rewrites DSCP. An
//! unreachable network (`!N` from r2) is always there. All of it lives inside
//! the namespaces (benchmarking and documentation prefixes), every command
//! runs under a deadline, and everything is removed on drop.
//!
//! Addressing: link `j` (0 … 8) joins node `j` and node `j + 1` (node 0 the
//! client, 1 … 8 the routers, 9 the server): `198.18.j.0/24` and
//! `2001:db8:0:j::/64`, `.1`/`::1` on the left node, `.2`/`::2` on the
//! right one. Hop `h` of a trace is node `h`'s left address. With `ecmp`, a
//! second router r7b (node 10) stands beside r7: link 9 joins r6 and r7b,
//! link 10 joins r7b and r8, and r6 spreads over r7 and r7b by L4 hash, for
//! IPv4 and IPv6 alike: each path's hop 7 is a router of its own. Past the
//! pair, r8 answers IPv4 from its link towards the client (link 7) on both
//! paths, but IPv6 probes that came over link 10 from its link-10 address
//! (as this kernel picks the ICMPv6 source).

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use crate::lab::{Netns, RouterLab};

/// Number of routers between client and server.
pub const ROUTERS: usize = 8;
/// The silent router, with `silent_router`.
pub const SILENT_HOP: u8 = 4;
/// The router that rewrites DSCP to CS1 on forwarding, with `dscp_rewrite`.
pub const DSCP_HOP: u8 = 3;
/// The TOS byte of a probe after the rewrite (CS1 = DSCP 8, ECN kept 0).
pub const REWRITTEN_TOS: u8 = 0x20;
/// The link (r5 → r6) whose MTU is 1280, with `mtu_1280`.
pub const MTU_LINK: usize = 5;
/// The hop behind the equal-cost pair, with `ecmp`: r7 or r7b.
pub const ECMP_HOP: u8 = 7;
/// The node index of r7b, the second router of the equal-cost pair.
const ECMP_NODE: usize = ROUTERS + 2;
/// A network r2 has no route for (`unreachable`): `!N`.
pub const UNREACHABLE_V4: &str = "203.0.113.1";
/// The IPv6 network r2 has no route for.
pub const UNREACHABLE_V6: &str = "2001:db8:ffff::1";
/// The server's name in the lab's DNS.
pub const SERVER_NAME: &str = "server.trace.test";

/// The cases the lab can show; all off by default.
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    /// r4 sends no time-exceeded (an nft rule in its namespace).
    pub silent_router: bool,
    /// The server drops all input but neighbour discovery.
    pub silent_server: bool,
    /// The r5 — r6 link has MTU 1280.
    pub mtu_1280: bool,
    /// Two equal-cost links between r6 and r7 (L4 multipath hash in r6).
    pub ecmp: bool,
    /// r3 rewrites DSCP of what it forwards to CS1.
    pub dscp_rewrite: bool,
    /// Every node accepts source-routed IPv4 (`accept_source_route=1`,
    /// in the lab's namespaces only): routers forward a loose source
    /// route, the server and client take what carries one.
    pub source_route: bool,
}

impl Variant {
    /// The plain chain.
    pub const NONE: Variant = Variant {
        silent_router: false,
        silent_server: false,
        mtu_1280: false,
        ecmp: false,
        dscp_rewrite: false,
        source_route: false,
    };
    /// r4 silent.
    pub const SILENT_ROUTER: Variant = Variant {
        silent_router: true,
        ..Variant::NONE
    };
    /// The server silent.
    pub const SILENT_SERVER: Variant = Variant {
        silent_server: true,
        ..Variant::NONE
    };
    /// The MTU-1280 link.
    pub const MTU_1280: Variant = Variant {
        mtu_1280: true,
        ..Variant::NONE
    };
    /// The equal-cost pair.
    pub const ECMP: Variant = Variant {
        ecmp: true,
        ..Variant::NONE
    };
    /// The DSCP rewrite.
    pub const DSCP_REWRITE: Variant = Variant {
        dscp_rewrite: true,
        ..Variant::NONE
    };
    /// The equal-cost pair, source routes accepted everywhere: a loose
    /// source route through r7b decides the path.
    pub const SOURCE_ROUTE: Variant = Variant {
        ecmp: true,
        source_route: true,
        ..Variant::NONE
    };
}

/// The running lab.
pub struct TraceLab {
    /// client, r1 … r8, server.
    pub nodes: Vec<Netns>,
    dir: PathBuf,
}

/// Left (`.2`) address of link `j` — hop `j + 1`.
pub fn hop_v4(hop: u8) -> IpAddr {
    format!("198.18.{}.2", hop - 1).parse().expect("v4")
}

/// Hop `hop`'s IPv6 address.
pub fn hop_v6(hop: u8) -> IpAddr {
    format!("2001:db8:0:{}::2", hop - 1).parse().expect("v6")
}

/// r7b's address, the other path's hop 7.
pub fn ecmp_other_v4() -> IpAddr {
    "198.18.9.2".parse().expect("v4")
}

/// r8's IPv6 address on link 10: hop 8 of IPv6 probes that took r7b.
pub fn ecmp_after_v6() -> IpAddr {
    "2001:db8:0:10::2".parse().expect("v6")
}

/// r7b's IPv6 address, the other path's hop 7.
pub fn ecmp_other_v6() -> IpAddr {
    "2001:db8:0:9::2".parse().expect("v6")
}

/// The router's (or server's) name for hop `hop`.
pub fn hop_name(hop: u8) -> String {
    if usize::from(hop) == ROUTERS + 1 {
        SERVER_NAME.to_string()
    } else {
        format!("r{hop}.trace.test")
    }
}

/// Default routes in `ns`: (family switch, gateway, device) each.
fn default_via(ns: &Netns, routes: &[(&str, &str, &str)]) {
    for (fam, via, dev) in routes {
        ns.ip(&[
            "-n", &ns.name, fam, "route", "add", "default", "via", via, "dev", dev,
        ]);
    }
}

/// Load an nft ruleset into `ns`.
pub fn nft(ns: &Netns, ruleset: &str) {
    let o = crate::util::run_limited(
        ns.command("nft").args(["-f", "-"]),
        ruleset.as_bytes(),
        crate::util::CHILD_LIMIT,
    );
    assert!(
        o.status.success(),
        "nft in {}: {}\n{ruleset}",
        ns.name,
        crate::util::stderr(&o)
    );
}

impl TraceLab {
    /// Build the lab with `variant`; installs nft, dnsmasq and the tools the
    /// tests compare with when missing.
    pub fn new(variant: Variant) -> TraceLab {
        crate::lab::ensure_installed("nft", "nftables");
        crate::lab::ensure_installed("dnsmasq", "dnsmasq-base");
        let resolv = "nameserver 127.0.0.1\noptions timeout:1 attempts:2\n";
        let count = if variant.ecmp {
            ECMP_NODE + 1
        } else {
            ROUTERS + 2
        };
        let nodes: Vec<Netns> = (0..count).map(|_| Netns::new("", resolv)).collect();
        let dir = std::env::temp_dir().join(format!("ipkit-trace-lab-{}", nodes[0].name));
        std::fs::create_dir_all(&dir).expect("lab dir");
        let mut lab = TraceLab { nodes, dir };
        lab.tune(variant);
        lab.wire(variant);
        lab.route(variant);
        lab.apply(variant);
        lab.start_dns();
        lab
    }

    /// The client namespace.
    pub fn client(&self) -> &Netns {
        &self.nodes[0]
    }

    /// The server namespace.
    pub fn server(&self) -> &Netns {
        &self.nodes[ROUTERS + 1]
    }

    /// The server's address in `family` (4 or 6).
    pub fn target(v6: bool) -> IpAddr {
        let last = u8::try_from(ROUTERS + 1).expect("small");
        if v6 { hop_v6(last) } else { hop_v4(last) }
    }

    /// The hops a trace to the server must list, in order (None: silent).
    pub fn expected_hops(v6: bool, variant: Variant) -> Vec<Option<IpAddr>> {
        (1..=u8::try_from(ROUTERS + 1).expect("small"))
            .map(|h| {
                if variant.silent_router && h == SILENT_HOP {
                    None
                } else if v6 {
                    Some(hop_v6(h))
                } else {
                    Some(hop_v4(h))
                }
            })
            .collect()
    }

    /// Sysctls before any link exists (devices take the defaults): no
    /// reverse-path filter (replies of r7 over the second ECMP link come back
    /// from an address the path does not own), no ICMP error rate limits (a
    /// test traces several times in a row), forwarding on in the routers.
    fn tune(&self, variant: Variant) {
        for (i, ns) in self.nodes.iter().enumerate() {
            let mut keys = vec![
                ("net.ipv4.conf.all.rp_filter", "0"),
                ("net.ipv4.conf.default.rp_filter", "0"),
                ("net.ipv4.icmp_ratemask", "0"),
                ("net.ipv4.icmp_msgs_per_sec", "100000"),
                ("net.ipv4.icmp_msgs_burst", "100000"),
                ("net.ipv6.icmp.ratelimit", "0"),
                ("net.ipv6.conf.default.accept_dad", "0"),
            ];
            if variant.source_route {
                keys.push(("net.ipv4.conf.all.accept_source_route", "1"));
                keys.push(("net.ipv4.conf.default.accept_source_route", "1"));
            }
            if i != 0 && i != ROUTERS + 1 {
                keys.push(("net.ipv4.ip_forward", "1"));
                keys.push(("net.ipv6.conf.all.forwarding", "1"));
            }
            for (k, v) in keys {
                RouterLab::sysctl(ns, k, v);
            }
        }
    }

    /// The veth pairs and their addresses.
    fn wire(&self, variant: Variant) {
        // (link, left node, right node, the left's and the right's device
        // numbers: `rN` on the left, `lN` on the right).
        let mut links: Vec<(usize, usize, usize, usize, usize)> =
            (0..=ROUTERS).map(|j| (j, j, j + 1, 0, 0)).collect();
        if variant.ecmp {
            links.push((9, 6, ECMP_NODE, 1, 0));
            links.push((10, ECMP_NODE, 8, 0, 1));
        }
        for (j, left, right, left_slot, right_slot) in links {
            let (l, r) = (&self.nodes[left], &self.nodes[right]);
            let (out_dev, in_dev) = (format!("r{left_slot}"), format!("l{right_slot}"));
            l.ip(&[
                "link", "add", &out_dev, "netns", &l.name, "type", "veth", "peer", "name", &in_dev,
                "netns", &r.name,
            ]);
            for (ns, dev, host) in [(l, &out_dev, 1), (r, &in_dev, 2)] {
                let v4 = format!("198.18.{j}.{host}/24");
                let v6 = format!("2001:db8:0:{j}::{host}/64");
                for a in [&v4, &v6] {
                    ns.ip(&["-n", &ns.name, "addr", "add", a, "dev", dev, "nodad"]);
                }
                if variant.mtu_1280 && j == MTU_LINK {
                    ns.ip(&["-n", &ns.name, "link", "set", dev, "mtu", "1280"]);
                }
                ns.ip(&["-n", &ns.name, "link", "set", dev, "up"]);
            }
        }
    }

    /// Routes: every node's default points right (towards the server), the
    /// links behind it left; the server's default points left.
    fn route(&self, variant: Variant) {
        for (k, ns) in self.nodes.iter().enumerate() {
            let n = &ns.name;
            if k == ROUTERS + 1 {
                default_via(
                    ns,
                    &[("-4", "198.18.8.1", "l0"), ("-6", "2001:db8:0:8::1", "l0")],
                );
                continue;
            }
            if k == ECMP_NODE {
                // r7b: on to r8 over link 10, back to r6 over link 9.
                default_via(
                    ns,
                    &[
                        ("-4", "198.18.10.2", "r0"),
                        ("-6", "2001:db8:0:10::2", "r0"),
                    ],
                );
                for j in 0..6 {
                    let (net4, net6) = (format!("198.18.{j}.0/24"), format!("2001:db8:0:{j}::/64"));
                    ns.ip(&["-n", n, "route", "add", &net4, "via", "198.18.9.1"]);
                    ns.ip(&[
                        "-n",
                        n,
                        "-6",
                        "route",
                        "add",
                        &net6,
                        "via",
                        "2001:db8:0:9::1",
                    ]);
                }
                continue;
            }
            if variant.ecmp && k == 6 {
                for (fam, a, b) in [
                    ("-4", "198.18.6.2", "198.18.9.2"),
                    ("-6", "2001:db8:0:6::2", "2001:db8:0:9::2"),
                ] {
                    ns.ip(&[
                        "-n", n, fam, "route", "add", "default", "nexthop", "via", a, "dev", "r0",
                        "nexthop", "via", b, "dev", "r1",
                    ]);
                }
                RouterLab::sysctl(ns, "net.ipv4.fib_multipath_hash_policy", "1");
                RouterLab::sysctl(ns, "net.ipv6.fib_multipath_hash_policy", "1");
            } else {
                let (v4, v6) = (format!("198.18.{k}.2"), format!("2001:db8:0:{k}::2"));
                default_via(ns, &[("-4", &v4, "r0"), ("-6", &v6, "r0")]);
            }
            for j in 0..k.saturating_sub(1) {
                let (net4, via4) = (format!("198.18.{j}.0/24"), format!("198.18.{}.1", k - 1));
                let (net6, via6) = (
                    format!("2001:db8:0:{j}::/64"),
                    format!("2001:db8:0:{}::1", k - 1),
                );
                ns.ip(&["-n", n, "route", "add", &net4, "via", &via4]);
                ns.ip(&["-n", n, "-6", "route", "add", &net6, "via", &via6]);
            }
        }
        let r2 = &self.nodes[2];
        // IPv4: an `unreachable` route answers host unreachable (`!H`); a
        // rule that fails the lookup is "no route": net unreachable (`!N`).
        // IPv6: an `unreachable` route answers "no route to destination".
        r2.ip(&[
            "-n",
            &r2.name,
            "rule",
            "add",
            "to",
            "203.0.113.0/24",
            "unreachable",
        ]);
        r2.ip(&[
            "-n",
            &r2.name,
            "-6",
            "route",
            "add",
            "unreachable",
            "2001:db8:ffff::/48",
        ]);
    }

    /// The variants that are filters: nft inside one namespace each.
    fn apply(&self, variant: Variant) {
        if variant.silent_router {
            nft(
                &self.nodes[usize::from(SILENT_HOP)],
                "table inet ipkit_lab {\n  chain quiet {\n    type filter hook output priority 0;\n    icmp type time-exceeded drop\n    icmpv6 type time-exceeded drop\n  }\n}\n",
            );
        }
        if variant.silent_server {
            nft(
                self.server(),
                "table inet ipkit_lab {\n  chain deaf {\n    type filter hook input priority 0; policy drop;\n    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n  }\n}\n",
            );
        }
        if variant.dscp_rewrite {
            nft(
                &self.nodes[usize::from(DSCP_HOP)],
                "table inet ipkit_lab {\n  chain remark {\n    type filter hook forward priority 0;\n    ip dscp set cs1\n    ip6 dscp set cs1\n  }\n}\n",
            );
        }
    }

    /// dnsmasq on the client's loopback: a PTR (and A/AAAA) for every router
    /// address and the server; nothing else, no upstream.
    fn start_dns(&mut self) {
        let mut hosts = String::new();
        for k in 1..=ROUTERS + 1 {
            let h = u8::try_from(k).expect("small");
            let name = hop_name(h);
            hosts.push_str(&format!("{} {name}\n{} {name}\n", hop_v4(h), hop_v6(h)));
            if k <= ROUTERS {
                hosts.push_str(&format!("198.18.{k}.1 {name}\n2001:db8:0:{k}::1 {name}\n"));
            }
        }
        for (a, hop) in [
            ("198.18.9.1", 6),
            ("198.18.9.2", 7),
            ("2001:db8:0:9::1", 6),
            ("2001:db8:0:9::2", 7),
        ] {
            hosts.push_str(&format!("{a} {}\n", hop_name(hop)));
        }
        let file = self.dir.join("hosts");
        std::fs::write(&file, hosts).expect("lab hosts");
        let addn = format!("--addn-hosts={}", file.display());
        let log = format!("--log-facility={}", self.dir.join("dnsmasq.log").display());
        self.nodes[0].spawn(
            "dnsmasq",
            &[
                "--keep-in-foreground",
                "--conf-file=/dev/null",
                "--port=53",
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--no-resolv",
                "--no-hosts",
                "--user=root",
                "--pid-file=",
                &addn,
                &log,
            ],
        );
        let client = &self.nodes[0];
        client.wait_until("the lab's dnsmasq", Duration::from_secs(10), || {
            client
                .ipkit(&[
                    "dns",
                    SERVER_NAME,
                    "A",
                    "@127.0.0.1",
                    "--timeout",
                    "0.2",
                    "--tries",
                    "1",
                ])
                .status
                .success()
        });
    }

    /// Run `program ARGS` in the client namespace, at most `limit`.
    pub fn run_in_client(&self, program: &str, args: &[&str], limit: Duration) -> Output {
        let mut c = self.client().command(program);
        c.args(args).env("NO_COLOR", "1");
        crate::util::run_limited(&mut c, b"", limit)
    }

    /// Forget the path MTUs the client's kernel learnt (both families), so
    /// the next tool discovers the drop itself rather than being refused
    /// locally from the first probe on.
    pub fn flush_learnt_mtus(&self) {
        let c = self.client();
        c.ip(&["-n", &c.name, "route", "flush", "cache"]);
        c.ip(&["-n", &c.name, "-6", "route", "flush", "cache"]);
    }

    /// Open ICMP (ping) sockets to every group in the client namespace, for
    /// the unprivileged paths.
    pub fn open_ping_group_range(&self) {
        RouterLab::sysctl(self.client(), "net.ipv4.ping_group_range", "0 2147483647");
    }
}

impl Drop for TraceLab {
    fn drop(&mut self) {
        // The namespaces (and dnsmasq, a child of the client's) go with
        // `nodes`; the lab's files here.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
