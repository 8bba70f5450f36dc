//! `ipkit dns` through the real binary, against a real NSD on loopback, a
//! server that never answers, and a hostile one that sends bogus answers
//! first; resolv.conf defaults and the search list inside a namespace.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::UdpSocket;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, OpCode};
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
use hickory_proto::rr::{RData, Record, rdata::A};
use serde_json::Value;

use crate::lab::{Netns, Nsd, can_use_namespaces, lab_lock};
use crate::util::{ndjson, stderr, stdout};

fn zone() -> String {
    let mut z = String::from(
        "$ORIGIN lab.test.\n$TTL 300\n@ IN SOA ns.lab.test. admin.lab.test. 1 3600 600 86400 300\n@ IN NS ns\nns IN A 127.0.0.1\n\
         www IN A 192.0.2.1\nwww IN AAAA 2001:db8::1\na1 IN CNAME a2\na2 IN CNAME www\nmail IN MX 10 mx1.lab.test.\n\
         sub IN NS ns.sub\nns.sub IN A 192.0.2.53\ngen IN TYPE65534 \\# 4 01020304\n\
         @ IN DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n\
         sub IN DS 60485 13 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A\n\
         @ IN RRSIG SOA 13 2 300 20300101000000 20200101000000 60485 lab.test. c2lnbmF0dXJlLWJ5dGVzLWZvci10ZXN0aW5nLW9ubHk=\n\
         www IN RRSIG A 13 3 300 20300101000000 20200101000000 60485 lab.test. c2lnbmF0dXJlLWJ5dGVzLWZvci10ZXN0aW5nLW9ubHk=\n",
    );
    z.push_str(&format!(
        "longtxt IN TXT \"{}\" \"{}\"\n",
        "a".repeat(255),
        "b".repeat(45)
    ));
    for i in 1..=20 {
        z.push_str(&format!(
            "many IN A 198.51.100.{i}\nmany IN AAAA 2001:db8::{i:x}\n"
        ));
    }
    for i in 1..=100 {
        z.push_str(&format!("big IN A 203.0.113.{i}\n"));
    }
    z
}

fn server() -> Nsd {
    started(Nsd::start(&[("lab.test", &zone())]), "ns.lab.test")
}

/// Wait (at most 10 s) until `nsd` answers for `probe`.
fn started(nsd: Nsd, probe: &str) -> Nsd {
    let at = format!("@127.0.0.1:{}", nsd.port);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ipkit(&["dns", probe, "A", &at, "--timeout", "0.2", "--tries", "1"])
        .status
        .success()
    {
        assert!(Instant::now() < deadline, "nsd did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
    nsd
}

fn dns_json(nsd: &Nsd, args: &[&str]) -> (Option<i32>, Value) {
    let at = format!("@127.0.0.1:{}", nsd.port);
    let mut all = vec!["dns", "--json", &at];
    all.extend_from_slice(args);
    let o = ipkit(&all);
    (
        o.status.code(),
        serde_json::from_slice(&o.stdout).unwrap_or(Value::Null),
    )
}

#[test]
fn answers_views_and_negative_results() {
    let nsd = server();
    let at = format!("@127.0.0.1:{}", nsd.port);

    // The chapter's nslookup view, with a CNAME chain as aliases.
    let o = ipkit(&["dns", "a1.lab.test", &at]);
    assert_eq!(o.status.code(), Some(0));
    let want = format!(
        "Server:  127.0.0.1\nAddress:  127.0.0.1#{}\n\nName:    www.lab.test\nAddresses:  192.0.2.1\n          2001:db8::1\nAliases:  a1.lab.test\n          a2.lab.test\n",
        nsd.port
    );
    assert_eq!(stdout(&o), want);

    // dig's view.
    let o = ipkit(&["dns", "mail.lab.test", "MX", &at, "--dig"]);
    let text = stdout(&o);
    assert!(text.contains("status: NOERROR"), "{text}");
    assert!(text.contains(";; flags: qr aa rd;"), "{text}");
    assert!(
        text.contains("mail.lab.test.\t300\tIN\tMX\t10 mx1.lab.test."),
        "{text}"
    );
    assert!(text.contains(&format!(
        ";; SERVER: 127.0.0.1#{}(127.0.0.1) (UDP)",
        nsd.port
    )));

    let o = ipkit(&["dns", "mail.lab.test", "MX", &at, "--short"]);
    assert_eq!(stdout(&o), "10 mx1.lab.test.\n");

    let (code, v) = dns_json(&nsd, &["many.lab.test", "A", "AAAA"]);
    assert_eq!(code, Some(0));
    assert_eq!(v["results"][0]["answer"].as_array().map(Vec::len), Some(20));
    assert_eq!(v["results"][1]["answer"].as_array().map(Vec::len), Some(20));
    assert_eq!(v["results"][1]["question"]["type"], "AAAA");

    // A TXT record longer than 255 bytes is two strings.
    let (_, v) = dns_json(&nsd, &["longtxt.lab.test", "TXT"]);
    let data = v["results"][0]["answer"][0]["data"].as_str().unwrap();
    assert_eq!(
        data,
        format!("\"{}\" \"{}\"", "a".repeat(255), "b".repeat(45))
    );

    // Unknown types by number, shown in RFC 3597 form.
    let (_, v) = dns_json(&nsd, &["gen.lab.test", "TYPE65534"]);
    assert_eq!(v["results"][0]["answer"][0]["type"], "TYPE65534");
    assert_eq!(v["results"][0]["answer"][0]["data"], "\\# 4 01020304");

    // NXDOMAIN and NODATA are always visible, exit 1.
    let o = ipkit(&["dns", "nope.lab.test", &at]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("can't find nope.lab.test: Non-existent domain"));
    let o = ipkit(&["dns", "www.lab.test", "MX", &at]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("No MX records (NODATA)"),
        "{}",
        stdout(&o)
    );

    // Class CH: the server's version.bind.
    let (code, v) = dns_json(&nsd, &["version.bind", "TXT", "--class", "CH"]);
    assert_eq!(code, Some(0));
    assert!(
        v["results"][0]["answer"][0]["data"]
            .as_str()
            .unwrap()
            .contains("NSD")
    );
}

#[test]
fn truncated_udp_answers_are_retried_over_tcp() {
    let nsd = server();
    let (code, v) = dns_json(&nsd, &["big.lab.test", "A"]);
    assert_eq!(code, Some(0));
    let r = &v["results"][0];
    assert_eq!(r["transport"], "tcp");
    assert_eq!(r["retried_over_tcp"], true);
    assert_eq!(r["answer"].as_array().map(Vec::len), Some(100));
    // --tcp goes straight to TCP.
    let (_, v) = dns_json(&nsd, &["www.lab.test", "A", "--tcp"]);
    assert_eq!(
        (
            v["results"][0]["transport"].as_str(),
            v["results"][0]["retried_over_tcp"].as_bool()
        ),
        (Some("tcp"), Some(false))
    );
}

#[test]
fn delegations_show_authority_and_glue() {
    let nsd = server();
    let (code, v) = dns_json(&nsd, &["host.sub.lab.test", "A", "--norecurse"]);
    assert_eq!(code, Some(1), "a referral has no answer");
    let r = &v["results"][0];
    assert_eq!(r["status"], "NOERROR");
    assert_eq!(r["authority"][0]["type"], "NS");
    assert_eq!(r["authority"][0]["data"], "ns.sub.lab.test.");
    assert_eq!(r["additional"][0]["data"], "192.0.2.53");
    assert!(!r["flags"].as_array().unwrap().iter().any(|f| f == "rd"));
}

#[test]
fn a_silent_server_times_out_naming_the_server() {
    // A bound socket that never reads: queries arrive and nothing answers.
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let at = format!("@{}", sink.local_addr().unwrap());
    let o = ipkit(&[
        "dns",
        "www.lab.test",
        "A",
        &at,
        "--timeout",
        "0.3",
        "--tries",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("no answer from {}", sink.local_addr().unwrap())),
        "{err}"
    );
    // Both tries reached the server.
    let mut buf = [0u8; 512];
    sink.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    assert!(sink.recv(&mut buf).is_ok() && sink.recv(&mut buf).is_ok());
}

#[test]
fn bogus_answers_are_rejected_and_counted() {
    let fake = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = fake.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        fake.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = [0u8; 1500];
        let (n, peer) = fake.recv_from(&mut buf).unwrap();
        let query = Message::from_vec(&buf[..n]).unwrap();
        let id = query.metadata.id;
        let mut reply = Message::new(id, MessageType::Response, OpCode::Query);
        reply.add_query(query.queries[0].clone());
        let name = query.queries[0].name().clone();
        reply.answers.push(Record::from_rdata(
            name,
            60,
            RData::A(A::new(192, 0, 2, 99)),
        ));
        // 1: the right answer under a wrong id.
        let mut wrong = reply.clone();
        wrong.metadata.id = id.wrapping_add(1);
        fake.send_to(&wrong.to_vec().unwrap(), peer).unwrap();
        // 2: a compression loop: the question's name points at itself.
        let mut looped = id.to_be_bytes().to_vec();
        looped.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1]);
        fake.send_to(&looped, peer).unwrap();
        // 3: a truncated message.
        fake.send_to(&reply.to_vec().unwrap()[..7], peer).unwrap();
        // 4: the real answer.
        fake.send_to(&reply.to_vec().unwrap(), peer).unwrap();
    });
    let o = ipkit(&[
        "dns",
        "--json",
        "x.test",
        "A",
        &format!("@{addr}"),
        "--timeout",
        "5",
    ]);
    server.join().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["results"][0]["answer"][0]["data"], "192.0.2.99");
    assert_eq!(v["results"][0]["rejected"], 3);
}

