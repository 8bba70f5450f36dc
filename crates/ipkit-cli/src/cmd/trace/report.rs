//! mtr --report's view of `ipkit trace --report -c N`: `Start: <time>`,
//! `HOST: <this host>  Loss%   Snt   Last   Avg  Best  Wrst StDev` and one
//! row per hop, `  1.|-- 192.0.2.1  0.0%    10    0.1   0.1   0.1   0.2
//! 0.0`, `???` for a hop that never answered; the `Jttr` column only with
//! `--jitter`. Rendered from [`HopReport`] values; no I/O (the start time
//! and host name are given).

use std::fmt::Write as _;

use ipkit::trace::HopReport;

/// Width of the host column after `HOST: ` (mtr's).
const HOST_WIDTH: usize = 28;

/// The table's first two lines.
pub fn header(start: &str, hostname: &str, jitter: bool) -> String {
    let mut t = format!(
        "Start: {start}\nHOST: {hostname:<HOST_WIDTH$}{:>5}{:>6}{:>7}{:>6}{:>6}{:>6}{:>6}",
        "Loss%", "Snt", "Last", "Avg", "Best", "Wrst", "StDev"
    );
    if jitter {
        let _ = write!(t, "{:>5}", "Jttr");
    }
    t
}

/// One hop's row: its first responder (`???` when none answered), then
/// further responders of the hop on lines of their own, as mtr shows
/// several paths (`    |  `… with -o, here `       addr`).
///
/// `as_path` adds mtr `-z`'s column before the host: the first
/// responder's `AS15169`, `AS???` when the data has no AS for it.
pub fn row(hop: &HopReport, numeric: bool, jitter: bool, as_path: bool) -> String {
    let s = &hop.stats;
    let mut responders: Vec<String> = Vec::new();
    for p in &hop.probes {
        if let Some(from) = p.from {
            let shown = match &p.name {
                Some(name) if !numeric => name.clone(),
                _ => from.to_string(),
            };
            if !responders.contains(&shown) {
                responders.push(shown);
            }
        }
    }
    let mut first = responders.first().map_or("???", String::as_str).to_string();
    if as_path {
        let asn = hop
            .probes
            .iter()
            .find(|p| p.from.is_some())
            .and_then(|p| p.asn);
        let asn = asn.map_or_else(|| "AS???".to_string(), |n| format!("AS{n}"));
        first = format!("{asn:<8} {first}");
    }
    let ms = |v: Option<f64>| v.unwrap_or(0.0);
    let mut t = format!(
        "{:>3}.|-- {first:<w$}{:>6}{:>6}{:>7.1}{:>6.1}{:>6.1}{:>6.1}{:>6.1}",
        hop.ttl,
        format!("{:.1}%", s.loss_percent),
        s.sent,
        ms(s.last_ms),
        ms(s.avg_ms),
        ms(s.best_ms),
        ms(s.worst_ms),
        ms(s.stddev_ms),
        w = HOST_WIDTH - 3,
    );
    if jitter {
        let _ = write!(t, "{:>5.1}", ms(s.jitter_ms));
    }
    for other in responders.iter().skip(1) {
        let _ = write!(t, "\n    |   {other}");
    }
    t
}

/// mtr's `Start:` time, `2026-12-02T00:40:45+0000`, in UTC, from the time
/// since the Unix epoch.
pub fn start_time(since_epoch: std::time::Duration) -> String {
    let secs = since_epoch.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+0000",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::trace::fixtures;

    fn hop(ttl: u8, rtts: &[Option<f64>]) -> HopReport {
        let probes = rtts
            .iter()
            .map(|r| fixtures::probe(r.map(|_| "192.0.2.1"), *r))
            .collect();
        fixtures::hop(ttl, probes)
    }

    #[test]
    fn columns_line_up_under_mtr_s_titles() {
        let head = header("2026-12-02T00:00:00+0000", "box", false);
        let titles = head.lines().nth(1).unwrap();
        assert_eq!(
            titles,
            "HOST: box                         Loss%   Snt   Last   Avg  Best  Wrst StDev"
        );
        let r = row(
            &hop(1, &[Some(0.3), Some(0.2), Some(0.4)]),
            true,
            false,
            false,
        );
        assert_eq!(
            r,
            "  1.|-- 192.0.2.1                  0.0%     3    0.4   0.3   0.2   0.4   0.1"
        );
        assert_eq!(r.len(), titles.len());
        // mtr -o "LS NABWVJ": the jitter column, 5 wide.
        let head = header("2026-12-02T00:00:00+0000", "box", true);
        assert!(head.ends_with("  Wrst StDev Jttr"), "{head}");
        let r = row(
            &hop(1, &[Some(0.2), Some(0.4), Some(0.2)]),
            true,
            true,
            false,
        );
        assert!(r.ends_with("   0.1  0.2"), "{r}");
        let silent = row(&hop(2, &[None, None]), true, false, false);
        assert!(silent.starts_with("  2.|-- ???  "), "{silent}");
        assert!(silent.contains("100.0%     2"), "{silent}");
        assert_eq!(
            start_time(std::time::Duration::from_secs(1_796_172_045)),
            "2026-12-02T00:40:45+0000"
        );
    }

    #[test]
    fn the_as_column_comes_before_the_host_as_mtr_z_shows_it() {
        let mut labelled = hop(1, &[Some(0.3)]);
        labelled.probes[0].asn = Some(64500);
        let r = row(&labelled, true, false, true);
        assert!(r.starts_with("  1.|-- AS64500  192.0.2.1 "), "{r}");
        let unknown = row(&hop(2, &[Some(0.3)]), true, false, true);
        assert!(
            unknown.starts_with("  2.|-- AS???    192.0.2.1 "),
            "{unknown}"
        );
    }
}
