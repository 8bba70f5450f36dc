//! `ipkit trace --live` as a user meets it: the real binary in a real
//! terminal — Debian's tmux, an 80×24 pane whose shell runs in the client
//! namespace of the tracer's lab ([`crate::trace_lab`]) — driven with
//! `send-keys` and read with `capture-pane`: every hop's address is on the
//! screen, `p` holds the rounds, `r` forgets them, Ctrl-C leaves the
//! alternate screen with exit 130 and a shell prompt that still answers.
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
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        round_of(&tmux.screen()),
        Some(b),
        "rounds went on while paused"
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
