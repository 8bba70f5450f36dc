//! POSIX calls shared by Linux and macOS: `if_nametoindex(3)`,
//! `if_indextoname(3)` and `getuid(2)`.
#![allow(unsafe_code)]

mod resolve;
pub use resolve::{
    getaddrinfo, getnameinfo, legacy_gethostbyname, legacy_inet_addr, legacy_inet_aton,
    legacy_inet_ntoa,
};

use std::ffi::{CStr, CString};

/// The index of the interface called `name`, if there is one.
pub fn name_to_index(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (index != 0).then_some(index)
}

/// The name of the interface with this index, if there is one.
pub fn index_to_name(index: u32) -> Option<String> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has IF_NAMESIZE bytes, as if_indextoname requires.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: on success the buffer holds a NUL-terminated name.
    let name = unsafe { CStr::from_ptr(buf.as_ptr()) };
    Some(name.to_string_lossy().into_owned())
}

/// The real user id of this process (`getuid(2)`).
pub fn real_uid() -> u32 {
    // SAFETY: getuid takes no arguments, cannot fail and touches no memory.
    unsafe { libc::getuid() }
}

/// This OS's value of AF_INET.
pub const AF_INET: u16 = libc::AF_INET as u16;
/// This OS's value of AF_INET6.
pub const AF_INET6: u16 = libc::AF_INET6 as u16;
