//! World maps: the countries of a list of addresses as a choropleth
//! (`ipkit info --summarize --map`) and places on the map joined in order
//! (a trace's hops with known locations). The outline is Natural Earth's
//! 1:110m countries (public domain) through world-atlas (ISC), converted
//! once by `data/world/convert.py` into `data/world-110m.txt` (notice:
//! `data/world/NOTICE`); drawn in the equirectangular projection, 85° N
//! to 60° S. Every map carries the data's attribution: Natural Earth's,
//! and the one the IP-information data needs (DB-IP's CC BY 4.0,
//! [`crate::info::DBIP_ATTRIBUTION`]) as given by the caller.
//!
//! The SVG's parts: a `path.country` per country (`data-code`: ISO 3166-1
//! alpha-2, `-` for none; `data-count` on the choropleth), a `g.place`
//! per place (`data-lat`, `data-lon`, a `circle` and a `text`),
//! `polyline.route` joining them, `text.attribution`.

use super::svg::{Anchor, Svg, coord, escape};

/// The outline: `ALPHA2<TAB>NAME<TAB>RINGS` a line.
const WORLD: &str = include_str!("../../data/world-110m.txt");

/// Natural Earth's attribution.
pub const NATURAL_EARTH: &str = "Made with Natural Earth";

const WIDTH: u32 = 1000;
const NORTH: f64 = 85.0;
const SOUTH: f64 = -60.0;
const MAP_TOP: f64 = 40.0;
/// The map's height in pixels (the projection keeps degrees square).
const MAP_HEIGHT: f64 = (NORTH - SOUTH) / 360.0 * WIDTH as f64;
const HEIGHT: u32 = (MAP_TOP + MAP_HEIGHT + 70.0) as u32;

/// One country of the outline.
#[derive(Debug, Clone)]
pub struct Country {
    /// ISO 3166-1 alpha-2, `-` when it has none.
    pub code: &'static str,
    /// Natural Earth's short name.
    pub name: &'static str,
    rings: &'static str,
}

/// The countries of the outline.
/// Antarctica is left out: the map stops at 60° S.
pub fn countries() -> impl Iterator<Item = Country> {
    WORLD
        .lines()
        .filter(|l| !l.starts_with("AQ\t"))
        .filter_map(|l| {
            let mut f = l.splitn(3, '\t');
            Some(Country {
                code: f.next()?,
                name: f.next()?,
                rings: f.next()?,
            })
        })
}

/// A place to mark.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
    /// Its label (a hop number and address).
    pub label: String,
}

/// An ipinfo `loc` ("lat,lon") as numbers; None unless both parse and lie
/// on the globe.
///
/// # Examples
/// ```
/// assert_eq!(ipkit::picture::map::parse_loc("48.8534,2.3488"), Some((48.8534, 2.3488)));
/// assert_eq!(ipkit::picture::map::parse_loc("91,0"), None);
/// ```
pub fn parse_loc(loc: &str) -> Option<(f64, f64)> {
    let (lat, lon) = loc.split_once(',')?;
    let (lat, lon): (f64, f64) = (lat.trim().parse().ok()?, lon.trim().parse().ok()?);
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

/// The hops of `report` whose first responder `locate` places (lat, lon),
/// in TTL order, labelled `TTL address`.
pub fn hops(
    report: &crate::trace::TraceReport,
    locate: impl Fn(std::net::IpAddr) -> Option<(f64, f64)>,
) -> Vec<Place> {
    report
        .hops
        .iter()
        .filter_map(|h| {
            let from = h.probes.iter().find_map(|p| p.from)?;
            let (lat, lon) = locate(from)?;
            Some(Place {
                lat,
                lon,
                label: format!("{} {from}", h.ttl),
            })
        })
        .collect()
}

/// The pixel of a point.
fn project(lat: f64, lon: f64) -> (f64, f64) {
    let x = (lon + 180.0) / 360.0 * f64::from(WIDTH);
    let y = MAP_TOP + (NORTH - lat.clamp(SOUTH, NORTH)) / (NORTH - SOUTH) * MAP_HEIGHT;
    (x, y)
}

/// A country's outline as an SVG path's `d`.
fn outline(c: &Country) -> String {
    let mut d = String::new();
    for ring in c.rings.split(';') {
        let mut last_lon: Option<f64> = None;
        for pt in ring.split(' ') {
            let Some((lon, lat)) = pt.split_once(',') else {
                continue;
            };
            let (Ok(lon), Ok(lat)) = (lon.parse::<f64>(), lat.parse::<f64>()) else {
                continue;
            };
            let (x, y) = project(lat, lon);
            // A step across the antimeridian (Russia, Fiji) starts afresh
            // on the other edge rather than crossing the whole map.
            let jump = last_lon.is_none_or(|l| (l - lon).abs() > 180.0);
            last_lon = Some(lon);
            d.push(if jump { 'M' } else { 'L' });
            d.push_str(&coord(x));
            d.push(',');
            d.push_str(&coord(y));
        }
        d.push('Z');
    }
    d
}

/// The canvas with its title, and the attribution line at the foot.
fn canvas(title: &str, attribution: &str) -> Svg {
    let mut svg = Svg::new(WIDTH, HEIGHT, title);
    svg.rect(
        0.0,
        MAP_TOP,
        f64::from(WIDTH),
        MAP_HEIGHT,
        r##"class="sea" fill="#eef4fb""##,
    );
    svg.text(
        (10.0, 24.0),
        title,
        Anchor::Start,
        r#"class="title" font-size="14""#,
    );
    let credit = if attribution.is_empty() {
        NATURAL_EARTH.to_string()
    } else {
        format!("{attribution}; {NATURAL_EARTH}")
    };
    svg.text(
        (f64::from(WIDTH) - 10.0, f64::from(HEIGHT) - 10.0),
        &credit,
        Anchor::End,
        r##"class="attribution" font-size="11" fill="#444""##,
    );
    svg
}

/// The fill for `count` of `most`: five blues, light to dark; none grey.
fn shade(count: u64, most: u64) -> &'static str {
    const BLUES: [&str; 5] = ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
    if count == 0 || most == 0 {
        return "#e0e0e0";
    }
    let i = ((count as f64 / most as f64) * 5.0).ceil() as usize;
    BLUES[i.clamp(1, 5) - 1]
}

