//! `ipkit info` on databases these tests write themselves with the
//! `mmdb-writer` crate, in each publisher's layout (MaxMind GeoLite2 City
//! and ASN, ip-location-db's flat city layout, IPinfo's flat layout) and
//! ip-location-db's ASN CSV. The expected answers are the values written
//! into each database (the anchor), and for the derived time zone the tz
//! database's own zone for the place (zone.tab: `JP +353916+1394441
//! Asia/Tokyo`). Bogons are checked against Python's `ipaddress.is_global`
//! side by side.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ipnet::IpNet;
use serde::Serialize;
use serde_json::{Value, json};

use crate::util::{CHILD_LIMIT, ndjson, run_limited, stderr, stdout};

/// A directory of its own for one test.
pub fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ipkit-info-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run `ipkit ARGS` with no database but those given (an empty data
/// directory, `IPKIT_DB` unset), `stdin` fed in; caches (the zone cache)
/// in the test's directory, not the user's.
pub fn info_with(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let data = dir.join("xdg-empty");
    std::fs::create_dir_all(&data).unwrap();
    run_limited(
        Command::new(env!("CARGO_BIN_EXE_ipkit"))
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("IPKIT_DB")
            .env("XDG_DATA_HOME", &data)
            .env("XDG_CACHE_HOME", dir.join("xdg-cache")),
        stdin,
        CHILD_LIMIT,
    )
}

fn info(dir: &Path, args: &[&str]) -> Output {
    info_with(dir, args, b"")
}

fn names(en: &str) -> BTreeMap<&'static str, String> {
    [("en", en.to_string())].into()
}

#[derive(Serialize)]
struct MmCity {
    city: MmNamed,
    country: MmCountry,
    location: MmLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    postal: Option<MmPostal>,
    subdivisions: Vec<MmNamed>,
}
#[derive(Serialize)]
struct MmNamed {
    geoname_id: u32,
    names: BTreeMap<&'static str, String>,
}
#[derive(Serialize)]
struct MmCountry {
    iso_code: &'static str,
    names: BTreeMap<&'static str, String>,
}
#[derive(Serialize)]
struct MmLocation {
    latitude: f64,
    longitude: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_zone: Option<&'static str>,
}
#[derive(Serialize)]
struct MmPostal {
    code: &'static str,
}
#[derive(Serialize)]
struct MmAsn {
    autonomous_system_number: u32,
    autonomous_system_organization: &'static str,
}

fn write_db(path: &Path, w: &mmdb_writer::Writer) {
    std::fs::write(path, w.to_bytes().unwrap()).unwrap();
}

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

/// GeoLite2-City and GeoLite2-ASN layouts: 1.2.3.0/24 Seoul (AS4766 Korea
/// Telecom), 2.16.0.0/16 Paris (no postal, AS3215 Orange),
/// 2a00:1450::/32 Zürich.
pub fn maxmind_dbs(dir: &Path) -> (PathBuf, PathBuf) {
    let mut city = mmdb_writer::Writer::new("GeoLite2-City");
    let seoul = MmCity {
        city: MmNamed {
            geoname_id: 1835848,
            names: names("Seoul"),
        },
        country: MmCountry {
            iso_code: "KR",
            names: names("South Korea"),
        },
        location: MmLocation {
            latitude: 37.5665,
            longitude: 126.978,
            time_zone: Some("Asia/Seoul"),
        },
        postal: Some(MmPostal { code: "04524" }),
        subdivisions: vec![MmNamed {
            geoname_id: 1835847,
            names: names("Seoul"),
        }],
    };
    city.insert(net("1.2.3.0/24"), &seoul).unwrap();
    let paris = MmCity {
        city: MmNamed {
            geoname_id: 2988507,
            names: names("Paris"),
        },
        country: MmCountry {
            iso_code: "FR",
            names: names("France"),
        },
        location: MmLocation {
            latitude: 48.85341,
            longitude: 2.3488,
            time_zone: Some("Europe/Paris"),
        },
        postal: None,
        subdivisions: vec![MmNamed {
            geoname_id: 3012874,
            names: names("Île-de-France"),
        }],
    };
    city.insert(net("2.16.0.0/16"), &paris).unwrap();
    let zurich = MmCity {
        city: MmNamed {
            geoname_id: 2657896,
            names: names("Zurich"),
        },
        country: MmCountry {
            iso_code: "CH",
            names: names("Switzerland"),
        },
        location: MmLocation {
            latitude: 47.36667,
            longitude: 8.55,
            time_zone: Some("Europe/Zurich"),
        },
        postal: Some(MmPostal { code: "8000" }),
        subdivisions: vec![MmNamed {
            geoname_id: 2657895,
            names: names("Zurich"),
        }],
    };
    city.insert(net("2a00:1450::/32"), &zurich).unwrap();
    let city_path = dir.join("GeoLite2-City.mmdb");
    write_db(&city_path, &city);

    let mut asn = mmdb_writer::Writer::new("GeoLite2-ASN");
    asn.insert(
        net("1.2.0.0/16"),
        &MmAsn {
            autonomous_system_number: 4766,
            autonomous_system_organization: "Korea Telecom",
        },
    )
    .unwrap();
    asn.insert(
        net("2.16.0.0/13"),
        &MmAsn {
            autonomous_system_number: 3215,
            autonomous_system_organization: "Orange S.A.",
        },
    )
    .unwrap();
    let asn_path = dir.join("GeoLite2-ASN.mmdb");
    write_db(&asn_path, &asn);
    (city_path, asn_path)
}

