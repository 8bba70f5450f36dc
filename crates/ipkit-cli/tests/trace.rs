//! `ipkit trace` through the real binary in the tracer's namespace lab
//! ([`crate::trace_lab`]): the exact hops in order for every protocol and
//! family, checked in the same test against Debian's `traceroute` (and
//! `tracepath` for the path MTU); the silent router, the silent
//! destination, `!N`, names from the lab's DNS, the unprivileged paths as
//! `nobody`, Paris over an equal-cost pair, a DSCP rewrite, `--report` and
//! the tracert view. Nothing leaves the lab's namespaces; under `CI` nothing
//! skips.

use std::net::IpAddr;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::trace_lab::{self, TraceLab, Variant};
use crate::util::{stderr, stdout};

/// How long one trace (ipkit or another tool) may take.
const LIMIT: Duration = Duration::from_secs(90);

/// One hop of a traceroute-style view: its TTL and the addresses that
/// answered, in order of appearance, each once (empty: every probe lost).
type Hop = (u8, Vec<IpAddr>);

/// For a lab test: None (skip) without root; else the tools installed, the
/// heavy-lab lock held and the lab built.
fn lab(test: &str, variant: Variant) -> Option<(std::sync::MutexGuard<'static, ()>, TraceLab)> {
    if !crate::lab::can_use_namespaces(test) {
        return None;
    }
    for (binary, package) in [
        ("traceroute", "traceroute"),
        ("tracepath", "iputils-tracepath"),
        ("setpriv", "util-linux"),
    ] {
        crate::lab::ensure_installed(binary, package);
    }
    let guard = crate::lab::lab_lock();
    Some((guard, TraceLab::new(variant)))
}

/// `ipkit trace ARGS` in the client namespace.
fn ipkit_trace(lab: &TraceLab, args: &[&str]) -> Output {
    let mut all = vec!["trace"];
    all.extend_from_slice(args);
    lab.run_in_client(env!("CARGO_BIN_EXE_ipkit"), &all, LIMIT)
}

/// Debian's `traceroute ARGS` in the client namespace.
fn traceroute(lab: &TraceLab, args: &[&str]) -> Output {
    lab.run_in_client("traceroute", args, LIMIT)
}

/// The hop lines of a traceroute-style view (`-n` or not: addresses are
/// read from `addr` and `name (addr)` alike).
fn hops_of(text: &str) -> Vec<Hop> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let ttl: u8 = words.next()?.parse().ok()?;
            let mut seen = Vec::new();
            for w in words {
                let w = w.trim_start_matches('(').trim_end_matches(')');
                if let Ok(a) = w.parse::<IpAddr>()
                    && !seen.contains(&a)
                {
                    seen.push(a);
                }
            }
            Some((ttl, seen))
        })
        .collect()
}

/// The lab's hops as [`hops_of`] reads them.
fn expected(v6: bool, variant: Variant) -> Vec<Hop> {
    TraceLab::expected_hops(v6, variant)
        .into_iter()
        .zip(1u8..)
        .map(|(a, ttl)| (ttl, a.into_iter().collect()))
        .collect()
}

/// The records of an NDJSON run: (hops' data, the summary's data).
fn ndjson(o: &Output) -> (Vec<Value>, Value) {
    let mut hops = Vec::new();
    let mut summary = None;
    for line in stdout(o).lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        match v["type"].as_str() {
            Some("hop") => hops.push(v["data"].clone()),
            Some("summary") => summary = Some(v["data"].clone()),
            other => panic!("unexpected record type {other:?}: {line}"),
        }
    }
    (hops, summary.expect("a summary record"))
}

