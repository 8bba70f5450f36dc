//! `--plot FILE.svg|png`: the pictures of real sessions, read back. The
//! SVG is parsed as XML (roxmltree) and its parts checked against what the
//! run must have seen — the trace lab's hops and addresses
//! ([`TraceLab::expected_hops`], from the lab's addressing plan), the probe
//! count asked of ping — never against text ipkit printed; one PNG is
//! decoded (the `png` crate) and its size and pixels checked. `trace
//! --map` is also run over a lab of its own ([`MapLab`]) whose routers have
//! public addresses, so the test database places them: each marker must
//! sit where the equirectangular projection puts the database's place.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::trace_lab::{self, TraceLab, Variant};
use crate::util::{ipkit, stderr};

/// How long one run may take.
const LIMIT: Duration = Duration::from_secs(90);

/// DejaVu Sans, the labels' font, from Debian's fonts-dejavu-core.
const FONT_FILE: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// A fresh directory for one test's pictures.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ipkit-plot-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// The trace lab, or None (skipped) without root.
fn lab(test: &str, variant: Variant) -> Option<(std::sync::MutexGuard<'static, ()>, TraceLab)> {
    if !crate::lab::can_use_namespaces(test) {
        return None;
    }
    let guard = crate::lab::lab_lock();
    Some((guard, TraceLab::new(variant)))
}

/// An element's attribute, or "".
fn attr<'a>(n: roxmltree::Node<'a, '_>, name: &str) -> &'a str {
    n.attribute(name).unwrap_or("")
}

/// Whether `n` has `class` among its classes.
fn has_class(n: roxmltree::Node<'_, '_>, class: &str) -> bool {
    attr(n, "class").split_whitespace().any(|c| c == class)
}

/// The elements of `doc` with class `class`.
fn with_class<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
    class: &str,
) -> Vec<roxmltree::Node<'a, 'i>> {
    doc.descendants().filter(|n| has_class(*n, class)).collect()
}

/// The texts of the elements under `n` with class `class`.
fn texts(n: roxmltree::Node<'_, '_>, class: &str) -> Vec<String> {
    n.descendants()
        .filter(|d| has_class(*d, class))
        .map(|d| d.text().unwrap_or("").to_string())
        .collect()
}

/// The file's text, parsed as XML and its root checked to be an `svg`.
fn read_svg(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("not XML: {e}\n{text}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg", "{text}");
    text
}