#[test]
fn bad_input_is_a_usage_error() {
    let long_label = format!("{}.test", "a".repeat(64));
    for args in [
        vec!["dns", long_label.as_str(), "@127.0.0.1"],
        vec!["dns", "a..b.test", "@127.0.0.1"],
        vec!["dns", "www.test", "NOTATYPE", "@127.0.0.1"],
        vec!["dns", "www.test", "@not-an-address"],
        vec!["dns", "www.test", "--class", "XX", "@127.0.0.1"],
    ] {
        let o = ipkit(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o).lines().count(), 1, "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn resolv_conf_servers_and_search_list_in_a_namespace() {
    if !can_use_namespaces("resolv_conf_servers_and_search_list_in_a_namespace") {
        return;
    }
    let _serial = lab_lock();
    let resolv =
        "nameserver 127.0.0.1\nsearch other.test lab.test\noptions ndots:2 timeout:1 attempts:1\n";
    let mut ns = Netns::new("127.0.0.1 localhost\n", resolv);
    let other = "$ORIGIN other.test.\n$TTL 300\n@ IN SOA ns.other.test. a.other.test. 1 3600 600 86400 300\n@ IN NS ns\nns IN A 127.0.0.1\n";
    let _nsd = Nsd::start_in(&mut ns, &[("lab.test", &zone()), ("other.test", other)]);
    ns.wait_until("nsd in namespace", Duration::from_secs(10), || {
        ns_ipkit(&ns, &["dns", "ns.lab.test.", "A", "--timeout", "0.2"])
            .status
            .success()
    });
    let question = |args: &[&str]| {
        let mut all = vec!["dns", "--json"];
        all.extend_from_slice(args);
        let o = ns_ipkit(&ns, &all);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
        (
            o.status.code(),
            v["results"][0]["question"]["name"]
                .as_str()
                .map(str::to_string),
            v,
        )
    };
    // Fewer dots than ndots: the search list first; www.other.test is
    // NXDOMAIN, so the search goes on to www.lab.test.
    let (code, name, v) = question(&["www", "A"]);
    assert_eq!((code, name.as_deref()), (Some(0), Some("www.lab.test.")));
    assert_eq!(v["results"][0]["answer"][0]["data"], "192.0.2.1");
    assert_eq!(
        v["results"][0]["server"], "127.0.0.1#53",
        "resolv.conf's server is the default"
    );
    // ndots or more: the name as given first.
    let (code, name, _) = question(&["ns.lab.test", "A"]);
    assert_eq!((code, name.as_deref()), (Some(0), Some("ns.lab.test.")));
    // A trailing dot: only as given.
    let (code, name, _) = question(&["nothere.other.test.", "A"]);
    assert_eq!(
        (code, name.as_deref()),
        (Some(1), Some("nothere.other.test."))
    );
    // --no-search: as given, even with too few dots.
    let (code, name, _) = question(&["--no-search", "www", "A"]);
    assert_eq!(name.as_deref(), Some("www."));
    assert_eq!(code, Some(4), "NSD refuses a zone it does not serve");
}

fn bulk(nsd_at: &str, input: &str, extra: &[&str]) -> (Option<i32>, Vec<Value>, String) {
    let mut args = vec!["dns", "--json", "--bulk", "-", nsd_at];
    args.extend_from_slice(extra);
    let o = ipkit_in(&args, input.as_bytes());
    let records = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON line"))
        .collect();
    (o.status.code(), records, stderr(&o))
}

#[test]
fn bulk_accounts_for_every_name() {
    let nsd = server();
    let at = format!("@127.0.0.1:{}", nsd.port);
    let mut input = String::from(
        "www.lab.test A AAAA\nnope.lab.test\n\n# a comment\nbad..name\nwww.lab.test BOGUS\nbig.lab.test\nmail.lab.test MX\n",
    );
    for i in 0..500 {
        input.push_str(&format!("n{i}.lab.test\n"));
    }
    let (code, records, err) = bulk(&at, &input, &["--concurrency", "64"]);
    assert_eq!(code, Some(2), "bad lines make the exit code 2: {err}");
    assert!(
        err.contains("<stdin>:5: 'bad..name' is not a domain name"),
        "{err}"
    );
    assert!(
        err.contains("<stdin>:6: 'BOGUS' is not a record type"),
        "{err}"
    );
    let (results, summary): (Vec<&Value>, Vec<&Value>) =
        records.iter().partition(|r| r["type"] == "result");
    let summary = &summary[0]["data"];
    // 2 + 1 + 1 + 1 + 500 questions from the good lines.
    assert_eq!(results.len(), 505);
    assert_eq!(summary["names"], 505);
    assert_eq!(summary["results"], 505);
    assert_eq!(summary["bad_lines"], 2);
    assert_eq!(summary["nxdomain"], 501);
    assert_eq!(summary["answered"], 4);
    assert_eq!(summary["tcp_fallbacks"], 1);
    let find = |name: &str, t: &str| {
        results
            .iter()
            .find(|r| r["data"]["name"] == name && r["data"]["type"] == t)
            .map(|r| &r["data"])
            .unwrap()
    };
    assert_eq!(
        find("www.lab.test.", "AAAA")["answers"][0]["data"],
        "2001:db8::1"
    );
    assert_eq!(find("www.lab.test.", "A")["line"], 1);
    assert_eq!(
        find("big.lab.test.", "A")["answers"]
            .as_array()
            .map(Vec::len),
        Some(100)
    );
    assert_eq!(find("big.lab.test.", "A")["tcp"], true);
    assert_eq!(
        find("mail.lab.test.", "MX")["answers"][0]["data"],
        "10 mx1.lab.test."
    );
    assert_eq!(find("nope.lab.test.", "A")["status"], "NXDOMAIN");
}

#[test]
fn bulk_times_out_names_after_their_retries() {
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let at = format!("@{}", sink.local_addr().unwrap());
    let input = "a.test\nb.test\nc.test\n";
    let (code, records, _) = bulk(&at, input, &["--timeout", "0.1", "--retries", "1"]);
    assert_eq!(code, Some(0));
    let results: Vec<_> = records.iter().filter(|r| r["type"] == "result").collect();
    assert_eq!(results.len(), 3);
    for r in &results {
        assert_eq!(r["data"]["status"], "TIMEOUT");
        assert_eq!(r["data"]["tries"], 2);
    }
    let summary = &records.last().unwrap()["data"];
    assert_eq!(
        (
            summary["timeout"].as_u64(),
            summary["queries_sent"].as_u64()
        ),
        (Some(3), Some(6))
    );
}

#[test]
fn edns_options_and_zone_transfer() {
    let nsd = server();
    let (code, v) = dns_json(
        &nsd,
        &[
            "www.lab.test",
            "A",
            "--nsid",
            "--subnet",
            "192.0.2.0/24",
            "--cookie",
        ],
    );
    assert_eq!(code, Some(0));
    let opts = v["results"][0]["edns_options"].as_array().unwrap();
    let nsid = opts
        .iter()
        .find(|o| o["name"] == "NSID")
        .expect("NSID in the answer");
    assert!(
        nsid["data"].as_str().unwrap().contains("\"ipkit-lab\""),
        "{nsid}"
    );

    let at = format!("@127.0.0.1:{}", nsd.port);
    let o = ipkit(&["dns", "lab.test", "AXFR", &at]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let records: Vec<&str> = text.lines().filter(|l| !l.starts_with(';')).collect();
    assert!(
        records.first().unwrap().contains("\tSOA\t") && records.last().unwrap().contains("\tSOA\t"),
        "SOA first and last"
    );
    // SOA, NS, ns A, www A+AAAA, a1, a2, mail MX, sub NS + glue, gen, longtxt,
    // DNSKEY, DS, two RRSIGs (SOA, www A), 40 many, 100 big, and the closing SOA.
    assert_eq!(
        records.len(),
        1 + 1 + 1 + 2 + 1 + 1 + 1 + 2 + 1 + 1 + 4 + 40 + 100 + 1
    );
    assert!(text.contains("big.lab.test.\t300\tIN\tA\t203.0.113.100"));
}

#[test]
fn trace_follows_delegations_from_the_root() {
    if !can_use_namespaces("trace_follows_delegations_from_the_root") {
        return;
    }
    let _serial = lab_lock();
    let mut ns = Netns::new("127.0.0.1 localhost\n", "nameserver 127.0.0.1\n");
    let soa = |origin: &str, ns: &str| {
        format!("$ORIGIN {origin}\n$TTL 300\n@ IN SOA {ns} admin.{ns} 1 3600 600 86400 300\n")
    };
    let root = format!(
        "{}@ IN NS ns.root.\nns.root. IN A 127.0.0.1\ntest. IN NS ns.test.\nns.test. IN A 127.0.0.2\n",
        soa(".", "ns.root.")
    );
    let test = format!(
        "{}@ IN NS ns\nns IN A 127.0.0.2\nlab IN NS ns.lab\nns.lab IN A 127.0.0.3\n",
        soa("test.", "ns.test.")
    );
    let _root = Nsd::start_in_at(&mut ns, "127.0.0.1", &[(".", &root)]);
    let _test = Nsd::start_in_at(&mut ns, "127.0.0.2", &[("test", &test)]);
    let _lab = Nsd::start_in_at(&mut ns, "127.0.0.3", &[("lab.test", &zone())]);
    for (zone, server) in [
        (".", "@127.0.0.1"),
        ("test.", "@127.0.0.2"),
        ("lab.test.", "@127.0.0.3"),
    ] {
        ns.wait_until("nsd", Duration::from_secs(10), || {
            ns_ipkit(
                &ns,
                &[
                    "dns",
                    zone,
                    "SOA",
                    server,
                    "--timeout",
                    "0.2",
                    "--norecurse",
                ],
            )
            .status
            .success()
        });
    }
    let o = ns_ipkit(
        &ns,
        &[
            "dns",
            "--json",
            "www.lab.test",
            "A",
            "--trace",
            "--root",
            "127.0.0.1",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stderr(&o), stdout(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let steps = v["trace"].as_array().unwrap();
    let servers: Vec<&str> = steps.iter().filter_map(|s| s["server"].as_str()).collect();
    assert_eq!(servers, ["127.0.0.1#53", "127.0.0.2#53", "127.0.0.3#53"]);
    assert_eq!(steps[0]["authority"][0]["data"], "ns.test.");
    assert_eq!(steps[1]["authority"][0]["data"], "ns.lab.test.");
    assert_eq!(steps[2]["answer"][0]["data"], "192.0.2.1");
    assert!(
        steps
            .iter()
            .all(|s| !s["flags"].as_array().unwrap().iter().any(|f| f == "rd")),
        "no recursion asked"
    );
    // The text view, as dig +trace prints it.
    let o = ns_ipkit(
        &ns,
        &["dns", "www.lab.test", "A", "--trace", "--root", "127.0.0.1"],
    );
    let text = stdout(&o);
    assert!(
        text.contains(";; Received") && text.contains("#53(lab.test.)"),
        "{text}"
    );
}

#[test]
fn dns_over_tls_and_https() {
    let nsd = server();
    let proxy = crate::lab::Dnsdist::start(nsd.port);
    let ca = proxy.ca.to_str().unwrap().to_string();
    let dot = format!("@127.0.0.1:{}", proxy.tls_port);
    let doh = format!("@127.0.0.1:{}", proxy.https_port);
    for (flag, at, transport) in [("--tls", &dot, "tls"), ("--https", &doh, "https")] {
        let o = ipkit(&[
            "dns",
            "--json",
            "a1.lab.test",
            "A",
            flag,
            at.as_str(),
            "--tls-ca",
            &ca,
        ]);
        assert_eq!(o.status.code(), Some(0), "{flag}: {}", stderr(&o));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        let r = &v["results"][0];
        assert_eq!(r["transport"], transport);
        assert_eq!(
            r["answer"][2]["data"], "192.0.2.1",
            "{flag}: the CNAME chain's end"
        );
        // The certificate is checked: a name it does not hold is refused.
        let o = ipkit(&[
            "dns",
            "www.lab.test",
            flag,
            at.as_str(),
            "--tls-ca",
            &ca,
            "--tls-name",
            "other.test",
        ]);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("not valid for name \"other.test\""),
            "{}",
            stderr(&o)
        );
        // And without our CA (the system's roots, or none installed) it is refused.
        let o = ipkit(&["dns", "www.lab.test", flag, at.as_str()]);
        assert_eq!(o.status.code(), Some(2));
        let err = stderr(&o);
        assert!(
            err.contains("invalid peer certificate") || err.contains("no trusted CA certificates"),
            "{err}"
        );
    }
    // A name that matches the certificate's DNS SAN works too.
    let o = ipkit(&[
        "dns",
        "www.lab.test",
        "A",
        "--tls",
        &dot,
        "--tls-ca",
        &ca,
        "--tls-name",
        "dns.lab.test",
        "--short",
    ]);
    assert_eq!(stdout(&o), "192.0.2.1\n");
}

#[test]
fn dnssec_records_ipv6_servers_and_interfaces() {
    let nsd = server();
    // DNSSEC records are shown in presentation form.
    let (code, v) = dns_json(&nsd, &["www.lab.test", "RRSIG"]);
    assert_eq!(code, Some(0));
    let sig = v["results"][0]["answer"][0]["data"].as_str().unwrap();
    assert!(
        sig.starts_with("A ") && sig.contains(" 60485 lab.test. "),
        "{sig}"
    );
    let (_, v) = dns_json(&nsd, &["lab.test", "DNSKEY"]);
    assert!(
        v["results"][0]["answer"][0]["data"]
            .as_str()
            .unwrap()
            .starts_with("257 3 13"),
        "{v}"
    );
    let (_, v) = dns_json(&nsd, &["sub.lab.test", "DS"]);
    assert!(
        v["results"][0]["answer"][0]["data"]
            .as_str()
            .unwrap()
            .starts_with("60485 13 2"),
        "{v}"
    );

    // An IPv6 server.
    let o = ipkit(&[
        "dns",
        "www.lab.test",
        "AAAA",
        &format!("@[::1]:{}", nsd.port),
        "--short",
    ]);
    assert_eq!(stdout(&o), "2001:db8::1\n", "{}", stderr(&o));
    // Bound to an interface: lo reaches the server, an unknown name is refused.
    let at = format!("@127.0.0.1:{}", nsd.port);
    let o = ipkit(&[
        "dns",
        "www.lab.test",
        "A",
        &at,
        "--interface",
        "lo",
        "--short",
    ]);
    if o.status.success() {
        assert_eq!(stdout(&o), "192.0.2.1\n");
    } else {
        assert!(
            stderr(&o).contains("CAP_NET_RAW"),
            "only a missing privilege may stop it: {}",
            stderr(&o)
        );
    }
    let o = ipkit(&["dns", "www.lab.test", "A", &at, "--interface", "nosuch0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("interface nosuch0"), "{}", stderr(&o));
}

#[test]
fn dnssec_sets_do_and_shows_ad() {
    let (addr, server) = answer_once(|query| {
        let mut reply = a_reply(query);
        reply.metadata.authentic_data = query.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok);
        reply
    });
    let o = ipkit(&[
        "dns",
        "--json",
        "signed.test",
        "A",
        &format!("@{addr}"),
        "--dnssec",
    ]);
    let query = server.join().unwrap();
    assert!(
        query.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok),
        "the query carried the DO bit"
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["results"][0]["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "ad"),
        "AD shown: {v}"
    );
}

#[test]
fn answers_from_another_port_are_never_accepted() {
    let fake = UdpSocket::bind("127.0.0.1:0").unwrap();
    let impostor = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = fake.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        fake.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = [0u8; 1500];
        let (n, peer) = fake.recv_from(&mut buf).unwrap();
        let query = Message::from_vec(&buf[..n]).unwrap();
        let answer = |ip: A| {
            let mut reply = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
            reply.add_query(query.queries[0].clone());
            reply.answers.push(Record::from_rdata(
                query.queries[0].name().clone(),
                60,
                RData::A(ip),
            ));
            reply.to_vec().unwrap()
        };
        // A perfect forgery (right id and question) from the wrong port first…
        impostor
            .send_to(&answer(A::new(203, 0, 113, 66)), peer)
            .unwrap();
        // …then the real server's answer.
        fake.send_to(&answer(A::new(192, 0, 2, 7)), peer).unwrap();
    });
    let o = ipkit(&["dns", "spoof.test", "A", &format!("@{addr}"), "--short"]);
    server.join().unwrap();
    assert_eq!(stdout(&o), "192.0.2.7\n", "{}", stderr(&o));
}

// ---- Helpers of the tests below: every child has a deadline. ----

/// Run `cmd` with `input` on stdin, killed after `limit`; its output.
fn run_with_deadline(cmd: &mut Command, input: &[u8], limit: Duration) -> Output {
    crate::util::run_limited(cmd.env("NO_COLOR", "1"), input, limit)
}

/// `ipkit ARGS` with empty stdin, at most 60 s.
fn ipkit(args: &[&str]) -> Output {
    ipkit_in(args, b"")
}

/// `ipkit ARGS` inside `ns`, at most 60 s.
fn ns_ipkit(ns: &Netns, args: &[&str]) -> Output {
    run_with_deadline(
        ns.command(env!("CARGO_BIN_EXE_ipkit")).args(args),
        b"",
        Duration::from_secs(60),
    )
}

/// `ipkit ARGS` with `input` on stdin, at most 60 s.
fn ipkit_in(args: &[&str], input: &[u8]) -> Output {
    run_with_deadline(
        Command::new(env!("CARGO_BIN_EXE_ipkit")).args(args),
        input,
        Duration::from_secs(60),
    )
}

/// A UDP server thread on loopback that answers the queries `answer`
/// accepts (echoing each as an NXDOMAIN response) and counts every query;
/// it stops when dropped.
struct EchoServer {
    addr: std::net::SocketAddr,
    queries: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EchoServer {
    fn start(answer: fn(&Message) -> bool) -> EchoServer {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
        sock.set_read_timeout(Some(Duration::from_millis(20)))
            .expect("timeout");
        let addr = sock.local_addr().expect("addr");
        let queries = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (q, s) = (Arc::clone(&queries), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while !s.load(Ordering::Relaxed) {
                let Ok((n, peer)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                q.fetch_add(1, Ordering::Relaxed);
                if n < 12 || !Message::from_vec(&buf[..n]).is_ok_and(|m| answer(&m)) {
                    continue;
                }
                buf[2] |= 0x80; // QR: a response
                buf[3] = (buf[3] & 0xf0) | 3; // NXDOMAIN
                let _ = sock.send_to(&buf[..n], peer);
            }
        });
        EchoServer {
            addr,
            queries,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A server that answers one query with `reply(query)` and returns the query.
fn answer_once(
    reply: fn(&Message) -> Message,
) -> (std::net::SocketAddr, std::thread::JoinHandle<Message>) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        sock.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut buf = [0u8; 1500];
        let (n, peer) = sock.recv_from(&mut buf).expect("a query");
        let query = Message::from_vec(&buf[..n]).expect("a DNS query");
        sock.send_to(&reply(&query).to_vec().unwrap(), peer)
            .unwrap();
        query
    });
    (addr, server)
}

/// The answer 192.0.2.7 to `query`'s question.
fn a_reply(query: &Message) -> Message {
    let mut reply = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
    reply.add_query(query.queries[0].clone());
    reply.answers.push(Record::from_rdata(
        query.queries[0].name().clone(),
        60,
        RData::A(A::new(192, 0, 2, 7)),
    ));
    reply
}

/// A server process the test started, killed (and reaped) on drop.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn first_name_is(m: &Message, prefix: &str) -> bool {
    m.queries
        .first()
        .is_some_and(|q| q.name().to_ascii().starts_with(prefix))
}

#[test]
fn bulk_streams_results_and_accounts_for_every_name_when_stopped() {
    // "fast" names are answered at once, the others never.
    let server = EchoServer::start(|m| first_name_is(m, "fast"));
    let at = format!("@{}", server.addr);
    let mut input = String::from("fast0.test\nslow0.test\nslow1.test\nfast1.test\n");
    for i in 0..200 {
        input.push_str(&format!("later{i}.test\n"));
    }
    for (signal, code, json) in [("TERM", 143, true), ("INT", 130, false)] {
        let mut args = vec![
            "dns",
            "--bulk",
            "-",
            at.as_str(),
            "--concurrency",
            "4",
            "--fixed-window",
            "--timeout",
            "1",
            "--retries",
            "20",
        ];
        if json {
            args.insert(0, "--json");
        }
        // Killed on drop if an assertion fails before it exits.
        let mut guard = Killed(
            Command::new(env!("CARGO_BIN_EXE_ipkit"))
                .args(&args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn ipkit"),
        );
        let child = &mut guard.0;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write names");
        // The answered names arrive while the others are still waiting.
        let mut lines = BufReader::new(child.stdout.take().expect("stdout"));
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut first = String::new();
            let _ = lines.read_line(&mut first);
            let _ = tx.send(first);
            let mut rest = String::new();
            let _ = lines.read_to_string(&mut rest);
            rest
        });
        let first = rx.recv_timeout(Duration::from_secs(20));
        let running = child.try_wait().expect("try_wait").is_none();
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let start = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break s;
            }
            if start.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                panic!("ipkit did not stop after SIG{signal}");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut err = String::new();
        let _ = child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut err);
        let first = first.expect("a result line before the run ended");
        assert!(running, "the first line came while ipkit was still running");
        assert!(first.contains("fast0.test."), "{first}");
        assert_eq!(status.code(), Some(code), "SIG{signal}: {err}");
        let rest = reader.join().expect("reader");
        let all = format!("{first}{rest}");
        if json {
            let records: Vec<Value> = all
                .lines()
                .map(|l| serde_json::from_str(l).expect("NDJSON line"))
                .collect();
            let summary = &records.last().expect("summary")["data"];
            assert_eq!(records.last().unwrap()["type"], "summary");
            assert_eq!(summary["signal"], "SIGTERM");
            let n = |k: &str| summary[k].as_u64().unwrap_or(u64::MAX);
            assert_eq!(n("names"), 204);
            assert_eq!(n("results"), 204);
            assert_eq!(
                n("answered")
                    + n("nxdomain")
                    + n("timeout")
                    + n("failed")
                    + n("interrupted")
                    + n("not_sent"),
                204,
                "{summary}"
            );
            assert_eq!(n("nxdomain"), 2, "the two fast names: {summary}");
            assert!(
                n("interrupted") >= 2,
                "the slow names were in flight: {summary}"
            );
            assert!(n("not_sent") > 0, "{summary}");
            // One record per input name, each exactly once.
            let mut names: Vec<&str> = records[..records.len() - 1]
                .iter()
                .map(|r| r["data"]["name"].as_str().unwrap())
                .collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), 204);
            let not_sent = records
                .iter()
                .filter(|r| r["data"]["status"] == "NOT_SENT")
                .count() as u64;
            assert_eq!(not_sent, n("not_sent"));
        } else {
            assert!(all.contains("fast1.test.\tA\tNXDOMAIN"), "{all}");
            assert!(all.contains("slow0.test.\tA\tINTERRUPTED"), "{all}");
            assert!(
                err.contains(" interrupted, ") && err.contains("ipkit: not sent: "),
                "{err}"
            );
            let listed = err
                .lines()
                .find(|l| l.starts_with("ipkit: not sent: "))
                .unwrap_or("");
            assert!(
                listed.contains("later") && listed.contains(" more"),
                "{listed}"
            );
        }
    }
}