/// [`Hop`]s from JSON hop records. A "fragmentation needed" (`!F`) comes
/// from the router before the hop, not the hop: not counted.
fn json_hops(hops: &[Value]) -> Vec<Hop> {
    hops.iter()
        .map(|h| {
            let mut seen: Vec<IpAddr> = Vec::new();
            for p in h["probes"].as_array().expect("probes") {
                if p["annotation"] == "!F" {
                    continue;
                }
                if let Some(a) = p["from"].as_str() {
                    let a = a.parse().expect("an address");
                    if !seen.contains(&a) {
                        seen.push(a);
                    }
                }
            }
            let ttl = u8::try_from(h["ttl"].as_u64().expect("ttl")).expect("u8");
            (ttl, seen)
        })
        .collect()
}

/// The family switch and the target for `v6`.
fn family(v6: bool) -> (&'static str, String) {
    let target = TraceLab::target(v6).to_string();
    (if v6 { "-6" } else { "-4" }, target)
}

/// Trace the server with `flags` (ipkit and traceroute take the same
/// letters here) in both families: ipkit exits 0 with the lab's hops, and
/// traceroute, run in the same lab right after, lists the same.
fn same_hops_as_traceroute(test: &str, variant: Variant, flags: &[&str]) {
    let Some((_guard, lab)) = lab(test, variant) else {
        return;
    };
    for v6 in [false, true] {
        let (fam, target) = family(v6);
        let mut args = vec!["-n", fam];
        args.extend_from_slice(flags);
        args.push(&target);
        let ours = ipkit_trace(&lab, &args);
        assert_eq!(ours.status.code(), Some(0), "{args:?}: {}", stderr(&ours));
        let ours_hops = hops_of(&stdout(&ours));
        assert_eq!(
            ours_hops,
            expected(v6, variant),
            "ipkit trace {args:?}:\n{}",
            stdout(&ours)
        );
        let theirs = traceroute(&lab, &args);
        assert!(
            theirs.status.success(),
            "traceroute {args:?}: {}",
            stderr(&theirs)
        );
        assert_eq!(
            ours_hops,
            hops_of(&stdout(&theirs)),
            "ipkit and traceroute {args:?} differ:\n{}\n{}",
            stdout(&ours),
            stdout(&theirs)
        );
        if !v6 && flags.is_empty() {
            let first = |o: &Output| stdout(o).lines().next().unwrap_or("").to_string();
            assert_eq!(first(&ours), first(&theirs), "the header line");
        }
    }
}

/// The lab itself, seen by traceroute alone: when this fails, the lab is
/// broken, not ipkit.
#[test]
fn the_lab_routes_as_built() {
    let variant = Variant::SILENT_ROUTER;
    let Some((_guard, lab)) = lab("trace::lab", variant) else {
        return;
    };
    for v6 in [false, true] {
        let (fam, target) = family(v6);
        let o = traceroute(&lab, &["-n", fam, &target]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            hops_of(&stdout(&o)),
            expected(v6, variant),
            "{}",
            stdout(&o)
        );
    }
}

/// The variants, seen by traceroute and tracepath alone: `!N` from r2,
/// names from the lab's DNS, both links of the equal-cost pair, the path
/// MTU of 1280 past r5.
#[test]
fn the_lab_variants_as_the_reference_tools_see_them() {
    let variant = Variant {
        mtu_1280: true,
        ecmp: true,
        ..Variant::NONE
    };
    let Some((_guard, lab)) = lab("trace::lab_variants", variant) else {
        return;
    };
    let o = traceroute(&lab, &["-n", trace_lab::UNREACHABLE_V4]);
    let text = stdout(&o);
    assert!(
        text.lines()
            .any(|l| l.starts_with(" 2  198.18.1.2 ") && l.contains("!N")),
        "{text}"
    );
    let o = traceroute(&lab, &["-n", "-6", trace_lab::UNREACHABLE_V6]);
    let text = stdout(&o);
    assert!(
        text.lines()
            .any(|l| l.starts_with(" 2  2001:db8:0:1::2 ") && l.contains("!N")),
        "{text}"
    );
    let o = traceroute(&lab, &[trace_lab::SERVER_NAME]);
    assert!(
        stdout(&o).contains("r3.trace.test (198.18.2.2)"),
        "{}",
        stdout(&o)
    );
    for v6 in [false, true] {
        let (_, target) = family(v6);
        assert_eq!(tracepath_mtu_hop(&lab, v6, &target), 6);
    }
    // Both paths of the pair, for each family, as traceroute sees them
    // over 40 flows (see CLASSIC_RUNS).
    for v6 in [false, true] {
        let (fam, target) = family(v6);
        let mut seen = Vec::new();
        for run in 0..CLASSIC_RUNS {
            let base = port_base(run);
            let o = traceroute(&lab, &["-n", fam, "-q", "10", "-p", &base, &target]);
            let hops = hops_of(&stdout(&o));
            for a in &hops[usize::from(trace_lab::ECMP_HOP) - 1].1 {
                if !seen.contains(a) {
                    seen.push(*a);
                }
            }
        }
        seen.sort();
        assert_eq!(seen, ecmp_pair(v6), "traceroute over the pair, v6: {v6}");
    }
}

