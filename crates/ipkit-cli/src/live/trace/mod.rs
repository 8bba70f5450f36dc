//! `ipkit trace --live`'s screen: mtr's table (one row per hop, a further
//! row per extra responder, ECMP; AS and country columns when there is
//! IP-information data), a tab bar when several targets are traced, a
//! detail pane with the selected hop's round trips as a sparkline and a
//! histogram and its responders, a status line and the keys. It draws an
//! [`ipkit::trace::live::LiveTrace`] — the library's rolling statistics —
//! and keeps only what the screen needs: the selection, pause, freeze, the
//! host column's way (address, name, AS), the tabs' labels and the status.

use ipkit::trace::Protocol;
use ipkit::trace::live::{LiveHop, LiveTrace};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Sparkline, Table};

use super::Key;

/// The figure columns after the host, as mtr names them, with their widths.
const COLUMNS: [(&str, u16); 9] = [
    ("Loss%", 6),
    ("Snt", 5),
    ("Rcv", 5),
    ("Last", 6),
    ("Avg", 6),
    ("Best", 6),
    ("Wrst", 6),
    ("StDev", 5),
    ("Jttr", 5),
];

/// Figure columns that may be left out on a narrow screen (from the right).
const OPTIONAL_COLUMNS: usize = 2;

/// The keys line.
const KEYS: &str = "q quit  p pause  f freeze  r reset  n/y host  u/i/t protocol  ↑↓ hop";

/// What the host column shows (`n` toggles names, `y` cycles, `z` AS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostView {
    /// The responder's address.
    Address,
    /// Its reverse name (the address until one is known).
    Name,
    /// Its autonomous system and holder (`AS64500 Example`), from the data.
    As,
}

/// One tab's label in the tab bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabLabel {
    /// The target as shown.
    pub title: String,
    /// Its state ([`tab_state`]).
    pub state: String,
}

/// What the screen shows besides the statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceScreen {
    /// The active tab's target as the user wrote it, and its address.
    pub title: String,
    /// The selected hop's index.
    pub selected: usize,
    /// Probing paused (`p`).
    pub paused: bool,
    /// The screen frozen (`f`): probing goes on, the figures stay.
    pub frozen: bool,
    /// The host column's way; names unless `-n`.
    pub host: HostView,
    /// Colour allowed.
    pub colour: bool,
    /// IP-information data is present: AS and country columns.
    pub ip_data: bool,
    /// The active tab's protocol.
    pub protocol: Protocol,
    /// The status line's message (a protocol change, a refusal …).
    pub status: Option<String>,
    /// The tabs (a bar only when there are several).
    pub tabs: Vec<TabLabel>,
    /// The active tab.
    pub active: usize,
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
    /// Forget the active tab's statistics.
    Reset,
    /// Freeze (true) or unfreeze the screen.
    Freeze(bool),
    /// Restart the active tab's probing with this protocol.
    Protocol(Protocol),
    /// This tab became the active one.
    Tab(usize),
}

impl TraceScreen {
    /// A screen for `title`, the first of `tabs` tabs.
    pub fn new(title: String, protocol: Protocol, names: bool, colour: bool) -> TraceScreen {
        TraceScreen {
            title,
            selected: 0,
            paused: false,
            frozen: false,
            host: if names {
                HostView::Name
            } else {
                HostView::Address
            },
            colour,
            ip_data: false,
            protocol,
            status: None,
            tabs: Vec::new(),
            active: 0,
        }
    }

