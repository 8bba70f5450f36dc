//! `ipkit ping --live`'s screen, gping's: one chart of round trips over
//! time (braille), one series per target, losses marked along the bottom,
//! and a table of each target's last/min/max/avg/jitter/p95 and loss over
//! the window. It draws the library's [`ipkit::ping::live::Series`].

use ipkit::ping::live::Series;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{
    Axis, Block, Borders, Cell, Chart, Dataset, GraphType, Paragraph, Row, Table,
};

/// The series' colours, in target order (with colour allowed).
const COLOURS: [Color; 6] = [
    Color::Cyan,
    Color::Yellow,
    Color::Magenta,
    Color::Green,
    Color::Blue,
    Color::Red,
];

/// Without colour the series differ by their marks.
const MARKS: [Marker; 4] = [Marker::Braille, Marker::Dot, Marker::Block, Marker::Bar];

/// One target on the chart.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// As the user wrote it.
    pub shown: String,
    /// Its window.
    pub series: Series,
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"))
}

fn right(text: String) -> Cell<'static> {
    Cell::from(Line::from(text).alignment(Alignment::Right))
}

/// How often a chart redraws.
const FRAME: std::time::Duration = std::time::Duration::from_millis(100);
/// Ctrl-C in raw mode is a key: exit as after SIGINT (128 + 2).
const AFTER_CTRL_C: u8 = 130;

/// The loop of the chart views (`ping --live`, `mcast ping --live`): fold
/// what the engines sent into `state` (`fold`; an error ends the view
/// with it), redraw ten times a second (`draw`, given the seconds since
/// `start`), until `q` (exit 0), Ctrl-C (130) or a signal (its code).
pub fn run_chart<S>(
    screen: &mut super::Screen,
    interrupt: &crate::interrupt::Interrupt,
    start: std::time::Instant,
    state: &mut S,
    mut fold: impl FnMut(&mut S) -> anyhow::Result<()>,
    draw: impl Fn(&mut Frame, &S, f64),
) -> anyhow::Result<u8> {
    loop {
        fold(state)?;
        if interrupt.fired() {
            return Ok(interrupt.exit_code().unwrap_or(AFTER_CTRL_C));
        }
        let now = start.elapsed().as_secs_f64();
        screen.terminal.draw(|f| draw(f, state, now))?;
        if !crossterm::event::poll(FRAME)? {
            continue;
        }
        match super::key_of(&crossterm::event::read()?) {
            Some(super::Key::Quit) => return Ok(crate::exit::OK),
            Some(super::Key::Interrupt) => return Ok(AFTER_CTRL_C),
            _ => {}
        }
    }
}

/// Draw the chart, the table and the keys; `now_s` is the chart's right
/// edge (seconds since it began), `span_s` its width.
pub fn draw(frame: &mut Frame, targets: &[Target], now_s: f64, span_s: f64, colour: bool) {
    draw_titled(
        frame,
        "ipkit ping --live  (round trip, ms; a lost probe: a mark at 0)",
        targets,
        now_s,
        span_s,
        colour,
    );
}

