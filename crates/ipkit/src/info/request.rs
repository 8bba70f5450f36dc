//! What a user asked of `ipkit info` ([`Asked`], as typed) and the checked
//! [`Request`]: addresses parsed (one clear line for a bad one), the
//! `--field` named, host names wanted or not (`-n`).

use std::net::IpAddr;

use super::record::{Field, UnknownField};

/// What the user typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Asked {
    /// The addresses, as typed.
    pub addresses: Vec<String>,
    /// `--field NAME`.
    pub field: Option<String>,
    /// `-n`: no reverse DNS.
    pub numeric: bool,
}

/// One lookup, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The addresses, in the order given.
    pub addresses: Vec<IpAddr>,
    /// Print only this field.
    pub field: Option<Field>,
    /// Look up host names (not with `-n`; never for bogons).
    pub hostnames: bool,
}

/// What is wrong with a request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// Not an IP address.
    #[error(
        "not an IP address: {0:?} (ipkit info looks up addresses; `ipkit resolve -n NAME` finds a name's)"
    )]
    BadAddress(String),
    /// Not a field name.
    #[error(transparent)]
    BadField(#[from] UnknownField),
    /// No address.
    #[error("give at least one address (or --bulk FILE)")]
    Nothing,
}

/// Parse one address as typed: an IPv4 or IPv6 address, an IPv6 address
/// in brackets, or one with a `%zone` (the zone is dropped).
///
/// # Examples
/// ```
/// use ipkit::info::request::parse_address;
/// assert_eq!(parse_address("[2001:db8::1]").unwrap().to_string(), "2001:db8::1");
/// assert!(parse_address("example.com").is_err());
/// ```
pub fn parse_address(text: &str) -> Result<IpAddr, RequestError> {
    let t = text.trim();
    let t = t
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(t);
    let t = match t.split_once('%') {
        Some((a, _)) if a.contains(':') => a,
        _ => t,
    };
    t.parse()
        .map_err(|_| RequestError::BadAddress(text.to_string()))
}

impl Asked {
    /// Check what was typed. `bulk` says addresses come from a stream, so
    /// none on the command line is fine.
    pub fn check(&self, bulk: bool) -> Result<Request, RequestError> {
        if self.addresses.is_empty() && !bulk {
            return Err(RequestError::Nothing);
        }
        let addresses = self
            .addresses
            .iter()
            .map(|a| parse_address(a))
            .collect::<Result<Vec<_>, _>>()?;
        let field = self.field.as_deref().map(str::parse).transpose()?;
        Ok(Request {
            addresses,
            field,
            hostnames: !self.numeric,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_address_and_field_are_one_line_each() {
        let asked = Asked {
            addresses: vec!["1.2.3.4".into(), "nope".into()],
            ..Asked::default()
        };
        assert_eq!(
            asked.check(false).unwrap_err().to_string(),
            "not an IP address: \"nope\" (ipkit info looks up addresses; `ipkit resolve -n NAME` finds a name's)"
        );
        let asked = Asked {
            addresses: vec!["fe80::1%eth0".into()],
            field: Some("Country".into()),
            numeric: true,
        };
        let r = asked.check(false).unwrap();
        assert_eq!(r.field, Some(Field::Country));
        assert!(!r.hostnames);
        assert_eq!(Asked::default().check(false), Err(RequestError::Nothing));
    }
}
