//! `resolv.conf(5)` as the glibc stub resolver reads it, and the order in
//! which it tries names against the search list.
//!
//! Parsing: `nameserver` (at most 3 used, as glibc's MAXNS), `search` and
//! `domain` (the last of them wins, as in glibc), `options` `ndots:N` (capped
//! at 15), `timeout:N` (capped at 30), `attempts:N` (capped at 5), `rotate`,
//! `edns0`, `use-vc`; unknown options are kept for display and otherwise
//! ignored. Comments start with `#` or `;`.
//!
//! Search order (res_search): a name ending in `.` is tried only as is.
//! Otherwise, when it has at least `ndots` dots it is tried as is first and
//! then with each search domain; with fewer dots the search domains come first
//! and the name as is last.

use std::net::IpAddr;

use serde::Serialize;

/// The resolver configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvConf {
    /// Name servers, in file order (at most 3).
    pub nameservers: Vec<IpAddr>,
    /// The search list (from `search` or `domain`).
    pub search: Vec<String>,
    /// options ndots:N (default 1).
    pub ndots: u8,
    /// options timeout:N seconds (default 5).
    pub timeout_secs: u8,
    /// options attempts:N (default 2).
    pub attempts: u8,
    /// options rotate.
    pub rotate: bool,
    /// options use-vc (always TCP).
    pub use_vc: bool,
    /// options edns0.
    pub edns0: bool,
    /// Lines that were not understood, with their 1-based numbers.
    pub ignored: Vec<(usize, String)>,
}

impl Default for ResolvConf {
    fn default() -> Self {
        ResolvConf {
            nameservers: Vec::new(),
            search: Vec::new(),
            ndots: 1,
            timeout_secs: 5,
            attempts: 2,
            rotate: false,
            use_vc: false,
            edns0: false,
            ignored: Vec::new(),
        }
    }
}

/// glibc uses at most this many name servers.
pub const MAXNS: usize = 3;

impl ResolvConf {
    /// Parse the text of a resolv.conf.
    ///
    /// # Examples
    /// ```
    /// use ipkit_core::resolvconf::ResolvConf;
    /// let c = ResolvConf::parse("nameserver 192.0.2.53\nsearch a.test b.test\noptions ndots:2 timeout:1 rotate\n");
    /// assert_eq!(c.nameservers, vec!["192.0.2.53".parse::<std::net::IpAddr>().unwrap()]);
    /// assert_eq!((c.ndots, c.timeout_secs, c.rotate), (2, 1, true));
    /// ```
    pub fn parse(text: &str) -> ResolvConf {
        let mut c = ResolvConf::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split(['#', ';']).next().unwrap_or("").trim();
            let mut words = line.split_whitespace();
            let Some(key) = words.next() else { continue };
            match key {
                "nameserver" => match words
                    .next()
                    .map(|w| w.split('%').next().unwrap_or(w).parse::<IpAddr>())
                {
                    Some(Ok(ip)) if c.nameservers.len() < MAXNS => c.nameservers.push(ip),
                    Some(Ok(_)) => c
                        .ignored
                        .push((i + 1, format!("{raw} (more than {MAXNS} name servers)"))),
                    _ => c.ignored.push((i + 1, raw.to_string())),
                },
                "search" | "domain" => {
                    c.search = words.map(|w| w.trim_end_matches('.').to_string()).collect();
                    if key == "domain" {
                        c.search.truncate(1);
                    }
                }
                "options" => {
                    for opt in words {
                        let num = |p: &str, cap: u8| {
                            opt.strip_prefix(p)
                                .and_then(|v| v.parse::<u32>().ok())
                                .map(|v| u8::try_from(v.min(u32::from(cap))).unwrap_or(cap))
                        };
                        if let Some(v) = num("ndots:", 15) {
                            c.ndots = v;
                        } else if let Some(v) = num("timeout:", 30) {
                            c.timeout_secs = v.max(1);
                        } else if let Some(v) = num("attempts:", 5) {
                            c.attempts = v.max(1);
                        } else if opt == "rotate" {
                            c.rotate = true;
                        } else if opt == "use-vc" || opt == "usevc" {
                            c.use_vc = true;
                        } else if opt == "edns0" {
                            c.edns0 = true;
                        } else {
                            c.ignored.push((i + 1, format!("options {opt}")));
                        }
                    }
                }
                _ => c.ignored.push((i + 1, raw.to_string())),
            }
        }
        c
    }

    /// The names to try for `name`, in res_search's order.
    ///
    /// # Examples
    /// ```
    /// use ipkit_core::resolvconf::ResolvConf;
    /// let c = ResolvConf::parse("search corp.test test\noptions ndots:1\n");
    /// assert_eq!(c.candidates("www"), ["www.corp.test.", "www.test.", "www."]);
    /// assert_eq!(c.candidates("www.example"), ["www.example.", "www.example.corp.test.", "www.example.test."]);
    /// assert_eq!(c.candidates("www.example."), ["www.example."]);
    /// ```
    pub fn candidates(&self, name: &str) -> Vec<String> {
        if name.ends_with('.') {
            return vec![name.to_string()];
        }
        let as_is = format!("{name}.");
        let searched = self.search.iter().map(|d| format!("{name}.{d}."));
        let dots = name.bytes().filter(|&b| b == b'.').count();
        if dots >= usize::from(self.ndots) {
            std::iter::once(as_is).chain(searched).collect()
        } else {
            searched.chain(std::iter::once(as_is)).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_rules() {
        let c = ResolvConf::parse(
            "# comment\nnameserver 192.0.2.1\nnameserver ::1\nnameserver fe80::1%eth0\nnameserver 192.0.2.4\n\
             domain old.test\nsearch a.test b.test\noptions ndots:99 timeout:0 attempts:9 use-vc edns0 weird\nbogus line\n",
        );
        assert_eq!(c.nameservers.len(), 3);
        assert_eq!(
            c.search,
            ["a.test", "b.test"],
            "the last search/domain line wins"
        );
        assert_eq!((c.ndots, c.timeout_secs, c.attempts), (15, 1, 5));
        assert!(c.use_vc && c.edns0 && !c.rotate);
        assert_eq!(c.ignored.len(), 3, "{:?}", c.ignored);
        let d = ResolvConf::parse("search a.test\ndomain only.test x.test\n");
        assert_eq!(d.search, ["only.test"]);
        let empty = ResolvConf::parse("");
        assert_eq!(empty.candidates("host"), ["host."]);
        let nd0 = ResolvConf::parse("search s.test\noptions ndots:0");
        assert_eq!(nd0.candidates("host"), ["host.", "host.s.test."]);
    }
}
