//! The chapter's Windows spellings, rewritten into ipkit's own flags before
//! clap parses them: `ipconfig /ALL`, `netstat /a /o`, `arp /a -N if_addr`,
//! `taskkill /F /PID 1234`, `taskkill /IM name`.
//!
//! Windows switches are case-insensitive and start with `/` or `-`; ours are
//! case-sensitive. Only arguments that follow one of the Windows aliases
//! (`ipconfig`, `netstat`, `arp`, `taskkill`) are rewritten, and only those
//! that are Windows switches of that program; everything else reaches clap
//! as typed (so `ipkit netstat -tulpn` keeps its Linux letters). Under
//! `netstat` and `arp` the Windows table is the default view; `--view`
//! overrides it (`ipconfig` too: its view without switches; `/all` is its
//! own). A `/` switch the program does not have is left alone, and
//! clap names it.

use std::ffi::OsString;

/// The Windows programs ipkit answers to, and their switches (lower case,
/// without the leading `/` or `-`) → ipkit's flags.
fn switch(program: &str, name: &str) -> Option<&'static [&'static str]> {
    Some(match (program, name) {
        (_, "?") => &["--help"],
        ("ipconfig", "all") => &["--all"],
        ("netstat", "a") => &["-a"],
        ("netstat", "o") => &["-o"],
        ("netstat", "n") => &["-n"],
        ("netstat", "ao" | "oa") => &["-a", "-o"],
        ("netstat", "ano" | "aon" | "nao" | "noa" | "oan" | "ona") => &["-a", "-n", "-o"],
        ("arp", "a" | "g") => &["-a"],
        ("arp", "n") => &["-N"],
        ("arp", "s") => &["-s"],
        ("arp", "d") => &["-d"],
        ("taskkill", "f") => &["--force"],
        ("taskkill", "pid") => &["--pid"],
        ("taskkill", "im") => &["--name"],
        _ => return None,
    })
}

/// `netstat -p PROTO` on Windows picks a protocol; `/p tcp` here.
fn netstat_protocol(value: &str) -> Option<&'static str> {
    match value.to_ascii_lowercase().as_str() {
        "tcp" | "tcpv6" => Some("--tcp"),
        "udp" | "udpv6" => Some("--udp"),
        _ => None,
    }
}

/// The arguments with the Windows spellings of the alias in use rewritten,
/// and the anchor's view made the default under `ipkit dig` (`--dig`, unless
/// another view is asked for). `ipkit nslookup` has the nslookup view,
/// which is `ipkit dns`'s own default.
pub fn rewrite(argv: Vec<OsString>) -> Vec<OsString> {
    let argv = rewrite_tracert(rewrite_windows(argv));
    let Some(at) = subcommand_at(&argv) else {
        return argv;
    };
    if argv[at] != "dig" {
        return argv;
    }
    let other_view = argv.iter().any(|a| {
        matches!(
            a.to_str(),
            Some("--short" | "--json" | "--bulk" | "--trace" | "--dig")
        )
    });
    let mut argv = argv;
    if !other_view {
        argv.insert(at + 1, "--dig".into());
    }
    argv
}

/// Where the subcommand stands: the first argument that is not a global
/// option or its value (`--color WHEN`). Shared by every look at argv
/// before clap parses it.
pub fn subcommand_at(argv: &[OsString]) -> Option<usize> {
    argv.iter()
        .skip(1)
        .position(|a| {
            let a = a.to_string_lossy();
            !a.starts_with('-') && !matches!(a.as_ref(), "always" | "never" | "auto")
        })
        .map(|i| i + 1)
}

fn rewrite_windows(argv: Vec<OsString>) -> Vec<OsString> {
    let Some(at) = subcommand_at(&argv) else {
        return argv;
    };
    let program = argv[at].to_string_lossy().to_ascii_lowercase();
    if !matches!(
        program.as_str(),
        "ipconfig" | "netstat" | "arp" | "taskkill"
    ) {
        return argv;
    }
    let mut out: Vec<OsString> = argv[..=at].to_vec();
    let mut view_given = false;
    let mut rest = argv[at + 1..].iter().peekable();
    while let Some(arg) = rest.next() {
        let text = arg.to_string_lossy();
        if text == "--view" || text.starts_with("--view=") {
            view_given = true;
        }
        if text == "--" {
            out.push(arg.clone());
            out.extend(rest.cloned());
            break;
        }
        let windows = switch_name(&text);
        // A dash switch is taken as Windows' when it is a word (`-all`,
        // `-pid`) or in capitals (`-A`); `-a` is ours already, and letters
        // that are no Windows switch (`-tulpn`) are left to clap.
        let is_slash = text.starts_with('/');
        match windows.as_deref() {
            Some("p") if program == "netstat" && is_slash => {
                let proto = rest
                    .peek()
                    .and_then(|v| netstat_protocol(&v.to_string_lossy()));
                match proto {
                    Some(flag) => {
                        rest.next();
                        out.push(flag.into());
                    }
                    None => out.push(arg.clone()),
                }
            }
            Some(name) if is_slash || name.len() > 1 || text[1..] != *name => {
                match switch(&program, name) {
                    Some(flags) => out.extend(flags.iter().map(OsString::from)),
                    None => out.push(arg.clone()),
                }
            }
            _ => out.push(arg.clone()),
        }
    }
    if !view_given && matches!(program.as_str(), "netstat" | "arp" | "ipconfig") {
        out.push("--view".into());
        out.push("windows".into());
    }
    out
}

/// A Windows switch's name, lower case, without its `/` or `-` (None for
/// what is not a switch, and for `--long` options).
fn switch_name(text: &str) -> Option<String> {
    text.strip_prefix('/')
        .or_else(|| text.strip_prefix('-').filter(|s| !s.starts_with('-')))
        .map(str::to_ascii_lowercase)
}