/// The PNG at `path`: (width, height, RGBA pixels).
fn read_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!(info.color_type, png::ColorType::Rgba, "resvg writes RGBA");
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn trace_report_plot_has_a_bar_per_hop_with_its_address_and_loss() {
    let variant = Variant::SILENT_ROUTER;
    let Some((_guard, lab)) = lab("plot::trace", variant) else {
        return;
    };
    crate::lab::ensure_file_installed(FONT_FILE, "fonts-dejavu-core");
    let dir = scratch("trace");
    let svg_path = dir.join("trace.svg");
    let png_path = dir.join("trace.png");
    let target = TraceLab::target(false).to_string();
    let bin = env!("CARGO_BIN_EXE_ipkit");
    for path in [&svg_path, &png_path] {
        let plot = path.to_str().expect("a UTF-8 path");
        let args = [
            "trace", "--report", "-c", "3", "-n", "--plot", plot, &target,
        ];
        let o = lab.run_in_client(bin, &args, LIMIT);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    }
    let text = read_svg(&svg_path);
    let doc = roxmltree::Document::parse(&text).expect("XML");
    let want = TraceLab::expected_hops(false, variant);
    let hops = with_class(&doc, "hop");
    assert_eq!(hops.len(), want.len(), "one bar group per hop:\n{text}");
    for ((hop, addr), ttl) in hops.iter().zip(&want).zip(1u8..) {
        assert_eq!(attr(*hop, "data-ttl"), ttl.to_string(), "{text}");
        let bars: Vec<_> = hop.descendants().filter(|n| has_class(*n, "bar")).collect();
        assert_eq!(bars.len(), 1, "hop {ttl}: one bar\n{text}");
        assert_eq!(texts(*hop, "ttl"), vec![ttl.to_string()], "hop {ttl}");
        let shown = match addr {
            Some(a) => a.to_string(),
            None => "???".to_string(),
        };
        assert_eq!(texts(*hop, "address"), vec![shown], "hop {ttl}");
        // The lab loses nothing but the silent router's answers.
        let loss = if addr.is_some() { "0%" } else { "100%" };
        assert_eq!(texts(*hop, "loss"), vec![loss.to_string()], "hop {ttl}");
        assert_eq!(has_class(bars[0], "silent"), addr.is_none(), "hop {ttl}");
    }
    let labels = texts(doc.root_element(), "label");
    assert!(labels.iter().any(|l| l == "round trip (ms)"), "{labels:?}");
    assert!(
        labels.iter().any(|l| l.starts_with("hop (TTL)")),
        "{labels:?}"
    );
    let title = texts(doc.root_element(), "title").concat();
    assert!(title.contains(&format!("{} hops", want.len())), "{title}");
    assert!(title.contains("3 rounds"), "{title}");
    assert_eq!(
        trace_lab::SILENT_HOP as usize,
        want.iter().position(Option::is_none).expect("a silent hop") + 1
    );

    // The PNG: the SVG's size, and drawn on — bars in their blue, and
    // the title's glyphs (a font was found) in its band.
    let (width, height, pixels) = read_png(&png_path);
    let root = doc.root_element();
    assert_eq!(width.to_string(), attr(root, "width"));
    assert_eq!(height.to_string(), attr(root, "height"));
    let px = |x: u32, y: u32| {
        let i = ((y * width + x) * 4) as usize;
        [pixels[i], pixels[i + 1], pixels[i + 2]]
    };
    let all = (0..height).flat_map(|y| (0..width).map(move |x| (x, y)));
    let blue = all
        .clone()
        .filter(|&(x, y)| px(x, y) == [0x1f, 0x77, 0xb4])
        .count();
    assert!(blue > 1000, "{blue} pixels of the bars' blue");
    let title_ink = all
        .filter(|&(x, y)| (8..30).contains(&y) && px(x, y).iter().all(|&c| c < 128))
        .count();
    assert!(
        title_ink > 100,
        "{title_ink} dark pixels in the title's band: no font?"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ping_plot_has_a_point_per_reply_and_a_histogram_of_them() {
    let dir = scratch("ping");
    let path = dir.join("ping.svg");
    let plot = path.to_str().expect("a UTF-8 path");
    let o = ipkit(&["ping", "-c", "4", "-i", "0.2", "--plot", plot, "127.0.0.1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = read_svg(&path);
    let doc = roxmltree::Document::parse(&text).expect("XML");
    let points: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle") && n.parent().is_some_and(|p| has_class(p, "series")))
        .collect();
    // iputils numbers probes from 1: -c 4 is icmp_seq 1 … 4.
    let seqs: Vec<&str> = points.iter().map(|p| attr(*p, "data-seq")).collect();
    assert_eq!(seqs, ["1", "2", "3", "4"], "{text}");
    for p in &points {
        let rtt: f64 = attr(*p, "data-rtt-ms").parse().expect("a round trip");
        assert!(rtt > 0.0 && rtt < 1000.0, "{rtt}");
    }
    let losses = with_class(&doc, "losses");
    assert_eq!(losses.len(), 1);
    assert_eq!(
        losses[0].children().count(),
        0,
        "nothing lost on loopback:\n{text}"
    );
    let binned: u64 = with_class(&doc, "bin")
        .iter()
        .map(|b| attr(*b, "data-count").parse::<u64>().expect("a count"))
        .sum();
    assert_eq!(binned, 4, "every reply in the histogram");
    let labels = texts(doc.root_element(), "label");
    for want in ["round trip (ms)", "probe (icmp_seq)", "replies"] {
        assert!(labels.iter().any(|l| l == want), "{want}: {labels:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ping_plot_marks_each_lost_probe() {
    let variant = Variant::SILENT_SERVER;
    let Some((_guard, lab)) = lab("plot::ping_loss", variant) else {
        return;
    };
    let dir = scratch("ping-loss");
    let path = dir.join("loss.svg");
    let plot = path.to_str().expect("a UTF-8 path");
    let server = TraceLab::target(false).to_string();
    let args = [
        "ping", "-c", "3", "-i", "0.2", "-W", "0.5", "--plot", plot, &server,
    ];
    let o = lab.run_in_client(env!("CARGO_BIN_EXE_ipkit"), &args, LIMIT);
    // As iputils: no reply, exit 1.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = read_svg(&path);
    let doc = roxmltree::Document::parse(&text).expect("XML");
    let lost: Vec<&str> = with_class(&doc, "losses")
        .iter()
        .flat_map(|g| g.children().filter(|c| c.is_element()))
        .map(|l| attr(l, "data-seq"))
        .collect();
    assert_eq!(lost, ["1", "2", "3"], "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn plot_refuses_a_file_that_is_not_svg_or_png() {
    let o = ipkit(&["ping", "-c", "1", "--plot", "rtt.jpg", "127.0.0.1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(".svg or .png"), "{}", stderr(&o));
    let o = ipkit(&[
        "ping",
        "-c",
        "1",
        "--plot",
        "x.svg",
        "127.0.0.1",
        "127.0.0.2",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!Path::new("x.svg").exists());
}

#[test]
fn info_summarize_map_shades_the_countries_of_the_addresses() {
    // The test databases (tests/info.rs) place 1.2.3.0/24 in Seoul (KR)
    // and 2.16.0.0/16 in Paris (FR); 10.0.0.1 is a bogon, in no country.
    let dir = crate::info::scratch("plot-map");
    let (city, asn) = crate::info::maxmind_dbs(&dir);
    let (city, asn) = (city.to_str().unwrap(), asn.to_str().unwrap());
    let path = dir.join("map.svg");
    let map = path.to_str().expect("a UTF-8 path");
    let args = [
        "info",
        "--summarize",
        "-n",
        "--map",
        map,
        "--db",
        city,
        "--db",
        asn,
        "1.2.3.4",
        "1.2.3.5",
        "2.16.0.1",
        "10.0.0.1",
    ];
    let o = crate::info::info_with(&dir, &args, b"");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = read_svg(&path);
    let doc = roxmltree::Document::parse(&text).expect("XML");
    let countries = with_class(&doc, "country");
    assert_eq!(
        countries.len(),
        176,
        "Natural Earth's 110m countries but Antarctica"
    );
    let count = |code: &str| {
        let c: Vec<_> = countries
            .iter()
            .filter(|c| attr(**c, "data-code") == code)
            .collect();
        assert_eq!(c.len(), 1, "{code}: one outline");
        (
            attr(*c[0], "data-count").to_string(),
            attr(*c[0], "fill").to_string(),
        )
    };
    let (kr, fr, ch) = (count("KR"), count("FR"), count("CH"));
    assert_eq!(
        (kr.0.as_str(), fr.0.as_str(), ch.0.as_str()),
        ("2", "1", "0")
    );
    assert!(
        kr.1 != fr.1 && fr.1 != ch.1,
        "distinct shades: {kr:?} {fr:?} {ch:?}"
    );
    let credit = texts(doc.root_element(), "attribution").concat();
    assert!(
        credit.contains("DB-IP") && credit.contains("CC BY 4.0"),
        "{credit}"
    );
    assert!(credit.contains("Natural Earth"), "{credit}");
    let o = crate::info::info_with(&dir, &["info", "--map", map, "1.2.3.4"], b"");
    assert_eq!(
        o.status.code(),
        Some(2),
        "--map needs --summarize: {}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn trace_map_draws_the_world_and_says_when_no_hop_is_located() {
    // The lab's addresses are in 198.18.0.0/15 (RFC 2544's benchmarking
    // range), a bogon: no IP data places them, so the map has the world,
    // the attribution and no place, and stderr says why. (Placing hops:
    // `trace_map_places_each_located_hop_where_the_data_puts_it`, on a lab
    // of public addresses.)
    let Some((_guard, lab)) = lab("plot::trace_map", Variant::NONE) else {
        return;
    };
    let dir = crate::info::scratch("plot-trace-map");
    let (city, _) = crate::info::maxmind_dbs(&dir);
    let path = dir.join("route.svg");
    let target = TraceLab::target(false).to_string();
    let args = [
        "trace",
        "-n",
        "--map",
        path.to_str().unwrap(),
        "--db",
        city.to_str().unwrap(),
        &target,
    ];
    let o = lab.run_in_client(env!("CARGO_BIN_EXE_ipkit"), &args, LIMIT);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no hop has a known location"),
        "{}",
        stderr(&o)
    );
    let text = read_svg(&path);
    let doc = roxmltree::Document::parse(&text).expect("XML");
    assert!(with_class(&doc, "place").is_empty(), "{text}");
    assert_eq!(with_class(&doc, "country").len(), 176);
    let credit = texts(doc.root_element(), "attribution").concat();
    assert!(
        credit.contains("DB-IP") && credit.contains("Natural Earth"),
        "{credit}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A path whose hops have public addresses, to be placed on the map:
/// client — r1 — r2 — server in four namespaces joined by veth pairs,
/// forwarding on and every ICMP error sent (no rate mask), all of it
/// inside the namespaces (nothing routes out of them). Hop 1 is r1's
/// address towards the client, 1.2.3.1 (Seoul in the test database);
/// hop 2 r2's towards r1, 2.16.1.2 (Paris); hop 3 the server, 5.5.5.2,
/// which the database does not place.
struct MapLab {
    client: crate::lab::Netns,
    _routers: [crate::lab::Netns; 2],
    _server: crate::lab::Netns,
}

/// The hops of [`MapLab`]'s path, in TTL order.
const MAP_HOPS: [&str; 3] = ["1.2.3.1", "2.16.1.2", "5.5.5.2"];

impl MapLab {
    fn new() -> MapLab {
        use crate::lab::{Netns, RouterLab};
        let (client, r1, r2, server) = (
            Netns::new("", ""),
            Netns::new("", ""),
            Netns::new("", ""),
            Netns::new("", ""),
        );
        let links = [
            (&client, "c0", "1.2.3.2/24", &r1, "r1a", "1.2.3.1/24"),
            (&r1, "r1b", "2.16.1.1/24", &r2, "r2a", "2.16.1.2/24"),
            (&r2, "r2b", "5.5.5.1/24", &server, "s0", "5.5.5.2/24"),
        ];
        for (left, ldev, laddr, right, rdev, raddr) in links {
            client.ip(&[
                "link",
                "add",
                ldev,
                "netns",
                &left.name,
                "type",
                "veth",
                "peer",
                "name",
                rdev,
                "netns",
                &right.name,
            ]);
            for (ns, dev, addr) in [(left, ldev, laddr), (right, rdev, raddr)] {
                ns.ip(&["-n", &ns.name, "addr", "add", addr, "dev", dev]);
                ns.ip(&["-n", &ns.name, "link", "set", dev, "up"]);
            }
        }
        let route = |ns: &Netns, to: &str, via: &str| {
            ns.ip(&["-n", &ns.name, "route", "add", to, "via", via]);
        };
        route(&client, "default", "1.2.3.1");
        route(&r1, "5.5.5.0/24", "2.16.1.2");
        route(&r2, "1.2.3.0/24", "2.16.1.1");
        route(&server, "default", "5.5.5.1");
        for r in [&r1, &r2] {
            RouterLab::sysctl(r, "net.ipv4.ip_forward", "1");
            RouterLab::sysctl(r, "net.ipv4.icmp_ratemask", "0");
        }
        MapLab {
            client,
            _routers: [r1, r2],
            _server: server,
        }
    }
}

/// A number attribute of an element.
fn num(n: roxmltree::Node<'_, '_>, name: &str) -> f64 {
    attr(n, name)
        .parse()
        .unwrap_or_else(|_| panic!("{name}={:?}", attr(n, name)))
}

#[test]
fn trace_map_places_each_located_hop_where_the_data_puts_it() {
    let Some(_guard) =
        crate::lab::can_use_namespaces("plot::trace_map_located").then(crate::lab::lab_lock)
    else {
        return;
    };
    let lab = MapLab::new();
    // The test database (tests/info.rs) places 1.2.3.0/24 in Seoul at
    // 37.5665 N 126.978 E and 2.16.0.0/16 in Paris at 48.85341 N 2.3488 E:
    // the places the map must mark, written there by this test's helper.
    let seoul = (37.5665, 126.978);
    let paris = (48.85341, 2.3488);
    let dir = crate::info::scratch("plot-trace-map-located");
    let (city, _) = crate::info::maxmind_dbs(&dir);
    let path = dir.join("route.svg");
    let empty = dir.join("xdg-empty");
    std::fs::create_dir_all(&empty).unwrap();
    let mut c = lab.client.command(env!("CARGO_BIN_EXE_ipkit"));
    c.args(["trace", "-n", "--map", path.to_str().unwrap(), "--db"])
        .arg(&city)
        .arg(MAP_HOPS[2])
        .env("NO_COLOR", "1")
        .env_remove("IPKIT_DB")
        .env("XDG_DATA_HOME", &empty);
    let o = crate::util::run_limited(&mut c, b"", LIMIT);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The trace's own lines: the lab's three hops, in order.
    let hops: Vec<String> = crate::util::stdout(&o)
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
        .collect();
    assert_eq!(hops, MAP_HOPS, "{}", crate::util::stdout(&o));
    assert!(!stderr(&o).contains("no hop"), "{}", stderr(&o));

    let text = read_svg(&path);
    let doc = roxmltree::Document::parse(&text).expect("XML");
    // The map's frame: the sea, 180° W to 180° E and 85° N to 60° S in the
    // equirectangular projection (degrees square: 360 wide, 145 high).
    let sea = with_class(&doc, "sea");
    assert_eq!(sea.len(), 1, "one sea");
    let (x0, y0, w, h) = (
        num(sea[0], "x"),
        num(sea[0], "y"),
        num(sea[0], "width"),
        num(sea[0], "height"),
    );
    assert!((w / h - 360.0 / 145.0).abs() < 0.01, "{w} x {h}");
    let project = |(lat, lon): (f64, f64)| {
        (
            x0 + (lon + 180.0) / 360.0 * w,
            y0 + (85.0 - lat) / 145.0 * h,
        )
    };

    let places = with_class(&doc, "place");
    assert_eq!(places.len(), 2, "a marker per located hop");
    let mut centres = Vec::new();
    for (place, (want, label)) in places
        .iter()
        .zip([(seoul, "1 1.2.3.1"), (paris, "2 2.16.1.2")])
    {
        // The data's place as ipinfo's `loc` gives it: four decimals.
        let (lat, lon) = (num(*place, "data-lat"), num(*place, "data-lon"));
        assert!(
            (lat - want.0).abs() < 1e-4 && (lon - want.1).abs() < 1e-4,
            "{label}: at {lat},{lon}, the data says {want:?}"
        );
        let circle = place
            .descendants()
            .find(|n| n.has_tag_name("circle"))
            .expect("a marker");
        let (cx, cy) = (num(circle, "cx"), num(circle, "cy"));
        let (x, y) = project(want);
        assert!(
            (cx - x).abs() < 0.1 && (cy - y).abs() < 0.1,
            "{label}: marker at {cx},{cy}, projected {x},{y}"
        );
        let labels: Vec<&str> = place
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(labels, [label], "the hop's number and address");
        centres.push((cx, cy));
    }
    // Seoul is east of Paris and south of it.
    assert!(centres[0].0 > centres[1].0 && centres[0].1 > centres[1].1);
    // The path: one line through the markers, in TTL order.
    let route = with_class(&doc, "route");
    assert_eq!(route.len(), 1, "one path line");
    let points: Vec<(f64, f64)> = attr(route[0], "points")
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').expect("x,y");
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect();
    assert_eq!(points, centres, "the path joins the markers");
    let title = texts(doc.root_element(), "title").concat();
    assert!(title.contains("2 of 3 hops located"), "{title}");
    let credit = texts(doc.root_element(), "attribution").concat();
    assert!(
        credit.contains("DB-IP")
            && credit.contains("CC BY 4.0")
            && credit.contains("Natural Earth"),
        "{credit}"
    );
    drop(lab);
    let _ = std::fs::remove_dir_all(&dir);
}
