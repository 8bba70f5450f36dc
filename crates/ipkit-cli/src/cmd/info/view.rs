//! The human views of `ipkit info`: ipinfo's CLI "Core" block for one
//! answer (its layout, as `ipinfo 8.8.8.8` prints it in ipinfo/cli:
//! `Core` then `- IP`, `- Hostname`, `- City`, `- Region`, `- Country`,
//! `- Location`, `- Organization`, `- Postal`, `- Timezone`, labels padded
//! to 13 columns), and the summary's tables in the manner of `ipinfo
//! summarize`. No I/O beyond the writer.

use std::io::{self, Write};

use ipkit::info::IpInfo;
use ipkit::info::summary::{Count, Summary};

use crate::message::safe_line;
use crate::output::Output;

/// How many values each summary table lists.
const TOP: usize = 10;

/// One answer as ipinfo's "Core" block.
pub fn core(w: &mut impl Write, a: &IpInfo, no_data: bool, out: &Output) -> io::Result<()> {
    writeln!(w, "{}", out.bold("Core"))?;
    row(w, "IP", &a.ip.to_string())?;
    if let Some(h) = &a.hostname {
        row(w, "Hostname", h)?;
    }
    if a.is_bogon() {
        row(w, "Bogon", "true")?;
        if let Some(b) = ipkit::info::bogon::block(a.ip) {
            row(w, "Block", &format!("{} ({}, {})", b.prefix, b.name, b.rfc))?;
        }
        return Ok(());
    }
    let rows = [
        ("City", &a.city),
        ("Region", &a.region),
        ("Country", &a.country),
        ("Location", &a.loc),
        ("Organization", &a.org),
        ("Postal", &a.postal),
        ("Timezone", &a.timezone),
    ];
    for (label, value) in rows {
        if let Some(v) = value {
            row(w, label, v)?;
        }
    }
    if no_data {
        row(
            w,
            "Data",
            "none: run `ipkit info --update` or give --db FILE",
        )?;
    } else if !a.has_data() {
        row(w, "Data", "not in the database")?;
    }
    Ok(())
}

fn row(w: &mut impl Write, label: &str, value: &str) -> io::Result<()> {
    writeln!(w, "- {label:<12} {}", safe_line(value))
}

/// The summary as tables.
pub fn summary(w: &mut impl Write, s: &Summary, out: &Output) -> io::Result<()> {
    writeln!(w, "{}", out.bold("Summary"))?;
    writeln!(w, "- {:<12} {}", "Total", s.total)?;
    writeln!(w, "- {:<12} {}", "Unique", s.unique)?;
    writeln!(
        w,
        "- {:<12} {} ({})",
        "Bogon",
        s.bogons,
        percent(s.bogon_share)
    )?;
    if s.bad_lines > 0 {
        writeln!(w, "- {:<12} {}", "Bad lines", s.bad_lines)?;
    }
    for (title, counts) in [
        ("Top ASNs", &s.asns),
        ("Top Countries", &s.countries),
        ("Top Regions", &s.regions),
        ("Top Cities", &s.cities),
    ] {
        if counts.is_empty() {
            continue;
        }
        writeln!(w)?;
        writeln!(w, "{}", out.bold(title))?;
        table(w, counts)?;
    }
    Ok(())
}

fn table(w: &mut impl Write, counts: &[Count]) -> io::Result<()> {
    let shown = &counts[..counts.len().min(TOP)];
    let width = shown
        .iter()
        .map(|c| c.value.chars().count())
        .max()
        .unwrap_or(0);
    for c in shown {
        writeln!(
            w,
            "- {:<width$}  {} ({})",
            safe_line(&c.value),
            c.count,
            percent(c.share)
        )?;
    }
    if counts.len() > TOP {
        writeln!(w, "  … and {} more", counts.len() - TOP)?;
    }
    Ok(())
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}