#[test]
fn udp_hops_match_traceroute_v4_and_v6() {
    same_hops_as_traceroute("trace::udp", Variant::NONE, &[]);
}

#[test]
fn icmp_hops_match_traceroute_v4_and_v6() {
    same_hops_as_traceroute("trace::icmp", Variant::NONE, &["-I"]);
}

#[test]
fn tcp_hops_match_traceroute_v4_and_v6() {
    same_hops_as_traceroute("trace::tcp", Variant::NONE, &["-T"]);
}

#[test]
fn a_silent_router_is_a_star_hop_and_later_hops_still_right() {
    let variant = Variant::SILENT_ROUTER;
    same_hops_as_traceroute("trace::silent_router", variant, &[]);
    same_hops_as_traceroute("trace::silent_router_icmp", variant, &["-I"]);
    let Some((_guard, lab)) = lab("trace::silent_router_line", variant) else {
        return;
    };
    let o = ipkit_trace(&lab, &["-n", &TraceLab::target(false).to_string()]);
    let line = stdout(&o)
        .lines()
        .find(|l| l.split_whitespace().next() == Some("4"))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no hop 4:\n{}", stdout(&o)));
    assert_eq!(
        line.split_whitespace().collect::<Vec<_>>(),
        ["4", "*", "*", "*"]
    );
}

#[test]
fn a_silent_destination_is_not_reached_and_ends_quickly() {
    let variant = Variant::SILENT_SERVER;
    let Some((_guard, lab)) = lab("trace::silent_destination", variant) else {
        return;
    };
    for v6 in [false, true] {
        let (fam, target) = family(v6);
        let begun = Instant::now();
        let o = ipkit_trace(&lab, &["-n", fam, &target]);
        let took = begun.elapsed();
        assert_eq!(
            o.status.code(),
            Some(1),
            "exit {:?}\n{}\n{}",
            o.status.code(),
            stdout(&o),
            stderr(&o)
        );
        let all = format!("{}{}", stdout(&o), stderr(&o)).to_lowercase();
        assert!(all.contains("not reached"), "{all}");
        // A generous bound: the speed itself is bench/trace.sh's.
        assert!(took < Duration::from_secs(5), "took {took:?}");
        let hops = hops_of(&stdout(&o));
        let routers: Vec<Hop> = expected(v6, variant)
            .into_iter()
            .take(trace_lab::ROUTERS)
            .collect();
        assert_eq!(hops[..routers.len()], routers[..], "{}", stdout(&o));
        assert!(
            hops[routers.len()..].iter().all(|(_, a)| a.is_empty()),
            "nothing answers past r8:\n{}",
            stdout(&o)
        );
    }
}

