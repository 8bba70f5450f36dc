//! Reading text in large blocks of whole lines, the next block read on a
//! thread of its own while the caller works on the current one: what
//! `ipkit grep` streams files and pipes of any size through (hand-written
//! because it is its measured hot path: bench/grep.sh, 1 GB).
//!
//! A block ends at its last newline; the partial line after it starts the
//! next block (a block grows past its size only for a line longer than it).
//! The last block may lack a final newline. No line is ever split.

use std::io::{self, Read};
use std::ops::ControlFlow;

/// The size a block is read in.
pub const BLOCK: usize = 4 << 20;

/// Read into `buf` until it holds `want` bytes or the input ends; true at
/// the end. `Interrupted` reads are retried.
fn fill(r: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    let start = buf.len();
    buf.resize(want.max(start + 1), 0);
    let mut filled = start;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => {
                buf.truncate(filled);
                return Ok(true);
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(filled);
                return Err(e);
            }
        }
    }
    Ok(false)
}

/// Call `f` on each block of whole lines of `r`, in order, reading the next
/// block meanwhile. `f` may stop early with `ControlFlow::Break`; its
/// errors and read errors end the walk.
///
/// # Examples
/// ```
/// use std::ops::ControlFlow;
/// let mut lines = 0;
/// ipkit::text::for_each_line_block(&b"a\nb\nc"[..], |block| {
///     lines += block.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
///     Ok(ControlFlow::Continue(()))
/// })
/// .unwrap();
/// assert_eq!(lines, 3);
/// ```
pub fn for_each_line_block(
    mut r: impl Read + Send,
    mut f: impl FnMut(&[u8]) -> io::Result<ControlFlow<()>>,
) -> io::Result<()> {
    let mut current = Vec::with_capacity(BLOCK);
    let mut carry = Vec::new();
    let mut eof = fill(&mut r, &mut current, BLOCK)?;
    loop {
        // Keep whole lines; the tail goes to the front of the next block.
        let cut = if eof {
            current.len()
        } else {
            memchr::memrchr(b'\n', &current).map_or(0, |i| i + 1)
        };
        carry.clear();
        carry.extend_from_slice(&current[cut..]);
        current.truncate(cut);
        let mut next = std::mem::take(&mut carry);
        let (done, read) = std::thread::scope(|scope| {
            let reader = (!eof).then(|| {
                let r = &mut r;
                let next = &mut next;
                scope.spawn(move || {
                    let want = BLOCK.max(next.len() * 2);
                    fill(r, next, want)
                })
            });
            let done = if current.is_empty() {
                Ok(ControlFlow::Continue(()))
            } else {
                f(&current)
            };
            let read = reader.map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("the reading thread failed")))
            });
            (done, read)
        });
        if done?.is_break() {
            return Ok(());
        }
        match read {
            None => return Ok(()),
            Some(read) => {
                eof = read?;
                carry = std::mem::replace(&mut current, next);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_hold_whole_lines_across_block_boundaries() {
        // Lines of 1,000 bytes over several blocks; none is ever split.
        let line = format!("{}\n", "x".repeat(999));
        let text = line.repeat(3 * BLOCK / 1000 + 7);
        let mut total = 0;
        for_each_line_block(text.as_bytes(), |block| {
            assert!(block.ends_with(b"\n"));
            assert_eq!(block.len() % 1000, 0);
            total += block.len();
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
        assert_eq!(total, text.len());
    }

    #[test]
    fn a_break_stops_the_walk() {
        let text = "a\n".repeat(BLOCK);
        let mut blocks = 0;
        for_each_line_block(text.as_bytes(), |_| {
            blocks += 1;
            Ok(ControlFlow::Break(()))
        })
        .unwrap();
        assert_eq!(blocks, 1);
    }
}
