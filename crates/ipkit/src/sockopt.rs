//! Socket options the engines set, named once. The engines call these
//! functions; the platform layer (`sys`) implements them per OS and matches
//! the OS error numbers, so no engine names a `sys` item or an errno.
//! Errors say what was missing ([`crate::privilege::Needs`]), never how to
//! grant it: that is the program's to word.

use std::io;

use crate::privilege::{Capability, Needs};

/// Bind `sock` to the interface `ifname`, so it sends and receives only
/// through it (`SO_BINDTODEVICE` on Linux).
pub fn bind_to_interface(sock: &socket2::Socket, ifname: &str) -> Result<(), BindInterfaceError> {
    crate::sys::bind_device(sock, ifname)
}

/// Why a socket could not be bound to an interface.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BindInterfaceError {
    /// The OS refused: binding to an interface needs a privilege.
    #[error("interface {ifname}: {os} (binding to an interface needs {needs})")]
    NotPermitted {
        /// The interface.
        ifname: String,
        /// What was missing.
        needs: Needs,
        /// The OS error.
        os: io::Error,
    },
    /// There is no interface of that name.
    #[error("interface {ifname}: {os} (no such interface; see `ip link`)")]
    NoSuchInterface {
        /// The interface.
        ifname: String,
        /// The OS error.
        os: io::Error,
    },
    /// This OS cannot bind a socket to an interface.
    #[error("--interface {ifname}: not supported on this OS; use --source")]
    Unsupported {
        /// The interface.
        ifname: String,
    },
    /// Any other OS error.
    #[error("interface {ifname}: {os}")]
    Os {
        /// The interface.
        ifname: String,
        /// The OS error.
        os: io::Error,
    },
}

impl BindInterfaceError {
    /// The refusal for want of `CAP_NET_RAW` (or its equivalent).
    pub fn not_permitted(ifname: &str, os: io::Error) -> Self {
        BindInterfaceError::NotPermitted {
            ifname: ifname.to_string(),
            needs: Needs::Capability(Capability::NetRaw),
            os,
        }
    }

    /// What the operation needed, when a missing privilege stopped it.
    pub fn needs(&self) -> Option<Needs> {
        match self {
            BindInterfaceError::NotPermitted { needs, .. } => Some(*needs),
            _ => None,
        }
    }
}

impl From<BindInterfaceError> for io::Error {
    fn from(e: BindInterfaceError) -> io::Error {
        let kind = match &e {
            BindInterfaceError::NotPermitted { .. } => io::ErrorKind::PermissionDenied,
            BindInterfaceError::NoSuchInterface { .. } => io::ErrorKind::NotFound,
            BindInterfaceError::Unsupported { .. } => io::ErrorKind::Unsupported,
            BindInterfaceError::Os { os, .. } => os.kind(),
        };
        io::Error::new(kind, e)
    }
}