/// tracert's switches (lower case, without `/` or `-`) → the letters of
/// `ipkit trace --windows`.
fn tracert_switch(name: &str) -> Option<&'static str> {
    Some(match name {
        "?" => "--help",
        "d" => "-d",
        "h" => "-h",
        "j" => "-j",
        "w" => "-w",
        "r" => "-R",
        "s" => "-S",
        "4" => "-4",
        "6" => "-6",
        _ => return None,
    })
}

/// `ipkit tracert …` (and `traceroute --windows …`) becomes `ipkit trace
/// --windows …`, and after it tracert's switches in any case, with `/` or `-`
/// (`/D`, `-H 5`), become the parser's letters; anything else is left for
/// it to name.
fn rewrite_tracert(argv: Vec<OsString>) -> Vec<OsString> {
    let Some(at) = subcommand_at(&argv) else {
        return argv;
    };
    let rest_at = if argv[at].to_string_lossy().eq_ignore_ascii_case("tracert") {
        at + 1
    } else if (argv[at] == "trace" || argv[at] == "traceroute")
        && argv.get(at + 1).is_some_and(|a| a == "--windows")
    {
        at + 2
    } else {
        return argv;
    };
    let mut out: Vec<OsString> = argv[..at].to_vec();
    out.push("trace".into());
    out.push("--windows".into());
    let mut rest = argv[rest_at..].iter();
    while let Some(arg) = rest.next() {
        let text = arg.to_string_lossy();
        if text == "--" {
            out.push(arg.clone());
            out.extend(rest.cloned());
            break;
        }
        match switch_name(&text).as_deref().and_then(tracert_switch) {
            Some(flag) => out.push(flag.into()),
            None => out.push(arg.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(args: &[&str]) -> Vec<String> {
        let argv = std::iter::once("ipkit")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        rewrite(argv)
            .into_iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn windows_switches_any_case_slash_or_dash() {
        assert_eq!(
            re(&["ipconfig", "/ALL"]),
            ["ipconfig", "--all", "--view", "windows"]
        );
        assert_eq!(
            re(&["ipconfig", "-all", "eth0"]),
            ["ipconfig", "--all", "eth0", "--view", "windows"]
        );
        assert_eq!(
            re(&["ipconfig", "/?"]),
            ["ipconfig", "--help", "--view", "windows"]
        );
        assert_eq!(
            re(&["netstat", "/a", "/O"]),
            ["netstat", "-a", "-o", "--view", "windows"]
        );
        assert_eq!(
            re(&["netstat", "-ano"]),
            ["netstat", "-a", "-n", "-o", "--view", "windows"]
        );
        assert_eq!(
            re(&["netstat", "-A", "-O"]),
            ["netstat", "-a", "-o", "--view", "windows"]
        );
        assert_eq!(
            re(&["netstat", "/p", "TCP"]),
            ["netstat", "--tcp", "--view", "windows"]
        );
        assert_eq!(
            re(&["arp", "/a", "-N", "10.0.0.1"]),
            ["arp", "-a", "-N", "10.0.0.1", "--view", "windows"]
        );
        assert_eq!(
            re(&["taskkill", "/F", "/PID", "1234"]),
            ["taskkill", "--force", "--pid", "1234"]
        );
        assert_eq!(
            re(&["taskkill", "/im", "notepad.exe"]),
            ["taskkill", "--name", "notepad.exe"]
        );
        assert_eq!(
            re(&["--json", "netstat", "/a"]),
            ["--json", "netstat", "-a", "--view", "windows"]
        );
    }

    #[test]
    fn tracert_switches_any_case_slash_or_dash() {
        assert_eq!(
            re(&[
                "tracert", "/D", "-H", "5", "/w", "500", "-r", "/s", "::1", "-6", "::2"
            ]),
            [
                "trace",
                "--windows",
                "-d",
                "-h",
                "5",
                "-w",
                "500",
                "-R",
                "-S",
                "::1",
                "-6",
                "::2"
            ]
        );
        assert_eq!(
            re(&["--json", "TRACERT", "/?"]),
            ["--json", "trace", "--windows", "--help"]
        );
        assert_eq!(
            re(&["trace", "--windows", "/d", "127.0.0.1"]),
            ["trace", "--windows", "-d", "127.0.0.1"]
        );
        assert_eq!(
            re(&["traceroute", "--windows", "-D", "::1"]),
            ["trace", "--windows", "-d", "::1"]
        );
        assert_eq!(
            re(&["trace", "/d", "127.0.0.1"]),
            ["trace", "/d", "127.0.0.1"]
        );
    }

    #[test]
    fn dig_has_dig_s_view_unless_another_is_asked() {
        assert_eq!(
            re(&["dig", "example.test"]),
            ["dig", "--dig", "example.test"]
        );
        assert_eq!(
            re(&["dig", "--short", "example.test"]),
            ["dig", "--short", "example.test"]
        );
        assert_eq!(
            re(&["nslookup", "example.test"]),
            ["nslookup", "example.test"]
        );
    }

    #[test]
    fn linux_letters_and_other_commands_pass_untouched() {
        assert_eq!(
            re(&["netstat", "-tulpn"]),
            ["netstat", "-tulpn", "--view", "windows"]
        );
        assert_eq!(
            re(&["netstat", "--view", "ss", "-tlnp"]),
            ["netstat", "--view", "ss", "-tlnp"]
        );
        assert_eq!(re(&["sockets", "/a"]), ["sockets", "/a"]);
        assert_eq!(re(&["grep", "/etc/hosts"]), ["grep", "/etc/hosts"]);
        assert_eq!(re(&["arp", "-a"]), ["arp", "-a", "--view", "windows"]);
    }
}
