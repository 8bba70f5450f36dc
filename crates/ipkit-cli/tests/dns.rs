//! `ipkit dns` through the real binary, against a real NSD on loopback, a
//! server that never answers, and a hostile one that sends bogus answers
//! first; resolv.conf defaults and the search list inside a namespace.

use std::net::UdpSocket;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode};
use hickory_proto::rr::{RData, Record, rdata::A};
use serde_json::Value;

use crate::lab::{Netns, Nsd, can_use_namespaces, lab_lock};
use crate::util::{ipkit, stderr, stdout};

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
    let nsd = Nsd::start(&[("lab.test", &zone())]);
    let at = format!("@127.0.0.1:{}", nsd.port);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !ipkit(&[
        "dns",
        "ns.lab.test",
        "A",
        &at,
        "--timeout",
        "0.2",
        "--tries",
        "1",
    ])
    .status
    .success()
    {
        assert!(std::time::Instant::now() < deadline, "nsd did not come up");
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
        ns.ipkit(&["dns", "ns.lab.test.", "A", "--timeout", "0.2"])
            .status
            .success()
    });
    let question = |args: &[&str]| {
        let mut all = vec!["dns", "--json"];
        all.extend_from_slice(args);
        let o = ns.ipkit(&all);
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
    let o = crate::util::ipkit_with_input(&args, input.as_bytes());
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
            ns.ipkit(&[
                "dns",
                zone,
                "SOA",
                server,
                "--timeout",
                "0.2",
                "--norecurse",
            ])
            .status
            .success()
        });
    }
    let o = ns.ipkit(&[
        "dns",
        "--json",
        "www.lab.test",
        "A",
        "--trace",
        "--root",
        "127.0.0.1",
    ]);
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
    let o = ns.ipkit(&["dns", "www.lab.test", "A", "--trace", "--root", "127.0.0.1"]);
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
    let fake = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = fake.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        fake.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = [0u8; 1500];
        let (n, peer) = fake.recv_from(&mut buf).unwrap();
        let query = Message::from_vec(&buf[..n]).unwrap();
        let dnssec_ok = query.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok);
        let mut reply = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
        reply.metadata.authentic_data = dnssec_ok;
        reply.add_query(query.queries[0].clone());
        reply.answers.push(Record::from_rdata(
            query.queries[0].name().clone(),
            60,
            RData::A(A::new(192, 0, 2, 7)),
        ));
        fake.send_to(&reply.to_vec().unwrap(), peer).unwrap();
        dnssec_ok
    });
    let o = ipkit(&[
        "dns",
        "--json",
        "signed.test",
        "A",
        &format!("@{addr}"),
        "--dnssec",
    ]);
    assert!(server.join().unwrap(), "the query carried the DO bit");
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