#[test]
fn bulk_stops_at_the_first_failed_write() {
    // Everything is answered at once; `head -1` closes the pipe after one line.
    let server = EchoServer::start(|_| true);
    let names: String = (0..100_000).map(|i| format!("n{i}.test\n")).collect();
    let dir = std::env::temp_dir().join(format!("ipkit-dns-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("names.txt");
    std::fs::write(&file, names).expect("names");
    let script = format!(
        "'{}' dns --bulk '{}' @{} --fixed-window --concurrency 64; echo \"ipkit=$?\" >&2",
        env!("CARGO_BIN_EXE_ipkit"),
        file.display(),
        server.addr
    );
    let o = run_with_deadline(
        Command::new("sh").args(["-c", &format!("({script}) | head -1")]),
        b"",
        Duration::from_secs(60),
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
    assert_eq!(
        stderr(&o).trim(),
        "ipkit=0",
        "exit 0 and no error line at a closed pipe"
    );
    let sent = server.queries.load(Ordering::Relaxed);
    assert!(
        sent < 100_000,
        "it went on after the pipe closed: {sent} queries"
    );
}

#[test]
fn bulk_ordered_keeps_input_order() {
    // big.lab.test's answer is truncated and finished over TCP after all
    // the others: with --ordered it is still written first.
    let nsd = server();
    let at = format!("@127.0.0.1:{}", nsd.port);
    let mut input = String::from("big.lab.test\n");
    for i in 0..300 {
        input.push_str(&format!("n{i}.lab.test A AAAA\n"));
        if i % 50 == 0 {
            input.push_str("www.lab.test\n");
        }
    }
    let o = ipkit_in(
        &["--json", "dns", "--bulk", "-", &at, "--ordered"],
        input.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let records = ndjson(&o);
    let keys: Vec<(u64, String)> = records
        .iter()
        .filter(|r| r["type"] == "result")
        .map(|r| {
            (
                r["data"]["line"].as_u64().unwrap(),
                r["data"]["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(keys.len(), 1 + 300 * 2 + 6);
    assert_eq!(records[0]["data"]["name"], "big.lab.test.");
    assert_eq!(records[0]["data"]["tcp"], true);
    let mut want = keys.clone();
    want.sort_by_key(|(line, t)| (*line, t != "A"));
    assert_eq!(keys, want, "input order: line, then the types as written");
}

#[test]
fn bulk_loses_nothing_against_a_slow_dnsmasq() {
    crate::lab::ensure_installed("dnsmasq", "dnsmasq-base");
    let dir = std::env::temp_dir().join(format!("ipkit-dnsmasq-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut hosts = String::new();
    let mut names = String::new();
    for i in 0..2000u32 {
        hosts.push_str(&format!("10.9.{}.{} h{i}.bulk.test\n", i >> 8, i & 255));
        names.push_str(&format!("h{i}.bulk.test\n"));
    }
    std::fs::write(dir.join("hosts"), hosts).expect("hosts");
    let port = crate::lab::free_udp_port();
    // Logging every query makes dnsmasq slow: a window of 2,000 at once
    // overflows its socket buffer and loses queries. Killed on drop, even
    // when the test fails.
    let _dnsmasq = Killed(
        Command::new("dnsmasq")
            .args(["--keep-in-foreground", "--conf-file=/dev/null"])
            .arg(format!("--port={port}"))
            .args([
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--no-resolv",
                "--no-hosts",
                "--user=root",
                "--log-queries=extra",
            ])
            .arg(format!("--addn-hosts={}", dir.join("hosts").display()))
            .arg(format!("--pid-file={}", dir.join("pid").display()))
            .arg(format!("--log-facility={}", dir.join("log").display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dnsmasq"),
    );
    let at = format!("@127.0.0.1:{port}");
    let start = Instant::now();
    while !ipkit_in(
        &[
            "dns",
            "h1.bulk.test",
            "A",
            &at,
            "--timeout",
            "0.2",
            "--tries",
            "1",
        ],
        b"",
    )
    .status
    .success()
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "dnsmasq did not come up"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = ipkit_in(&["--json", "dns", "--bulk", "-", &at], names.as_bytes());
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let records = ndjson(&o);
    let summary = &records.last().expect("summary")["data"];
    assert_eq!(summary["answered"], 2000, "{summary}");
    assert_eq!(summary["timeout"], 0, "{summary}");
    let sent = summary["queries_sent"].as_u64().unwrap_or(u64::MAX);
    assert!(
        sent <= 2000 + 50,
        "queries were lost and re-sent: {summary}"
    );
    for r in records.iter().filter(|r| r["type"] == "result") {
        let name = r["data"]["name"].as_str().unwrap();
        let i: u32 = name[1..name.find('.').unwrap()].parse().unwrap();
        assert_eq!(
            r["data"]["answers"][0]["data"],
            format!("10.9.{}.{}", i >> 8, i & 255),
            "{name}"
        );
    }
}

#[test]
fn edns_options_reach_the_server() {
    let (addr, server) = answer_once(a_reply);
    let o = ipkit_in(
        &[
            "dns",
            "www.lab.test",
            "A",
            &format!("@{addr}"),
            "--subnet",
            "192.0.2.0/24",
            "--cookie",
            "--short",
        ],
        b"",
    );
    let query = server.join().expect("server");
    assert_eq!(stdout(&o), "192.0.2.7\n", "{}", stderr(&o));
    let edns = query.edns.as_ref().expect("an OPT record");
    match edns.options().get(EdnsCode::Subnet) {
        Some(EdnsOption::Subnet(s)) => {
            assert_eq!(s.addr(), "192.0.2.0".parse::<std::net::IpAddr>().unwrap());
            assert_eq!(s.source_prefix(), 24);
        }
        other => panic!("no client subnet option: {other:?}"),
    }
    match edns.options().get(EdnsCode::Cookie) {
        // RFC 7873 §4: a client cookie alone is 8 bytes.
        Some(EdnsOption::Unknown(10, c)) => assert_eq!(c.len(), 8, "{c:?}"),
        other => panic!("no cookie option: {other:?}"),
    }
}

/// dig's answer section for NAME TYPE: (name, ttl, class, type, rdata).
fn dig_answer(port: u16, name: &str, rtype: &str) -> Vec<[String; 5]> {
    crate::lab::ensure_installed("dig", "bind9-dnsutils");
    let o = run_with_deadline(
        Command::new("dig").args([
            "+noall",
            "+answer",
            "+tries=1",
            "+time=5",
            "@127.0.0.1",
            "-p",
            &port.to_string(),
            name,
            rtype,
        ]),
        b"",
        Duration::from_secs(30),
    );
    assert!(o.status.success(), "dig: {}", stderr(&o));
    stdout(&o)
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(';'))
        .map(|l| {
            let mut f = l.split_whitespace();
            let mut next = || f.next().unwrap_or("").to_string();
            let head = [next(), next(), next(), next()];
            let rest = f.collect::<Vec<_>>().join(" ");
            [
                head[0].clone(),
                head[1].clone(),
                head[2].clone(),
                head[3].clone(),
                rest,
            ]
        })
        .collect()
}

#[test]
fn answers_match_dig_side_by_side() {
    let nsd = server();
    let at = format!("@127.0.0.1:{}", nsd.port);
    for (name, rtype) in [
        ("www.lab.test", "A"),
        ("www.lab.test", "AAAA"),
        ("many.lab.test", "AAAA"),
        ("mail.lab.test", "MX"),
        ("longtxt.lab.test", "TXT"),
        ("a1.lab.test", "A"),
        ("a1.lab.test", "CNAME"),
        ("lab.test", "SOA"),
    ] {
        let want = dig_answer(nsd.port, name, rtype);
        assert!(!want.is_empty(), "dig found {name} {rtype}");
        let o = ipkit_in(&["--json", "dns", name, rtype, &at], b"");
        let v: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
        let got: Vec<[String; 5]> = v["results"][0]["answer"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|r| {
                let s = |k: &str| {
                    r[k].as_str()
                        .map_or_else(|| r[k].to_string(), str::to_string)
                };
                [s("name"), s("ttl"), s("class"), s("type"), s("data")]
            })
            .collect();
        let (mut got, mut want) = (got, want);
        got.sort();
        want.sort();
        assert_eq!(
            got, want,
            "{name} {rtype}: ipkit --json vs dig +noall +answer"
        );

        // --short vs dig +short, CNAME targets included, in the same order.
        let dig = run_with_deadline(
            Command::new("dig").args([
                "+short",
                "+tries=1",
                "+time=5",
                "@127.0.0.1",
                "-p",
                &nsd.port.to_string(),
                name,
                rtype,
            ]),
            b"",
            Duration::from_secs(30),
        );
        let o = ipkit_in(&["dns", name, rtype, &at, "--short"], b"");
        assert_eq!(
            stdout(&o),
            stdout(&dig),
            "{name} {rtype}: --short vs dig +short"
        );
    }
}

#[test]
fn errors_are_one_line_and_name_the_os_error_once() {
    // A closed loopback port: UDP gets ICMP port unreachable, TCP a RST.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let at = format!("@127.0.0.1:{port}");
    for extra in [&[][..], &["--tcp"][..]] {
        let mut args = vec!["dns", "www.lab.test", "A", at.as_str(), "--timeout", "2"];
        args.extend_from_slice(extra);
        let o = ipkit_in(&args, b"");
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(err.matches("Connection refused").count(), 1, "{err}");
    }
    // Usage errors: one line, exit 2, never a panic.
    let multibyte = format!("a{}.test", "é".repeat(40));
    for args in [
        vec!["dns", multibyte.as_str(), "@127.0.0.1"],
        vec!["dns", "--timeout", "-1", "www.test", "@127.0.0.1"],
        vec!["dns", "www.test", "--timeout=0", "@127.0.0.1"],
        vec!["dns", "--bulk", "/tmp", "@127.0.0.1"],
        vec!["dns", "--bulk", "-", "--concurrency", "0", "@127.0.0.1"],
    ] {
        let o = ipkit_in(&args, b"");
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("tip:"),
            "{args:?}: {err}"
        );
    }
    let o = ipkit_in(&["dns", "--timeout", "-1", "www.test", "@127.0.0.1"], b"");
    assert!(stderr(&o).contains("must be more than 0"), "{}", stderr(&o));
}

/// A zone holding every type whose presentation dig and hickory disagree on,
/// empty RDATA (RFC 3597), and names with `\DDD` escapes.
const TYPES_ZONE: &str = r#"$ORIGIN types.test.
$TTL 300
@ IN SOA ns a 1 3600 600 86400 300
@ IN NS ns
ns IN A 127.0.0.1
e IN TYPE65001 \# 0
n IN NULL \# 0
nn IN NULL \# 2 0102
u IN TYPE65002 \# 3 abcdef
h IN HINFO "PC-Intel-700mhz" "Linux 6.1"
www IN A 192.0.2.1
space\032name IN A 192.0.2.2
s IN SSHFP 1 1 0123456789abcdef0123456789abcdef01234567
tl IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ds IN DS 12345 8 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
dk IN DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==
c IN CAA 0 issue "letsencrypt.org"
na IN NAPTR 100 10 "U" "E2U+sip" "!^.*$!sip:info@example.test!" .
l IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m
l2 IN LOC 42 21 54 N 71 6 18 W -24m 30m
l3 IN LOC 1 2 3.5 S 4 5 6.25 W 1.5m 10.25m 0.5m 3m
sv IN SVCB 1 . alpn=h2,h3 port=8443
sv2 IN SVCB 2 svc.example.test. mandatory=alpn,port alpn=h2 no-default-alpn port=53 ipv4hint=192.0.2.1,192.0.2.2 ipv6hint=2001:db8::1 key65000=abc
hs IN HTTPS 1 . alpn=h2
ce IN CERT 1 0 0 dGVzdA==
op IN OPENPGPKEY dGVzdA==
tx IN TXT "a \"q\"" "b\\c" "\195\169"
ptr IN PTR odd\046label.types.test.
"#;

fn types_server() -> Nsd {
    started(Nsd::start(&[("types.test", TYPES_ZONE)]), "ns.types.test")
}

/// The answer section's records as ipkit --json gives them.
fn json_records(o: &Output) -> Vec<[String; 5]> {
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    v["results"][0]["answer"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let s = |k: &str| {
                r[k].as_str()
                    .map_or_else(|| r[k].to_string(), str::to_string)
            };
            [s("name"), s("ttl"), s("class"), s("type"), s("data")]
        })
        .collect()
}

/// Every type's presentation, empty RDATA and `\DDD` names: what dig prints
/// (side by side, same server, same question), field for field.
#[test]
fn presentation_of_every_type_matches_dig() {
    let nsd = types_server();
    let at = format!("@127.0.0.1:{}", nsd.port);
    for name in [
        "e",
        "n",
        "nn",
        "u",
        "h",
        "s",
        "tl",
        "ds",
        "dk",
        "c",
        "na",
        "l",
        "l2",
        "l3",
        "sv",
        "sv2",
        "hs",
        "ce",
        "op",
        "tx",
        "ptr",
        "space\\032name",
    ] {
        let fq = format!("{name}.types.test");
        let want = dig_answer(nsd.port, &fq, "ANY");
        assert!(!want.is_empty(), "dig found {fq}");
        let o = ipkit_in(&["--json", "dns", &fq, "ANY", &at], b"");
        assert_eq!(o.status.code(), Some(0), "{fq}: {}", stderr(&o));
        assert_eq!(json_records(&o), want, "{fq}: ipkit vs dig");
    }
    // `\DDD` is decimal (RFC 1035 §5.1): ww\119 is www.
    let o = ipkit_in(&["dns", "ww\\119.types.test", "A", &at, "--short"], b"");
    assert_eq!(stdout(&o), "192.0.2.1\n", "{}", stderr(&o));
}

/// A zone with empty-RDATA records transfers whole, as dig transfers it;
/// a refused transfer says why.
#[test]
fn zone_transfer_with_empty_rdata_and_a_refused_one() {
    let nsd = types_server();
    let at = format!("@127.0.0.1:{}", nsd.port);
    let o = ipkit_in(&["--json", "dns", "types.test", "AXFR", &at], b"");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ours = json_records(&o);
    let want = dig_answer(nsd.port, "types.test", "AXFR");
    assert_eq!(ours.len(), want.len(), "records transferred");
    let (mut ours, mut want) = (ours, want);
    ours.sort();
    want.sort();
    assert_eq!(ours, want, "ipkit AXFR vs dig AXFR");
    // A zone this server does not serve: dig says "Transfer failed."
    let o = ipkit_in(&["dns", "other.test", "AXFR", &at], b"");
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("; Transfer failed: the server answered"),
        "{}",
        stdout(&o)
    );
    let dig = run_with_deadline(
        Command::new("dig").args([
            "@127.0.0.1",
            "-p",
            &nsd.port.to_string(),
            "other.test",
            "AXFR",
        ]),
        b"",
        Duration::from_secs(30),
    );
    assert!(
        stdout(&dig).contains("; Transfer failed."),
        "{}",
        stdout(&dig)
    );
}

/// dig's habits: -t, -p, -4/-6, -x; `+short` answered with ipkit's flag;
/// `ipkit dig` has dig's view, `ipkit nslookup` nslookup's.
#[test]
fn digs_letters_and_aliases() {
    let nsd = types_server();
    let port = nsd.port.to_string();
    let o = ipkit_in(
        &[
            "dns",
            "-t",
            "A",
            "-p",
            &port,
            "-4",
            "www.types.test",
            "@127.0.0.1",
            "--short",
        ],
        b"",
    );
    assert_eq!(stdout(&o), "192.0.2.1\n", "{}", stderr(&o));
    let o = ipkit_in(
        &["dns", "-6", "www.types.test", "@127.0.0.1", "-p", &port],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no IPv6 name server"), "{}", stderr(&o));
    for (word, flag) in [
        ("+short", "--short"),
        ("+tcp", "--tcp"),
        ("+time=2", "--timeout 2"),
    ] {
        let o = ipkit_in(&["dns", word, "www.types.test"], b"");
        assert_eq!(o.status.code(), Some(2), "{word}");
        assert!(stderr(&o).contains(flag), "{word}: {}", stderr(&o));
        assert_eq!(stderr(&o).lines().count(), 1, "{word}");
    }
    let o = ipkit_in(&["dig", "www.types.test", "@127.0.0.1", "-p", &port], b"");
    let text = stdout(&o);
    assert!(text.contains(";; ANSWER SECTION:"), "{text}");
    assert!(text.contains("->>HEADER<<-"), "{text}");
    let o = ipkit_in(
        &["nslookup", "www.types.test", "@127.0.0.1", "-p", &port],
        b"",
    );
    let text = stdout(&o);
    assert!(
        text.contains("Name:") && text.contains("Address:  192.0.2.1"),
        "{text}"
    );
}

/// dig's status word is coloured with `--color always` (green NOERROR, red
/// otherwise), never with NO_COLOR.
#[test]
fn status_words_are_coloured_on_request() {
    let nsd = types_server();
    let at = format!("@127.0.0.1:{}", nsd.port);
    let run = |name: &str, no_color: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ipkit"));
        c.args(["--color", "always", "dns", "--dig", name, &at]);
        if no_color {
            c.env("NO_COLOR", "1");
        } else {
            c.env_remove("NO_COLOR");
        }
        crate::util::run(&mut c)
    };
    assert!(stdout(&run("www.types.test", false)).contains("status: \x1b[32mNOERROR\x1b[0m"));
    assert!(stdout(&run("none.types.test", false)).contains("status: \x1b[31mNXDOMAIN\x1b[0m"));
    assert!(!stdout(&run("www.types.test", true)).contains('\x1b'));
}

/// `dns --bulk`'s progress line as a user sees it: Debian's tmux (an
/// 80×24 pane, stderr on it, stdout to a file) against NSD, at 100 names a
/// second. While it runs the pane shows the bar, done of the file's 300
/// questions, replies and failures, the rate and an ETA; at the end the
/// line is wiped for the summary, and the results file holds results
/// only. Not on a pipe (stderr not a terminal), and not with --json.
#[test]
fn bulk_progress_on_a_terminal_only() {
    crate::lab::ensure_installed("tmux", "tmux");
    let nsd = server();
    let at = format!("@127.0.0.1:{}", nsd.port);
    let dir = std::env::temp_dir().join(format!("ipkit-bulk-progress-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let names = dir.join("names.txt");
    let mut input = String::from("www.lab.test\n");
    for i in 1..300 {
        input.push_str(&format!("n{i}.lab.test\n"));
    }
    std::fs::write(&names, &input).unwrap();
    let (out, json_out) = (dir.join("out.txt"), dir.join("out.json"));
    let bin = env!("CARGO_BIN_EXE_ipkit");

    let tmux = crate::live::Tmux::start(&["env", "PS1=bulk$ ", "bash", "--norc", "--noprofile"]);
    tmux.wait_for("the shell's prompt", |s| s.contains("bulk$"));
    let command = format!(
        "clear; {bin} dns --bulk {} {at} --rate 100 > {}; echo done-$?",
        names.display(),
        out.display()
    );
    tmux.keys(&[&command, "Enter"]);
    let screen = tmux.wait_for("the progress line", |s| {
        s.lines().any(|l| {
            l.starts_with('[')
                && l.contains("/300 names, ")
                && l.contains(" replied, 0 failed, ")
                && l.contains("/s, ETA ")
        })
    });
    let line = screen.lines().find(|l| l.contains("/300 names")).unwrap();
    let done: u64 = line
        .split("] ")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(done <= 300, "{line}");
    let end = tmux.wait_for("the end", |s| s.contains("done-0"));
    assert!(
        end.contains("ipkit: 300 names in") && !end.contains("ETA"),
        "the line wiped for the summary:\n{end}"
    );
    let results = std::fs::read_to_string(&out).unwrap();
    assert_eq!(results.lines().count(), 300, "{results}");
    assert!(!results.contains("ETA") && !results.contains('\r'));

    // --json: no line on the terminal, NDJSON only in stdout.
    let command = format!(
        "clear; {bin} --json dns --bulk {} {at} --rate 300 > {}; echo json-$?",
        names.display(),
        json_out.display()
    );
    tmux.keys(&[&command, "Enter"]);
    let end = tmux.wait_for("the --json run's end", |s| s.contains("json-0"));
    assert!(!end.contains("ETA") && !end.contains(" names, "), "{end}");
    let json = std::fs::read_to_string(&json_out).unwrap();
    assert_eq!(json.lines().count(), 301, "300 results and the summary");
    assert!(
        json.lines()
            .all(|l| serde_json::from_str::<Value>(l).is_ok())
    );

    // stderr a pipe: no progress line.
    let o = crate::util::run_limited(
        Command::new(bin).args([
            "dns",
            "--bulk",
            names.to_str().unwrap(),
            &at,
            "--rate",
            "300",
        ]),
        b"",
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(!err.contains("ETA") && !err.contains('\r'), "{err}");
    assert!(err.starts_with("ipkit: 300 names in"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
