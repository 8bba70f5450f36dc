//! `ipkit man`: one roff document, rendered from the same clap `Command`
//! as `--help` (clap_mangen): the main page with the sections clap does not
//! know — COMMANDS, EXIT STATUS, ENVIRONMENT, WINDOWS SPELLINGS — then a page
//! for every command and every subcommand (`ipkit-cidr-merge`), each with its
//! options and examples. Pages refer to each other by name without a manual
//! section, since they all live in this one document.

use std::io::{self, Write};

use clap::Command;
use clap_mangen::Man;

/// The main page's own sections, in roff.
const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "Success."),
    (
        "1",
        "A negative result: no match, no reply, NXDOMAIN, nothing held the port, a trace that did not reach its destination.",
    ),
    (
        "2",
        "An error: bad usage, bad input (a stream reports each bad line, skips it, and still exits 2), I/O.",
    ),
    (
        "3",
        "resolve: a temporary resolver failure (EAI_AGAIN); dns: no answer in time; kill and neigh \\-d '*': the question was answered no.",
    ),
    (
        "4",
        "resolve: any other resolver failure; dns: a server failure (SERVFAIL, REFUSED).",
    ),
    (
        "130, 143",
        "A streaming command stopped by SIGINT or SIGTERM, after flushing what it found and saying what was not done.",
    ),
];

const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "NO_COLOR",
        "When set and not empty, no colour, whatever \\-\\-color says (https://no\\-color.org).",
    ),
    (
        "LOCALDOMAIN, RES_OPTIONS",
        "dns: the search list and resolver options, as glibc reads them on top of /etc/resolv.conf.",
    ),
];

const WINDOWS: &[(&str, &str)] = &[
    (
        "ipkit ping \\-\\-windows",
        "Windows ping's letters: \\-t \\-a \\-n count \\-l size \\-f \\-i TTL \\-v TOS \\-r count \\-s count \\-j hosts \\-k hosts \\-w timeout, and its view.",
    ),
    (
        "ipkit tracert, ipkit trace \\-\\-windows",
        "Windows tracert's letters, any case, with / or \\-: \\-d \\-h max_hops \\-j host\\-list \\-w timeout \\-R \\-S srcaddr \\-4 \\-6, and its view.",
    ),
    (
        "ipkit ipconfig /all",
        "The same as ipkit if \\-\\-all; /? for help.",
    ),
    (
        "ipkit netstat \\-a \\-o",
        "Also /a /o /n /p tcp; the Windows table is the default view under netstat.",
    ),
    (
        "ipkit arp \\-a \\-N if_addr",
        "Also /a /g /N /s /d; \\-s takes 00\\-aa\\-00\\-62\\-c6\\-09 MACs.",
    ),
    (
        "ipkit taskkill /F /PID n",
        "ipkit kill \\-\\-force \\-\\-pid n; /IM name is \\-\\-name.",
    ),
];

fn section(w: &mut dyn Write, title: &str, rows: &[(&str, &str)]) -> io::Result<()> {
    writeln!(w, ".SH \"{title}\"")?;
    for (tag, text) in rows {
        writeln!(w, ".TP\n\\fB{tag}\\fR\n{text}")?;
    }
    Ok(())
}

/// `name` with roff's hyphen escaped.
fn roff(name: &str) -> String {
    name.replace('-', "\\-")
}

/// The commands under `cmd`, by the names their pages have here.
fn commands(w: &mut dyn Write, page: &str, cmd: &Command) -> io::Result<()> {
    let subs: Vec<&Command> = cmd
        .get_subcommands()
        .filter(|s| s.get_name() != "help")
        .collect();
    if subs.is_empty() {
        return Ok(());
    }
    writeln!(w, ".SH COMMANDS")?;
    for s in subs {
        let about = s.get_about().map(ToString::to_string).unwrap_or_default();
        writeln!(
            w,
            ".TP\n\\fB{}\\fR\n{}",
            roff(&format!("{page}-{}", s.get_name())),
            roff(&about)
        )?;
    }
    writeln!(w, ".PP\nEach command's page follows in this document.")
}

/// One page: clap's sections, our command list in place of its SUBCOMMANDS
/// (which names separate man pages), and the main page's extra sections.
fn page(w: &mut dyn Write, name: &str, cmd: &Command, main: bool) -> io::Result<()> {
    let man = Man::new(cmd.clone().name(name.to_string()));
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    commands(w, name, cmd)?;
    man.render_extra_section(w)?;
    if main {
        section(w, "EXIT STATUS", EXIT_STATUS)?;
        section(w, "ENVIRONMENT", ENVIRONMENT)?;
        section(w, "WINDOWS SPELLINGS", WINDOWS)?;
        man.render_version_section(w)?;
    }
    Ok(())
}

fn pages(w: &mut dyn Write, name: &str, cmd: &Command) -> io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let sub_name = format!("{name}-{}", sub.get_name());
        page(w, &sub_name, sub, false)?;
        pages(w, &sub_name, sub)?;
    }
    Ok(())
}

/// Render the whole document.
pub fn render(top: &Command) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut top = top.clone();
    top.build();
    page(&mut buf, "ipkit", &top, true)?;
    pages(&mut buf, "ipkit", &top)?;
    Ok(buf)
}
