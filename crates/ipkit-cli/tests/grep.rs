//! `ipkit grep` through the real binary.

use crate::util::{ipkit, ipkit_with_input, stderr, stdout};

const LOG: &str = "192.0.2.10 - - [24/Nov/2026:10:23:45 +0000] \"GET /v1.2.3.4/x HTTP/1.1\" 200 from 10.0.0.7:5150\n\
version 2024.01.02.3 build 1.2.3.4.5 mac 00:11:22:33:44:55\n\
[2001:db8::1]:443 accepted fe80::1%eth0 and 999.1.1.1\n\
8.8.8.8 and 8.8.8.8 again, 172.16.5.4/12\n";

#[test]
fn prints_matching_lines_and_skips_lookalikes() {
    let o = ipkit_with_input(&["grep"], LOG.as_bytes());
    assert_eq!(o.status.code(), Some(0));
    let lines: Vec<&str> = LOG.lines().collect();
    assert_eq!(
        stdout(&o),
        format!("{}\n{}\n{}\n", lines[0], lines[2], lines[3])
    );
}

#[test]
fn only_matching_with_line_numbers() {
    let o = ipkit_with_input(&["grep", "-on"], LOG.as_bytes());
    assert_eq!(
        stdout(&o),
        "1:192.0.2.10\n1:10.0.0.7:5150\n3:[2001:db8::1]:443\n3:fe80::1%eth0\n4:8.8.8.8\n4:8.8.8.8\n4:172.16.5.4/12\n"
    );
}

#[test]
fn filters_unique_and_counts() {
    let o = ipkit_with_input(&["grep", "-ou", "--only-global"], LOG.as_bytes());
    assert_eq!(stdout(&o), "8.8.8.8\n");
    let o = ipkit_with_input(&["grep", "-o", "--only-private"], LOG.as_bytes());
    assert_eq!(stdout(&o), "10.0.0.7:5150\n172.16.5.4/12\n");
    let o = ipkit_with_input(&["grep", "-o", "--exclude-reserved"], LOG.as_bytes());
    assert_eq!(stdout(&o), "8.8.8.8\n8.8.8.8\n");
    let o = ipkit_with_input(&["grep", "-o", "-6"], LOG.as_bytes());
    assert_eq!(stdout(&o), "[2001:db8::1]:443\nfe80::1%eth0\n");
    let o = ipkit_with_input(&["grep", "-c"], LOG.as_bytes());
    assert_eq!(stdout(&o), "3\n", "matching lines");
    let o = ipkit_with_input(&["grep", "-c", "-o", "-4"], LOG.as_bytes());
    assert_eq!(stdout(&o), "5\n", "IPv4 addresses");
}

