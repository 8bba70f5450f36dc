//! Integration tests: they run the real `ipkit` binary.

mod util;