#[test]
fn an_unreachable_network_shows_bang_n_from_r2() {
    let Some((_guard, lab)) = lab("trace::unreachable", Variant::NONE) else {
        return;
    };
    // Linux limits "no route" errors per source address with a host-wide
    // token bucket (net.ipv4.route.error_cost/error_burst: five at once,
    // one a second), which a namespace cannot turn off: traceroute sends
    // from an address of its own, so ipkit's trace leaves it its tokens.
    let client = lab.client();
    client.ip(&[
        "-n",
        &client.name,
        "addr",
        "add",
        "198.18.0.3/24",
        "dev",
        "r0",
    ]);
    for (v6, target) in [
        (false, trace_lab::UNREACHABLE_V4),
        (true, trace_lab::UNREACHABLE_V6),
    ] {
        let (fam, _) = family(v6);
        let args = ["-n", fam, target];
        let o = ipkit_trace(&lab, &args);
        assert_eq!(o.status.code(), Some(1), "{}\n{}", stdout(&o), stderr(&o));
        let r2 = if v6 {
            trace_lab::hop_v6(2)
        } else {
            trace_lab::hop_v4(2)
        };
        let text = stdout(&o);
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some("2"))
            .unwrap_or_else(|| panic!("no hop 2:\n{text}"));
        assert!(
            line.contains(&r2.to_string()) && line.contains("!N"),
            "{text}"
        );
        let own_source = if v6 { "2001:db8::1" } else { "198.18.0.3" };
        let theirs = traceroute(&lab, &["-s", own_source, "-n", fam, target]);
        assert_eq!(
            hops_of(&text),
            hops_of(&stdout(&theirs)),
            "{text}\n{}",
            stdout(&theirs)
        );
    }
}

#[test]
fn names_come_from_the_labs_dns_without_n() {
    let Some((_guard, lab)) = lab("trace::names", Variant::NONE) else {
        return;
    };
    let ours = ipkit_trace(&lab, &[trace_lab::SERVER_NAME]);
    assert_eq!(ours.status.code(), Some(0), "{}", stderr(&ours));
    let theirs = traceroute(&lab, &[trace_lab::SERVER_NAME]);
    for o in [&ours, &theirs] {
        let text = stdout(o);
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("traceroute to server.trace.test (198.18.8.2), 30 hops max, 60 byte packets"),
            "{text}"
        );
        for (ttl, line) in (1u8..).zip(lines) {
            let want = format!("{} ({})", trace_lab::hop_name(ttl), trace_lab::hop_v4(ttl));
            assert!(line.contains(&want), "hop {ttl}: want {want}:\n{text}");
        }
    }
    assert_eq!(hops_of(&stdout(&ours)), hops_of(&stdout(&theirs)));
}

