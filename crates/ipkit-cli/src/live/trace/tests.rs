//! The trace screen drawn on a TestBackend: snapshots at several sizes,
//! keys, tabs, the detail pane and resizing.

use super::*;
use ipkit::trace::{HopReport, HopStats, ProbeResult};
use ratatui::backend::TestBackend;

fn probe(from: Option<&str>, rtt: Option<f64>, reached: bool) -> ProbeResult {
    ProbeResult {
        from: from.map(|f| f.parse().unwrap()),
        rtt_ms: rtt,
        reached,
        ..ProbeResult::default()
    }
}

fn hop(ttl: u8, probes: Vec<ProbeResult>) -> HopReport {
    HopReport {
        ttl,
        stats: HopStats::of(&probes),
        probes,
        mtu: None,
    }
}

fn screen_text(live: &LiveTrace, screen: &TraceScreen, w: u16, h: u16) -> String {
    let mut terminal = ratatui::Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| draw(f, live, screen)).unwrap();
    let buf = terminal.backend().buffer();
    (0..h)
        .map(|y| {
            let line: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
            line.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Four rounds over a path whose hop 2 balances over two routers and
/// whose hop 3 loses every other probe.
fn four_rounds() -> LiveTrace {
    let mut live = LiveTrace::default();
    for round in 0..4u8 {
        let r = f64::from(round);
        live.record(&hop(
            1,
            vec![probe(Some("192.0.2.1"), Some(1.0 + r), false)],
        ));
        let second = if round % 2 == 0 {
            "192.0.2.2"
        } else {
            "192.0.2.22"
        };
        live.record(&hop(2, vec![probe(Some(second), Some(2.0), false)]));
        let third = (round % 2 == 0).then_some(3.5);
        live.record(&hop(
            3,
            vec![probe(third.map(|_| "192.0.2.3"), third, false)],
        ));
        live.record(&hop(4, vec![probe(Some("198.51.100.9"), Some(4.0), true)]));
        live.end_round();
    }
    live
}

fn plain() -> TraceScreen {
    TraceScreen::new("198.51.100.9".into(), Protocol::Udp, false, false)
}

/// [`four_rounds`] with IP-information labels on hops 2 and 4 (hop 1
/// and 3 are bogons to the data: no label).
fn labelled() -> LiveTrace {
    let mut live = LiveTrace::default();
    let label = |mut p: ProbeResult, asn: u32, org: &str, cc: &str| {
        p.asn = Some(asn);
        p.org = Some(org.into());
        p.country = Some(cc.into());
        p
    };
    for round in 0..4u8 {
        let r = f64::from(round);
        live.record(&hop(
            1,
            vec![probe(Some("192.0.2.1"), Some(1.0 + r), false)],
        ));
        let (second, asn) = if round % 2 == 0 {
            ("203.0.113.2", 64500)
        } else {
            ("203.0.113.22", 64501)
        };
        let p = label(
            probe(Some(second), Some(2.0 + r), false),
            asn,
            &format!("AS{asn} Example Transit"),
            "NL",
        );
        live.record(&hop(2, vec![p]));
        live.record(&hop(3, vec![probe(None, None, false)]));
        let p = label(
            probe(Some("198.51.100.9"), Some(4.0 + r / 2.0), true),
            64510,
            "AS64510 Example Hosting",
            "DE",
        );
        live.record(&hop(4, vec![p]));
        live.end_round();
    }
    live
}

/// 30 hops, 10,000 rounds (the figure for the frame rate).
fn thirty_hops_ten_thousand_rounds() -> LiveTrace {
    let mut live = LiveTrace::default();
    for round in 0..10_000u32 {
        for ttl in 1..=30u8 {
            let from = format!("10.0.{ttl}.1");
            let rtt = (round % 13 != 0).then(|| f64::from(ttl) + f64::from(round % 17) / 4.0);
            live.record(&hop(
                ttl,
                vec![probe(rtt.map(|_| from.as_str()), rtt, ttl == 30)],
            ));
        }
        live.end_round();
    }
    live
}

#[test]
fn the_table_at_80_by_24() {
    let text = screen_text(&four_rounds(), &plain(), 80, 24);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "ipkit trace --live 198.51.100.9  round 4  UDP");
    assert!(lines[1].starts_with("Hop  Host"), "{text}");
    assert!(lines[1].ends_with("Jttr"), "{text}");
    // Hop 1: 1, 2, 3, 4 ms: avg 2.5, stddev sqrt(1.25), jitter 1.
    let hop1: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(
        hop1,
        [
            "1.",
            "192.0.2.1",
            "0.0%",
            "4",
            "4",
            "4.0",
            "2.5",
            "1.0",
            "4.0",
            "1.1",
            "1.0"
        ]
    );
    // ECMP: the second router on a row of its own.
    assert!(lines[3].contains("192.0.2.2 "), "{text}");
    assert_eq!(lines[4].trim(), "192.0.2.22");
    let hop3: Vec<&str> = lines[5].split_whitespace().collect();
    assert_eq!(&hop3[..5], ["3.", "192.0.2.3", "50.0%", "4", "2"]);
    assert!(lines[6].contains("198.51.100.9"), "{text}");
    assert!(text.contains("hop 1 192.0.2.1"), "{text}");
    assert!(lines[23].starts_with("q quit"), "{text}");
    // The detail pane: hop 1's four round trips, 1 to 4 ms.
    assert!(text.contains("RTT histogram, ms"), "{text}");
    assert!(text.contains("192.0.2.1 (4)"), "{text}");
}

/// The whole screen, reviewed once against the figures worked by hand
/// in `the_table_at_80_by_24` (insta snapshot; `cargo insta review`
/// after a deliberate change).
#[test]
fn snapshot_80_by_24_with_the_third_hop_selected() {
    let mut screen = plain();
    screen.key(Key::Down, 4);
    screen.key(Key::Down, 4);
    insta::assert_snapshot!(screen_text(&four_rounds(), &screen, 80, 24));
}

#[test]
fn keys_pause_select_and_reset() {
    let mut live = four_rounds();
    let mut screen = plain();
    assert_eq!(screen.key(Key::Pause, 4), Action::None);
    assert!(screen_text(&live, &screen, 80, 24).contains("[paused]"));
    screen.key(Key::Down, 4);
    screen.key(Key::Down, 4);
    assert!(screen_text(&live, &screen, 80, 24).contains("hop 3 192.0.2.3  last 4 probes, 2 lost"));
    assert_eq!(screen.key(Key::Reset, 4), Action::Reset);
    live.reset();
    let text = screen_text(&live, &screen, 80, 24);
    assert!(text.contains("waiting for the first hop"), "{text}");
    assert_eq!(screen.key(Key::Quit, 0), Action::Quit);
}

#[test]
fn small_and_wide_terminals_draw() {
    let live = four_rounds();
    for (w, h) in [(20, 5), (80, 24), (200, 60), (1, 1)] {
        screen_text(&live, &plain(), w, h);
    }
}

/// AS and country columns when there is data, at 80×24: Jttr and
/// StDev make room.
#[test]
fn snapshot_80_by_24_with_as_and_country_columns() {
    let mut screen = plain();
    screen.ip_data = true;
    screen.key(Key::Down, 4);
    let text = screen_text(&labelled(), &screen, 80, 24);
    let header = text.lines().nth(1).unwrap();
    assert!(header.contains(" AS ") && header.contains(" CC "), "{text}");
    assert!(header.ends_with("Wrst"), "{text}");
    insta::assert_snapshot!(text);
}

/// The same at 120×40: every column, the AS in the host column (`y`
/// twice from addresses: name, then AS).
#[test]
fn snapshot_120_by_40_with_as_in_the_host_column() {
    let mut screen = plain();
    screen.ip_data = true;
    screen.key(Key::HostCycle, 4);
    assert_eq!(screen.host, HostView::Name);
    screen.key(Key::HostCycle, 4);
    assert_eq!(screen.host, HostView::As);
    screen.key(Key::Down, 4);
    let text = screen_text(&labelled(), &screen, 120, 40);
    assert!(text.lines().nth(1).unwrap().ends_with("Jttr"), "{text}");
    assert!(text.contains("AS64500 Example Transit"), "{text}");
    assert!(text.contains("AS64510 Example Hosting"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn host_keys_cycle_and_n_still_toggles_names() {
    let mut screen = plain();
    assert_eq!(screen.host, HostView::Address);
    screen.key(Key::Names, 4);
    assert_eq!(screen.host, HostView::Name);
    screen.key(Key::Names, 4);
    assert_eq!(screen.host, HostView::Address);
    screen.key(Key::AsToggle, 4);
    assert_eq!(screen.host, HostView::As);
    // No data: the status line says why no AS shows.
    assert!(
        screen
            .status
            .as_deref()
            .unwrap()
            .contains("no IP-information data")
    );
    screen.key(Key::Names, 4);
    assert_eq!(screen.host, HostView::Name);
    screen.key(Key::AsToggle, 4);
    screen.key(Key::AsToggle, 4);
    assert_eq!(screen.host, HostView::Address);
    let text = screen_text(
        &four_rounds(),
        &{
            let mut s = plain();
            s.host = HostView::As;
            s
        },
        80,
        24,
    );
    assert!(text.contains("AS??? 192.0.2.1"), "{text}");
}

/// Two tabs, the second active, a protocol change said in the status
/// line, the screen frozen, at 80×24 and 120×40.
#[test]
fn snapshot_tabs_status_and_frozen_at_two_sizes() {
    let mut screen = plain();
    screen.tabs = vec![
        TabLabel {
            title: "192.0.2.7".into(),
            state: tab_state(&LiveTrace::default(), Protocol::Udp, false),
        },
        TabLabel {
            title: "198.51.100.9".into(),
            state: tab_state(&four_rounds(), Protocol::Icmp, false),
        },
    ];
    assert_eq!(screen.key(Key::NextTab, 4), Action::Tab(1));
    assert_eq!(
        screen.key(Key::Protocol(Protocol::Icmp), 4),
        Action::Protocol(Protocol::Icmp)
    );
    screen.protocol = Protocol::Icmp;
    screen.status = Some("probing with ICMP now (was UDP); statistics reset".into());
    assert_eq!(screen.key(Key::Freeze, 4), Action::Freeze(true));
    let small = screen_text(&four_rounds(), &screen, 80, 24);
    let lines: Vec<&str> = small.lines().collect();
    assert_eq!(
        lines[0],
        "ipkit trace --live 198.51.100.9  round 4  ICMP  [frozen]"
    );
    assert_eq!(
        lines[1],
        "1 192.0.2.7 UDP starting │ 2 198.51.100.9 ICMP round 4 reached"
    );
    assert!(lines[22].starts_with("probing with ICMP now"), "{small}");
    insta::assert_snapshot!("tabs_80_by_24", small);
    insta::assert_snapshot!(
        "tabs_120_by_40",
        screen_text(&four_rounds(), &screen, 120, 40)
    );
    assert_eq!(screen.key(Key::Freeze, 4), Action::Freeze(false));
    assert_eq!(screen.key(Key::Tab(0), 4), Action::Tab(0));
    assert_eq!(screen.key(Key::Tab(0), 4), Action::None);
    assert_eq!(screen.key(Key::Tab(5), 4), Action::None);
    assert_eq!(screen.key(Key::PrevTab, 4), Action::Tab(1));
}

/// The detail pane of a hop with spread round trips: the histogram's
/// buckets (1 to 4 ms: hop 1's) and both responders of hop 2.
#[test]
fn snapshot_detail_pane_histogram_and_responders() {
    let mut screen = plain();
    let live = four_rounds();
    let text = screen_text(&live, &screen, 120, 40);
    // Hop 1: 1, 2, 3, 4 ms in 6 buckets of 0.5 ms: 1.0-1.5 holds one.
    assert!(text.contains("1.0-1.5 █"), "{text}");
    assert!(text.contains("1.5-2.0    "), "{text}");
    assert!(text.contains("3.5-4.0 █"), "{text}");
    insta::assert_snapshot!("detail_hop_1_120_by_40", text);
    screen.key(Key::Down, 4);
    let text = screen_text(&live, &screen, 80, 24);
    assert!(
        text.contains("192.0.2.2 (2)") && text.contains("192.0.2.22 (2)"),
        "{text}"
    );
    insta::assert_snapshot!("detail_hop_2_80_by_24", text);
}

/// Sub-millisecond buckets get the decimals that tell them apart.
#[test]
fn histogram_edges_take_the_decimals_they_need() {
    let mut live = LiveTrace::default();
    for rtt in [0.1, 0.12, 0.15, 0.2] {
        live.record(&hop(1, vec![probe(Some("192.0.2.1"), Some(rtt), false)]));
    }
    let text = screen_text(&live, &plain(), 80, 24);
    // 0.1 to 0.2 ms in six buckets of 0.0167 ms: two decimals.
    assert!(text.contains("0.10-0.12 "), "{text}");
    assert!(text.contains("0.18-0.20 "), "{text}");
}

/// A terminal resized mid-run (80×24 → 40×10 → 120×40) redraws at each
/// size without a panic, the whole buffer its new size.
#[test]
fn resized_mid_run_redraws_at_each_size() {
    let live = labelled();
    let mut screen = plain();
    screen.ip_data = true;
    screen.tabs = vec![
        TabLabel {
            title: "a".into(),
            state: "UDP starting".into(),
        },
        TabLabel {
            title: "b".into(),
            state: "UDP starting".into(),
        },
    ];
    let mut terminal = ratatui::Terminal::new(TestBackend::new(80, 24)).unwrap();
    for (w, h) in [(80, 24), (40, 10), (120, 40), (80, 24)] {
        terminal.backend_mut().resize(w, h);
        let frame = terminal.draw(|f| draw(f, &live, &screen)).unwrap();
        assert_eq!((frame.area.width, frame.area.height), (w, h));
        let buf = terminal.backend().buffer();
        assert_eq!(buf.area.width, w);
        let first: String = (0..w).map(|x| buf[(x, 0)].symbol().to_string()).collect();
        assert!(first.starts_with("ipkit trace"), "{first}");
    }
}

/// Frames per second drawing a 30-hop, 10,000-round trace on an
/// 100×45 TestBackend (ipkit's own figure: no anchor draws this).
/// `bench/live_frames.sh` runs it in release; ignored in the suite.
#[test]
#[ignore = "a measurement: bench/live_frames.sh"]
fn frame_rate_of_thirty_hops_and_ten_thousand_rounds() {
    let live = thirty_hops_ten_thousand_rounds();
    let mut screen = plain();
    screen.ip_data = true;
    screen.selected = 29;
    let frames: u32 = std::env::var("IPKIT_FRAMES")
        .ok()
        .and_then(|f| f.parse().ok())
        .unwrap_or(2000);
    let mut terminal = ratatui::Terminal::new(TestBackend::new(100, 45)).unwrap();
    let start = std::time::Instant::now();
    for _ in 0..frames {
        terminal.draw(|f| draw(f, &live, &screen)).unwrap();
    }
    let took = start.elapsed().as_secs_f64();
    let text = screen_text(&live, &screen, 100, 45);
    assert!(text.contains("30.  10.0.30.1"), "{text}");
    println!(
        "frames: {frames} in {took:.3} s = {:.0} frames/s ({:.3} ms a frame), 30 hops, {} rounds",
        f64::from(frames) / took,
        took * 1000.0 / f64::from(frames),
        live.rounds
    );
}
