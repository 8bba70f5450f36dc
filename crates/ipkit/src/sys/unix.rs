//! POSIX calls shared by Linux and macOS: `if_nametoindex(3)` and
//! `if_indextoname(3)`.
#![allow(unsafe_code)]

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

/// This OS's value of AF_INET.
pub const AF_INET: u16 = libc::AF_INET as u16;
/// This OS's value of AF_INET6.
pub const AF_INET6: u16 = libc::AF_INET6 as u16;

/// Set `flag` when SIGINT arrives (Ctrl-C), so a loop can stop cleanly and
/// print what it has; a second Ctrl-C ends the process as usual.
pub fn stop_on_interrupt(flag: &'static std::sync::atomic::AtomicBool) {
    use std::sync::atomic::{AtomicPtr, Ordering};
    static FLAG: AtomicPtr<std::sync::atomic::AtomicBool> = AtomicPtr::new(std::ptr::null_mut());
    extern "C" fn on_sigint(_: libc::c_int) {
        let p = FLAG.load(Ordering::SeqCst);
        if !p.is_null() {
            // SAFETY: `p` came from a &'static AtomicBool below; storing to an
            // atomic is async-signal-safe.
            unsafe { (*p).store(true, Ordering::SeqCst) };
        }
        // SAFETY: restoring the default action is async-signal-safe.
        unsafe { libc::signal(libc::SIGINT, libc::SIG_DFL) };
    }
    FLAG.store(std::ptr::from_ref(flag).cast_mut(), Ordering::SeqCst);
    // SAFETY: installing a handler that only touches atomics.
    unsafe { libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t) };
}
