//! `ipkit info`'s derived time zones and their cache (`zones-v1.bin` in
//! `$XDG_CACHE_HOME/ipkit`): the same answers from a fresh cache, a filled
//! one, a corrupt one and none at all (a cache directory that cannot be
//! made). Known answers: places at the coordinates IANA's `zone1970.tab`
//! gives for each zone's principal city (tzdata 2024a), which the zone
//! must contain; a place in mid-ocean has the nautical zone its longitude
//! falls in (15° wide, centred on multiples of 15°: -140° is UTC-9,
//! `Etc/GMT+9` in the tz database's inverted sign).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Serialize;
use serde_json::Value;

use crate::info::scratch;
use crate::util::{CHILD_LIMIT, run_limited, stderr};

/// ip-location-db's flat city layout, without time zones (as DB-IP Lite).
#[derive(Serialize)]
struct Place {
    country_code: &'static str,
    city: String,
    latitude: f32,
    longitude: f32,
}

/// zone1970.tab's principal cities (ISO 6709 in the file, here in
/// degrees), each with its zone.
const KNOWN: [(f32, f32, &str); 5] = [
    (35.6544, 139.7447, "Asia/Tokyo"),        // +353916+1394441
    (37.55, 126.9667, "Asia/Seoul"),          // +3733+12658
    (48.8667, 2.3333, "Europe/Paris"),        // +4852+00220
    (40.7142, -74.0064, "America/New_York"),  // +404251-0740023
    (-33.8667, 151.2167, "Australia/Sydney"), // -3352+15113
];

/// The database: the known places at 20.0.N.0/24, then a grid of 200
/// more (land, sea and ocean) at 20.1.N.0/24 and on. Returns it and one
/// address in each place.
fn places_db(dir: &Path) -> (PathBuf, Vec<String>) {
    let mut w = mmdb_writer::Writer::new("dbip-city");
    let mut addresses = Vec::new();
    let mut add = |n: usize, lat: f32, lon: f32| {
        let (a, b) = (n / 256, n % 256);
        let net = format!("20.{a}.{b}.0/24");
        let place = Place {
            country_code: "ZZ",
            city: format!("place {n}"),
            latitude: lat,
            longitude: lon,
        };
        w.insert(net.parse::<ipnet::IpNet>().unwrap(), &place)
            .unwrap();
        addresses.push(format!("20.{a}.{b}.1"));
    };
    for (n, (lat, lon, _)) in KNOWN.iter().enumerate() {
        add(n, *lat, *lon);
    }
    for i in 0..200 {
        let lat = -60.0 + (i % 20) as f32 * 6.3;
        let lon = -179.5 + (i / 20) as f32 * 35.7;
        add(256 + i, lat, lon);
    }
    // Mid-Pacific, far from any land: nautical time.
    add(600, 0.0, -140.0);
    let path = dir.join("dbip-city-ipv4.mmdb");
    std::fs::write(&path, w.to_bytes().unwrap()).unwrap();
    (path, addresses)
}