/// The choropleth of `counts` (alpha-2 code, addresses), titled `title`,
/// with the IP data's `attribution`.
pub fn choropleth(title: &str, counts: &[(String, u64)], attribution: &str) -> String {
    let mut svg = canvas(title, attribution);
    let most = counts.iter().map(|c| c.1).max().unwrap_or(0);
    svg.open_group(r#"class="countries" stroke="white" stroke-width="0.5""#);
    for c in countries() {
        let count = counts
            .iter()
            .find(|(code, _)| code.eq_ignore_ascii_case(c.code))
            .map_or(0, |c| c.1);
        svg.path(
            &outline(&c),
            &format!(
                r#"class="country" data-code="{}" data-name="{}" data-count="{count}" fill="{}""#,
                escape(c.code),
                escape(c.name),
                shade(count, most)
            ),
        );
    }
    svg.close_group();
    // The legend: each shade's lower bound.
    let y = MAP_TOP + MAP_HEIGHT + 16.0;
    svg.text(
        (10.0, y + 10.0),
        "addresses:",
        Anchor::Start,
        r#"class="legend""#,
    );
    for i in (1..=5u64).filter(|_| most > 0) {
        let from = (most * (i - 1)).div_ceil(5).max(1);
        let x = 80.0 + (i - 1) as f64 * 70.0;
        svg.rect(
            x,
            y,
            14.0,
            14.0,
            &format!(r#"class="legend" fill="{}""#, shade(from, most.max(1))),
        );
        svg.text(
            (x + 18.0, y + 11.0),
            &format!("≥ {from}"),
            Anchor::Start,
            r#"class="legend""#,
        );
        if most < 5 && i >= most {
            break;
        }
    }
    svg.finish()
}

/// `places` on the map, joined in order, titled `title`, with the IP
/// data's `attribution`.
pub fn route(title: &str, places: &[Place], attribution: &str) -> String {
    let mut svg = canvas(title, attribution);
    svg.open_group(r##"class="countries" stroke="white" stroke-width="0.5" fill="#d9d9d9""##);
    for c in countries() {
        svg.path(
            &outline(&c),
            &format!(r#"class="country" data-code="{}""#, escape(c.code)),
        );
    }
    svg.close_group();
    let points: Vec<(f64, f64)> = places.iter().map(|p| project(p.lat, p.lon)).collect();
    svg.polyline(
        &points,
        r##"class="route" stroke="#d62728" stroke-width="1.5""##,
    );
    for (p, &(x, y)) in places.iter().zip(&points) {
        svg.open_group(&format!(
            r#"class="place" data-lat="{}" data-lon="{}""#,
            p.lat, p.lon
        ));
        svg.circle((x, y), 4.0, r##"fill="#d62728" stroke="white""##);
        svg.text(
            (x + 6.0, y - 6.0),
            &p.label,
            Anchor::Start,
            r#"font-size="10""#,
        );
        svg.close_group();
    }
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn located_hops_are_marked_in_ttl_order() {
        use crate::trace::{HopReport, HopStats, ProbeResult, Protocol, TraceReport};
        let hop = |ttl: u8, from: Option<&str>| {
            let probes = vec![ProbeResult {
                from: from.map(|f| f.parse().unwrap()),
                rtt_ms: from.map(|_| 1.0),
                ..ProbeResult::default()
            }];
            HopReport {
                ttl,
                stats: HopStats::of(&probes),
                probes,
                mtu: None,
            }
        };
        let report = TraceReport {
            target: "2.16.0.1".parse().unwrap(),
            shown: "2.16.0.1".into(),
            protocol: Protocol::Udp,
            hops: vec![
                hop(1, Some("1.2.3.4")),
                hop(2, None),
                hop(3, Some("9.9.9.9")),
                hop(4, Some("2.16.0.1")),
            ],
            reached: true,
            path_mtu: None,
            rounds: 1,
            foreign_replies: 0,
            interrupted: false,
        };
        let places = hops(&report, |ip| match ip.to_string().as_str() {
            "1.2.3.4" => Some((37.57, 126.98)),
            "2.16.0.1" => Some((48.85, 2.35)),
            _ => None,
        });
        let labels: Vec<&str> = places.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["1 1.2.3.4", "4 2.16.0.1"]);
        let svg = route("t", &places, crate::info::DBIP_ATTRIBUTION);
        assert_eq!(svg.matches(r#"class="place""#).count(), 2);
        assert!(svg.contains(r#"data-lat="48.85" data-lon="2.35""#), "{svg}");
    }

    #[test]
    fn the_outline_has_natural_earths_countries() {
        let all: Vec<Country> = countries().collect();
        assert_eq!(
            all.len(),
            176,
            "Natural Earth 110m: 177 admin-0 countries, Antarctica left out"
        );
        assert!(all.iter().any(|c| c.code == "FR" && c.name == "France"));
        // Paris is in the map's northern half, left of centre's east.
        let (x, y) = project(48.85, 2.35);
        assert!(
            (500.0..520.0).contains(&x) && y < MAP_TOP + MAP_HEIGHT / 2.0,
            "{x},{y}"
        );
    }
}
