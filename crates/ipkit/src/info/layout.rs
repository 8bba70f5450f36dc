//! The record layouts of the databases `ipkit info` reads, and how each maps
//! onto ipinfo's fields.
//!
//! The field names differ between publishers (as trippy's GeoIP code maps
//! them): MaxMind's GeoLite2/GeoIP2 and DB-IP Lite nest them
//! (`city.names.en`, `country.iso_code`, `subdivisions[0].names.en`,
//! `location.latitude`, `location.time_zone`, `postal.code`,
//! `autonomous_system_number`/`_organization`); ip-location-db's are flat
//! (`country_code`, `state1`, `city`, `postcode`, `latitude`, `longitude`,
//! `timezone`; its ASN file has MaxMind's two ASN names); IPinfo's mmdb is
//! flat too (`country` or `country_code`, `region`, `city`, `postal_code`,
//! `latitude`, `longitude`, `timezone`, `asn` as `"AS15169"`, `as_name`).
//! One borrowing [`Record`] decodes any of them: each field accepts the
//! shapes its publishers use (a string or a map; a number or a string), so
//! a record is decoded once, without copying its strings.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Which publisher's shape a database has, told by its metadata's
/// `database_type` and, failing that, by the keys of a sample record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// MaxMind GeoLite2 / GeoIP2 (nested names).
    Maxmind,
    /// DB-IP Lite (MaxMind's nested shape).
    DbIp,
    /// ip-location-db (flat `country_code`, `state1`, …).
    IpLocationDb,
    /// IPinfo's mmdb (flat `country`, `asn` as `"AS…"`, `as_name`).
    Ipinfo,
    /// ip-location-db's ASN ranges as CSV (`start,end,asn,org`).
    AsnCsv,
}

/// What a database answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// City-level location (city, region, country, loc …).
    City,
    /// Country only.
    Country,
    /// Autonomous systems (`org`).
    Asn,
    /// Location and autonomous system both (IPinfo Lite).
    CountryAsn,
}

/// The fields of one record, borrowed from the database.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Record<'a> {
    #[serde(borrow)]
    city: Text<'a>,
    #[serde(borrow)]
    country: Text<'a>,
    #[serde(borrow)]
    country_code: Text<'a>,
    #[serde(borrow)]
    subdivisions: First<'a>,
    #[serde(borrow)]
    state1: Text<'a>,
    #[serde(borrow)]
    region: Text<'a>,
    #[serde(borrow)]
    location: Location<'a>,
    latitude: Number,
    longitude: Number,
    #[serde(borrow)]
    timezone: Text<'a>,
    #[serde(borrow)]
    postal: Text<'a>,
    #[serde(borrow)]
    postcode: Text<'a>,
    #[serde(borrow)]
    postal_code: Text<'a>,
    autonomous_system_number: Number,
    #[serde(borrow)]
    autonomous_system_organization: Text<'a>,
    #[serde(borrow)]
    asn: Text<'a>,
    #[serde(borrow)]
    as_name: Text<'a>,
}

/// MaxMind's `location` map.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Location<'a> {
    latitude: Number,
    longitude: Number,
    #[serde(borrow)]
    time_zone: Text<'a>,
}

/// The ipinfo fields one record gives (`ip` and `hostname` aside).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Fields {
    pub city: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub lat_lon: Option<(f64, f64)>,
    pub org: Option<String>,
    pub postal: Option<String>,
    pub timezone: Option<String>,
}

impl Fields {
    /// Fill what is still absent from `other` (the first database named wins).
    pub fn fill_from(&mut self, other: Fields) {
        fn fill<T>(a: &mut Option<T>, b: Option<T>) {
            if a.is_none() {
                *a = b;
            }
        }
        fill(&mut self.city, other.city);
        fill(&mut self.region, other.region);
        fill(&mut self.country, other.country);
        fill(&mut self.lat_lon, other.lat_lon);
        fill(&mut self.org, other.org);
        fill(&mut self.postal, other.postal);
        fill(&mut self.timezone, other.timezone);
    }
}

impl<'a> Record<'a> {
    /// The ipinfo fields, whatever the layout.
    pub fn fields(self) -> Fields {
        let country = self
            .country_code
            .flat
            .or(self.country.code)
            .or(self.country.flat.filter(|c| c.len() == 2));
        let lat = self.location.latitude.0.or(self.latitude.0);
        let lon = self.location.longitude.0.or(self.longitude.0);
        let asn = self
            .autonomous_system_number
            .0
            .filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n <= u32::MAX as f64)
            .map(|n| n as u32)
            .or_else(|| self.asn.flat.as_deref().and_then(parse_asn));
        let as_org = self
            .autonomous_system_organization
            .flat
            .or(self.as_name.flat);
        let org = match (asn, as_org) {
            (Some(n), Some(name)) if !name.is_empty() => Some(format!("AS{n} {name}")),
            (Some(n), _) => Some(format!("AS{n}")),
            (None, Some(name)) if !name.is_empty() => Some(name.into_owned()),
            _ => None,
        };
        Fields {
            city: owned(self.city.flat.or(self.city.name)),
            region: owned(
                self.state1
                    .flat
                    .or(self.region.flat)
                    .or(self.subdivisions.0.and_then(|s| s.name)),
            ),
            country: owned(country),
            lat_lon: lat.zip(lon).filter(|(a, o)| a.is_finite() && o.is_finite()),
            org,
            postal: owned(
                self.postcode
                    .flat
                    .or(self.postal_code.flat)
                    .or(self.postal.flat)
                    .or(self.postal.code),
            ),
            timezone: owned(self.location.time_zone.flat.or(self.timezone.flat)),
        }
    }

    /// The layout a sample record shows, when the metadata did not say.
    pub fn layout(&self) -> Option<Layout> {
        if self.country_code.flat.is_some() || self.state1.flat.is_some() {
            if self.as_name.flat.is_some() {
                return Some(Layout::Ipinfo);
            }
            return Some(Layout::IpLocationDb);
        }
        if self.as_name.flat.is_some() || self.asn.flat.is_some() || self.region.flat.is_some() {
            return Some(Layout::Ipinfo);
        }
        if self.country.code.is_some() || self.city.name.is_some() {
            return Some(Layout::Maxmind);
        }
        if self.autonomous_system_number.0.is_some() {
            return Some(Layout::IpLocationDb);
        }
        if self.city.flat.is_some() || self.latitude.0.is_some() {
            return Some(Layout::IpLocationDb);
        }
        None
    }
}