/// `ipkit info -n --json --db DB ADDRESSES...` with `XDG_CACHE_HOME` at
/// `cache_home`: each answer's `timezone` (None for none).
fn zones(dir: &Path, db: &Path, addresses: &[String], cache_home: &Path) -> Vec<Option<String>> {
    let data = dir.join("xdg-empty");
    std::fs::create_dir_all(&data).unwrap();
    let o: Output = run_limited(
        Command::new(env!("CARGO_BIN_EXE_ipkit"))
            .args(["info", "-n", "--json", "--db"])
            .arg(db)
            .args(addresses)
            .env_remove("IPKIT_DB")
            .env("XDG_DATA_HOME", &data)
            .env("XDG_CACHE_HOME", cache_home),
        b"",
        CHILD_LIMIT,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let answers: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(answers.len(), addresses.len());
    answers
        .iter()
        .map(|a| a["timezone"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn derived_zones_are_the_same_with_a_fresh_filled_corrupt_or_no_cache() {
    let dir = scratch("zone-cache");
    let (db, addresses) = places_db(&dir);
    let home = dir.join("cache");
    let file = home.join("ipkit/zones-v1.bin");

    // No cache yet: the first lookup fills it from the database.
    let fresh = zones(&dir, &db, &addresses, &home);
    for (n, (_, _, zone)) in KNOWN.iter().enumerate() {
        assert_eq!(fresh[n].as_deref(), Some(*zone), "{}", addresses[n]);
    }
    assert_eq!(
        fresh.last().unwrap().as_deref(),
        Some("Etc/GMT+9"),
        "mid-ocean"
    );
    let filled = std::fs::read(&file).expect("the cache was written");
    assert!(filled.starts_with(b"IPKZONE1"));
    let inode = std::fs::metadata(&file).unwrap().ino();

    // From the cache: the same answers, and the file is left as it was
    // (it covers this database: not walked again).
    assert_eq!(zones(&dir, &db, &addresses, &home), fresh);
    assert_eq!(std::fs::metadata(&file).unwrap().ino(), inode);

    // A cache directory that cannot be made (under a plain file): the
    // finder answers, the same.
    let blocked = dir.join("a-file");
    std::fs::write(&blocked, b"").unwrap();
    assert_eq!(zones(&dir, &db, &addresses, &blocked.join("cache")), fresh);

    // Corrupt caches are never answers: garbage, a truncated file, a
    // changed entry. Each time the answers stay and the cache is rebuilt
    // (the writer is deterministic: byte for byte the first one).
    let n = filled.len();
    let mut changed = filled.clone();
    changed[n - 1] ^= 0x01; // the last entry's zone
    for (what, bad) in [
        ("garbage", b"IPKZONE1 and then nonsense".to_vec()),
        ("truncated", filled[..n - 7].to_vec()),
        ("changed entry", changed),
    ] {
        std::fs::write(&file, &bad).unwrap();
        assert_eq!(zones(&dir, &db, &addresses, &home), fresh, "{what}");
        assert!(
            std::fs::read(&file).unwrap() == filled,
            "{what}: not rebuilt"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The lookup that fills the cache walks the whole city database (seconds
/// on DB-IP Lite): on a terminal it says so on stderr while it walks and
/// wipes the line before the answer is printed, as the progress lines of
/// the other long runs do. Everything the pane printed is recorded as the
/// program wrote it (tmux `pipe-pane`), so even a walk too short to see on
/// the screen is checked. Not once the cache covers the database, not with
/// `--json`; not on a pipe either (the test above: stderr stays empty).
#[test]
fn filling_the_cache_says_so_on_a_terminal_then_wipes_the_line() {
    crate::lab::ensure_installed("tmux", "tmux");
    let dir = scratch("zone-note");
    let (db, addresses) = places_db(&dir);
    let (home, other, data) = (dir.join("cache"), dir.join("cache-json"), dir.join("data"));
    std::fs::create_dir_all(&data).unwrap();
    let env = |cache: &Path| {
        format!(
            "env -u IPKIT_DB XDG_CACHE_HOME={} XDG_DATA_HOME={}",
            cache.display(),
            data.display()
        )
    };
    let bin = env!("CARGO_BIN_EXE_ipkit");
    let tmux = crate::live::Tmux::start(&["env", "PS1=zone$ ", "bash", "--norc", "--noprofile"]);
    tmux.wait_for("the shell's prompt", |s| s.contains("zone$"));
    let log = dir.join("pane.log");
    tmux.record(&log);
    let run = |cache: &Path, json: &str, out: &str, mark: &str| {
        let command = format!(
            "{} {bin} {json} info -n --db {} {} > {}; echo {mark}-$?",
            env(cache),
            db.display(),
            addresses[0],
            dir.join(out).display()
        );
        tmux.keys(&[&command, "Enter"]);
        tmux.wait_for(mark, |s| s.contains(&format!("{mark}-0")));
    };
    run(&home, "", "first.txt", "first");
    run(&home, "", "second.txt", "second");
    run(&other, "--json", "json.txt", "json");
    let printed = String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned();
    let note = "ipkit: finding the time zone of every place in the city data, once…";
    let (first, rest) = printed.split_once("first-0").expect("the first run's end");
    let drawn = format!("\r{note}");
    let at = first
        .find(&drawn)
        .unwrap_or_else(|| panic!("no note:\n{first:?}"));
    let wiped = format!("\r{}\r", " ".repeat(note.chars().count()));
    assert!(
        first[at + drawn.len()..].starts_with(&wiped),
        "the note is wiped right after the walk:\n{first:?}"
    );
    assert!(!rest.contains("finding the time zone"), "{rest:?}");
    // The cache was filled both times; the answers went to stdout alone.
    assert!(home.join("ipkit/zones-v1.bin").is_file());
    assert!(other.join("ipkit/zones-v1.bin").is_file());
    let first_out = std::fs::read_to_string(dir.join("first.txt")).unwrap();
    assert!(first_out.contains("Asia/Tokyo"), "{first_out}");
    assert!(!first_out.contains('\r') && !first_out.contains("finding"));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("json.txt")).unwrap())
        .expect("JSON alone on stdout");
    assert_eq!(json["timezone"], "Asia/Tokyo", "{json}");
    drop(tmux);
    std::fs::remove_dir_all(&dir).unwrap();
}
