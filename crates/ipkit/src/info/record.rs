//! One answer about an address in ipinfo.io's JSON shape ([`IpInfo`]), and
//! the names of its fields ([`Field`]) for `--field` and the server's
//! `GET /{ip}/{field}`.
//!
//! The field names and their order are ipinfo's (`ip, hostname, bogon, city,
//! region, country, loc, org, postal, timezone`), so a script written for
//! `curl ipinfo.io/8.8.8.8` reads ipkit's JSON unchanged. Absent fields are
//! omitted, as ipinfo omits them; `bogon` appears only when true, and then
//! only `ip` (and `hostname`) beside it.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One answer in ipinfo's JSON shape (field names and order as ipinfo.io's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpInfo {
    /// The address asked about.
    pub ip: IpAddr,
    /// Its reverse DNS name (absent with `-n`, for bogons, or when it has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// `true` for an address in a special-purpose block that is not globally
    /// reachable (private, loopback, documentation …); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bogon: Option<bool>,
    /// The city, in English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// The region (state, province), in English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The ISO 3166-1 alpha-2 country code, e.g. `KR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// `"lat,lon"` with four decimals, as ipinfo writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loc: Option<String>,
    /// The autonomous system: `"AS4766 Korea Telecom"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// The postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal: Option<String>,
    /// The IANA time zone, e.g. `Asia/Seoul`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

impl Default for IpInfo {
    fn default() -> Self {
        IpInfo::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }
}

impl IpInfo {
    /// An answer that knows nothing yet but the address.
    pub fn new(ip: IpAddr) -> IpInfo {
        IpInfo {
            ip,
            hostname: None,
            bogon: None,
            city: None,
            region: None,
            country: None,
            loc: None,
            org: None,
            postal: None,
            timezone: None,
        }
    }

    /// Whether the address is a bogon.
    pub fn is_bogon(&self) -> bool {
        self.bogon == Some(true)
    }

    /// Whether the answer has anything from the data (city, country, org …).
    pub fn has_data(&self) -> bool {
        self.city.is_some()
            || self.region.is_some()
            || self.country.is_some()
            || self.loc.is_some()
            || self.org.is_some()
            || self.postal.is_some()
            || self.timezone.is_some()
    }

    /// One field as text, as `ipinfo.io/IP/FIELD` answers it; None when absent.
    ///
    /// # Examples
    /// ```
    /// use ipkit::info::{Field, IpInfo};
    /// let mut info = IpInfo::new("10.0.0.1".parse().unwrap());
    /// info.bogon = Some(true);
    /// assert_eq!(info.field(Field::Ip).as_deref(), Some("10.0.0.1"));
    /// assert_eq!(info.field(Field::Bogon).as_deref(), Some("true"));
    /// assert_eq!(info.field(Field::City), None);
    /// ```
    pub fn field(&self, name: Field) -> Option<String> {
        match name {
            Field::Ip => Some(self.ip.to_string()),
            Field::Hostname => self.hostname.clone(),
            Field::Bogon => self.bogon.map(|b| b.to_string()),
            Field::City => self.city.clone(),
            Field::Region => self.region.clone(),
            Field::Country => self.country.clone(),
            Field::Loc => self.loc.clone(),
            Field::Org => self.org.clone(),
            Field::Postal => self.postal.clone(),
            Field::Timezone => self.timezone.clone(),
        }
    }
}

/// The name of one field of [`IpInfo`], as ipinfo spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// `ip`
    Ip,
    /// `hostname`
    Hostname,
    /// `bogon`
    Bogon,
    /// `city`
    City,
    /// `region`
    Region,
    /// `country`
    Country,
    /// `loc`
    Loc,
    /// `org`
    Org,
    /// `postal`
    Postal,
    /// `timezone`
    Timezone,
}

impl Field {
    /// Every field, in ipinfo's order.
    pub const ALL: [Field; 10] = [
        Field::Ip,
        Field::Hostname,
        Field::Bogon,
        Field::City,
        Field::Region,
        Field::Country,
        Field::Loc,
        Field::Org,
        Field::Postal,
        Field::Timezone,
    ];

    /// The field's name, as in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Field::Ip => "ip",
            Field::Hostname => "hostname",
            Field::Bogon => "bogon",
            Field::City => "city",
            Field::Region => "region",
            Field::Country => "country",
            Field::Loc => "loc",
            Field::Org => "org",
            Field::Postal => "postal",
            Field::Timezone => "timezone",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A field name that is none of ipinfo's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "no field named {0:?} (the fields: ip, hostname, bogon, city, region, country, loc, org, postal, timezone)"
)]
pub struct UnknownField(pub String);

impl FromStr for Field {
    type Err = UnknownField;

    fn from_str(s: &str) -> Result<Field, UnknownField> {
        Field::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownField(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_ipinfo_order_and_omits_absent_fields() {
        let mut info = IpInfo::new("1.2.3.4".parse().unwrap());
        info.country = Some("KR".into());
        info.org = Some("AS4766 Korea Telecom".into());
        info.city = Some("Seoul".into());
        assert_eq!(
            serde_json::to_string(&info).unwrap(),
            r#"{"ip":"1.2.3.4","city":"Seoul","country":"KR","org":"AS4766 Korea Telecom"}"#
        );
        let back: IpInfo = serde_json::from_str(&serde_json::to_string(&info).unwrap()).unwrap();
        assert_eq!(back, info);
    }

    #[test]
    fn field_names_round_trip() {
        for f in Field::ALL {
            assert_eq!(f.name().parse::<Field>().unwrap(), f);
        }
        assert!("asn".parse::<Field>().is_err());
    }
}
