//! Line conventions shared by every list ipkit reads (address lists for
//! `cidr` and `ping -f`, name lists for `dns --bulk`, `/etc/services`): a `#`
//! starts a comment that runs to the end of the line, and surrounding white
//! space does not count.

/// The part of `line` before any `#` comment, trimmed.
///
/// ```
/// use ipkit_core::text::content;
/// assert_eq!(content("  10.0.0.0/8   # office\n"), "10.0.0.0/8");
/// assert_eq!(content("# only a comment"), "");
/// assert_eq!(content("example.test AAAA"), "example.test AAAA");
/// ```
pub fn content(line: &str) -> &str {
    line.split_once('#')
        .map_or(line, |(before, _)| before)
        .trim()
}
