//! Platform calls, one module per OS, re-exported under the same names so the
//! engines never see `cfg`. An OS without an implementation gets functions
//! that answer "not available" rather than panicking.

#[cfg(unix)]
mod resolve_unix;
#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use resolve_unix::{
    getaddrinfo, getnameinfo, legacy_gethostbyname, legacy_inet_addr, legacy_inet_aton,
    legacy_inet_ntoa,
};
#[cfg(unix)]
pub use unix::*;

#[cfg(target_os = "linux")]
mod icmp_linux;
#[cfg(target_os = "linux")]
pub use icmp_linux::{IcmpKind, IcmpSocket, Received};
#[cfg(target_os = "linux")]
mod host_files;
#[cfg(target_os = "linux")]
mod host_linux;
#[cfg(target_os = "linux")]
mod netlink_linux;
#[cfg(target_os = "linux")]
mod procfs_linux;
#[cfg(target_os = "linux")]
mod sockdiag_linux;
#[cfg(target_os = "linux")]
pub use host_linux::HostTables;

#[cfg(not(unix))]
mod unsupported;
#[cfg(not(unix))]
pub use unsupported::*;
