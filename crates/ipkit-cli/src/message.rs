//! Error lines that are safe to print: one line, control bytes escaped, and
//! input quoted only as a short excerpt.
//!
//! Every error ipkit prints passes through [`error_line`] (main) or
//! [`safe_line`] (the per-line reports of streams), so a hostile or huge input
//! cannot paint the terminal (ESC, NUL) or flood stderr with a 200 MB line.
//! Quoted input (`'…'`) longer than [`EXCERPT_CHARS`] keeps its start and end
//! and says how long it was; a cause already spelled out by its context (an
//! OS error formatted into the context string and kept as its source) is
//! printed once.

use std::fmt::Write as _;

/// The most characters of a user's input an error line quotes.
pub const EXCERPT_CHARS: usize = 80;

/// The most characters one error line has in all.
const LINE_CHARS: usize = 600;

/// `text` with control characters escaped (`\x1b`, `\0`, `\n` …), cut to
/// [`EXCERPT_CHARS`] with a note of its full length — for quoting input.
pub fn excerpt(text: &str) -> String {
    let count = text.chars().count();
    if count <= EXCERPT_CHARS {
        return escape(text);
    }
    let head: String = text.chars().take(EXCERPT_CHARS - 20).collect();
    let tail: String = text.chars().skip(count - 12).collect();
    format!("{}…{} ({count} characters)", escape(&head), escape(&tail))
}

/// Escape control characters, leaving everything printable as it is.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() || is_bidi_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Unicode's bidirectional overrides and isolates, which reorder what a
/// terminal shows (CVE-2021-42574, "Trojan Source").
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// One safe line from any message: control characters escaped, each quoted
/// `'…'` part longer than [`EXCERPT_CHARS`] shortened, the whole capped.
pub fn safe_line(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len().min(LINE_CHARS + 64));
    let mut rest = msg;
    // Quoted parts: from a quote to the next quote that is followed by
    // something that is not a letter (so "it's" does not open a quote).
    while let Some(open) = rest.find('\'') {
        out.push_str(&escape(&rest[..open]));
        let after = &rest[open + 1..];
        match closing_quote(after) {
            Some(close) => {
                out.push('\'');
                out.push_str(&excerpt(&after[..close]));
                out.push('\'');
                rest = &after[close + 1..];
            }
            None => {
                out.push('\'');
                rest = after;
            }
        }
    }
    out.push_str(&escape(rest));
    let count = out.chars().count();
    if count > LINE_CHARS {
        let head: String = out.chars().take(LINE_CHARS - 100).collect();
        let tail: String = out.chars().skip(count - 80).collect();
        out = format!("{head} … {tail}");
    }
    out
}

/// Where the quote closing a quoted part is: the next `'` not followed by a
/// letter or digit.
fn closing_quote(s: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s[from..].find('\'') {
        let at = from + i;
        let next = s[at + 1..].chars().next();
        if !next.is_some_and(char::is_alphanumeric) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The line main prints for an error: its chain joined with `: `, skipping a
/// cause whose text the line already holds (an OS error formatted into its
/// context and kept as the source is said once), made safe.
pub fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    if let Some(fix) = crate::remedy::for_error(e) {
        line.push_str(": ");
        line.push_str(&fix);
    }
    safe_line(&line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bytes_are_escaped() {
        assert_eq!(safe_line("'a\x1b[31mb' is bad"), "'a\\u{1b}[31mb' is bad");
        assert_eq!(safe_line("nul\0here"), "nul\\0here");
        assert_eq!(safe_line("x\u{202e}y"), "x\\u{202e}y");
    }

    #[test]
    fn long_quotes_become_excerpts() {
        let long = "1".repeat(10_000);
        let line = safe_line(&format!("'{long}' is not an IP address"));
        assert!(line.chars().count() < 150, "{line}");
        assert!(line.contains("(10000 characters)"), "{line}");
        assert!(line.ends_with("' is not an IP address"), "{line}");
        // Apostrophes inside words do not open a quote.
        assert_eq!(safe_line("it's fine"), "it's fine");
    }

    #[test]
    fn whole_line_is_capped() {
        let line = safe_line(&"word ".repeat(10_000));
        assert!(line.chars().count() <= LINE_CHARS, "{}", line.len());
    }

    #[test]
    fn a_cause_already_said_is_not_repeated() {
        let io = std::io::Error::from_raw_os_error(111);
        let e = anyhow::Error::new(io).context(format!(
            "connecting to 127.0.0.1:9: {}",
            std::io::Error::from_raw_os_error(111)
        ));
        let line = error_line(&e);
        assert_eq!(line.matches("os error 111").count(), 1, "{line}");
    }
}
