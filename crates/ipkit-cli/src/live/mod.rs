//! The terminal live views (`ipkit trace --live`, `ipkit ping --live`): full-screen renderers of
//! the engines' events, drawn with ratatui on crossterm. This module owns
//! the terminal: [`Screen`] enters raw mode and the alternate screen and
//! leaves them on drop, on panic (a hook restores before the message is
//! printed) and so on every way out, Ctrl-C included (in raw mode it is a
//! key, handled by the views). The widgets are in the submodules; they
//! draw on any ratatui backend, so tests draw them on a `TestBackend`.
//! `ipkit mcast ping --live` draws ping's chart ([`mcast`]).

pub mod mcast;
pub mod ping;
#[cfg(test)]
mod scenarios;
pub mod trace;

use std::io::{self, IsTerminal, Stdout};
use std::sync::Once;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Why `--live` cannot run here, when stdin or stdout is not a terminal.
pub fn needs_terminal(flag: &str) -> Option<String> {
    let ok = io::stdout().is_terminal() && io::stdin().is_terminal();
    (!ok).then(|| {
        format!(
            "{flag} needs a terminal (stdin and stdout are not one); --json streams the same events"
        )
    })
}

/// The terminal in raw mode on the alternate screen, until dropped.
pub struct Screen {
    /// The ratatui terminal drawing on stdout.
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Screen {
    /// Take the terminal over.
    pub fn enter() -> io::Result<Screen> {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore();
                previous(info);
            }));
        });
        TAKEN.store(true, std::sync::atomic::Ordering::SeqCst);
        crossterm::terminal::enable_raw_mode()?;
        let mut out = io::stdout();
        if let Err(e) = crossterm::execute!(out, EnterAlternateScreen, crossterm::cursor::Hide) {
            restore();
            return Err(e);
        }
        match Terminal::new(CrosstermBackend::new(out)) {
            Ok(terminal) => Ok(Screen { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
    }
}

/// Whether the terminal is ours (raw, alternate screen): [`restore`] acts
/// once, so a panic's restore and the drop after it do not leave the
/// alternate screen twice (the second would move the cursor back over the
/// panic's message).
static TAKEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Give the terminal back as it was (idempotent: errors are ignored, there
/// is nobody left to tell).
fn restore() {
    if !TAKEN.swap(false, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = crossterm::execute!(io::stdout(), LeaveAlternateScreen, crossterm::cursor::Show);
}

/// What a key asks of a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// `q` or Esc.
    Quit,
    /// Ctrl-C: quit as after SIGINT.
    Interrupt,
    /// `p`.
    Pause,
    /// `r`.
    Reset,
    /// `n`.
    Names,
    /// Up arrow or `k`.
    Up,
    /// Down arrow or `j`.
    Down,
    /// `f`: freeze the screen (probing goes on).
    Freeze,
    /// `y`: the host column's next way (address, name, AS; mtr's `y`).
    HostCycle,
    /// `z`: AS in the host column or not (trippy's `z`).
    AsToggle,
    /// `u`, `i`, `t`: probe with UDP, ICMP, TCP from now on.
    Protocol(ipkit::trace::Protocol),
    /// Tab: the next tab.
    NextTab,
    /// Shift-Tab: the previous tab.
    PrevTab,
    /// `1`…`9`: that tab.
    Tab(usize),
}

/// The [`Key`] a terminal event means, if any.
pub fn key_of(event: &Event) -> Option<Key> {
    let Event::Key(KeyEvent {
        code,
        modifiers,
        kind,
        ..
    }) = event
    else {
        return None;
    };
    if *kind == KeyEventKind::Release {
        return None;
    }
    Some(match code {
        KeyCode::Char('c') if modifiers.contains(KeyModifiers::CONTROL) => Key::Interrupt,
        KeyCode::Char('q') | KeyCode::Esc => Key::Quit,
        KeyCode::Char('p') | KeyCode::Char(' ') => Key::Pause,
        KeyCode::Char('r') => Key::Reset,
        KeyCode::Char('n') => Key::Names,
        KeyCode::Up | KeyCode::Char('k') => Key::Up,
        KeyCode::Down | KeyCode::Char('j') => Key::Down,
        KeyCode::Char('f') => Key::Freeze,
        KeyCode::Char('y') => Key::HostCycle,
        KeyCode::Char('z') => Key::AsToggle,
        KeyCode::Char('u') => Key::Protocol(ipkit::trace::Protocol::Udp),
        KeyCode::Char('i') => Key::Protocol(ipkit::trace::Protocol::Icmp),
        KeyCode::Char('t') => Key::Protocol(ipkit::trace::Protocol::Tcp),
        KeyCode::Tab => Key::NextTab,
        KeyCode::BackTab => Key::PrevTab,
        KeyCode::Char(c @ '1'..='9') => Key::Tab(*c as usize - '1' as usize),
        _ => return None,
    })
}

/// The text a test's drawing leaves on a `w`×`h` TestBackend, a line per
/// row with trailing blanks cut.
#[cfg(test)]
pub fn screen_text(w: u16, h: u16, draw: impl FnOnce(&mut ratatui::Frame)) -> String {
    let mut t = Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("a test terminal");
    t.draw(draw).expect("drawn");
    let buf = t.backend().buffer();
    (0..h)
        .map(|y| {
            let l: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
            l.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