#[test]
fn as_nobody_icmp_and_udp_find_the_same_hops() {
    let Some((_guard, lab)) = lab("trace::unprivileged", Variant::NONE) else {
        return;
    };
    lab.open_ping_group_range();
    // Every case runs; the failures are told together.
    let mut wrong = Vec::new();
    for v6 in [false, true] {
        let (fam, target) = family(v6);
        for protocol in [&["-I"][..], &[]] {
            let mut args = vec!["trace", "-n", fam];
            args.extend_from_slice(protocol);
            args.push(&target);
            let o = crate::lab::ipkit_as_nobody(Some(lab.client()), &args);
            if o.status.code() != Some(0) || hops_of(&stdout(&o)) != expected(v6, Variant::NONE) {
                wrong.push(format!(
                    "as nobody {args:?}: exit {:?}\n{}{}",
                    o.status.code(),
                    stdout(&o),
                    stderr(&o)
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// What `tracepath -n [-6] TARGET` prints in the client namespace, the
/// path MTUs learnt by earlier traces forgotten first.
fn tracepath(lab: &TraceLab, v6: bool, target: &str) -> String {
    lab.flush_learnt_mtus();
    let mut args = vec!["-n"];
    if v6 {
        args.push("-6");
    }
    args.push(target);
    stdout(&lab.run_in_client("tracepath", &args, LIMIT))
}

/// The hop at which `tracepath -n` reports `pmtu 1280`.
fn tracepath_mtu_hop(lab: &TraceLab, v6: bool, target: &str) -> u8 {
    let text = tracepath(lab, v6, target);
    text.lines()
        .find(|l| l.contains("pmtu 1280"))
        .and_then(|l| {
            l.trim_start()
                .split(':')
                .next()?
                .trim_end_matches('?')
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("tracepath found no pmtu 1280:\n{text}"))
}

#[test]
fn mtu_finds_1280_at_the_hop_tracepath_names() {
    let variant = Variant::MTU_1280;
    let Some((_guard, lab)) = lab("trace::mtu", variant) else {
        return;
    };
    for v6 in [false, true] {
        let (fam, target) = family(v6);
        lab.flush_learnt_mtus();
        let o = ipkit_trace(&lab, &["--json", "--mtu", "-n", fam, &target]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let (hops, summary) = ndjson(&o);
        assert_eq!(summary["path_mtu"], 1280, "{summary}");
        assert_eq!(json_hops(&hops), expected(v6, variant), "{}", stdout(&o));
        let dropped: Vec<(u64, &Value)> = hops
            .iter()
            .filter(|h| !h["mtu"].is_null())
            .map(|h| (h["ttl"].as_u64().expect("ttl"), &h["mtu"]))
            .collect();
        let at = u64::from(tracepath_mtu_hop(&lab, v6, &target));
        assert_eq!(dropped, [(at, &Value::from(1280))], "{}", stdout(&o));
        lab.flush_learnt_mtus();
        let o = ipkit_trace(&lab, &["--mtu", "-n", fam, &target]);
        let text = stdout(&o);
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(&at.to_string()))
            .unwrap_or_else(|| panic!("no hop {at}:\n{text}"));
        assert!(line.contains(" F=1280"), "{text}");
    }
}

/// The MTU tracepath names for the local link: ` 1?: [LOCALHOST]  pmtu N`.
fn tracepath_local_pmtu(lab: &TraceLab, v6: bool, target: &str) -> u16 {
    let text = tracepath(lab, v6, target);
    text.lines()
        .find(|l| l.contains("[LOCALHOST]"))
        .and_then(|l| l.split("pmtu ").nth(1)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("tracepath named no local pmtu:\n{text}"))
}

#[test]
fn a_probe_too_big_for_the_link_says_the_pmtu_tracepath_says() {
    let Some((_guard, lab)) = lab("trace::local_pmtu", Variant::NONE) else {
        return;
    };
    for v6 in [false, true] {
        let (fam, target) = family(v6);
        let pmtu = tracepath_local_pmtu(&lab, v6, &target);
        // DF set and 1600 bytes: more than the client's link (1500) takes.
        let o = ipkit_trace(&lab, &["-F", "-n", "-q", "1", fam, &target, "1600"]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let text = stdout(&o);
        let first = text.lines().nth(1).unwrap_or_default();
        assert_eq!(first, format!(" 1  * pmtu {pmtu}"), "{text}");
        let o = ipkit_trace(
            &lab,
            &["--json", "-F", "-n", "-q", "1", fam, &target, "1600"],
        );
        let (hops, _) = ndjson(&o);
        let probe = &hops[0]["probes"][0];
        assert!(probe["from"].is_null(), "{probe}");
        assert_eq!(probe["annotation"], "!F", "{probe}");
        assert_eq!(probe["frag_mtu"], pmtu, "{probe}");
    }
}

/// The two hop-7 routers of the equal-cost pair in `v6`'s family, sorted.
fn ecmp_pair(v6: bool) -> Vec<IpAddr> {
    let mut both = if v6 {
        vec![
            trace_lab::hop_v6(trace_lab::ECMP_HOP),
            trace_lab::ecmp_other_v6(),
        ]
    } else {
        vec![
            trace_lab::hop_v4(trace_lab::ECMP_HOP),
            trace_lab::ecmp_other_v4(),
        ]
    };
    both.sort();
    both
}

/// Classic UDP runs over the equal-cost pair, each with its own port base
/// (`-p`), so every probe at hop 7 is a flow of its own: 4 runs of
/// `-q 10` are 40 flows, each hashed to one of two paths; all 40 on one
/// path has the chance 2 × 2^-40 ≈ 1.8e-12 — the assertion that both paths
/// show cannot fail by chance in practice (below 1e-9), and is no retry.
const CLASSIC_RUNS: u16 = 4;

/// The `-p` port base of classic run `run`: 1000 ports apart, more than
/// the ids one trace uses, so no two runs share a flow.
fn port_base(run: u16) -> String {
    (33434 + 1000 * run).to_string()
}

/// Hop 7's responders in a `-q 10 --json` UDP trace with `extra` flags;
/// every other hop is the lab's one router, but hop 8 in IPv6, which r8
/// answers from the link the probe came in on (r7's or r7b's), and which
/// the caller gets too: (hop 7's, hop 8's).
fn ecmp_responders(lab: &TraceLab, v6: bool, extra: &[&str]) -> (Vec<IpAddr>, Vec<IpAddr>) {
    let (fam, target) = family(v6);
    let mut args = vec!["--json", "-n", "-q", "10", fam];
    args.extend_from_slice(extra);
    args.push(&target);
    let o = ipkit_trace(lab, &args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    let hops = json_hops(&ndjson(&o).0);
    let past = trace_lab::ECMP_HOP + 1;
    let spread = |ttl: u8| ttl == trace_lab::ECMP_HOP || (v6 && ttl == past);
    let one_path: Vec<Hop> = expected(v6, Variant::ECMP)
        .into_iter()
        .filter(|(ttl, _)| !spread(*ttl))
        .collect();
    let others: Vec<Hop> = hops
        .iter()
        .filter(|(ttl, _)| !spread(*ttl))
        .cloned()
        .collect();
    assert_eq!(others, one_path, "{args:?}:\n{}", stdout(&o));
    let at = |hop: u8| {
        hops.iter()
            .find(|(ttl, _)| *ttl == hop)
            .map(|(_, seen)| seen.clone())
            .unwrap_or_else(|| panic!("hop {hop}: {}", stdout(&o)))
    };
    (at(trace_lab::ECMP_HOP), at(past))
}

#[test]
fn paris_keeps_one_path_over_the_equal_cost_pair() {
    let variant = Variant::ECMP;
    let Some((_guard, lab)) = lab("trace::ecmp", variant) else {
        return;
    };
    for v6 in [false, true] {
        let both = ecmp_pair(v6);
        let mut classic = Vec::new();
        let after = if v6 {
            vec![
                trace_lab::hop_v6(trace_lab::ECMP_HOP + 1),
                trace_lab::ecmp_after_v6(),
            ]
        } else {
            vec![trace_lab::hop_v4(trace_lab::ECMP_HOP + 1)]
        };
        for run in 0..CLASSIC_RUNS {
            // Paris: one flow, so one path — certain, whatever the hash:
            // one router at hop 7, and r8 answering from one link.
            let (paris, past) = ecmp_responders(&lab, v6, &["--paris"]);
            assert!(
                paris.len() == 1 && both.contains(&paris[0]),
                "Paris shows one of {both:?}, not {paris:?}"
            );
            assert!(
                past.len() == 1 && after.contains(&past[0]),
                "Paris past the pair: one of {after:?}, not {past:?}"
            );
            let base = port_base(run);
            let (seen, past) = ecmp_responders(&lab, v6, &["-p", &base]);
            assert!(past.iter().all(|a| after.contains(a)), "{past:?}");
            for a in seen {
                if !classic.contains(&a) {
                    classic.push(a);
                }
            }
        }
        // Classic: 40 flows; both paths show (see CLASSIC_RUNS).
        classic.sort();
        assert_eq!(classic, both, "classic UDP over the pair, v6: {v6}");
    }
}

/// A loose source route through r7b (`-g`, tracert's `-j`): every probe
/// takes r7b at hop 7 — which per-flow hashing alone would not do — and
/// the hops are the ones traceroute -g lists on the same lab, UDP and
/// ICMP. A broadcast gateway the kernel will not send to is one error line,
/// exit 2.
#[test]
fn a_loose_source_route_takes_the_path_traceroute_g_takes() {
    let Some((_guard, lab)) = lab("trace::loose_route", Variant::SOURCE_ROUTE) else {
        return;
    };
    let target = TraceLab::target(false).to_string();
    let gateway = trace_lab::ecmp_other_v4().to_string();
    let past_gateway = usize::from(trace_lab::ECMP_HOP);
    for protocol in [&[][..], &["-I"]] {
        let mut args = vec!["-n", "-q", "10", "-g", &gateway];
        args.extend_from_slice(protocol);
        args.push(&target);
        // traceroute waits 1 s, not 5, for the `*` it shows up to the
        // gateway (below).
        let mut waiting = vec!["-w", "1"];
        waiting.extend_from_slice(&args);
        let o = traceroute(&lab, &waiting);
        let theirs_text = stdout(&o);
        let theirs = hops_of(&theirs_text);
        let o = ipkit_trace(&lab, &args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let text = stdout(&o);
        let ours = hops_of(&text);
        // The same header (traceroute counts the 12 bytes of the LSRR
        // option in: 72 byte packets), and past the gateway the same hops.
        assert_eq!(text.lines().next(), theirs_text.lines().next(), "{args:?}");
        assert_eq!(
            ours[past_gateway..],
            theirs[past_gateway..],
            "ipkit and traceroute {args:?}:\n{text}\n{theirs_text}"
        );
        // Up to the gateway traceroute shows `*`: it takes only replies
        // that quote the target, and these quote the gateway the probe was
        // on its way to. ipkit matches those too: the lab's routers, and at
        // hop 7 r7b on every probe — which per-flow hashing alone would
        // not do (see CLASSIC_RUNS).
        assert!(
            theirs[..past_gateway]
                .iter()
                .all(|(_, seen)| seen.is_empty()),
            "{theirs_text}"
        );
        let mut before: Vec<Hop> = expected(false, Variant::SOURCE_ROUTE)[..past_gateway].to_vec();
        before[past_gateway - 1].1 = vec![trace_lab::ecmp_other_v4()];
        assert_eq!(ours[..past_gateway], before[..], "{args:?}:\n{text}");
    }
    // tracert's -j: the same route in its view (ICMP, as tracert).
    let o = lab.run_in_client(
        env!("CARGO_BIN_EXE_ipkit"),
        &["tracert", "-d", "-j", &gateway, &target],
        LIMIT,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("7 "))
        .unwrap_or_else(|| panic!("no hop 7:\n{text}"));
    assert!(line.ends_with(&format!("  {gateway}")), "{text}");
    // A gateway the kernel will not send to (broadcast, no SO_BROADCAST).
    let o = ipkit_trace(&lab, &["-n", "-g", "255.255.255.255", &target]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("the kernel refused the loose source route via 255.255.255.255"),
        "{err}"
    );
}

#[test]
fn a_dscp_rewrite_shows_in_the_quoted_tos() {
    let variant = Variant::DSCP_REWRITE;
    let Some((_guard, lab)) = lab("trace::dscp", variant) else {
        return;
    };
    for v6 in [false, true] {
        let (fam, target) = family(v6);
        let o = ipkit_trace(&lab, &["--json", "-n", fam, &target]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let (hops, _) = ndjson(&o);
        assert_eq!(json_hops(&hops), expected(v6, variant), "{}", stdout(&o));
        for h in &hops {
            let ttl = h["ttl"].as_u64().expect("ttl");
            let want = if ttl > u64::from(trace_lab::DSCP_HOP) {
                trace_lab::REWRITTEN_TOS
            } else {
                0
            };
            for p in h["probes"].as_array().expect("probes") {
                if !p["from"].is_null() {
                    assert_eq!(p["quoted_tos"], want, "hop {ttl}: {h}");
                }
            }
        }
        // The traceroute view marks the hops that quote another TOS.
        let o = ipkit_trace(&lab, &["-n", fam, &target]);
        let text = stdout(&o);
        for (ttl, line) in (1u8..).zip(text.lines().skip(1)) {
            assert_eq!(
                line.contains("<TOS=0x20>"),
                ttl > trace_lab::DSCP_HOP,
                "hop {ttl}: {line:?}\n{text}"
            );
        }
    }
}

#[test]
fn report_lists_every_hop_with_no_loss_but_the_silent_one() {
    let variant = Variant::SILENT_ROUTER;
    let Some((_guard, lab)) = lab("trace::report", variant) else {
        return;
    };
    let target = TraceLab::target(false).to_string();
    let o = ipkit_trace(&lab, &["--report", "-c", "3", "-n", &target]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let rows: Vec<(u8, Option<IpAddr>, String)> = text
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let ttl = words.next()?.trim_end_matches("|--").trim_end_matches('.');
            let ttl: u8 = ttl.parse().ok()?;
            let words: Vec<&str> = words.collect();
            let addr = words.iter().find_map(|w| w.parse().ok());
            let loss = words.iter().find(|w| w.ends_with('%'))?.to_string();
            Some((ttl, addr, loss))
        })
        .collect();
    let want: Vec<(u8, Option<IpAddr>, String)> = TraceLab::expected_hops(false, variant)
        .into_iter()
        .zip(1u8..)
        .map(|(a, ttl)| {
            (
                ttl,
                a,
                if a.is_some() { "0.0%" } else { "100.0%" }.to_string(),
            )
        })
        .collect();
    assert_eq!(rows, want, "{text}");
    let o = ipkit_trace(&lab, &["--json", "--report", "-c", "3", "-n", &target]);
    let (hops, summary) = ndjson(&o);
    assert_eq!(summary["rounds"], 3, "{summary}");
    assert_eq!(summary["reached"], true, "{summary}");
    for h in &hops {
        let silent = h["ttl"] == trace_lab::SILENT_HOP;
        assert_eq!(h["stats"]["sent"], 3, "{h}");
        assert_eq!(h["stats"]["received"], if silent { 0 } else { 3 }, "{h}");
        assert_eq!(
            h["stats"]["loss_percent"],
            if silent { 100.0 } else { 0.0 },
            "{h}"
        );
    }
}

#[test]
fn the_tracert_view_has_tracerts_lines() {
    let variant = Variant::SILENT_ROUTER;
    let Some((_guard, lab)) = lab("trace::tracert", variant) else {
        return;
    };
    for args in [
        &["trace", "--windows", "-d", "-4", trace_lab::SERVER_NAME][..],
        &["tracert", "/d", "/4", trace_lab::SERVER_NAME],
    ] {
        let o = lab.run_in_client(env!("CARGO_BIN_EXE_ipkit"), args, LIMIT);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let text = stdout(&o);
        let lines: Vec<&str> = text.lines().skip_while(|l| l.is_empty()).collect();
        assert_eq!(
            lines[..3],
            [
                "Tracing route to server.trace.test [198.18.8.2]",
                "over a maximum of 30 hops:",
                ""
            ],
            "{text}"
        );
        let hop_lines = &lines[3..3 + trace_lab::ROUTERS + 1];
        for (ttl, (line, addr)) in (1u8..).zip(
            hop_lines
                .iter()
                .zip(TraceLab::expected_hops(false, variant)),
        ) {
            match addr {
                None => assert_eq!(
                    *line, "  4     *        *        *     Request timed out.",
                    "{text}"
                ),
                Some(a) => {
                    assert!(
                        line.starts_with(&format!("{ttl:>3}  "))
                            && line.ends_with(&format!("  {a}"))
                            && line.matches(" ms").count() == 3,
                        "hop {ttl}: {line:?}\n{text}"
                    );
                }
            }
        }
        let rest: Vec<&str> = lines[3 + trace_lab::ROUTERS + 1..]
            .iter()
            .copied()
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(rest, ["Trace complete."], "{text}");
    }
}
