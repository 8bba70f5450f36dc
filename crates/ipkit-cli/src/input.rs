//! Where line-oriented commands read from: arguments, `--file`, or stdin
//! when neither is given. Lines are handed over with their 1-based number and
//! source name so a bad one can be reported exactly and skipped. Also the
//! yes/no question commands that change state ask before they do.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;

use anyhow::Context;

/// One source of input lines.
pub enum Source {
    /// Values given on the command line.
    Args(Vec<String>),
    /// A file (or `-` for stdin).
    Reader {
        /// The name used in messages (`<stdin>` or the path).
        name: String,
        /// The buffered reader.
        reader: Box<dyn BufRead>,
    },
}

impl Source {
    /// Arguments if any, else `--file` (where `-` means stdin), else stdin.
    pub fn open(args: Vec<String>, file: Option<PathBuf>) -> anyhow::Result<Self> {
        if !args.is_empty() {
            return Ok(Source::Args(args));
        }
        match file {
            Some(p) if p.as_os_str() != "-" => {
                if p.is_dir() {
                    return Err(crate::exit::usage(format!(
                        "{} is a directory: give a file of lines (or - for stdin)",
                        p.display()
                    )));
                }
                let f = File::open(&p).with_context(|| format!("cannot open {}", p.display()))?;
                Ok(Source::Reader {
                    name: p.display().to_string(),
                    reader: Box::new(BufReader::with_capacity(1 << 20, f)),
                })
            }
            _ => Ok(Source::stdin()),
        }
    }

    /// Standard input.
    pub fn stdin() -> Self {
        Source::Reader {
            name: "<stdin>".into(),
            reader: Box::new(BufReader::with_capacity(1 << 20, io::stdin())),
        }
    }

    /// The name used in messages.
    pub fn name(&self) -> &str {
        match self {
            Source::Args(_) => "<args>",
            Source::Reader { name, .. } => name,
        }
    }

    /// Call `f(line_number, line)` for every line, trimmed of its line ending.
    /// Lines that are not UTF-8 are passed lossily converted.
    pub fn for_each_line(
        self,
        mut f: impl FnMut(u64, &str) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        match self {
            Source::Args(v) => {
                for (i, s) in v.iter().enumerate() {
                    f(i as u64 + 1, s)?;
                }
            }
            Source::Reader { name, mut reader } => {
                let mut buf = Vec::with_capacity(256);
                let mut n = 0u64;
                loop {
                    buf.clear();
                    let read = reader
                        .read_until(b'\n', &mut buf)
                        .with_context(|| format!("reading {name}"))?;
                    if read == 0 {
                        break;
                    }
                    n += 1;
                    let line = trim_eol(&buf);
                    f(n, &String::from_utf8_lossy(line))?;
                }
            }
        }
        Ok(())
    }

    /// The lines as a pull iterator of `(line_number, line)`, for engines that
    /// take an iterator (they read only as fast as they work). A read error
    /// ends the iteration and is reported on stderr.
    pub fn into_lines(self) -> Box<dyn Iterator<Item = (u64, String)>> {
        match self {
            Source::Args(v) => Box::new(v.into_iter().enumerate().map(|(i, s)| (i as u64 + 1, s))),
            Source::Reader { name, mut reader } => {
                let mut n = 0u64;
                let mut buf = Vec::with_capacity(256);
                Box::new(std::iter::from_fn(move || {
                    buf.clear();
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) => None,
                        Ok(_) => {
                            n += 1;
                            Some((n, String::from_utf8_lossy(trim_eol(&buf)).into_owned()))
                        }
                        Err(e) => {
                            eprintln!("ipkit: reading {name}: {e}");
                            None
                        }
                    }
                }))
            }
        }
    }
}

/// `line` without its trailing `\n` or `\r\n`.
pub fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Counts bad lines in a stream and reports each one on stderr as
/// `ipkit: SOURCE:LINE: MESSAGE`, so a stream goes on past them.
#[derive(Debug, Default)]
pub struct BadLines {
    /// How many were reported.
    pub count: u64,
}

impl BadLines {
    /// Report one bad line.
    pub fn report(&mut self, source: &str, line: u64, msg: impl std::fmt::Display) {
        self.count += 1;
        let msg = crate::message::safe_line(&msg.to_string());
        eprintln!("ipkit: {source}:{line}: {msg}; line skipped");
    }

    /// Print the total if any lines were bad and return the exit code to use.
    pub fn finish(&self) -> u8 {
        if self.count > 0 {
            eprintln!("ipkit: {} bad line(s) skipped", self.count);
            crate::exit::ERROR
        } else {
            crate::exit::OK
        }
    }
}

/// Ask `question` on the terminal (stderr), answer read from stdin; a
/// usage error without a terminal, naming `--yes` — a pipe is never taken
/// for consent.
pub fn confirm(question: &str) -> anyhow::Result<bool> {
    use std::io::{IsTerminal, Write};
    let stdin = io::stdin();
    if !stdin.is_terminal() {
        return Err(crate::exit::usage(
            "not asking without a terminal: pass --yes to go ahead",
        ));
    }
    eprint!("{question} [y/N] ");
    io::stderr().flush()?;
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}