#[derive(Serialize)]
struct FlatCity {
    country_code: &'static str,
    state1: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    state2: Option<&'static str>,
    city: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    postcode: Option<&'static str>,
    latitude: f32,
    longitude: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    timezone: Option<&'static str>,
}

/// ip-location-db's flat city layout (float latitude/longitude); Tokyo has
/// no time zone in the data, so it is derived from its location.
pub fn ip_location_db_city(dir: &Path) -> PathBuf {
    let mut w = mmdb_writer::Writer::new("dbip-city");
    w.insert(
        net("5.6.7.0/24"),
        &FlatCity {
            country_code: "JP",
            state1: "Tokyo",
            state2: None,
            city: "Tokyo",
            postcode: Some("100-0001"),
            latitude: 35.6895,
            longitude: 139.6917,
            timezone: None,
        },
    )
    .unwrap();
    w.insert(
        net("8.8.8.0/24"),
        &FlatCity {
            country_code: "US",
            state1: "California",
            state2: Some("Santa Clara"),
            city: "Mountain View",
            postcode: None,
            latitude: 37.4056,
            longitude: -122.0775,
            timezone: Some("America/Los_Angeles"),
        },
    )
    .unwrap();
    let path = dir.join("dbip-city-ipv4.mmdb");
    write_db(&path, &w);
    path
}

#[derive(Serialize)]
struct IpinfoLite {
    asn: &'static str,
    as_name: &'static str,
    as_domain: &'static str,
    country: &'static str,
    country_code: &'static str,
    continent: &'static str,
    continent_code: &'static str,
}

/// IPinfo Lite's flat layout (country and ASN).
pub fn ipinfo_lite(dir: &Path) -> PathBuf {
    let mut w = mmdb_writer::Writer::new("ipinfo lite.mmdb");
    w.insert(
        net("9.9.9.0/24"),
        &IpinfoLite {
            asn: "AS19281",
            as_name: "Quad9",
            as_domain: "quad9.net",
            country: "Switzerland",
            country_code: "CH",
            continent: "Europe",
            continent_code: "EU",
        },
    )
    .unwrap();
    let path = dir.join("ipinfo_lite.mmdb");
    write_db(&path, &w);
    path
}

/// ip-location-db's ASN CSV (a quoted org with a comma; both families).
pub fn asn_csv(dir: &Path) -> PathBuf {
    let path = dir.join("asn.csv");
    std::fs::write(
        &path,
        "5.6.0.0,5.6.255.255,2516,\"KDDI, Corporation\"\n\
         8.8.8.0,8.8.8.255,15169,Google LLC\n\
         2a00:1450::,2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n",
    )
    .unwrap();
    path
}

