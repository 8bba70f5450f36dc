//! `ipkit cidr` through the real binary.

use crate::util::{ipkit, ipkit_with_input, stderr, stdout};

#[test]
fn merge_aggregates_v4_and_v6_in_order() {
    let o = ipkit(&[
        "cidr",
        "merge",
        "2001:db8:8000::/33",
        "10.0.1.0/24",
        "10.0.0.128/25",
        "10.0.0.0/24",
        "2001:db8::/33",
        "192.0.2.7",
    ]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), "10.0.0.0/23\n192.0.2.7/32\n2001:db8::/32\n");
    let o = ipkit(&["cidr", "--json", "merge", "10.0.0.0/25", "10.0.0.128/25"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["prefixes"], serde_json::json!(["10.0.0.0/24"]));
}

#[test]
fn bad_lines_are_reported_counted_and_skipped() {
    let input = "10.0.0.0/24\n# comment\n\n300.1.1.1/8\n10.0.1.0/24\n10.0.0.0/33\n";
    let o = ipkit_with_input(&["cidr", "merge"], input.as_bytes());
    assert_eq!(o.status.code(), Some(2), "some lines were bad");
    assert_eq!(stdout(&o), "10.0.0.0/23\n", "good lines still merged");
    let err = stderr(&o);
    assert!(
        err.contains("<stdin>:4: '300.1.1.1' is not an IP address"),
        "{err}"
    );
    assert!(
        err.contains("<stdin>:6: '33' is not a prefix length"),
        "{err}"
    );
    assert!(err.contains("2 bad line(s) skipped"), "{err}");
}

