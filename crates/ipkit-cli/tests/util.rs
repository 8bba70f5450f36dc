//! Helpers to run the built binary and other programs, each with a time
//! limit: a child that hangs is killed and the test fails, naming it, instead
//! of stalling the run.

use std::io::{Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long any one child may run unless a test says otherwise.
pub const CHILD_LIMIT: Duration = Duration::from_secs(120);

/// Run `cmd` to completion with `stdin` fed in, stdout and stderr captured;
/// kill it and panic if it is still running after `limit`.
pub fn run_limited(cmd: &mut Command, stdin: &[u8], limit: Duration) -> Output {
    let mut what = format!("{cmd:?}");
    if what.len() > 300 {
        let cut = (0..=300)
            .rev()
            .find(|i| what.is_char_boundary(*i))
            .unwrap_or(0);
        what.truncate(cut);
        what.push('…');
    }
    let child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    let mut child = child;
    finish_limited(&mut child, stdin, limit, &what)
}

/// Run `cmd` with empty stdin and the default limit.
pub fn run(cmd: &mut Command) -> Output {
    run_limited(cmd, b"", CHILD_LIMIT)
}

/// Wait for a child that was spawned with piped stdin/stdout/stderr (any of
/// them may be absent), feeding `stdin`; kill it and panic after `limit`.
pub fn finish_limited(child: &mut Child, stdin: &[u8], limit: Duration, what: &str) -> Output {
    let writer = child.stdin.take().map(|mut pipe| {
        let data = stdin.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        })
    });
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if let Some(w) = writer {
        let _ = w.join();
    }
    Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

/// Run `ipkit ARGS` with `stdin` fed in; colour off by environment.
pub fn ipkit_with_input(args: &[&str], stdin: &[u8]) -> Output {
    run_limited(
        Command::new(env!("CARGO_BIN_EXE_ipkit"))
            .args(args)
            .env("NO_COLOR", "1"),
        stdin,
        CHILD_LIMIT,
    )
}

/// Run `ipkit ARGS` with empty stdin.
pub fn ipkit(args: &[&str]) -> Output {
    ipkit_with_input(args, b"")
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// stdout's NDJSON lines, each parsed.
pub fn ndjson(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON line"))
        .collect()
}

/// Say that a test was skipped, past libtest's output capture, so the line
/// shows in the run's output (`skipped: TEST: WHY`). CI never skips: see
/// `lab::can_use_namespaces`.
pub fn report_skip(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "skipped: {test}: {why}");
}

/// Send `signal` (a name: INT, TERM) to a child this test started.
pub fn signal(child: &Child, signal: &str) {
    let o = run(Command::new("kill").args([format!("-{signal}"), child.id().to_string()]));
    assert!(o.status.success(), "kill -{signal}: {}", stderr(&o));
}

/// Start `ipkit ARGS` with piped stdin/stdout/stderr, wait until it has
/// written its first line, send `sig`, and collect the rest (whatever the
/// `feed` thread writes to its stdin meanwhile). Returns (status, stdout,
/// stderr) with a time limit on the whole.
pub fn interrupt_after_first_line(
    args: &[&str],
    sig: &str,
    feed: impl FnOnce(std::process::ChildStdin) + Send + 'static,
) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ipkit"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ipkit");
    let stdin = child.stdin.take().expect("stdin");
    std::thread::spawn(move || feed(stdin));
    let mut out = child.stdout.take().expect("stdout");
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    let start = Instant::now();
    while !first.ends_with(b"\n") {
        assert!(
            start.elapsed() < CHILD_LIMIT,
            "no first line from ipkit {args:?}"
        );
        match out.read(&mut byte) {
            Ok(0) => panic!("ipkit {args:?} ended before its first line"),
            Ok(_) => first.push(byte[0]),
            Err(e) => panic!("reading ipkit's stdout: {e}"),
        }
    }
    signal(&child, sig);
    child.stdout = Some(out);
    let mut o = finish_limited(
        &mut child,
        b"",
        Duration::from_secs(30),
        "interrupted ipkit",
    );
    first.append(&mut o.stdout);
    o.stdout = first;
    o
}

/// Python 3.13 (whose ipaddress judges IPv4-mapped addresses by the IPv4
/// address they carry): `python3.13` on PATH, or pyenv's copy.
pub fn python313() -> std::path::PathBuf {
    let pyenv = std::path::Path::new("/root/.pyenv/versions");
    let installed = std::fs::read_dir(pyenv).ok().and_then(|dir| {
        dir.filter_map(Result::ok)
            .map(|e| e.path().join("bin/python3.13"))
            .find(|p| p.exists())
    });
    if let Some(p) = installed {
        return p;
    }
    // On PATH, and really runnable (a pyenv shim may only say it is not).
    let works = run(Command::new("python3.13").args(["-c", "import ipaddress"]));
    assert!(
        works.status.success(),
        "Python 3.13 (python3.13 on PATH or under /root/.pyenv/versions) is needed for the ipaddress comparisons"
    );
    std::path::PathBuf::from("python3.13")
}

/// Run a Python 3.13 script with `input` on stdin; its stdout.
pub fn python313_run(script: &str, input: &str) -> String {
    let o = run_limited(
        Command::new(python313()).args(["-c", script]),
        input.as_bytes(),
        CHILD_LIMIT,
    );
    assert!(o.status.success(), "python: {}", stderr(&o));
    stdout(&o)
}