fn json_of(o: &Output) -> Value {
    assert!(o.status.success(), "ipkit failed: {}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn maxmind_layout_answers_what_was_written() {
    let dir = scratch("maxmind");
    let (city, asn) = maxmind_dbs(&dir);
    let (city, asn) = (city.to_str().unwrap(), asn.to_str().unwrap());
    let o = info(
        &dir,
        &["info", "-n", "--json", "--db", city, "--db", asn, "1.2.3.4"],
    );
    // ipinfo's field order, exactly.
    assert_eq!(
        stdout(&o),
        "{\n  \"ip\": \"1.2.3.4\",\n  \"city\": \"Seoul\",\n  \"region\": \"Seoul\",\n  \"country\": \"KR\",\n  \"loc\": \"37.5665,126.9780\",\n  \"org\": \"AS4766 Korea Telecom\",\n  \"postal\": \"04524\",\n  \"timezone\": \"Asia/Seoul\"\n}\n"
    );
    let o = info(
        &dir,
        &[
            "info",
            "-n",
            "--json",
            "--db",
            city,
            "--db",
            asn,
            "2.16.1.1",
            "2a00:1450::1",
        ],
    );
    assert_eq!(
        json_of(&o),
        json!([
            {"ip": "2.16.1.1", "city": "Paris", "region": "Île-de-France", "country": "FR",
             "loc": "48.8534,2.3488", "org": "AS3215 Orange S.A.", "timezone": "Europe/Paris"},
            {"ip": "2a00:1450::1", "city": "Zurich", "region": "Zurich", "country": "CH",
             "loc": "47.3667,8.5500", "postal": "8000", "timezone": "Europe/Zurich"}
        ])
    );
    // Not in the data: just the address, exit 0.
    let o = info(&dir, &["info", "-n", "--json", "--db", city, "7.7.7.7"]);
    assert_eq!(json_of(&o), json!({"ip": "7.7.7.7"}));
}

#[test]
fn the_human_view_is_ipinfos_core_block() {
    let dir = scratch("view");
    let (city, asn) = maxmind_dbs(&dir);
    let o = info(
        &dir,
        &[
            "info",
            "-n",
            "--db",
            city.to_str().unwrap(),
            "--db",
            asn.to_str().unwrap(),
            "1.2.3.4",
            "10.0.0.1",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "Core\n\
         - IP           1.2.3.4\n\
         - City         Seoul\n\
         - Region       Seoul\n\
         - Country      KR\n\
         - Location     37.5665,126.9780\n\
         - Organization AS4766 Korea Telecom\n\
         - Postal       04524\n\
         - Timezone     Asia/Seoul\n\
         \n\
         Core\n\
         - IP           10.0.0.1\n\
         - Bogon        true\n\
         - Block        10.0.0.0/8 (Private-Use, RFC 1918)\n"
    );
}

#[test]
fn ip_location_db_layout_with_asn_csv_and_a_derived_time_zone() {
    let dir = scratch("ipldb");
    let city = ip_location_db_city(&dir);
    let csv = asn_csv(&dir);
    let o = info(
        &dir,
        &[
            "info",
            "-n",
            "--json",
            "--db",
            city.to_str().unwrap(),
            "--db",
            csv.to_str().unwrap(),
            "5.6.7.8",
            "8.8.8.8",
        ],
    );
    assert_eq!(
        json_of(&o),
        json!([
            {"ip": "5.6.7.8", "city": "Tokyo", "region": "Tokyo", "country": "JP",
             "loc": "35.6895,139.6917", "org": "AS2516 KDDI, Corporation", "postal": "100-0001",
             "timezone": "Asia/Tokyo"},
            {"ip": "8.8.8.8", "city": "Mountain View", "region": "California", "country": "US",
             "loc": "37.4056,-122.0775", "org": "AS15169 Google LLC", "timezone": "America/Los_Angeles"}
        ])
    );
}

#[test]
fn ipinfo_layout_and_the_data_found_by_ipkit_db() {
    let dir = scratch("ipinfo");
    let lite = ipinfo_lite(&dir);
    let csv = asn_csv(&dir);
    let joined = format!("{}:{}", lite.display(), csv.display());
    let o = run_limited(
        Command::new(env!("CARGO_BIN_EXE_ipkit"))
            .args(["info", "-n", "--json", "9.9.9.9", "2a00:1450::5"])
            .env("IPKIT_DB", &joined),
        b"",
        CHILD_LIMIT,
    );
    assert_eq!(
        json_of(&o),
        json!([
            {"ip": "9.9.9.9", "country": "CH", "org": "AS19281 Quad9"},
            {"ip": "2a00:1450::5", "org": "AS15169 Google LLC"}
        ])
    );
    // The data directory: every *.mmdb and *.csv in $XDG_DATA_HOME/ipkit.
    let xdg = dir.join("xdg");
    std::fs::create_dir_all(xdg.join("ipkit")).unwrap();
    std::fs::copy(&lite, xdg.join("ipkit/lite.mmdb")).unwrap();
    let o = run_limited(
        Command::new(env!("CARGO_BIN_EXE_ipkit"))
            .args(["info", "-n", "--field", "org", "9.9.9.9"])
            .env_remove("IPKIT_DB")
            .env("XDG_DATA_HOME", &xdg),
        b"",
        CHILD_LIMIT,
    );
    assert_eq!(stdout(&o), "AS19281 Quad9\n", "{}", stderr(&o));
}

#[test]
fn field_prints_one_value() {
    let dir = scratch("field");
    let (city, _) = maxmind_dbs(&dir);
    let city = city.to_str().unwrap();
    let o = info(
        &dir,
        &[
            "info", "-n", "--db", city, "--field", "country", "1.2.3.4", "2.16.0.1",
        ],
    );
    assert_eq!(stdout(&o), "KR\nFR\n");
    let o = info(
        &dir,
        &[
            "info", "-n", "--db", city, "--field", "postal", "--json", "2.16.0.1",
        ],
    );
    assert_eq!(stdout(&o), "null\n");
    let o = info(&dir, &["info", "--field", "bogon", "192.168.1.1"]);
    assert_eq!(stdout(&o), "true\n");
    let o = info(&dir, &["info", "--field", "asn", "1.2.3.4"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no field named \"asn\""),
        "{}",
        stderr(&o)
    );
    let o = info(&dir, &["info", "not-an-ip"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
}

/// Unicast addresses: a bogon is what Python 3.13's `ipaddress` calls not
/// global (both read the IANA special-purpose registries).
#[test]
fn bogons_are_the_unicast_addresses_python_calls_not_global() {
    let dir = scratch("bogons");
    let addresses = [
        "0.1.2.3",
        "10.1.2.3",
        "100.64.0.1",
        "127.0.0.1",
        "127.0.53.53",
        "169.254.1.1",
        "172.16.0.1",
        "172.32.0.1",
        "192.0.0.8",
        "192.0.0.9",
        "192.0.2.1",
        "192.88.99.1",
        "192.168.0.1",
        "198.18.0.1",
        "198.51.100.1",
        "203.0.113.1",
        "240.0.0.1",
        "255.255.255.255",
        "1.1.1.1",
        "8.8.8.8",
        "64:ff9b::808:808",
        "100::1",
        "2001::1",
        "2001:2::1",
        "2001:10::1",
        "2001:db8::1",
        "fc00::1",
        "fe80::1",
        "2606:4700::1111",
        "2a00:1450::1",
    ];
    let script = "import ipaddress, sys\nfor l in sys.stdin.read().split():\n    print(l, 'global' if ipaddress.ip_address(l).is_global else 'bogon')";
    let theirs = crate::util::python313_run(script, &addresses.join("\n"));
    assert_eq!(bogon_verdicts(&dir, &addresses), theirs);
}

/// Beyond the registries, ipinfo's own list (ipinfo.io/bogon, "Bogon IP
/// Address Ranges"): 224.0.0.0/4 and ff00::/8 multicast (ff0e::/16,
/// global scope, excepted), ::/96, ::ffff:0:0/96, fec0::/10, 3fff::/20,
/// and the 6to4 images of IPv4 bogons (2002::/24 for 0.0.0.0/8,
/// 2002:a00::/24 for 10.0.0.0/8 …) but not of global addresses.
#[test]
fn bogons_beyond_the_registries_are_ipinfos_list() {
    let dir = scratch("bogons-ipinfo");
    let cases = [
        ("224.0.0.1", "bogon"),
        ("224.0.1.1", "bogon"),
        ("239.255.255.250", "bogon"),
        ("ff02::1", "bogon"),
        ("ff05::2", "bogon"),
        ("ff0e::1", "global"),
        ("::", "bogon"),
        ("::1", "bogon"),
        ("::8.8.8.8", "bogon"),
        ("::ffff:8.8.8.8", "bogon"),
        ("fec0::1", "bogon"),
        ("3fff::1", "bogon"),
        ("2002::1", "bogon"),
        ("2002:a00:1::1", "bogon"),
        ("2002:7f00:1::", "bogon"),
        ("2002:c0a8:101::", "bogon"),
        ("2002:808:808::1", "global"),
    ];
    let addresses: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let want: String = cases.iter().map(|(a, v)| format!("{a} {v}\n")).collect();
    assert_eq!(bogon_verdicts(&dir, &addresses), want);
}

/// `ip bogon|global` per address, from `ipkit info --json -n` with no
/// database (exit 1: the others are told how to get data).
fn bogon_verdicts(dir: &Path, addresses: &[&str]) -> String {
    let mut args = vec!["info", "--json", "-n"];
    args.extend(addresses);
    let o = info(dir, &args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("ipkit info --update"), "{}", stderr(&o));
    let ours: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    ours.iter()
        .zip(addresses)
        .map(|(v, typed)| {
            let bogon = v["bogon"] == json!(true);
            if bogon {
                assert_eq!(
                    v.as_object().unwrap().len(),
                    2,
                    "a bogon is only ip and bogon: {v}"
                );
            }
            format!("{typed} {}\n", if bogon { "bogon" } else { "global" })
        })
        .collect()
}

#[test]
fn missing_corrupt_and_truncated_databases_are_one_clear_line() {
    let dir = scratch("corrupt");
    let (city, _) = maxmind_dbs(&dir);
    let bytes = std::fs::read(&city).unwrap();
    let missing = dir.join("nope.mmdb");
    let truncated = dir.join("truncated.mmdb");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    // A database whose search tree points past its data section.
    let corrupt = dir.join("corrupt.mmdb");
    let mut bad = bytes.clone();
    for b in &mut bad[..bytes.len() / 4] {
        *b = 0xff;
    }
    std::fs::write(&corrupt, &bad).unwrap();
    let garbage = dir.join("garbage.csv");
    std::fs::write(&garbage, "1.0.0.0,1.0.0.255,13335,A\nthis,is,not,a range\n").unwrap();
    for (path, says) in [
        (&missing, "no such database"),
        (&truncated, "truncated"),
        (&corrupt, "corrupt"),
        (&garbage, "line 2"),
    ] {
        let o = info(
            &dir,
            &["info", "-n", "--db", path.to_str().unwrap(), "1.2.3.4"],
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{}: {err}", path.display());
        assert_eq!(err.lines().count(), 1, "{}: {err}", path.display());
        assert!(
            err.contains(says) && err.contains(path.to_str().unwrap()),
            "{}: {err}",
            path.display()
        );
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn bulk_streams_ndjson_and_counts_bad_lines() {
    let dir = scratch("bulk");
    let (city, asn) = maxmind_dbs(&dir);
    let input =
        "1.2.3.4\nnot an address\n\n10.0.0.1\r\nsrc=2.16.0.9 dst=1.2.3.4\n2a00:1450::1\n7.7.7.7";
    let o = info_with(
        &dir,
        &[
            "info",
            "--bulk",
            "-",
            "--db",
            city.to_str().unwrap(),
            "--db",
            asn.to_str().unwrap(),
        ],
        input.as_bytes(),
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "a bad line makes exit 2: {}",
        stderr(&o)
    );
    let err = stderr(&o);
    assert!(
        err.contains("stdin:2: no address in \"not an address\""),
        "{err}"
    );
    assert!(err.contains("1 bad line(s) skipped"), "{err}");
    let lines: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        vec![
            json!({"ip": "1.2.3.4", "city": "Seoul", "region": "Seoul", "country": "KR",
                   "loc": "37.5665,126.9780", "org": "AS4766 Korea Telecom", "postal": "04524",
                   "timezone": "Asia/Seoul"}),
            json!({"ip": "10.0.0.1", "bogon": true}),
            json!({"ip": "2.16.0.9", "city": "Paris", "region": "Île-de-France", "country": "FR",
                   "loc": "48.8534,2.3488", "org": "AS3215 Orange S.A.", "timezone": "Europe/Paris"}),
            json!({"ip": "2a00:1450::1", "city": "Zurich", "region": "Zurich", "country": "CH",
                   "loc": "47.3667,8.5500", "postal": "8000", "timezone": "Europe/Zurich"}),
            json!({"ip": "7.7.7.7"}),
        ]
    );
}

#[test]
fn bulk_keeps_input_order_across_chunks_and_threads() {
    let dir = scratch("bulk-order");
    let (city, asn) = maxmind_dbs(&dir);
    // Over a megabyte: several chunks, handed to four workers.
    let mut input = String::new();
    let mut expected = Vec::new();
    for i in 0..120_000u32 {
        let ip = match i % 4 {
            0 => format!("1.2.{}.{}", i % 7, i % 251),
            1 => format!("2.16.{}.{}", i % 256, i % 199),
            2 => format!("10.{}.{}.1", i % 256, (i / 256) % 256),
            _ => format!("7.{}.{}.{}", i % 256, (i / 256) % 256, i % 97),
        };
        input.push_str(&ip);
        input.push('\n');
        expected.push(ip);
    }
    let o = info_with(
        &dir,
        &[
            "info",
            "--bulk",
            "-",
            "--threads",
            "4",
            "--db",
            city.to_str().unwrap(),
            "--db",
            asn.to_str().unwrap(),
        ],
        input.as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let got = ndjson(&o);
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g["ip"], json!(e));
        let city = match e.split('.').next().unwrap() {
            "1" if e.starts_with("1.2.3.") => Some("Seoul"),
            "2" => Some("Paris"),
            _ => None,
        };
        assert_eq!(g["city"].as_str(), city, "{g}");
        assert_eq!(
            g["bogon"].as_bool(),
            e.starts_with("10.").then_some(true),
            "{g}"
        );
    }
}

/// In address order a bulk run reuses the last answer while the next
/// address is inside the network or range it came from: the edges of
/// every network and range, each asked many times in a shuffled order,
/// get what was written for them (the fixture's networks, the CSV's lines).
#[test]
fn bulk_answers_at_the_edges_of_networks_and_ranges_as_written() {
    let dir = scratch("bulk-edges");
    let (city, _) = maxmind_dbs(&dir);
    let csv = dir.join("edges.csv");
    std::fs::write(
        &csv,
        "1.2.3.0,1.2.3.127,1,One\n1.2.3.128,1.2.4.255,2,Two\n1.2.6.0,1.2.6.9,3,Three\n",
    )
    .unwrap();
    // (address, city from the mmdb fixture, org from the CSV)
    let edges = [
        ("1.2.2.255", None, None),
        ("1.2.3.0", Some("Seoul"), Some("AS1 One")),
        ("1.2.3.127", Some("Seoul"), Some("AS1 One")),
        ("1.2.3.128", Some("Seoul"), Some("AS2 Two")),
        ("1.2.3.255", Some("Seoul"), Some("AS2 Two")),
        ("1.2.4.0", None, Some("AS2 Two")),
        ("1.2.4.255", None, Some("AS2 Two")),
        ("1.2.5.0", None, None),
        ("1.2.6.0", None, Some("AS3 Three")),
        ("1.2.6.9", None, Some("AS3 Three")),
        ("1.2.6.10", None, None),
        ("2.15.255.255", None, None),
        ("2.16.0.0", Some("Paris"), None),
        ("2.16.255.255", Some("Paris"), None),
        ("2.17.0.0", None, None),
    ];
    let mut input = String::new();
    let mut asked = Vec::new();
    let mut x: u64 = 14;
    for _ in 0..3_000 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let e = edges[(x >> 33) as usize % edges.len()];
        input.push_str(e.0);
        input.push('\n');
        asked.push(e);
    }
    let o = info_with(
        &dir,
        &[
            "info",
            "--bulk",
            "-",
            "--db",
            city.to_str().unwrap(),
            "--db",
            csv.to_str().unwrap(),
        ],
        input.as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let got = ndjson(&o);
    assert_eq!(got.len(), asked.len());
    for (g, (ip, city, org)) in got.iter().zip(&asked) {
        assert_eq!(g["ip"], json!(ip));
        assert_eq!(g["city"].as_str(), *city, "{g}");
        assert_eq!(g["org"].as_str(), *org, "{g}");
    }
}

#[test]
fn summarize_counts_countries_asns_cities_and_bogons() {
    let dir = scratch("summarize");
    let (city, asn) = maxmind_dbs(&dir);
    let input = "1.2.3.4\n1.2.3.5\n1.2.3.4\n2.16.0.1\n10.0.0.1\n192.168.1.1\n7.7.7.7\nbad\n";
    let o = info_with(
        &dir,
        &[
            "info",
            "--bulk",
            "-",
            "--summarize",
            "--json",
            "--db",
            city.to_str().unwrap(),
            "--db",
            asn.to_str().unwrap(),
        ],
        input.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["total"], 7);
    assert_eq!(s["unique"], 6);
    assert_eq!(s["bogons"], 2);
    assert_eq!(s["bogon_share"], 0.2857);
    assert_eq!(s["bad_lines"], 1);
    assert_eq!(
        s["countries"],
        json!([{"value": "KR", "count": 3, "share": 0.4286}, {"value": "FR", "count": 1, "share": 0.1429}])
    );
    assert_eq!(
        s["asns"][0],
        json!({"value": "AS4766 Korea Telecom", "count": 3, "share": 0.4286})
    );
    assert_eq!(
        s["cities"][0],
        json!({"value": "Seoul, Seoul, KR", "count": 3, "share": 0.4286})
    );
    // The same from addresses on the command line, as a table.
    let o = info(
        &dir,
        &[
            "info",
            "-n",
            "--summarize",
            "--db",
            city.to_str().unwrap(),
            "1.2.3.4",
            "10.0.0.1",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "Summary\n- Total        2\n- Unique       2\n- Bogon        1 (50.0%)\n\n\
         Top Countries\n- KR  1 (50.0%)\n\n\
         Top Regions\n- Seoul, KR  1 (50.0%)\n\n\
         Top Cities\n- Seoul, Seoul, KR  1 (50.0%)\n"
    );
}

#[test]
fn help_names_the_db_ip_attribution() {
    let dir = scratch("help");
    let o = info(&dir, &["info", "--help"]);
    assert!(
        stdout(&o).contains("IP Geolocation by DB-IP"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn bulk_into_a_closed_pipe_ends_quietly() {
    let dir = scratch("pipe");
    let (city, _) = maxmind_dbs(&dir);
    let input: String = (0..400_000u32)
        .map(|i| format!("1.2.{}.{}\n", i % 256, i % 199))
        .collect();
    let path = dir.join("ips.txt");
    std::fs::write(&path, input).unwrap();
    let script = format!(
        "{} info --bulk {} --db {} | head -n 1",
        env!("CARGO_BIN_EXE_ipkit"),
        path.display(),
        city.display()
    );
    let o = run_limited(
        Command::new("bash").args(["-c", &format!("set -o pipefail; {script}")]),
        b"",
        CHILD_LIMIT,
    );
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        stderr(&o)
    );
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 1);
}

#[test]
fn bulk_answers_a_slow_stream_at_once_and_stops_on_sigint() {
    let dir = scratch("sigint");
    let (city, _) = maxmind_dbs(&dir);
    let args = ["info", "--bulk", "-", "--db", city.to_str().unwrap()];
    let o = crate::util::interrupt_after_first_line(&args, "INT", |mut stdin| {
        use std::io::Write;
        let _ = stdin.write_all(b"1.2.3.4\n");
        // Then nothing more, and the pipe stays open.
        std::thread::sleep(std::time::Duration::from_secs(60));
        drop(stdin);
    });
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("{\"ip\":\"1.2.3.4\",\"city\":\"Seoul\""),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains("interrupted after 1 lines (1 addresses, 0 bad lines)"),
        "{}",
        stderr(&o)
    );
}

/// `ipkit info --bulk` over `input` with the ASN CSV `csv`: its stdout.
fn bulk_with_csv(dir: &Path, csv: &Path, input: &str) -> String {
    let o = info_with(
        dir,
        &["info", "--bulk", "-", "--db", csv.to_str().unwrap()],
        input.as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

/// The addresses the ASN cache tests ask about, and what `asn_csv` wrote
/// for each (the anchor: the CSV's own lines).
const ASN_ASKED: &str = "5.6.7.8\n8.8.8.8\n8.8.9.1\n2a00:1450::5\n5.6.255.255\n";
const ASN_WRITTEN: &str = "{\"ip\":\"5.6.7.8\",\"org\":\"AS2516 KDDI, Corporation\"}\n\
                           {\"ip\":\"8.8.8.8\",\"org\":\"AS15169 Google LLC\"}\n\
                           {\"ip\":\"8.8.9.1\"}\n\
                           {\"ip\":\"2a00:1450::5\",\"org\":\"AS15169 Google LLC\"}\n\
                           {\"ip\":\"5.6.255.255\",\"org\":\"AS2516 KDDI, Corporation\"}\n";

#[test]
fn the_asn_csv_is_cached_beside_it_and_rebuilt_when_it_changes() {
    let dir = scratch("asn-cache");
    let csv = asn_csv(&dir);
    let cache = dir.join(".asn.csv.ipkit-asn");
    // First run: parsed from the CSV, and the cache written beside it.
    assert_eq!(bulk_with_csv(&dir, &csv, ASN_ASKED), ASN_WRITTEN);
    let built = std::fs::read(&cache).expect("the cache is written beside the CSV");
    assert_eq!(&built[..8], b"IPKITASN");
    // Second run: the same answers from the cache, which is not rewritten.
    assert_eq!(bulk_with_csv(&dir, &csv, ASN_ASKED), ASN_WRITTEN);
    assert_eq!(std::fs::read(&cache).unwrap(), built);
    // The CSV changes (another org for 8.8.8.0/24): the cache is rebuilt.
    std::fs::write(
        &csv,
        "5.6.0.0,5.6.255.255,2516,\"KDDI, Corporation\"\n8.8.8.0,8.8.8.255,64500,Example AS\n",
    )
    .unwrap();
    let out = bulk_with_csv(&dir, &csv, "8.8.8.8\n2a00:1450::5\n");
    assert_eq!(
        out,
        "{\"ip\":\"8.8.8.8\",\"org\":\"AS64500 Example AS\"}\n{\"ip\":\"2a00:1450::5\"}\n"
    );
    assert_ne!(std::fs::read(&cache).unwrap(), built);
    // Nothing went to the per-user cache directory.
    assert!(!dir.join("xdg-cache/ipkit").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_corrupt_or_truncated_asn_cache_is_ignored_and_rebuilt() {
    let dir = scratch("asn-cache-corrupt");
    let csv = asn_csv(&dir);
    let cache = dir.join(".asn.csv.ipkit-asn");
    assert_eq!(bulk_with_csv(&dir, &csv, ASN_ASKED), ASN_WRITTEN);
    let good = std::fs::read(&cache).unwrap();
    let mut flipped = good.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x20; // a letter of an org's name
    let damaged: [Vec<u8>; 4] = [
        flipped,
        good[..good.len() / 2].to_vec(),
        Vec::new(),
        b"IPKITASN not a table".to_vec(),
    ];
    for bad in damaged {
        std::fs::write(&cache, &bad).unwrap();
        assert_eq!(bulk_with_csv(&dir, &csv, ASN_ASKED), ASN_WRITTEN);
        assert_eq!(std::fs::read(&cache).unwrap(), good, "rebuilt whole");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_asn_cache_goes_to_the_cache_directory_when_it_cannot_sit_beside() {
    let dir = scratch("asn-cache-xdg");
    let csv = asn_csv(&dir);
    // A directory where the cache file would go: the rename onto it fails.
    std::fs::create_dir_all(dir.join(".asn.csv.ipkit-asn")).unwrap();
    assert_eq!(bulk_with_csv(&dir, &csv, ASN_ASKED), ASN_WRITTEN);
    let kept: Vec<_> = std::fs::read_dir(dir.join("xdg-cache/ipkit"))
        .expect("the per-user cache directory is used")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        kept.len() == 1 && kept[0].starts_with("asn-") && kept[0].ends_with(".bin"),
        "{kept:?}"
    );
    // From there on the answers come from that cache, the same.
    assert_eq!(bulk_with_csv(&dir, &csv, ASN_ASKED), ASN_WRITTEN);
    let single = info(
        &dir,
        &[
            "info",
            "-n",
            "--json",
            "--db",
            csv.to_str().unwrap(),
            "5.6.1.1",
        ],
    );
    assert_eq!(json_of(&single)["org"], json!("AS2516 KDDI, Corporation"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bulk_with_more_databases_than_it_keys_answers_as_with_fewer() {
    let dir = scratch("bulk-many-dbs");
    let (city, asn) = maxmind_dbs(&dir);
    let csv = asn_csv(&dir);
    let (city, asn, csv) = (
        city.to_str().unwrap(),
        asn.to_str().unwrap(),
        csv.to_str().unwrap(),
    );
    let input = b"1.2.3.4\n2.16.0.9\n10.0.0.1\n8.8.8.8\n2a00:1450::1\n7.7.7.7\n";
    let run = |dbs: &[&str]| {
        let mut args = vec!["info", "--bulk", "-"];
        for d in dbs {
            args.extend(["--db", d]);
        }
        let o = info_with(&dir, &args, input);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    // Five databases (more than a bulk entry keys) merge as the first ones do:
    // the repeats add nothing, the CSV adds 8.8.8.8's org.
    let three = run(&[city, asn, csv]);
    assert!(
        three.contains(r#"{"ip":"8.8.8.8","org":"AS15169 Google LLC"}"#),
        "{three}"
    );
    assert_eq!(run(&[city, asn, city, asn, csv]), three);
    let _ = std::fs::remove_dir_all(&dir);
}
