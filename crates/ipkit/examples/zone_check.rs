//! Check the zone cache against tzf-rs on a real database: fill a cache
//! from every record of `DB` (as the first `ipkit info` lookup does), then
//! ask the cache and the finder for every place and count the answers that
//! differ (there must be none). `bench/zone_check.sh` runs it on DB-IP Lite.
//!
//! Usage: `zone_check DB.mmdb CACHE-FILE`

use std::path::PathBuf;
use std::time::Instant;

use ipkit::info::Databases;
use ipkit::info::zone::{self, cache};

fn main() {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let (Some(db), Some(file)) = (args.next(), args.next()) else {
        eprintln!("usage: zone_check DB.mmdb CACHE-FILE");
        std::process::exit(2);
    };
    let dbs = Databases::open(std::slice::from_ref(&db)).unwrap_or_else(|e| {
        eprintln!("{}: {e}", db.display());
        std::process::exit(2)
    });
    let _ = std::fs::remove_file(&file);
    let t = Instant::now();
    let filled = zone::fill(&dbs, &file);
    println!("fill: {filled:?} in {:.2?}", t.elapsed());
    let table = cache::ZoneCache::open(&file).expect("the cache just written opens");
    // The places again, straight from the database, each asked both ways.
    let reader = maxminddb::Reader::open_readfile(&db).expect("opens");
    let mut places = Vec::new();
    cache::places(&reader, &mut places);
    places.sort_unstable();
    places.dedup();
    let (mut same, mut differ, mut missing) = (0usize, 0usize, 0usize);
    for &(lat, lon) in &places {
        let (lat_f, lon_f) = (f64::from_bits(lat), f64::from_bits(lon));
        let truth = zone::finder_zone_at(lat_f, lon_f);
        match table.get((lat, lon)) {
            None => missing += 1,
            Some(z) if z == truth.as_deref() => same += 1,
            Some(z) => {
                differ += 1;
                if differ <= 5 {
                    println!("differ at {lat_f},{lon_f}: cache {z:?}, finder {truth:?}");
                }
            }
        }
    }
    println!(
        "places {}: same {same}, differ {differ}, not in the cache {missing}",
        places.len()
    );
    std::process::exit(i32::from(differ + missing > 0));
}