#[test]
fn exclude_split_and_ranges() {
    let o = ipkit(&[
        "cidr",
        "exclude",
        "192.0.2.0/24",
        "--remove",
        "192.0.2.64/26,192.0.2.0/28",
    ]);
    assert_eq!(stdout(&o), "192.0.2.16/28\n192.0.2.32/27\n192.0.2.128/25\n");
    let o = ipkit(&["cidr", "split", "192.0.2.0/24", "--into", "/26"]);
    assert_eq!(
        stdout(&o),
        "192.0.2.0/26\n192.0.2.64/26\n192.0.2.128/26\n192.0.2.192/26\n"
    );
    let o = ipkit(&["cidr", "split", "2001:db8::/32", "--count", "3"]);
    assert_eq!(
        stdout(&o).lines().count(),
        4,
        "rounded up to a power of two"
    );
    let o = ipkit(&["cidr", "split", "10.0.0.0/8", "--into", "/7"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot split a /8 into /7"));
    let o = ipkit(&["cidr", "range2cidr", "192.0.2.1-192.0.2.6"]);
    assert_eq!(
        stdout(&o),
        "192.0.2.1/32\n192.0.2.2/31\n192.0.2.4/31\n192.0.2.6/32\n"
    );
    let o = ipkit(&[
        "cidr",
        "cidr2range",
        "192.0.2.0/25",
        "192.0.2.128/25",
        "2001:db8::/127",
    ]);
    assert_eq!(
        stdout(&o),
        "192.0.2.0-192.0.2.255\n2001:db8::-2001:db8::1\n"
    );
    let o = ipkit(&["cidr", "range2cidr", "192.0.2.9-192.0.2.1"]);
    assert_eq!(o.status.code(), Some(2), "a reversed range is a bad line");
}

#[test]
fn hosts_are_bounded() {
    let o = ipkit(&["cidr", "hosts", "192.0.2.0/30"]);
    assert_eq!(stdout(&o), "192.0.2.0\n192.0.2.1\n192.0.2.2\n192.0.2.3\n");
    let o = ipkit(&["cidr", "hosts", "192.0.2.0/30", "--usable"]);
    assert_eq!(stdout(&o), "192.0.2.1\n192.0.2.2\n");
    let o = ipkit(&["cidr", "hosts", "10.0.0.0/8"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "nothing half-written");
    assert!(stderr(&o).contains("--limit"), "{}", stderr(&o));
    let o = ipkit(&["cidr", "hosts", "2001:db8::/126"]);
    assert_eq!(stdout(&o).lines().count(), 4);
}

#[test]
fn match_filters_lines_and_count_counts_once() {
    let log = "10.2.3.4 - - GET /\n8.8.8.8 GET /x\n2001:db8::5 GET /y\nno address here\n";
    let o = ipkit_with_input(
        &[
            "cidr",
            "match",
            "--set",
            "10.0.0.0/8",
            "--set",
            "2001:db8::/32",
        ],
        log.as_bytes(),
    );
    assert_eq!(stdout(&o), "10.2.3.4 - - GET /\n2001:db8::5 GET /y\n");
    let o = ipkit_with_input(
        &["cidr", "contains", "--set", "10.0.0.0/8", "-v"],
        log.as_bytes(),
    );
    // -v is the complement: lines without an address are not in the set.
    assert_eq!(
        stdout(&o),
        "8.8.8.8 GET /x\n2001:db8::5 GET /y\nno address here\n"
    );
    let o = ipkit_with_input(&["cidr", "match", "--set", "192.0.2.0/24"], log.as_bytes());
    assert_eq!(o.status.code(), Some(1), "no match is a negative result");
    let o = ipkit(&[
        "cidr",
        "--json",
        "count",
        "10.0.0.0/8",
        "10.0.0.0/9",
        "2001:db8::/64",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ipv4"], 16_777_216);
    assert_eq!(v["ipv6"], "18446744073709551616");
}

#[test]
fn reads_files_and_streams() {
    let dir = std::env::temp_dir().join(format!("ipkit-cidr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("p.txt");
    let text: String = (0..256).map(|i| format!("10.0.{i}.0/24\n")).collect();
    std::fs::write(&f, text).unwrap();
    let o = ipkit(&["cidr", "merge", "--file", f.to_str().unwrap()]);
    assert_eq!(stdout(&o), "10.0.0.0/16\n");
    let o = ipkit(&["cidr", "merge", "--file", "/nonexistent/p.txt"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot open /nonexistent/p.txt"));
    let _ = std::fs::remove_dir_all(dir);
}

/// `cidr hosts` interrupted: whole lines, a note of how far it got, 130/143.
#[test]
fn interrupted_hosts_listing_ends_on_a_whole_line() {
    for (sig, code) in [("INT", 130), ("TERM", 143)] {
        let o = crate::util::interrupt_after_first_line(
            &["cidr", "hosts", "10.0.0.0/8", "--limit", "100000000"],
            sig,
            drop,
        );
        assert_eq!(o.status.code(), Some(code), "{sig}: {}", stderr(&o));
        let text = stdout(&o);
        assert!(text.ends_with('\n'), "{sig}");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() < 16_777_216, "{sig}: stopped early");
        // The addresses in order from 10.0.0.0, none cut short.
        for (i, l) in lines.iter().enumerate().step_by(997) {
            let want = std::net::Ipv4Addr::from(0x0a00_0000u32 + i as u32).to_string();
            assert_eq!(*l, want, "{sig}: line {i}");
        }
        assert!(stderr(&o).contains("interrupted"), "{sig}: {}", stderr(&o));
    }
}

/// `match` looks at the line's first address wherever it stands, and `-v`
/// prints exactly the other lines (those without an address too).
#[test]
fn match_and_its_complement() {
    let lines = "GET from 10.1.2.3 ok\n192.168.1.1 x\nno address here\n[2001:db8::1]:80 y\n";
    let o = ipkit_with_input(
        &["cidr", "match", "--set", "10.0.0.0/8,2001:db8::/32"],
        lines.as_bytes(),
    );
    assert_eq!(stdout(&o), "GET from 10.1.2.3 ok\n[2001:db8::1]:80 y\n");
    let v = ipkit_with_input(
        &[
            "cidr",
            "match",
            "-v",
            "--set",
            "10.0.0.0/8",
            "--set",
            "2001:db8::/32",
        ],
        lines.as_bytes(),
    );
    assert_eq!(stdout(&v), "192.168.1.1 x\nno address here\n");
    let mut all: Vec<&str> = lines.lines().collect();
    all.sort_unstable();
    let (o, v) = (stdout(&o), stdout(&v));
    let mut joined: Vec<&str> = o.lines().chain(v.lines()).collect();
    joined.sort_unstable();
    assert_eq!(joined, all, "match and -v split the input");
}

/// Options that take prefixes take one per flag (or a comma list), so a
/// positional argument after them is the input, not one more prefix — and
/// the result is Python's `address_exclude`, side by side.
#[test]
fn exclude_takes_one_value_per_flag_and_agrees_with_python() {
    let o = ipkit(&["cidr", "exclude", "--remove", "10.1.0.0/16", "10.0.0.0/8"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let theirs = crate::util::python313_run(
        "import ipaddress\nfor n in sorted(ipaddress.ip_network('10.0.0.0/8').address_exclude(ipaddress.ip_network('10.1.0.0/16'))):\n    print(n)",
        "",
    );
    assert_eq!(stdout(&o), theirs);
    let o = ipkit(&[
        "cidr",
        "exclude",
        "10.0.0.0/8",
        "--remove",
        "10.1.0.0/16,10.2.0.0/16",
    ]);
    let p = ipkit(&[
        "cidr",
        "exclude",
        "10.0.0.0/8",
        "--remove",
        "10.1.0.0/16",
        "--remove",
        "10.2.0.0/16",
    ]);
    assert_eq!(stdout(&o), stdout(&p));
    assert!(!stdout(&o).contains("10.2.0.0/"), "{}", stdout(&o));
}

/// Every `ipkit cidr SUB --help` shows examples with their output, and each
/// runs as shown (the outputs were taken from Python's ipaddress).
#[test]
fn every_subcommand_help_has_examples_that_run_as_shown() {
    let help = stdout(&ipkit(&["cidr", "--help"]));
    let subs: Vec<&str> = help[help.find("Commands:").expect("commands")..]
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(subs.len() >= 8, "{subs:?}");
    for sub in subs {
        let text = stdout(&ipkit(&["cidr", sub, "--help"]));
        let examples = &text[text
            .find("Examples")
            .unwrap_or_else(|| panic!("cidr {sub} --help has no examples"))..];
        let mut ran = 0;
        let mut lines = examples.lines().skip(1).peekable();
        while let Some(line) = lines.next() {
            let Some(command) = line.strip_prefix("  ipkit ") else {
                continue;
            };
            let mut want = String::new();
            while let Some(out) = lines.peek().and_then(|l| l.strip_prefix("      ")) {
                want.push_str(out);
                want.push('\n');
                lines.next();
            }
            let args: Vec<&str> = command.split_whitespace().collect();
            let o = ipkit(&args);
            assert_eq!(o.status.code(), Some(0), "{command}: {}", stderr(&o));
            assert_eq!(stdout(&o), want, "{command}");
            ran += 1;
        }
        assert!(ran > 0, "cidr {sub}: no runnable example");
    }
}
