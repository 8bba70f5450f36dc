//! `ipkit trace --live`'s screen: mtr's table (one row per hop, a further
//! row per extra responder, ECMP), a detail pane with the selected hop's
//! round trips as a sparkline, and a status line. It draws an
//! [`ipkit::trace::live::LiveTrace`] — the library's rolling statistics —
//! and keeps only what the screen needs: the selection, pause and the
//! address/name choice.

use ipkit::trace::live::{LiveHop, LiveTrace};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Sparkline, Table};

use super::Key;

/// The columns after the host, as mtr names them.
const COLUMNS: [&str; 10] = [
    "Loss%", "Snt", "Rcv", "Last", "Avg", "Best", "Wrst", "StDev", "Jttr", "",
];

/// What the screen shows besides the statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceScreen {
    /// The target as the user wrote it, and its address.
    pub title: String,
    /// The selected hop's index.
    pub selected: usize,
    /// Probing paused (`p`).
    pub paused: bool,
    /// Names instead of addresses (`n`); starts on unless `-n`.
    pub names: bool,
    /// Colour allowed.
    pub colour: bool,
}

/// What the run loop must do after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing more.
    None,
    /// Quit (`q`).
    Quit,
    /// Quit as after Ctrl-C.
    Interrupt,
    /// Forget the statistics.
    Reset,
}

impl TraceScreen {
    /// Apply `key` to the screen with `hops` rows.
    pub fn key(&mut self, key: Key, hops: usize) -> Action {
        match key {
            Key::Quit => return Action::Quit,
            Key::Interrupt => return Action::Interrupt,
            Key::Pause => self.paused = !self.paused,
            Key::Reset => {
                self.selected = 0;
                return Action::Reset;
            }
            Key::Names => self.names = !self.names,
            Key::Up => self.selected = self.selected.saturating_sub(1),
            Key::Down => self.selected = (self.selected + 1).min(hops.saturating_sub(1)),
        }
        Action::None
    }
}

/// Milliseconds as mtr prints them (one decimal), blank when none.
fn ms(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| format!("{v:.1}"))
}

/// The host column of a hop's `nth` responder (`???` for none, mtr's).
fn host(hop: &LiveHop, nth: usize, names: bool) -> String {
    match hop.responders.get(nth) {
        None => "???".to_string(),
        Some(r) => match (&r.name, names) {
            (Some(name), true) => name.clone(),
            _ => r.addr.to_string(),
        },
    }
}

/// Draw the whole screen.
pub fn draw(frame: &mut Frame, live: &LiveTrace, screen: &TraceScreen) {
    let [top, table, detail, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(6),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    let state = if screen.paused { "  [paused]" } else { "" };
    let top_line = format!(
        "ipkit trace --live {}  round {}{state}",
        screen.title, live.rounds
    );
    frame.render_widget(Paragraph::new(top_line).style(bold()), top);
    draw_table(frame, table, live, screen);
    draw_detail(frame, detail, live, screen);
    frame.render_widget(
        Paragraph::new("q quit  p pause  r reset  n names/addresses  ↑↓ select"),
        keys,
    );
}

/// A figure, right-aligned in its column as mtr prints them.
fn right(text: String) -> Cell<'static> {
    Cell::from(Line::from(text).alignment(Alignment::Right))
}

fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

fn draw_table(frame: &mut Frame, area: Rect, live: &LiveTrace, screen: &TraceScreen) {
    let header = Row::new(
        [Cell::from("Hop"), Cell::from("Host")]
            .into_iter()
            .chain(COLUMNS.into_iter().take(9).map(|c| right(c.to_string()))),
    )
    .style(bold());
    let mut rows = Vec::new();
    for (i, hop) in live.hops.iter().enumerate() {
        let loss = hop.loss_percent();
        let mut style = Style::default();
        if screen.colour && loss > 0.0 {
            style = style.fg(if loss >= 50.0 {
                Color::Red
            } else {
                Color::Yellow
            });
        }
        if i == screen.selected {
            style = style.add_modifier(Modifier::REVERSED);
        }
        rows.push(
            Row::new(vec![
                Cell::from(format!("{}.", hop.ttl)),
                Cell::from(host(hop, 0, screen.names)),
                right(format!("{loss:.1}%")),
                right(hop.sent.to_string()),
                right(hop.received.to_string()),
                right(ms(hop.last_ms)),
                right(ms(hop.avg_ms())),
                right(ms(hop.best_ms)),
                right(ms(hop.worst_ms)),
                right(ms(hop.stddev_ms())),
                right(ms(hop.jitter_ms())),
            ])
            .style(style),
        );
        for nth in 1..hop.responders.len() {
            rows.push(Row::new(vec![String::new(), host(hop, nth, screen.names)]));
        }
    }
    let widths = [
        Constraint::Length(4),
        Constraint::Min(15),
        Constraint::Length(6),
        Constraint::Length(5),
        Constraint::Length(5),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(5),
        Constraint::Length(5),
    ];
    frame.render_widget(Table::new(rows, widths).header(header), area);
}

fn draw_detail(frame: &mut Frame, area: Rect, live: &LiveTrace, screen: &TraceScreen) {
    let Some(hop) = live.hops.get(screen.selected) else {
        frame.render_widget(
            Block::default()
                .borders(Borders::TOP)
                .title("waiting for the first hop"),
            area,
        );
        return;
    };
    let lost = hop.history.iter().filter(|r| r.is_none()).count();
    let title = Line::from(vec![
        Span::styled(
            format!("hop {} {}", hop.ttl, host(hop, 0, screen.names)),
            bold(),
        ),
        Span::raw(format!(
            "  last {} probes, {lost} lost; worst {} ms",
            hop.history.len(),
            ms(hop.worst_ms)
        )),
    ]);
    let block = Block::default().borders(Borders::TOP).title(title);
    let inner = block.inner(area);
    // The newest round trips that fit, in microseconds; a loss is a gap.
    let width = usize::from(inner.width);
    let skip = hop.history.len().saturating_sub(width);
    let data: Vec<u64> = hop
        .history
        .iter()
        .skip(skip)
        .map(|r| r.map_or(0, |ms| (ms * 1000.0).round().max(1.0) as u64))
        .collect();
    let mut spark = Sparkline::default().block(block).data(&data);
    if screen.colour {
        spark = spark.style(Style::default().fg(Color::Cyan));
    }
    frame.render_widget(spark, area);
}

#[cfg(test)]
mod tests {
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
        TraceScreen {
            title: "198.51.100.9".into(),
            selected: 0,
            paused: false,
            names: false,
            colour: false,
        }
    }

    #[test]
    fn the_table_at_80_by_24() {
        let text = screen_text(&four_rounds(), &plain(), 80, 24);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ipkit trace --live 198.51.100.9  round 4");
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
        assert!(
            screen_text(&live, &screen, 80, 24).contains("hop 3 192.0.2.3  last 4 probes, 2 lost")
        );
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
}
