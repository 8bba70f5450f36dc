//! `getaddrinfo(3)`/`getnameinfo(3)` through libc, with the flag and error
//! values of the C library ipkit was built against. glibc's extensions
//! (AI_IDN, EAI_NODATA, EAI_ADDRFAMILY, EAI_IDN_ENCODE) are named here
//! because the libc crate does not export all of them.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::resolve::{
    AddrInfo, AiFlags, EaiCode, Family, Hints, NiFlags, Protocol, ResolveError, SockType,
};

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    pub const AI_V4MAPPED: libc::c_int = 0x0008;
    pub const AI_IDN: libc::c_int = 0x0040;
    pub const EAI_ADDRFAMILY: libc::c_int = -9;
    pub const EAI_IDN_ENCODE: libc::c_int = -105;
}

fn ai_flags(f: &AiFlags) -> Result<libc::c_int, ResolveError> {
    let mut v = 0;
    let mut set = |on: bool, bit: libc::c_int| {
        if on {
            v |= bit;
        }
    };
    set(f.passive, libc::AI_PASSIVE);
    set(f.canonname, libc::AI_CANONNAME);
    set(f.numerichost, libc::AI_NUMERICHOST);
    set(f.numericserv, libc::AI_NUMERICSERV);
    set(f.addrconfig, libc::AI_ADDRCONFIG);
    set(f.all, libc::AI_ALL);
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        set(f.v4mapped, glibc::AI_V4MAPPED);
        set(f.idn, glibc::AI_IDN);
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        if f.idn {
            return Err(ResolveError::Unsupported { flag: "AI_IDN" });
        }
        set(f.v4mapped, libc::AI_V4MAPPED);
    }
    Ok(v)
}

fn ni_flags(f: NiFlags) -> libc::c_int {
    let mut v = 0;
    for (on, bit) in [
        (f.nofqdn, libc::NI_NOFQDN),
        (f.numerichost, libc::NI_NUMERICHOST),
        (f.namereqd, libc::NI_NAMEREQD),
        (f.numericserv, libc::NI_NUMERICSERV),
        (f.dgram, libc::NI_DGRAM),
    ] {
        if on {
            v |= bit;
        }
    }
    v
}

fn family_value(f: Family) -> libc::c_int {
    match f {
        Family::Unspec => libc::AF_UNSPEC,
        Family::Inet => libc::AF_INET,
        Family::Inet6 => libc::AF_INET6,
    }
}

fn socktype_value(t: SockType) -> libc::c_int {
    match t {
        SockType::Any => 0,
        SockType::Stream => libc::SOCK_STREAM,
        SockType::Dgram => libc::SOCK_DGRAM,
        SockType::Raw => libc::SOCK_RAW,
        SockType::Other(n) => n,
    }
}

fn socktype_of(v: libc::c_int) -> SockType {
    match v {
        0 => SockType::Any,
        libc::SOCK_STREAM => SockType::Stream,
        libc::SOCK_DGRAM => SockType::Dgram,
        libc::SOCK_RAW => SockType::Raw,
        n => SockType::Other(n),
    }
}

fn protocol_value(p: Protocol) -> libc::c_int {
    match p {
        Protocol::Any => 0,
        Protocol::Tcp => libc::IPPROTO_TCP,
        Protocol::Udp => libc::IPPROTO_UDP,
        Protocol::Other(n) => n,
    }
}

fn protocol_of(v: libc::c_int) -> Protocol {
    match v {
        0 => Protocol::Any,
        libc::IPPROTO_TCP => Protocol::Tcp,
        libc::IPPROTO_UDP => Protocol::Udp,
        n => Protocol::Other(n),
    }
}

fn eai_code(rc: libc::c_int) -> EaiCode {
    match rc {
        libc::EAI_NONAME => EaiCode::NoName,
        libc::EAI_AGAIN => EaiCode::Again,
        libc::EAI_FAIL => EaiCode::Fail,
        libc::EAI_FAMILY => EaiCode::Family,
        libc::EAI_SOCKTYPE => EaiCode::SockType,
        libc::EAI_SERVICE => EaiCode::Service,
        libc::EAI_BADFLAGS => EaiCode::BadFlags,
        libc::EAI_MEMORY => EaiCode::Memory,
        libc::EAI_SYSTEM => EaiCode::System,
        libc::EAI_OVERFLOW => EaiCode::Overflow,
        #[cfg(target_os = "linux")]
        libc::EAI_NODATA => EaiCode::NoData,
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        glibc::EAI_ADDRFAMILY => EaiCode::AddrFamily,
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        glibc::EAI_IDN_ENCODE => EaiCode::IdnEncode,
        n => EaiCode::Other(n),
    }
}

fn gai_error(call: &'static str, subject: String, rc: libc::c_int) -> ResolveError {
    let errno = std::io::Error::last_os_error();
    // SAFETY: gai_strerror returns a pointer to a static NUL-terminated string.
    let text = unsafe { CStr::from_ptr(libc::gai_strerror(rc)) }
        .to_string_lossy()
        .into_owned();
    let code = eai_code(rc);
    let message = if code == EaiCode::System {
        format!("{text}: {errno}")
    } else {
        text
    };
    ResolveError::Gai {
        call,
        subject,
        code,
        message,
    }
}