    /// Apply `key` to the screen with `hops` rows.
    pub fn key(&mut self, key: Key, hops: usize) -> Action {
        let tabs = self.tabs.len().max(1);
        match key {
            Key::Quit => return Action::Quit,
            Key::Interrupt => return Action::Interrupt,
            Key::Pause => self.paused = !self.paused,
            Key::Reset => {
                self.selected = 0;
                return Action::Reset;
            }
            Key::Names => {
                self.host = match self.host {
                    HostView::Name => HostView::Address,
                    _ => HostView::Name,
                }
            }
            Key::HostCycle => {
                self.host = match self.host {
                    HostView::Address => HostView::Name,
                    HostView::Name => HostView::As,
                    HostView::As => HostView::Address,
                }
            }
            Key::AsToggle => {
                self.host = match self.host {
                    HostView::As => HostView::Address,
                    _ => HostView::As,
                }
            }
            Key::Up => self.selected = self.selected.saturating_sub(1),
            Key::Down => self.selected = (self.selected + 1).min(hops.saturating_sub(1)),
            Key::Freeze => {
                self.frozen = !self.frozen;
                return Action::Freeze(self.frozen);
            }
            Key::Protocol(p) => return Action::Protocol(p),
            Key::NextTab => return self.switch((self.active + 1) % tabs),
            Key::PrevTab => return self.switch((self.active + tabs - 1) % tabs),
            Key::Tab(n) if n < tabs => return self.switch(n),
            Key::Tab(_) => {}
        }
        if self.host == HostView::As
            && !self.ip_data
            && matches!(key, Key::HostCycle | Key::AsToggle)
        {
            self.status = Some(
                "no IP-information data: AS unknown (ipkit info --update, or --db FILE)".into(),
            );
        }
        Action::None
    }

    fn switch(&mut self, tab: usize) -> Action {
        if tab == self.active {
            return Action::None;
        }
        self.active = tab;
        self.selected = 0;
        Action::Tab(tab)
    }
}

/// A protocol as the screen names it.
pub fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Udp => "UDP",
        Protocol::Icmp => "ICMP",
        Protocol::Tcp => "TCP",
    }
}

/// A tab's state for the tab bar: its protocol, rounds, and whether the
/// destination answered (or why it stopped: `failed`).
pub fn tab_state(live: &LiveTrace, protocol: Protocol, failed: bool) -> String {
    let p = protocol_name(protocol);
    if failed {
        return format!("{p} failed");
    }
    if live.rounds == 0 && live.hops.is_empty() {
        return format!("{p} starting");
    }
    let end = if live.reached() {
        "reached"
    } else {
        "not reached"
    };
    format!("{p} round {} {end}", live.rounds)
}

/// Milliseconds as mtr prints them (one decimal), blank when none.
fn ms(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| format!("{v:.1}"))
}

/// The host column of a hop's `nth` responder (`???` for none, mtr's).
fn host(hop: &LiveHop, nth: usize, view: HostView) -> String {
    match hop.responders.get(nth) {
        None => "???".to_string(),
        Some(r) => match view {
            HostView::Name => r.name.clone().unwrap_or_else(|| r.addr.to_string()),
            HostView::Address => r.addr.to_string(),
            HostView::As => match (&r.org, r.asn) {
                (Some(org), _) => org.clone(),
                (None, Some(asn)) => format!("AS{asn}"),
                (None, None) => format!("AS??? {}", r.addr),
            },
        },
    }
}

/// The AS column of a responder (`AS64500`, blank when unknown).
fn as_cell(hop: &LiveHop, nth: usize) -> String {
    hop.responders
        .get(nth)
        .and_then(|r| r.asn)
        .map_or_else(String::new, |a| format!("AS{a}"))
}

/// The country column of a responder.
fn country_cell(hop: &LiveHop, nth: usize) -> String {
    hop.responders
        .get(nth)
        .and_then(|r| r.country.clone())
        .unwrap_or_default()
}