/// [`draw`] under another title (`mcast ping --live` charts its two kinds
/// of answer with this same chart).
pub fn draw_titled(
    frame: &mut Frame,
    title: &str,
    targets: &[Target],
    now_s: f64,
    span_s: f64,
    colour: bool,
) {
    let table_rows = u16::try_from(targets.len())
        .unwrap_or(u16::MAX)
        .saturating_add(1);
    let [chart_area, table_area, keys] = Layout::vertical([
        Constraint::Min(5),
        Constraint::Length(table_rows),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    let from = (now_s - span_s).max(0.0);
    let points: Vec<Vec<(f64, f64)>> = targets
        .iter()
        .map(|t| {
            t.series
                .samples
                .iter()
                .filter_map(|s| Some((s.at.as_secs_f64(), s.rtt_ms?)))
                .filter(|(x, _)| *x >= from)
                .collect()
        })
        .collect();
    let lost: Vec<Vec<(f64, f64)>> = targets
        .iter()
        .map(|t| {
            t.series
                .samples
                .iter()
                .filter(|s| s.rtt_ms.is_none() && s.at.as_secs_f64() >= from)
                .map(|s| (s.at.as_secs_f64(), 0.0))
                .collect()
        })
        .collect();
    let top = points
        .iter()
        .flatten()
        .map(|p| p.1)
        .fold(0.0_f64, f64::max)
        .max(0.1)
        * 1.1;
    let style_of = |i: usize| {
        if colour {
            Style::default().fg(COLOURS[i % COLOURS.len()])
        } else {
            Style::default()
        }
    };
    let mark_of = |i: usize| {
        if colour {
            Marker::Braille
        } else {
            MARKS[i % MARKS.len()]
        }
    };
    let mut datasets = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        datasets.push(
            Dataset::default()
                .name(t.shown.clone())
                .marker(mark_of(i))
                .graph_type(GraphType::Line)
                .style(style_of(i))
                .data(&points[i]),
        );
        if !lost[i].is_empty() {
            datasets.push(
                Dataset::default()
                    .marker(Marker::Block)
                    .graph_type(GraphType::Scatter)
                    .style(style_of(i).add_modifier(Modifier::BOLD))
                    .data(&lost[i]),
            );
        }
    }
    let chart = Chart::new(datasets)
        .block(
            Block::default()
                .borders(Borders::BOTTOM)
                .title(title.to_string()),
        )
        .x_axis(
            Axis::default()
                .title("s")
                .bounds([from, from + span_s])
                .labels([format!("{from:.0}"), format!("{:.0}", from + span_s)]),
        )
        .y_axis(
            Axis::default()
                .title("ms")
                .bounds([0.0, top])
                .labels(["0".to_string(), format!("{top:.1}")]),
        );
    frame.render_widget(chart, chart_area);
    let header = Row::new(
        [Cell::from("Target")].into_iter().chain(
            ["Last", "Min", "Max", "Avg", "Jitter", "p95", "Loss"]
                .into_iter()
                .map(|h| right(h.to_string())),
        ),
    )
    .style(Style::default().add_modifier(Modifier::BOLD));
    let rows = targets.iter().enumerate().map(|(i, t)| {
        let f = t.series.figures();
        let loss = if f.probes == 0 {
            0.0
        } else {
            100.0 * f.lost as f64 / f.probes as f64
        };
        Row::new(vec![
            Cell::from(t.shown.clone()),
            right(ms(f.last)),
            right(ms(f.min)),
            right(ms(f.max)),
            right(ms(f.avg)),
            right(ms(f.jitter)),
            right(ms(f.p95)),
            right(format!("{loss:.1}%")),
        ])
        .style(style_of(i))
    });
    let widths = [
        Constraint::Min(16),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(7),
    ];
    frame.render_widget(Table::new(rows, widths).header(header), table_area);
    frame.render_widget(Paragraph::new("q quit"), keys);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipkit::ping::session::PingEvent;
    use ratatui::backend::TestBackend;
    use std::time::Duration;

    fn reply(ms: u64) -> PingEvent {
        PingEvent::Reply {
            from: "192.0.2.1".parse().unwrap(),
            seq: 0,
            bytes: 64,
            ttl: Some(64),
            rtt: Duration::from_millis(ms),
            duplicate: false,
            late: false,
            options: Vec::new(),
        }
    }

    #[test]
    fn two_targets_at_80_by_24() {
        let mut a = Target {
            shown: "192.0.2.1".into(),
            ..Target::default()
        };
        let mut b = Target {
            shown: "192.0.2.2".into(),
            ..Target::default()
        };
        for i in 0..10u64 {
            a.series.record(&reply(10 + i), Duration::from_secs(i));
            let e = if i == 4 {
                PingEvent::Timeout { seq: 4 }
            } else {
                reply(20)
            };
            b.series.record(&e, Duration::from_secs(i));
        }
        let mut t = ratatui::Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| draw(f, &[a, b], 10.0, 60.0, false)).unwrap();
        let buf = t.backend().buffer();
        let lines: Vec<String> = (0..24)
            .map(|y| (0..80).map(|x| buf[(x, y)].symbol().to_string()).collect())
            .collect();
        let text = lines.join("\n");
        let row = |name: &str| -> Vec<String> {
            let l = lines.iter().find(|l| l.starts_with(name)).expect(name);
            l.split_whitespace().map(String::from).collect()
        };
        // a: 10..19 ms; jitter 1; p95 of 10 values: the 10th smallest.
        assert_eq!(
            row("192.0.2.1"),
            [
                "192.0.2.1",
                "19.00",
                "10.00",
                "19.00",
                "14.50",
                "1.00",
                "19.00",
                "0.0%"
            ]
        );
        assert_eq!(row("192.0.2.2")[7], "10.0%");
        assert!(
            text.contains('⠀')
                || text.contains('⣀')
                || text.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)),
            "{text}"
        );
        assert!(lines[23].starts_with("q quit"), "{text}");
        let trimmed: Vec<&str> = lines.iter().map(|l| l.trim_end()).collect();
        insta::assert_snapshot!(trimmed.join("\n"));
    }
}
