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
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ipkit"))
        .args(["addr", "--color", "always", "192.0.2.1"])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains('\x1b'));
    let o = ipkit(&["addr", "--color", "always", "192.0.2.1"]); // util sets NO_COLOR=1
    assert!(!stdout(&o).contains('\x1b'));
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        let o = ipkit(&["completions", shell]);
        assert!(o.status.success() && stdout(&o).contains("cidr"), "{shell}");
    }
    let o = ipkit(&["man"]);
    let man = stdout(&o);
    assert!(
        man.starts_with(".ie") || man.contains(".TH ipkit"),
        "roff output"
    );
    assert!(man.contains("ipkit\\-addr") || man.contains("ipkit-addr"));
}
