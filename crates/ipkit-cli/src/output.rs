//! How results reach the user: JSON or the human view, colour only on a
//! terminal and never with `NO_COLOR` (https://no-color.org), and a broken
//! pipe (`ipkit … | head`) treated as success.

use std::io::{self, IsTerminal, Write};

use serde::Serialize;

/// The `--color` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour (NO_COLOR still wins).
    Always,
    /// Never colour.
    Never,
}

/// Rendering settings shared by every command.
#[derive(Debug, Clone)]
pub struct Output {
    /// `--json` was given.
    pub json: bool,
    /// ANSI colour is allowed on stdout.
    pub color: bool,
}

impl Output {
    /// Decide once, from the flags, the terminal and the environment.
    pub fn new(json: bool, choice: ColorChoice) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = !json
            && !no_color
            && match choice {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => io::stdout().is_terminal(),
            };
        Output { json, color }
    }

    /// Wrap `text` in a bold ANSI style when colour is on.
    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Wrap `text` in a dim ANSI style when colour is on.
    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }

    /// Wrap `text` in the given SGR code when colour is on.
    pub fn paint(&self, sgr: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Print one JSON document (pretty) followed by a newline.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    // Written whole, then flushed: stdout is line-buffered, which would
    // make every line of the pretty JSON its own system call.
    let mut out = io::BufWriter::new(io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// Write one NDJSON record `{"type": kind, "data": value}`.
pub fn write_record<W: Write, T: Serialize>(w: &mut W, kind: &str, value: &T) -> io::Result<()> {
    #[derive(Serialize)]
    struct Record<'a, T> {
        r#type: &'a str,
        data: &'a T,
    }
    serde_json::to_writer(
        &mut *w,
        &Record {
            r#type: kind,
            data: value,
        },
    )?;
    w.write_all(b"\n")
}

/// A duration in milliseconds, rounded to the microsecond: the one unit and
/// precision of every `*_ms` field in the JSON (docs/json.md), so no
/// `0.060000000000000005` reaches a reader.
pub fn ms(d: std::time::Duration) -> f64 {
    ipkit::ping::report::ms(d)
}

/// Whether an error chain bottoms out in EPIPE.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                .is_some_and(|k| k == io::ErrorKind::BrokenPipe)
    })
}
