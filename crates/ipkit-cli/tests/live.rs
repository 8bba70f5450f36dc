//! `ipkit trace --live` as a user meets it: the real binary in a real
//! terminal — Debian's tmux, an 80×24 pane whose shell runs in the client
//! namespace of the tracer's lab ([`crate::trace_lab`]) — driven with
//! `send-keys` and read with `capture-pane`: every hop's address is on the
//! screen, `p` holds the rounds, `r` forgets them, Ctrl-C leaves the
//! alternate screen with exit 130 and a shell prompt that still answers.
//! Several targets open a tab each (Tab and 1-9 switch, the tab bar shows
//! each target's protocol and rounds), rounds keep `--interval`'s pace, `f`
//! freezes the screen while the rounds go on, `i`
//! and `t` restart the probing with ICMP and TCP (statistics reset, said in
//! the status line) and, run as nobody with no ICMP socket allowed, `i` is
//! refused on the status line while UDP goes on. A panic (a hidden test
//! switch, `IPKIT_LIVE_TEST_PANIC=1`) restores the terminal before its
//! message is printed: the shell's line discipline is back (not raw) and the
//! prompt answers.
//! With IP-information data (the info tests' databases: 1.2.3.0/24 is
//! AS4766 Korea Telecom in KR) and a global responder (1.2.3.4 on a
//! namespace's loopback), the AS and CC columns show it and `y` turns the
//! host column to the holder.
//! `ipkit ping --live` on loopback charts both targets with their rows and
//! `q` ends it with 0. Without a terminal `--live` says so in one line and
//! exits 2. Every tmux
//! call has a time limit; the tmux server started here is killed on drop.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::trace_lab::{TraceLab, Variant};

/// How long one tmux command may take.
const TMUX_LIMIT: Duration = Duration::from_secs(10);
/// How long the screen may take to show what a step waits for.
const SCREEN_LIMIT: Duration = Duration::from_secs(40);

/// A tmux server of this test's own (its own socket), killed on drop
/// (the mcast and dns tests drive their views with it too).
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// A server with one 80×24 session running `shell`.
    pub fn start(shell: &[&str]) -> Tmux {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmux = Tmux {
            socket: format!("ipkit-live-{}-{n}", std::process::id()),
        };
        let mut args = vec!["new-session", "-d", "-x", "80", "-y", "24"];
        args.extend_from_slice(shell);
        let o = tmux.run(&args);
        assert!(o.status.success(), "tmux new-session: {o:?}");
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut c = Command::new("tmux");
        c.args(["-f", "/dev/null", "-L", &self.socket]).args(args);
        crate::util::run_limited(&mut c, b"", TMUX_LIMIT)
    }

    /// A server whose pane runs a plain bash, prompt `prompt`, inside the
    /// network namespace `ns`; the prompt is waited for.
    pub fn shell_in(ns: &str, prompt: &str) -> Tmux {
        let ps1 = format!("PS1={prompt}");
        let tmux = Tmux::start(&[
            "ip",
            "netns",
            "exec",
            ns,
            "env",
            &ps1,
            "bash",
            "--norc",
            "--noprofile",
        ]);
        tmux.wait_for("the shell's prompt", |s| s.contains(prompt.trim_end()));
        tmux
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        let o = self.run(&args);
        assert!(o.status.success(), "tmux send-keys {keys:?}: {o:?}");
    }

    pub fn screen(&self) -> String {
        crate::util::stdout(&self.run(&["capture-pane", "-p", "-t", "0"]))
    }

    /// Wait until `ready` holds for the screen; its text.
    pub fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < SCREEN_LIMIT,
                "the screen never showed {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Append everything the pane prints from now on, as the program
    /// wrote it (carriage returns and wiped lines included), to `file`.
    pub fn record(&self, file: &std::path::Path) {
        let command = format!("cat >> '{}'", file.display());
        let o = self.run(&["pipe-pane", "-o", "-t", "0", &command]);
        assert!(o.status.success(), "tmux pipe-pane: {o:?}");
    }

    pub fn alternate_screen(&self) -> bool {
        crate::util::stdout(&self.run(&["display-message", "-p", "-t", "0", "#{alternate_on}"]))
            .trim()
            == "1"
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // The server leaves its socket file behind: removed too.
        let socket = self.run(&["display-message", "-p", "#{socket_path}"]);
        let _ = self.run(&["kill-server"]);
        let path = crate::util::stdout(&socket);
        if path.trim().contains(&self.socket) {
            let _ = std::fs::remove_file(path.trim());
        }
    }
}