/// Draw the whole screen.
pub fn draw(frame: &mut Frame, live: &LiveTrace, screen: &TraceScreen) {
    let tab_rows = u16::from(screen.tabs.len() > 1);
    let [top, tabs, table, detail, status, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(tab_rows),
        Constraint::Min(3),
        Constraint::Length(8),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    let mut state = String::new();
    if screen.paused {
        state.push_str("  [paused]");
    }
    if screen.frozen {
        state.push_str("  [frozen]");
    }
    let top_line = format!(
        "ipkit trace --live {}  round {}  {}{state}",
        screen.title,
        live.rounds,
        protocol_name(screen.protocol)
    );
    frame.render_widget(Paragraph::new(top_line).style(bold()), top);
    if tab_rows > 0 {
        draw_tabs(frame, tabs, screen);
    }
    draw_table(frame, table, live, screen);
    draw_detail(frame, detail, live, screen);
    if let Some(message) = &screen.status {
        frame.render_widget(Paragraph::new(message.as_str()), status);
    }
    frame.render_widget(Paragraph::new(KEYS), keys);
}

fn draw_tabs(frame: &mut Frame, area: Rect, screen: &TraceScreen) {
    let mut spans = Vec::new();
    for (i, tab) in screen.tabs.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" │ "));
        }
        let text = format!("{} {} {}", i + 1, tab.title, tab.state);
        spans.push(if i == screen.active {
            Span::styled(text, bold().add_modifier(Modifier::REVERSED))
        } else {
            Span::raw(text)
        });
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A figure, right-aligned in its column as mtr prints them.
fn right(text: String) -> Cell<'static> {
    Cell::from(Line::from(text).alignment(Alignment::Right))
}

fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

fn draw_table(frame: &mut Frame, area: Rect, live: &LiveTrace, screen: &TraceScreen) {
    // Hop, host (15 at least), the AS and country with data, the figures;
    // one space between columns. The optional figures go first when narrow.
    let label_widths: &[u16] = if screen.ip_data { &[8, 2] } else { &[] };
    let width_of = |figures: usize| {
        let cols = 2 + label_widths.len() + figures;
        4 + 15
            + label_widths.iter().sum::<u16>()
            + COLUMNS[..figures].iter().map(|c| c.1).sum::<u16>()
            + (cols as u16 - 1)
    };
    let mut figures = COLUMNS.len();
    while figures > COLUMNS.len() - OPTIONAL_COLUMNS && width_of(figures) > area.width {
        figures -= 1;
    }
    let columns = &COLUMNS[..figures];
    let mut head = vec![Cell::from("Hop"), Cell::from("Host")];
    if screen.ip_data {
        head.extend([Cell::from("AS"), Cell::from("CC")]);
    }
    head.extend(columns.iter().map(|c| right(c.0.to_string())));
    let header = Row::new(head).style(bold());
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
        let mut cells = vec![
            Cell::from(format!("{}.", hop.ttl)),
            Cell::from(host(hop, 0, screen.host)),
        ];
        if screen.ip_data {
            cells.extend([
                Cell::from(as_cell(hop, 0)),
                Cell::from(country_cell(hop, 0)),
            ]);
        }
        let figures = [
            format!("{loss:.1}%"),
            hop.sent.to_string(),
            hop.received.to_string(),
            ms(hop.last_ms),
            ms(hop.avg_ms()),
            ms(hop.best_ms),
            ms(hop.worst_ms),
            ms(hop.stddev_ms()),
            ms(hop.jitter_ms()),
        ];
        cells.extend(figures.into_iter().take(columns.len()).map(right));
        rows.push(Row::new(cells).style(style));
        for nth in 1..hop.responders.len() {
            let mut cells = vec![String::new(), host(hop, nth, screen.host)];
            if screen.ip_data {
                cells.extend([as_cell(hop, nth), country_cell(hop, nth)]);
            }
            rows.push(Row::new(cells));
        }
    }
    let mut widths = vec![Constraint::Length(4), Constraint::Min(15)];
    widths.extend(label_widths.iter().map(|w| Constraint::Length(*w)));
    widths.extend(columns.iter().map(|c| Constraint::Length(c.1)));
    frame.render_widget(Table::new(rows, widths).header(header), area);
}

mod detail;
use detail::draw_detail;

#[cfg(test)]
mod tests;
