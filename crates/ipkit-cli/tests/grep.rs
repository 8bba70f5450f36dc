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