/// The first line of the live view (its title, round, protocol).
fn top(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

/// Whether the table lists hop `h` (`h.`) with `addr`.
fn lists(screen: &str, h: usize, addr: &str) -> bool {
    screen
        .lines()
        .any(|l| l.starts_with(&format!("{h}.")) && l.contains(&format!(" {addr} ")))
}

/// After `wait`, the screen still shows round `round` (`what` if not).
fn round_stays(tmux: &Tmux, round: u64, wait: Duration, what: &str) {
    std::thread::sleep(wait);
    let screen = tmux.screen();
    assert_eq!(round_of(&screen), Some(round), "{what}\n{screen}");
}

/// The round counter of the live view's first line.
fn round_of(screen: &str) -> Option<u64> {
    let first = screen.lines().next()?;
    let at = first.find(" round ")?;
    first[at + 7..].split_whitespace().next()?.parse().ok()
}

#[test]
fn live_without_a_terminal_says_so_and_exits_2() {
    let o = crate::util::ipkit(&["trace", "--live", "127.0.0.1"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = crate::util::stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--live needs a terminal"), "{err}");
    assert!(crate::util::stdout(&o).is_empty());
}

/// `ping --buffer` (the chart's span, gping's --buffer) belongs to --live
/// and takes 10 to 3600 seconds: anything else is a usage error, exit 2.
#[test]
fn ping_buffer_needs_live_and_a_span_in_range() {
    for args in [
        &["ping", "--buffer", "30", "127.0.0.1"][..],
        &["ping", "--live", "--buffer", "5", "127.0.0.1"][..],
        &["ping", "--live", "--buffer", "3601", "127.0.0.1"][..],
    ] {
        let o = crate::util::ipkit(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {o:?}");
        assert!(
            crate::util::stderr(&o).contains("--buffer")
                || crate::util::stderr(&o).contains("--live"),
            "{o:?}"
        );
        assert!(crate::util::stdout(&o).is_empty());
    }
}

/// The words after TARGET: more targets with --live (then the terminal is
/// what is missing), traceroute's PACKETLEN without; --interval paces
/// --report or --live only. Each refusal one line, exit 2.
#[test]
fn live_targets_packet_length_and_interval_words() {
    let one_line_2 = |args: &[&str], says: &str| {
        let o = crate::util::ipkit(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {o:?}");
        let err = crate::util::stderr(&o);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    one_line_2(
        &["trace", "--live", "127.0.0.1", "::1", "127.0.0.2"],
        "--live needs a terminal",
    );
    one_line_2(&["trace", "127.0.0.1", "sixty"], "'[PACKETLEN]'");
    one_line_2(
        &["trace", "127.0.0.1", "60", "--size", "60"],
        "cannot be used with '--size",
    );
    one_line_2(&["trace", "127.0.0.1", "60", "70"], "--live");
    one_line_2(
        &["trace", "--interval", "0.5", "127.0.0.1"],
        "--report's or --live's",
    );
    let ten: Vec<String> = (1..=10).map(|i| format!("127.0.0.{i}")).collect();
    let mut args = vec!["trace", "--live"];
    args.extend(ten.iter().map(String::as_str));
    one_line_2(&args, "at most 9 targets");
}

#[test]
fn live_trace_in_tmux_shows_every_hop_pauses_resets_and_restores_the_terminal() {
    let test = "live_trace_in_tmux";
    if !crate::lab::can_use_namespaces(test) {
        return;
    }
    crate::lab::ensure_installed("tmux", "tmux");
    let _guard = crate::lab::lab_lock();
    let lab = TraceLab::new(Variant::NONE);
    let target = TraceLab::target(false).to_string();
    let tmux = Tmux::shell_in(&lab.client().name, "live$ ");
    let command = format!(
        "NO_COLOR=1 {} trace --live -n {target}",
        env!("CARGO_BIN_EXE_ipkit")
    );
    tmux.keys(&[&command, "Enter"]);
    // The expected hops are the lab's addresses (hop h: node h's left
    // address), the same the traceroute tests check against Debian's.
    let want: Vec<String> = TraceLab::expected_hops(false, Variant::NONE)
        .into_iter()
        .map(|a| a.expect("every hop of the plain lab answers").to_string())
        .collect();
    let screen = tmux.wait_for("every hop's address", |s| {
        round_of(s).is_some_and(|r| r >= 2)
            && want.iter().enumerate().all(|(i, addr)| {
                s.lines().any(|l| {
                    l.starts_with(&format!("{}.", i + 1)) && l.contains(&format!(" {addr} "))
                })
            })
    });
    assert!(tmux.alternate_screen(), "{screen}");

    tmux.keys(&["p"]);
    let paused = tmux.wait_for("[paused]", |s| s.contains("[paused]"));
    std::thread::sleep(Duration::from_millis(2500));
    let later = tmux.screen();
    // A pass under way when `p` came may still finish: at most one more.
    let (a, b) = (round_of(&paused).unwrap(), round_of(&later).unwrap());
    assert!(
        b <= a + 1,
        "rounds went on while paused: {a} then {b}\n{later}"
    );
    round_stays(
        &tmux,
        b,
        Duration::from_millis(1500),
        "rounds went on while paused",
    );

    tmux.keys(&["r"]);
    tmux.wait_for("the statistics forgotten", |s| {
        round_of(s) == Some(0) && s.contains("waiting for the first hop")
    });
    tmux.keys(&["p"]);
    tmux.wait_for("rounds again after the reset", |s| {
        round_of(s).is_some_and(|r| r >= 1) && !s.contains("[paused]")
    });

    tmux.keys(&["C-c"]);
    tmux.wait_for("the shell's prompt back", |s| {
        !s.contains("round ") && s.lines().filter(|l| l.starts_with("live$")).count() >= 2
    });
    assert!(!tmux.alternate_screen(), "still on the alternate screen");
    tmux.keys(&["echo exit-$?-ok", "Enter"]);
    let end = tmux.wait_for("the shell answering", |s| s.contains("exit-130-ok"));
    assert!(!end.contains("panicked"), "{end}");
}

#[test]
fn live_ping_in_tmux_charts_both_targets_and_q_quits() {
    let test = "live_ping_in_tmux";
    // As root, as the namespace tests: ICMP sockets without a ping group.
    if !crate::lab::can_use_namespaces(test) {
        return;
    }
    crate::lab::ensure_installed("tmux", "tmux");
    let tmux = Tmux::start(&["env", "PS1=live$ ", "bash", "--norc", "--noprofile"]);
    tmux.wait_for("the shell's prompt", |s| s.contains("live$"));
    let command = format!(
        "NO_COLOR=1 {} ping --live -i 0.2 127.0.0.1 ::1",
        env!("CARGO_BIN_EXE_ipkit")
    );
    tmux.keys(&[&command, "Enter"]);
    // Each target's row has figures once replies came (`-` before), and
    // loopback loses nothing.
    let screen = tmux.wait_for("both targets' figures", |s| {
        ["127.0.0.1 ", "::1 "].iter().all(|t| {
            s.lines()
                .any(|l| l.starts_with(t) && l.ends_with(" 0.0%") && !l.contains(" -"))
        })
    });
    assert!(
        screen
            .lines()
            .any(|l| l.starts_with("Target") && l.contains("p95")),
        "{screen}"
    );
    assert!(tmux.alternate_screen(), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("the shell's prompt back", |s| {
        s.lines().filter(|l| l.starts_with("live$")).count() >= 2
    });
    assert!(!tmux.alternate_screen(), "still on the alternate screen");
    tmux.keys(&["echo exit-$?-ok", "Enter"]);
    tmux.wait_for("the shell answering", |s| s.contains("exit-0-ok"));
}

#[test]
fn live_trace_tabs_protocol_keys_interval_and_a_refusal_in_tmux() {
    let test = "live_trace_tabs_protocol_keys";
    if !crate::lab::can_use_namespaces(test) {
        return;
    }
    crate::lab::ensure_installed("tmux", "tmux");
    let _guard = crate::lab::lab_lock();
    let lab = TraceLab::new(Variant::NONE);
    let server = TraceLab::target(false).to_string();
    let third = crate::trace_lab::hop_v4(3).to_string();
    let want: Vec<String> = TraceLab::expected_hops(false, Variant::NONE)
        .into_iter()
        .map(|a| a.expect("every hop of the plain lab answers").to_string())
        .collect();
    let all_hops = |s: &str| want.iter().enumerate().all(|(i, a)| lists(s, i + 1, a));
    // No ICMP sockets for anyone in the client's namespace (the kernel's
    // default, said again): as nobody, only UDP and TCP connect work.
    crate::lab::RouterLab::sysctl(lab.client(), "net.ipv4.ping_group_range", "1 0");
    let tmux = Tmux::shell_in(&lab.client().name, "live$ ");
    let bin = env!("CARGO_BIN_EXE_ipkit");
    let interval = 0.5;
    tmux.keys(&[
        &format!("NO_COLOR=1 {bin} trace --live -n --interval {interval} {server} {third}"),
        "Enter",
    ]);
    // Both tabs in the bar with their state; the first one's table.
    let tab_bar = |s: &str| {
        s.lines().nth(1).is_some_and(|l| {
            l.starts_with(&format!("1 {server} UDP round "))
                && l.contains(&format!("│ 2 {third} UDP round "))
        })
    };
    let first = tmux.wait_for("both tabs and every hop of the first", |s| {
        tab_bar(s) && top(s).contains(&format!("--live {server} ")) && all_hops(s)
    });
    // --interval's pace: no more rounds than the time allows (one a half
    // second, one under way), and rounds do go on.
    let (r1, t1) = (round_of(&first).unwrap(), Instant::now());
    std::thread::sleep(Duration::from_millis(3000));
    let later = tmux.screen();
    let (r2, took) = (round_of(&later).unwrap(), t1.elapsed().as_secs_f64());
    let most = (took / interval).floor() as u64 + 1;
    assert!(
        r2 > r1 && r2 - r1 <= most,
        "rounds {r1} then {r2} in {took:.1} s at --interval {interval}\n{later}"
    );

    // Tab: the second target's tab, three hops to it; 1: the first again.
    tmux.keys(&["Tab"]);
    tmux.wait_for("the second tab", |s| {
        top(s).contains(&format!("--live {third} "))
            && (1..=3).all(|h| lists(s, h, &want[h - 1]))
            && !s.lines().any(|l| l.starts_with("4."))
    });
    tmux.keys(&["1"]);
    tmux.wait_for("the first tab again", |s| {
        top(s).contains(&format!("--live {server} ")) && all_hops(s)
    });

    // f: the screen stays while the rounds go on; f again: the rounds
    // done meanwhile show.
    tmux.keys(&["f"]);
    let frozen = tmux.wait_for("[frozen]", |s| top(s).contains("[frozen]"));
    let at = round_of(&frozen).unwrap();
    round_stays(
        &tmux,
        at,
        Duration::from_millis(2000),
        "the frozen screen moved",
    );
    tmux.keys(&["f"]);
    tmux.wait_for("the rounds done while frozen", |s| {
        !top(s).contains("[frozen]") && round_of(s).is_some_and(|r| r >= at + 2)
    });

    // i: ICMP from now on, the statistics reset; t: TCP (the server's RST).
    tmux.keys(&["i"]);
    tmux.wait_for("ICMP probing", |s| {
        top(s).contains(" ICMP")
            && s.contains("tab 1: probing with ICMP now (was UDP); statistics reset")
            && all_hops(s)
            && s.lines().nth(1).is_some_and(|l| {
                l.starts_with(&format!("1 {server} ICMP round "))
                    && l.contains(&format!("2 {third} UDP"))
            })
    });
    tmux.keys(&["t"]);
    tmux.wait_for("TCP probing", |s| {
        top(s).contains(" TCP")
            && s.contains("tab 1: probing with TCP now (was ICMP)")
            && all_hops(s)
    });
    tmux.keys(&["q"]);
    tmux.wait_for("the shell's prompt back", |s| {
        s.lines().filter(|l| l.starts_with("live$")).count() >= 2
    });
    tmux.keys(&["clear; echo exit-$?-ok", "Enter"]);
    tmux.wait_for("the shell answering", |s| s.contains("exit-0-ok"));

    // As nobody, without capabilities or an ICMP socket: `i` is refused,
    // UDP goes on.
    tmux.keys(&[
        &format!(
            "NO_COLOR=1 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all {bin} trace --live -n --interval {interval} {server}"
        ),
        "Enter",
    ]);
    tmux.wait_for("every hop, as nobody", |s| {
        round_of(s).is_some_and(|r| r >= 1) && all_hops(s)
    });
    tmux.keys(&["i"]);
    let refused = tmux.wait_for("the refusal", |s| s.contains("ICMP refused, still UDP: "));
    assert!(top(&refused).ends_with(" UDP"), "{refused}");
    let before = round_of(&refused).unwrap();
    tmux.wait_for("UDP rounds going on", |s| {
        round_of(s).is_some_and(|r| r > before) && top(s).ends_with(" UDP")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("the shell's prompt back", |s| {
        s.lines().filter(|l| l.starts_with("live$")).count() >= 2
    });
    tmux.keys(&["echo exit-$?-ok", "Enter"]);
    let end = tmux.wait_for("the shell answering", |s| s.contains("exit-0-ok"));
    assert!(!end.contains("panicked"), "{end}");
}

#[test]
fn live_trace_panic_restores_the_terminal_before_the_message() {
    crate::lab::ensure_installed("tmux", "tmux");
    let tmux = Tmux::start(&["env", "PS1=live$ ", "bash", "--norc", "--noprofile"]);
    tmux.wait_for("the shell's prompt", |s| s.contains("live$"));
    let command = format!(
        "clear; IPKIT_LIVE_TEST_PANIC=1 RUST_BACKTRACE=0 NO_COLOR=1 {} trace --live -n 127.0.0.1",
        env!("CARGO_BIN_EXE_ipkit")
    );
    tmux.keys(&[&command, "Enter"]);
    // The message, whole, then a fresh prompt below it (the screen left
    // before the message was written, and not again after it).
    let message = "IPKIT_LIVE_TEST_PANIC=1: a panic after the first frame, as asked";
    let screen = tmux.wait_for("the panic's message and a prompt after it", |s| {
        let lines: Vec<&str> = s.lines().collect();
        let at = lines.iter().position(|l| l.starts_with(message));
        at.is_some_and(|at| lines[at + 1..].contains(&"live$"))
    });
    assert!(
        !tmux.alternate_screen(),
        "still on the alternate screen\n{screen}"
    );
    let lines: Vec<&str> = screen.lines().collect();
    let panicked = lines
        .iter()
        .position(|l| l.contains("panicked at"))
        .expect(&screen);
    assert!(lines[panicked + 1].starts_with(message), "{screen}");
    // The line discipline is back: not raw (canonical mode, echo on).
    tmux.keys(&[
        "stty -a | tr ' ;' '\\n\\n' | grep -qx -- -icanon && echo tty-raw || echo tty-cooked-$?",
        "Enter",
    ]);
    let end = tmux.wait_for("the terminal's mode", |s| {
        s.lines().any(|l| l == "tty-raw" || l == "tty-cooked-1")
    });
    assert!(
        end.lines().any(|l| l == "tty-cooked-1"),
        "the terminal stayed raw:\n{end}"
    );
}

#[test]
fn live_trace_shows_as_and_country_from_the_data_in_tmux() {
    let test = "live_trace_shows_as_and_country";
    if !crate::lab::can_use_namespaces(test) {
        return;
    }
    crate::lab::ensure_installed("tmux", "tmux");
    /// The databases' directory, removed however the test ends.
    struct Scratch(std::path::PathBuf);
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let dir = Scratch(crate::info::scratch("live-as"));
    let (city, asn) = crate::info::maxmind_dbs(&dir.0);
    let ns = crate::lab::Netns::new("", "");
    ns.ip(&["-n", &ns.name, "addr", "add", "1.2.3.4/32", "dev", "lo"]);
    let tmux = Tmux::shell_in(&ns.name, "live$ ");
    let command = format!(
        "NO_COLOR=1 {} trace --live -n --db {} --db {} 1.2.3.4",
        env!("CARGO_BIN_EXE_ipkit"),
        city.display(),
        asn.display()
    );
    tmux.keys(&[&command, "Enter"]);
    let row = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("1. "))
            .map(|l| l.split_whitespace().take(4).collect::<Vec<_>>().join(" "))
    };
    let screen = tmux.wait_for("hop 1 with its AS and country", |s| {
        row(s).as_deref() == Some("1. 1.2.3.4 AS4766 KR")
    });
    let header = screen.lines().nth(1).unwrap_or_default();
    assert!(
        header.starts_with("Hop  Host") && header.contains(" AS ") && header.contains(" CC "),
        "{screen}"
    );
    // y: names (none here: the address), y again: the AS's holder.
    tmux.keys(&["y"]);
    tmux.keys(&["y"]);
    // (The host column is 16 wide at 80 columns; the pane's title is whole.)
    tmux.wait_for("the holder in the host column", |s| {
        s.lines().any(|l| l.starts_with("1.   AS4766 Korea Tel"))
            && s.contains("hop 1 AS4766 Korea Telecom ")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("the shell's prompt back", |s| {
        s.lines().filter(|l| l.starts_with("live$")).count() >= 2
    });
}