fn to_c(s: Option<&str>, what: &'static str) -> Result<Option<CString>, ResolveError> {
    s.map(|s| CString::new(s).map_err(|_| ResolveError::EmbeddedNul { what }))
        .transpose()
}

/// Convert a `sockaddr` the C library gave us.
///
/// # Safety
/// `sa` must point to `len` readable bytes of a sockaddr.
unsafe fn socket_addr_of(sa: *const libc::sockaddr, len: libc::socklen_t) -> Option<SocketAddr> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: the caller guarantees `sa` is readable for `len` bytes; we read
    // the family first and only cast to the type the family and length allow.
    unsafe {
        match i32::from((*sa).sa_family) {
            libc::AF_INET if len as usize >= std::mem::size_of::<libc::sockaddr_in>() => {
                let sin = &*(sa.cast::<libc::sockaddr_in>());
                let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
                Some(SocketAddr::V4(SocketAddrV4::new(
                    ip,
                    u16::from_be(sin.sin_port),
                )))
            }
            libc::AF_INET6 if len as usize >= std::mem::size_of::<libc::sockaddr_in6>() => {
                let sin6 = &*(sa.cast::<libc::sockaddr_in6>());
                let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
                Some(SocketAddr::V6(SocketAddrV6::new(
                    ip,
                    u16::from_be(sin6.sin6_port),
                    u32::from_be(sin6.sin6_flowinfo),
                    sin6.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }
}

/// See [`crate::resolve::getaddrinfo`].
pub fn getaddrinfo(
    node: Option<&str>,
    service: Option<&str>,
    hints: &Hints,
) -> Result<Vec<AddrInfo>, ResolveError> {
    let c_node = to_c(node, "host name")?;
    let c_serv = to_c(service, "service")?;
    // SAFETY: addrinfo is plain data; all-zero is the documented "no hints" value.
    let mut h: libc::addrinfo = unsafe { std::mem::zeroed() };
    h.ai_flags = ai_flags(&hints.flags)?;
    h.ai_family = family_value(hints.family);
    h.ai_socktype = socktype_value(hints.socktype);
    h.ai_protocol = protocol_value(hints.protocol);
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: the strings are NUL-terminated and live across the call; `res`
    // receives a list we free below with freeaddrinfo.
    let rc = unsafe {
        libc::getaddrinfo(
            c_node.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
            c_serv.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
            &h,
            &mut res,
        )
    };
    if rc != 0 {
        let subject = format!(
            "'{}' service '{}'",
            node.unwrap_or("(null)"),
            service.unwrap_or("(null)")
        );
        return Err(gai_error("getaddrinfo", subject, rc));
    }
    let mut out = Vec::new();
    let mut p = res;
    while !p.is_null() {
        // SAFETY: `p` is a node of the list getaddrinfo returned; its fields
        // are valid until freeaddrinfo.
        let ai = unsafe { &*p };
        // SAFETY: ai_addr points to ai_addrlen bytes.
        if let Some(addr) = unsafe { socket_addr_of(ai.ai_addr, ai.ai_addrlen) } {
            let canonname = (!ai.ai_canonname.is_null())
                // SAFETY: a non-null ai_canonname is a NUL-terminated string.
                .then(|| {
                    unsafe { CStr::from_ptr(ai.ai_canonname) }
                        .to_string_lossy()
                        .into_owned()
                });
            let family = if addr.is_ipv4() {
                Family::Inet
            } else {
                Family::Inet6
            };
            out.push(AddrInfo {
                family,
                socktype: socktype_of(ai.ai_socktype),
                protocol: protocol_of(ai.ai_protocol),
                addr,
                canonname,
            });
        }
        p = ai.ai_next;
    }
    // SAFETY: `res` came from a successful getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(res) };
    Ok(out)
}

/// See [`crate::resolve::getnameinfo`].
pub fn getnameinfo(addr: &SocketAddr, flags: NiFlags) -> Result<(String, String), ResolveError> {
    // SAFETY: sockaddr_storage is plain data; zero is a valid bit pattern.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in.
            let sin =
                unsafe { &mut *(std::ptr::addr_of_mut!(storage).cast::<libc::sockaddr_in>()) };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr.s_addr = u32::from(*a.ip()).to_be();
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in6.
            let sin6 =
                unsafe { &mut *(std::ptr::addr_of_mut!(storage).cast::<libc::sockaddr_in6>()) };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_flowinfo = a.flowinfo().to_be();
            sin6.sin6_addr.s6_addr = a.ip().octets();
            sin6.sin6_scope_id = a.scope_id();
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    let mut host = [0 as libc::c_char; libc::NI_MAXHOST as usize];
    let mut serv = [0 as libc::c_char; 32];
    // SAFETY: the sockaddr is initialised for `len` bytes; the buffers are
    // writable for the lengths passed, and getnameinfo NUL-terminates them.
    let rc = unsafe {
        libc::getnameinfo(
            std::ptr::addr_of!(storage).cast::<libc::sockaddr>(),
            len as libc::socklen_t,
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            serv.as_mut_ptr(),
            serv.len() as libc::socklen_t,
            ni_flags(flags),
        )
    };
    if rc != 0 {
        return Err(gai_error("getnameinfo", addr.to_string(), rc));
    }
    // SAFETY: on success both buffers hold NUL-terminated strings.
    let (h, s) = unsafe { (CStr::from_ptr(host.as_ptr()), CStr::from_ptr(serv.as_ptr())) };
    Ok((
        h.to_string_lossy().into_owned(),
        s.to_string_lossy().into_owned(),
    ))
}

unsafe extern "C" {
    fn gethostbyname(name: *const libc::c_char) -> *mut libc::hostent;
    fn inet_addr(cp: *const libc::c_char) -> u32;
    fn inet_aton(cp: *const libc::c_char, inp: *mut libc::in_addr) -> libc::c_int;
    fn inet_ntoa(inp: libc::in_addr) -> *mut libc::c_char;
    #[cfg_attr(target_os = "linux", link_name = "__h_errno_location")]
    #[cfg_attr(not(target_os = "linux"), link_name = "__h_error")]
    fn h_errno_location() -> *mut libc::c_int;
}

/// gethostbyname uses one static buffer per process: serialise callers.
static LEGACY_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// See [`crate::resolve::gethostbyname`].
pub fn legacy_gethostbyname(name: &str) -> Result<crate::resolve::HostEnt, ResolveError> {
    let c = CString::new(name).map_err(|_| ResolveError::EmbeddedNul { what: "host name" })?;
    let _guard = LEGACY_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: `c` is NUL-terminated; the result points into libc's static
    // buffer, which we copy out while holding the lock.
    let h = unsafe { gethostbyname(c.as_ptr()) };
    if h.is_null() {
        // SAFETY: h_errno's location is valid for the calling thread.
        let code = unsafe { *h_errno_location() };
        let herr = match code {
            1 => crate::resolve::HErrno::HostNotFound,
            2 => crate::resolve::HErrno::TryAgain,
            3 => crate::resolve::HErrno::NoRecovery,
            4 => crate::resolve::HErrno::NoData,
            n => crate::resolve::HErrno::Other(n),
        };
        return Err(ResolveError::HostEnt {
            name: name.to_string(),
            code: herr,
        });
    }
    // SAFETY: a non-null hostent from gethostbyname has a NUL-terminated
    // h_name and NULL-terminated h_aliases/h_addr_list arrays; with
    // h_addrtype AF_INET each address is 4 bytes.
    unsafe {
        let h = &*h;
        let official = CStr::from_ptr(h.h_name).to_string_lossy().into_owned();
        let mut aliases = Vec::new();
        let mut p = h.h_aliases;
        while !p.is_null() && !(*p).is_null() {
            aliases.push(CStr::from_ptr(*p).to_string_lossy().into_owned());
            p = p.add(1);
        }
        let mut addresses = Vec::new();
        let mut a = h.h_addr_list;
        while h.h_addrtype == libc::AF_INET && h.h_length == 4 && !a.is_null() && !(*a).is_null() {
            let b = std::slice::from_raw_parts((*a).cast::<u8>(), 4);
            addresses.push(Ipv4Addr::new(b[0], b[1], b[2], b[3]));
            a = a.add(1);
        }
        Ok(crate::resolve::HostEnt {
            name: official,
            aliases,
            addresses,
        })
    }
}

/// `inet_addr(3)`: the 32-bit value in network byte order, or None when the C
/// library returns INADDR_NONE (which 255.255.255.255 also is).
pub fn legacy_inet_addr(text: &str) -> Option<u32> {
    let c = CString::new(text).ok()?;
    // SAFETY: `c` is NUL-terminated.
    let v = unsafe { inet_addr(c.as_ptr()) };
    (v != u32::MAX).then_some(v)
}

/// `inet_aton(3)`: the address, or None when the C library refuses the text.
pub fn legacy_inet_aton(text: &str) -> Option<Ipv4Addr> {
    let c = CString::new(text).ok()?;
    let mut out = libc::in_addr { s_addr: 0 };
    // SAFETY: `c` is NUL-terminated and `out` is a valid in_addr.
    let ok = unsafe { inet_aton(c.as_ptr(), &mut out) };
    (ok != 0).then(|| Ipv4Addr::from(u32::from_be(out.s_addr)))
}

/// `inet_ntoa(3)`.
pub fn legacy_inet_ntoa(addr: Ipv4Addr) -> String {
    let _guard = LEGACY_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: inet_ntoa returns a pointer to a static NUL-terminated buffer,
    // copied out while holding the lock.
    unsafe {
        CStr::from_ptr(inet_ntoa(libc::in_addr {
            s_addr: u32::from(addr).to_be(),
        }))
    }
    .to_string_lossy()
    .into_owned()
}
