//! POSIX calls shared by Linux and macOS: `if_nametoindex(3)`,
//! `if_indextoname(3)` and `getuid(2)` through nix, and the resolver calls
//! the `resolve` command exists to show (in `resolve`, by hand).

mod resolve;
pub use resolve::{
    getaddrinfo, getnameinfo, legacy_gethostbyname, legacy_inet_addr, legacy_inet_aton,
    legacy_inet_ntoa,
};

/// The index of the interface called `name`, if there is one.
pub fn name_to_index(name: &str) -> Option<u32> {
    nix::net::if_::if_nametoindex(name).ok().filter(|&i| i != 0)
}

/// The name of the interface with this index, if there is one.
pub fn index_to_name(index: u32) -> Option<String> {
    let name = nix::net::if_::if_indextoname(index).ok()?;
    Some(name.to_string_lossy().into_owned())
}

/// The real user id of this process (`getuid(2)`).
pub fn real_uid() -> u32 {
    nix::unistd::getuid().as_raw()
}

/// This OS's value of AF_INET.
pub const AF_INET: u16 = libc::AF_INET as u16;
/// This OS's value of AF_INET6.
pub const AF_INET6: u16 = libc::AF_INET6 as u16;