fn owned(t: Option<Cow<'_, str>>) -> Option<String> {
    t.filter(|s| !s.is_empty()).map(Cow::into_owned)
}

/// `"AS15169"` or `"15169"` → 15169.
fn parse_asn(text: &str) -> Option<u32> {
    let digits = text
        .strip_prefix("AS")
        .or_else(|| text.strip_prefix("as"))
        .unwrap_or(text);
    digits.parse().ok()
}

/// The layout a `database_type` names, if it is one we know by name.
pub(crate) fn layout_by_type(database_type: &str) -> Option<Layout> {
    let t = database_type.to_ascii_lowercase();
    if t.starts_with("geolite2") || t.starts_with("geoip2") || t.starts_with("geoip") {
        Some(Layout::Maxmind)
    } else if t.starts_with("dbip") || t.starts_with("db-ip") {
        Some(Layout::DbIp)
    } else if t.starts_with("ipinfo") {
        Some(Layout::Ipinfo)
    } else {
        None
    }
}

/// What a database answers, from its type name and a sample's fields.
pub(crate) fn kind_of(database_type: &str, sample: &Fields) -> Kind {
    let t = database_type.to_ascii_lowercase();
    let has_location = sample.city.is_some() || sample.country.is_some();
    if t.contains("asn") || (sample.org.is_some() && !has_location) {
        if has_location {
            Kind::CountryAsn
        } else {
            Kind::Asn
        }
    } else if sample.org.is_some() {
        Kind::CountryAsn
    } else if t.contains("country") || (sample.city.is_none() && sample.lat_lon.is_none()) {
        Kind::Country
    } else {
        Kind::City
    }
}

/// A string field, flat (`"Seoul"`) or one of MaxMind's maps
/// (`{"iso_code": "KR", "names": {"en": "South Korea"}}`, `{"code": "04524"}`).
#[derive(Debug, Default)]
struct Text<'a> {
    flat: Option<Cow<'a, str>>,
    code: Option<Cow<'a, str>>,
    name: Option<Cow<'a, str>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor(std::marker::PhantomData))
    }
}

struct TextVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
    type Value = Text<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a map of names")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'a>, E> {
        // ip-location-db writes "" for an unknown value.
        if v.is_empty() {
            return Ok(Text::default());
        }
        Ok(Text {
            flat: Some(Cow::Borrowed(v)),
            ..Text::default()
        })
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'a>, E> {
        if v.is_empty() {
            return Ok(Text::default());
        }
        Ok(Text {
            flat: Some(Cow::Owned(v.to_string())),
            ..Text::default()
        })
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text<'a>, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text<'a>, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Text<'a>, E> {
        Ok(Text::default())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Text<'a>, E> {
        Ok(Text::default())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text<'a>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Text::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text<'a>, A::Error> {
        let mut text = Text::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "iso_code" | "code" => text.code = map.next_value::<Text<'a>>()?.flat,
                // `names` is a map of languages; `en` its English entry.
                "names" => text.name = map.next_value::<Text<'a>>()?.name,
                "en" => text.name = map.next_value::<Text<'a>>()?.flat,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(text)
    }
}

/// The first entry of a list of [`Text`]s (MaxMind's `subdivisions`).
#[derive(Debug, Default)]
struct First<'a>(Option<Text<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for First<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FirstVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for FirstVisitor<'a> {
            type Value = First<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<First<'a>, A::Error> {
                let first = seq.next_element::<Text<'a>>()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(First(first))
            }
        }
        d.deserialize_seq(FirstVisitor(std::marker::PhantomData))
    }
}

/// A number stored as a double, a float, an integer or a string.
#[derive(Debug, Default, Clone, Copy)]
struct Number(Option<f64>);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl<'de> Visitor<'de> for NumberVisitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number(Some(v)))
            }
            fn visit_f32<E: de::Error>(self, v: f32) -> Result<Number, E> {
                // Via its shortest decimal text, so 37.5665f32 is 37.5665.
                Ok(Number(v.to_string().parse().ok()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number(Some(v as f64)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number(Some(v as f64)))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Number, E> {
                Ok(Number(Some(v as f64)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
                Ok(Number(v.trim().parse().ok()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Number, E> {
                Ok(Number(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Number, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Number(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Number, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Number(None))
            }
        }
        d.deserialize_any(NumberVisitor)
    }
}
