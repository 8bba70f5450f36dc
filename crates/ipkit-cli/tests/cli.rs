//! Conventions every command shares: help with examples, usage errors,
//! colour rules, completions and the man page.

use crate::util::{ipkit, stderr, stdout};

/// The commands `ipkit --help` lists (so a new command is covered at once).
fn commands() -> Vec<String> {
    let o = ipkit(&["--help"]);
    let text = stdout(&o);
    let list = &text[text.find("Commands:").expect("a command list")..];
    list.lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        // A description that wraps continues on a deeper-indented line.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn every_command_has_help_with_examples() {
    let all = commands();
    for expected in ["addr", "ping", "sockets", "if", "neigh", "kill", "man"] {
        assert!(
            all.iter().any(|c| c == expected),
            "{expected} not in {all:?}"
        );
    }
    for cmd in &all {
        let o = ipkit(&[cmd, "--help"]);
        assert!(o.status.success(), "{cmd}");
        assert!(
            stdout(&o).contains("Examples:"),
            "{cmd} --help has no examples"
        );
    }
    // The Windows names are aliases of the same commands.
    for (alias, command) in [("netstat", "sockets"), ("ipconfig", "if"), ("arp", "neigh")] {
        let a = stdout(&ipkit(&[alias, "--help"]));
        let c = stdout(&ipkit(&[command, "--help"]));
        assert_eq!(a, c, "{alias} is {command}");
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["frobnicate"][..],
        &["addr"],
        &["addr", "--no-such-flag", "1.2.3.4"],
        &["kill"],
        &["kill", "--port", "5150", "--pid", "1"],
        &["sockets", "--port", "http"],
        &["neigh", "-s", "192.0.2.1"],
        &["ping"],
        &["ping", "-c", "1", "127.1"],
    ] {
        let o = ipkit(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!stderr(&o).is_empty());
    }
}

#[test]
fn colour_only_when_asked_and_never_with_no_color() {
    let o = crate::util::run(
        std::process::Command::new(env!("CARGO_BIN_EXE_ipkit"))
            .args(["addr", "--color", "always", "192.0.2.1"])
            .env_remove("NO_COLOR"),
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains('\x1b'));
    let o = ipkit(&["addr", "--color", "always", "192.0.2.1"]); // util sets NO_COLOR=1
    assert!(!stdout(&o).contains('\x1b'));
}

/// The long options a command's `--help` lists.
fn long_options(command: &str) -> Vec<String> {
    long_options_of(&[command])
}