#[test]
fn lookalikes_alone_are_no_match() {
    let o = ipkit_with_input(
        &["grep"],
        b"999.1.1.1 1.2.3.4.5 v1.2.3.4 a1.2.3.4 01.2.3.4 12:34:56\n",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
}

#[test]
fn json_lines_and_files() {
    let o = ipkit_with_input(&["grep", "--json"], LOG.as_bytes());
    let records: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 8);
    assert_eq!(records[1]["data"]["port"], 5150);
    assert_eq!(records[1]["data"]["line"], 1);
    assert_eq!(records[4]["data"]["line"], 4);
    assert_eq!(records[7]["type"], "summary");
    assert_eq!(records[7]["data"]["matches"], 7);
    let dir = std::env::temp_dir().join(format!("ipkit-grep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("a.log");
    std::fs::write(&f, "x 192.0.2.1\n").unwrap();
    let f = f.to_str().unwrap();
    let o = ipkit(&["grep", "-o", f, "/nonexistent/b.log", f]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "an unreadable file is an error; the rest are searched"
    );
    assert_eq!(stdout(&o), format!("{f}:192.0.2.1\n{f}:192.0.2.1\n"));
    assert!(stderr(&o).contains("cannot open /nonexistent/b.log"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn long_inputs_stream_across_blocks() {
    // More than one 1 MiB block, with a match straddling nothing and line
    // numbers counted across blocks.
    let mut text = String::new();
    for i in 0..40_000u32 {
        text.push_str(&format!(
            "line {i} padding padding padding 10.{}.{}.{}\n",
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        ));
    }
    let o = ipkit_with_input(&["grep", "-c", "-o"], text.as_bytes());
    assert_eq!(stdout(&o), "40000\n");
    let o = ipkit_with_input(&["grep", "-on", "-u"], text.as_bytes());
    let last = stdout(&o).lines().last().unwrap().to_string();
    assert_eq!(last, "40000:10.0.156.63");
}

/// Ctrl-C or SIGTERM: what was found is flushed, ending with a whole line,
/// the note says the input was not read to its end, and the exit code is
/// 128 + the signal.
#[test]
fn interrupted_search_flushes_whole_lines_and_exits_128_plus_signal() {
    for (sig, code) in [("INT", 130), ("TERM", 143)] {
        let o = crate::util::interrupt_after_first_line(&["grep", "-o"], sig, |mut stdin| {
            use std::io::Write;
            let block = "client 192.0.2.1 - GET / 200\n".repeat(40_000);
            let start = std::time::Instant::now();
            // Keep ipkit busy (its reads never wait long) until it stops.
            while start.elapsed() < std::time::Duration::from_secs(20) {
                if stdin.write_all(block.as_bytes()).is_err() {
                    break;
                }
            }
        });
        assert_eq!(o.status.code(), Some(code), "{sig}: {}", stderr(&o));
        let text = stdout(&o);
        assert!(text.ends_with('\n'), "{sig}: a whole last line");
        assert!(
            text.lines().all(|l| l == "192.0.2.1"),
            "{sig}: every line whole"
        );
        assert!(stderr(&o).contains("interrupted"), "{sig}: {}", stderr(&o));
    }
}

/// A directory of its own for one test's files.
fn scratch(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ipkit-grep-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// GNU grep on the same files, with a pattern that matches the same lines.
fn gnu_grep(args: &[&str]) -> std::process::Output {
    crate::util::run(std::process::Command::new("grep").args(args))
}

/// The log styles people paste: key:value (net-tools ifconfig, `src:`,
/// `IP:`), Go's `dial tcp` errors, an ellipsis, a sentence ending after a
/// zone, suffixes followed by letters, and `::` in prose. Each expected
/// address is what the line's reader means (rules in ipkit_core::scan).
#[test]
fn log_styles_give_the_address_a_reader_sees() {
    let cases: &[(&str, &[&str])] = &[
        (
            "inet addr:192.168.1.5  Bcast:192.168.1.255  Mask:255.255.255.0",
            &["192.168.1.5", "192.168.1.255", "255.255.255.0"],
        ),
        ("src:10.0.0.1 dst:10.0.0.2", &["10.0.0.1", "10.0.0.2"]),
        ("IP:1.2.3.4", &["1.2.3.4"]),
        (
            "dial tcp 10.0.0.1:5432: connect: refused",
            &["10.0.0.1:5432"],
        ),
        ("see 10.0.0.1...", &["10.0.0.1"]),
        ("via fe80::1%eth0.", &["fe80::1%eth0"]),
        ("via fe80::1%eth0.100 up", &["fe80::1%eth0.100"]),
        ("1.2.3.4/24x and 1.2.3.4:80abc", &["1.2.3.4", "1.2.3.4"]),
        ("foo :: Int -> Int", &[]),
        ("listen [::]:53", &["[::]:53"]),
    ];
    for (line, want) in cases {
        let o = ipkit_with_input(&["grep", "-o"], format!("{line}\n").as_bytes());
        let got: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
        assert_eq!(got, *want, "{line}");
    }
    // Each one is an address to Python's ipaddress, the reference parser.
    let o = ipkit_with_input(
        &["grep", "--address-only"],
        cases
            .iter()
            .map(|c| format!("{}\n", c.0))
            .collect::<String>()
            .as_bytes(),
    );
    let addrs = stdout(&o);
    let check = crate::util::run_limited(
        std::process::Command::new("python3").args([
            "-c",
            "import ipaddress, sys\nfor l in sys.stdin.read().split():\n    ipaddress.ip_address(l)\nprint('ok')",
        ]),
        addrs.as_bytes(),
        crate::util::CHILD_LIMIT,
    );
    assert_eq!(stdout(&check).trim(), "ok", "{addrs}: {}", stderr(&check));
}

/// `-o` prints what was written; `--address-only` the bare address, as
/// grepip does.
#[test]
fn address_only_prints_the_bare_address() {
    let text = b"x [2001:db8::1]:80 10.0.0.0/8 fe80::1%eth0 192.0.2.1:443\n";
    let o = ipkit_with_input(&["grep", "-o"], text);
    assert_eq!(
        stdout(&o),
        "[2001:db8::1]:80\n10.0.0.0/8\nfe80::1%eth0\n192.0.2.1:443\n"
    );
    let o = ipkit_with_input(&["grep", "--address-only"], text);
    assert_eq!(stdout(&o), "2001:db8::1\n10.0.0.0\nfe80::1\n192.0.2.1\n");
}

/// `-c` over several files: one count per file as GNU grep prints them
/// (side by side; every line here holds exactly one address, so the line
/// counts agree), and `-h` for one total.
#[test]
fn counts_per_file_as_grep_and_one_total_with_h() {
    let dir = scratch("count");
    let (a, b, c) = (dir.join("a.log"), dir.join("b.log"), dir.join("c.log"));
    std::fs::write(&a, "x 10.0.0.1\ny 10.0.0.2\nnothing\n").unwrap();
    std::fs::write(&b, "nothing here\n").unwrap();
    std::fs::write(&c, "z 2001:db8::7\n").unwrap();
    let files: Vec<&str> = [&a, &b, &c].iter().map(|p| p.to_str().unwrap()).collect();
    let mut ours = vec!["grep", "-c"];
    ours.extend(&files);
    let mut theirs = vec!["-c", "-E", r"[0-9]+\.[0-9]+|:db8:"];
    theirs.extend(&files);
    assert_eq!(stdout(&ipkit(&ours)), stdout(&gnu_grep(&theirs)));
    // One file: the bare count, as grep.
    assert_eq!(
        stdout(&ipkit(&["grep", "-c", files[0]])),
        stdout(&gnu_grep(&["-c", "-E", r"[0-9]+\.[0-9]+", files[0]]))
    );
    let mut total = vec!["grep", "-c", "-h"];
    total.extend(&files);
    assert_eq!(stdout(&ipkit(&total)), "3\n");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file with a NUL byte is binary, as GNU grep decides it (side by side):
/// its matches are not printed but said on stderr; `-a` prints them; `-c`
/// counts them; text before the 96 KiB buffer holding the NUL is printed.
#[test]
fn binary_files_as_grep_treats_them() {
    let dir = scratch("binary");
    let small = dir.join("small.bin");
    std::fs::write(&small, b"a 1.2.3.4\n\0bin 5.6.7.8\n").unwrap();
    let large = dir.join("large.bin");
    let mut data = "a 1.2.3.4\n".repeat(100_000).into_bytes();
    data.extend_from_slice(b"\0 9.9.9.9\n");
    std::fs::write(&large, data).unwrap();
    let pattern = r"[0-9]+\.[0-9]+";
    for path in [&small, &large] {
        let f = path.to_str().unwrap();
        let ours = ipkit(&["grep", f]);
        let theirs = gnu_grep(&["-E", pattern, f]);
        assert_eq!(ours.status.code(), theirs.status.code(), "{f}");
        assert_eq!(
            stdout(&ours).lines().count(),
            stdout(&theirs).lines().count(),
            "{f}: lines printed before the binary part"
        );
        assert_eq!(
            stderr(&ours).replace("ipkit:", "grep:"),
            stderr(&theirs),
            "{f}: the note"
        );
        assert_eq!(
            stdout(&ipkit(&["grep", "-c", f])),
            stdout(&gnu_grep(&["-c", "-E", pattern, f])),
            "{f}: -c counts binary lines"
        );
    }
    let f = small.to_str().unwrap();
    let o = ipkit(&["grep", "-a", "-o", f]);
    assert_eq!(stdout(&o), "1.2.3.4\n5.6.7.8\n");
    assert_eq!(
        stdout(&o),
        stdout(&gnu_grep(&["-a", "-o", "-E", r"[0-9]+(\.[0-9]+){3}", f]))
    );
    assert!(stderr(&o).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--color always` paints as GNU grep paints (side by side, byte for
/// byte: its default GREP_COLORS for matches, file names, line numbers and
/// separators); NO_COLOR and `--color never` leave it plain.
#[test]
fn colour_is_gnu_greps() {
    let dir = scratch("colour");
    let f = dir.join("c.log");
    std::fs::write(&f, "a 10.0.0.1 b 10.0.0.2\nnone\nc 192.0.2.7:80\n").unwrap();
    let f = f.to_str().unwrap();
    let pattern = r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(:[0-9]+)?";
    for (ours, theirs) in [
        (
            vec!["grep", "--color", "always", "-n", "-H", f],
            vec!["--color=always", "-n", "-H", "-E", pattern, f],
        ),
        (
            vec!["grep", "--color", "always", "-o", f],
            vec!["--color=always", "-o", "-E", pattern, f],
        ),
        (
            vec!["grep", "--color", "always", f],
            vec!["--color=always", "-E", pattern, f],
        ),
    ] {
        let o = crate::util::run(
            std::process::Command::new(env!("CARGO_BIN_EXE_ipkit"))
                .args(&ours)
                .env_remove("NO_COLOR"),
        );
        let g = crate::util::run(
            std::process::Command::new("grep")
                .args(&theirs)
                .env_remove("GREP_COLORS"),
        );
        assert_eq!(stdout(&o), stdout(&g), "{ours:?}");
    }
    let o = ipkit(&["grep", "--color", "always", f]); // util sets NO_COLOR=1
    assert!(!stdout(&o).contains('\x1b'));
    let _ = std::fs::remove_dir_all(&dir);
}
