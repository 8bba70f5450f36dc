//! Helpers to run the built binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Run `ipkit ARGS` with `stdin` fed in; colour off by environment.
pub fn ipkit_with_input(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ipkit"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ipkit");
    let mut pipe = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait ipkit");
    writer.join().expect("stdin writer");
    out
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