/// The long options `ipkit WORDS… --help` lists.
fn long_options_of(words: &[&str]) -> Vec<String> {
    let mut args = words.to_vec();
    args.push("--help");
    let o = ipkit(&args);
    let text = stdout(&o);
    let mut found: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let at = l.find("--")?;
            // Only option lines: `-x, --name …` or `--name …` at the start.
            if at > 4 {
                return None;
            }
            let name: String = l[at + 2..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .filter(|n| n != "help" && n != "version")
        .collect();
    found.dedup();
    found
}

#[test]
fn completions_and_man_page_name_every_command_and_option() {
    let commands = commands();
    assert!(commands.len() >= 10, "{commands:?}");
    for shell in ["bash", "zsh", "fish"] {
        let o = ipkit(&["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        for c in &commands {
            assert!(script.contains(c.as_str()), "{shell} completion lacks {c}");
            for opt in long_options(c) {
                assert!(
                    script.contains(&format!("--{opt}")) || script.contains(&format!("-l {opt}")),
                    "{shell} completion lacks {c} --{opt}"
                );
            }
        }
    }
    let o = ipkit(&["man"]);
    assert!(o.status.success());
    let man = stdout(&o);
    // A page per command and per cidr subcommand, each with its options.
    let pages: Vec<String> = man
        .lines()
        .filter_map(|l| l.strip_prefix(".TH "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    for c in &commands {
        assert!(
            pages.contains(&format!("ipkit-{c}")),
            "man page lacks ipkit-{c}: {pages:?}"
        );
    }
    let cidr = stdout(&ipkit(&["cidr", "--help"]));
    for sub in cidr[cidr.find("Commands:").unwrap()..]
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
    {
        let name = format!("ipkit-cidr-{sub}");
        let at = man
            .find(&format!(".TH {name} "))
            .unwrap_or_else(|| panic!("no page {name}"));
        let body = &man[at + 4..];
        let body = &body[..body.find(".TH ").unwrap_or(body.len())];
        for opt in long_options_of(&["cidr", sub]) {
            assert!(
                body.contains(&format!("\\-\\-{}", opt.replace('-', "\\-"))),
                "{name} lacks --{opt}"
            );
        }
    }
    for title in ["EXIT STATUS", "ENVIRONMENT", "WINDOWS SPELLINGS"] {
        assert!(
            man.contains(&format!(".SH \"{title}\"")),
            "man page lacks {title}"
        );
    }
    // No page is named that this document does not hold (clap_mangen's
    // SUBCOMMANDS section names `ipkit-addr(1)` files; ours does not).
    assert!(!man.contains("(1)"), "a reference to a separate man page");
    // groff reads it without a warning.
    crate::lab::ensure_installed("groff", "groff-base");
    let g = crate::util::run_limited(
        std::process::Command::new("groff").args(["-k", "-man", "-Tutf8", "-ww", "-z"]),
        man.as_bytes(),
        crate::util::CHILD_LIMIT,
    );
    assert!(
        g.status.success() && g.stderr.is_empty(),
        "groff: {}",
        stderr(&g)
    );
    // --json does not apply to either.
    for args in [&["man", "--json"][..], &["completions", "bash", "--json"]] {
        let o = ipkit(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stdout(&o).is_empty(), "{args:?}");
    }
}

/// Errors quote a short, escaped excerpt of the input: no raw control bytes
/// reach the terminal, and a huge line is not echoed whole.
#[test]
fn errors_quote_a_short_escaped_excerpt() {
    let o = ipkit(&["addr", "a\x1b[31mb"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(!err.contains('\x1b'), "raw ESC on stderr: {err:?}");
    assert!(err.contains("\\u{1b}[31m"), "escaped: {err:?}");
    assert_eq!(err.lines().count(), 1, "{err:?}");
    // A 100,000-character argument (near the kernel's limit for one), and a
    // line of a megabyte on stdin.
    let arg = "1".repeat(100_000);
    let o = ipkit(&["addr", &arg]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).len() < 400, "{} bytes", stderr(&o).len());
    assert!(stderr(&o).contains("(100000 characters)"), "{}", stderr(&o));
    let mut input = "1".repeat(1 << 20).into_bytes();
    input.extend_from_slice(b"\na\0b\x1b]0;title\x07\n10.0.0.0/8\n");
    let o = crate::util::ipkit_with_input(&["cidr", "merge"], &input);
    assert_eq!(o.status.code(), Some(2), "bad lines skipped: exit 2");
    assert_eq!(stdout(&o), "10.0.0.0/8\n");
    let err = stderr(&o);
    assert!(err.len() < 1200, "{} bytes: {err}", err.len());
    assert!(
        !err.bytes().any(|b| b < 0x20 && b != b'\n'),
        "raw control bytes: {err:?}"
    );
}

/// A negative number given to an option is refused with its range, not
/// with clap's tip to write `-- -1`.
#[test]
fn negative_numbers_say_the_range() {
    for args in [
        &["kill", "--pid", "5", "--grace", "-1"][..],
        &["sockets", "--pid", "-4"],
        &["ping", "--record-route", "-2", "127.0.0.1"],
    ] {
        let o = ipkit(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("-- -"), "{args:?}: {err}");
        assert!(
            err.contains("must be ≥") || err.contains(" to "),
            "{args:?}: {err}"
        );
    }
}

/// The chapter's Windows switches: any case, `/` or `-`; under `netstat`
/// and `arp` the Windows table is the default (`--view` overrides).
#[test]
fn windows_switches_any_case_and_windows_views_by_default() {
    if !crate::lab::can_use_namespaces("windows_switches_any_case_and_windows_views_by_default") {
        return;
    }
    // In a namespace of our own: only loopback, nothing that changes while
    // the spellings are compared.
    let mut ns = crate::lab::Netns::new("", "nameserver 127.0.0.1\n");
    // A listener inside it, so the socket table is not empty.
    ns.spawn(
        "perl",
        &["-MIO::Socket::INET", "-e", "$s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 5) or die; sleep 120;"],
    );
    let ns = ns;
    ns.wait_until("the listener", std::time::Duration::from_secs(10), || {
        ns.ipkit(&["sockets", "--listen", "--tcp"]).status.success()
    });
    let ipkit = |args: &[&str]| ns.ipkit(args);
    let all = ipkit(&["if", "--all"]);
    for spelling in [
        &["ipconfig", "/all"][..],
        &["ipconfig", "/ALL"],
        &["ipconfig", "-all"],
    ] {
        let o = ipkit(spelling);
        assert_eq!(o.status.code(), Some(0), "{spelling:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), stdout(&all), "{spelling:?}");
    }
    let o = ipkit(&["ipconfig", "/?"]);
    assert!(
        o.status.success() && stdout(&o).contains("Usage:"),
        "{}",
        stderr(&o)
    );
    let o = ipkit(&["netstat", "/a", "/O"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("Active Connections"), "{}", stdout(&o));
    let o = ipkit(&["netstat"]);
    assert!(
        stdout(&o).contains("Active Connections"),
        "the Windows view by default"
    );
    let o = ipkit(&["netstat", "--view", "ss", "-tlnp"]);
    assert!(stdout(&o).starts_with("Netid"), "{}", stdout(&o));
    let o = ipkit(&["arp", "/A"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A command that is planned says so, instead of only "unrecognized".
#[test]
fn coming_commands_are_named_as_coming() {
    for sub in ["mtr", "tracepath", "whois"] {
        let o = ipkit(&[sub, "example.test"]);
        assert_eq!(o.status.code(), Some(2), "{sub}");
        assert!(stderr(&o).contains("is coming"), "{sub}: {}", stderr(&o));
        assert_eq!(stderr(&o).lines().count(), 1, "{sub}");
    }
}

/// `--color always` changes what it is accepted for (the status words of
/// ping and dns, grep's matches: see their tests) and is refused where a
/// command has no colour; NO_COLOR still wins.
#[test]
fn color_is_refused_where_it_would_change_nothing() {
    for args in [
        &["--color", "always", "cidr", "merge", "10.0.0.0/8"][..],
        &["--color", "always", "service", "ftp"],
        &["--color", "always", "man"],
    ] {
        let o = ipkit(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("prints no colour"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    let coloured = |args: &[&str]| {
        crate::util::run(
            std::process::Command::new(env!("CARGO_BIN_EXE_ipkit"))
                .args(args)
                .env_remove("NO_COLOR"),
        )
    };
    let o = coloured(&["--color", "always", "ping", "-c", "1", "127.0.0.1"]);
    assert!(
        stdout(&o).contains("\x1b[32m0% packet loss\x1b[0m"),
        "{}",
        stdout(&o)
    );
    let o = coloured(&["--color", "never", "ping", "-c", "1", "127.0.0.1"]);
    assert!(!stdout(&o).contains('\x1b'));
}

/// `ipkit trace`'s usage errors: a bad `-m`, `-f` beyond `-m`, a wait that
/// is no number and an unknown option exit 2, the fault said on the first
/// line (the library's checks on that one line alone); loose source routes
/// of 9 gateways or to IPv6, and tracert's `-R` to IPv4 (or refused by the
/// kernel, for IPv6: Linux sends no type 0 routing headers) the same way.
#[test]
fn trace_usage_errors_exit_2_in_one_line() {
    let nine =
        "192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.4 192.0.2.5 192.0.2.6 192.0.2.7 192.0.2.8 192.0.2.9";
    for args in [
        &["trace", "-m", "0", "127.0.0.1"][..],
        &["trace", "-m", "256", "127.0.0.1"],
        &["trace", "-f", "5", "-m", "3", "127.0.0.1"],
        &["trace", "-q", "0", "127.0.0.1"],
        &["tracert", "-h", "0", "127.0.0.1"],
        &["tracert", "/j", nine, "127.0.0.1"],
        &["trace", "-g", "192.0.2.1", "::1"],
        &["tracert", "/R", "127.0.0.1"],
        &["tracert", "-R", "::1"],
    ] {
        let o = ipkit(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&o).lines().count(), 1, "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
    }
    for args in [
        &["trace", "--no-such-option", "127.0.0.1"][..],
        &["trace", "-w", "soon", "127.0.0.1"],
        &["trace"],
        &["tracert", "/x", "127.0.0.1"],
    ] {
        let o = ipkit(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).starts_with("error: "),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

/// The header traceroute prints for `args` on 127.0.0.1, when Debian's
/// traceroute is installed (under CI it must be: `.ci/packages`).
fn debian_traceroute_header(args: &[&str]) -> Option<String> {
    match std::process::Command::new("traceroute")
        .arg("--version")
        .output()
    {
        Ok(_) => {}
        Err(_) if std::env::var_os("CI").is_none() => return None,
        Err(e) => panic!("traceroute is not installed under CI: {e}"),
    }
    let o = crate::util::run(std::process::Command::new("traceroute").args(args));
    assert!(o.status.success(), "traceroute {args:?}: {}", stderr(&o));
    stdout(&o).lines().next().map(str::to_string)
}

/// A trace of 127.0.0.1 reaches it at hop 1 with ICMP, UDP and TCP (to a
/// port a listener here holds): traceroute's header, as Debian's prints
/// it, then one hop line, exit 0.
#[test]
fn trace_of_loopback_reaches_hop_1_with_each_protocol() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
    let port = listener.local_addr().unwrap().port().to_string();
    for protocol in [&["-I"][..], &["-U"], &["-T", "-p", &port]] {
        let mut args = vec!["trace", "-n"];
        args.extend_from_slice(protocol);
        args.push("127.0.0.1");
        let o = ipkit(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let text = stdout(&o);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: {text}");
        assert_eq!(
            lines[0],
            "traceroute to 127.0.0.1 (127.0.0.1), 30 hops max, 60 byte packets"
        );
        assert!(lines[1].starts_with(" 1  127.0.0.1  "), "{args:?}: {text}");
        assert_eq!(lines[1].matches(" ms").count(), 3, "{args:?}: {text}");
        if let Some(theirs) = debian_traceroute_header(&args[1..]) {
            assert_eq!(lines[0], theirs, "{args:?}");
        }
    }
    let o = ipkit(&["trace", "-n", "-I", "::1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("traceroute to ::1 (::1), 30 hops max, 80 byte packets\n 1  ::1  "),
        "{}",
        stdout(&o)
    );
}

/// tracert's letters, any case, with `/` or `-`, and its view.
#[test]
fn tracert_letters_parse_and_show_tracert_s_view() {
    for args in [
        &["tracert", "/D", "/H", "3", "/W", "500", "127.0.0.1"][..],
        &["tracert", "-d", "-h", "3", "-w", "500", "-4", "127.0.0.1"],
        &["trace", "--windows", "-D", "-H", "3", "127.0.0.1"],
    ] {
        let o = ipkit(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let text = stdout(&o);
        assert!(
            text.starts_with("\nTracing route to 127.0.0.1 over a maximum of 3 hops\n\n  1    <1 ms    <1 ms    <1 ms  127.0.0.1\n"),
            "{args:?}: {text}"
        );
        assert!(text.ends_with("\nTrace complete.\n"), "{args:?}: {text}");
    }
    let o = ipkit(&["tracert", "/?"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("-h <MAXIMUM_HOPS>"), "{}", stdout(&o));
}

/// build.rs links GCC's static unwinder (`libgcc_eh.a`) where the C
/// compiler has one, so `ipkit` starts without loading `libgcc_s.so.1`
/// (bench/RESULTS.md: 0.13 ms of every start on the bench machine). The
/// dynamic section as binutils' readelf prints it is the judge.
#[test]
fn the_unwinder_is_linked_in_where_the_compiler_has_it_static() {
    let archive = std::process::Command::new("cc")
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .expect("cc runs");
    let archive = String::from_utf8_lossy(&archive.stdout).trim().to_owned();
    let static_unwinder = std::path::Path::new(&archive).is_absolute();
    let dynamic = std::process::Command::new("readelf")
        .args(["-d", env!("CARGO_BIN_EXE_ipkit")])
        .output()
        .expect("readelf runs");
    let dynamic = String::from_utf8_lossy(&dynamic.stdout);
    assert!(dynamic.contains("(NEEDED)"), "{dynamic}");
    assert_eq!(
        dynamic.contains("[libgcc_s.so.1]"),
        !static_unwinder,
        "libgcc_eh.a at {archive:?}; the dynamic section:\n{dynamic}"
    );
}
