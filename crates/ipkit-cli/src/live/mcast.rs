//! `ipkit mcast ping --live`'s screen: `ping --live`'s chart and table
//! ([`super::ping`], the same widgets over the same
//! [`ipkit::ping::live::Series`]) with two series, as ssmping shows both
//! answers: the responder's unicast answers and its multicast answers
//! through the group. Each series is fed the engine's
//! [`ipkit::mcast::ping::Event`]s — a round trip per answer, a mark at 0
//! per answer that did not come within the wait — and named with the hop
//! distance of its last answer (`dist=`, ssmping's).

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

use ipkit::mcast::ping::Event;
use ratatui::Frame;

use super::ping::{Target, draw_titled};

/// What the chart knows of one `mcast ping`.
#[derive(Debug, Clone, Default)]
pub struct McastChart {
    /// The chart's title: the (S,G) joined and the responder.
    pub title: String,
    /// The unicast answers.
    pub unicast: Target,
    /// The multicast answers.
    pub multicast: Target,
    /// (kind, seq) already charted as lost: a late answer is not a second
    /// probe.
    lost: HashSet<(&'static str, u32)>,
}

impl McastChart {
    /// The chart of pinging `server` through `group` (any-source with `asm`).
    pub fn new(server: IpAddr, group: IpAddr, asm: bool) -> McastChart {
        let source = if asm {
            "*".to_string()
        } else {
            server.to_string()
        };
        McastChart {
            title: format!("ipkit mcast ping --live ({source},{group})  (ms; a loss: a mark at 0)"),
            unicast: Target {
                shown: "unicast".into(),
                ..Target::default()
            },
            multicast: Target {
                shown: "multicast".into(),
                ..Target::default()
            },
            lost: HashSet::new(),
        }
    }

    /// Fold an engine event in, `at` after the chart began.
    pub fn record(&mut self, event: &Event, at: Duration) {
        match event {
            Event::Reply(r) => {
                if self.lost.contains(&(r.kind, r.seq)) {
                    return;
                }
                let target = self.target(r.kind);
                target.shown = match r.hops {
                    Some(h) => format!("{} dist={h}", r.kind),
                    None => r.kind.to_string(),
                };
                target.series.push(at, Some(r.rtt_ms));
            }
            Event::Lost { kind, seq } => {
                self.lost.insert((kind, *seq));
                self.target(kind).series.push(at, None);
            }
        }
    }

    fn target(&mut self, kind: &str) -> &mut Target {
        if kind == "unicast" {
            &mut self.unicast
        } else {
            &mut self.multicast
        }
    }
}

/// Draw the chart of `chart` (as [`super::ping::draw`]).
pub fn draw(frame: &mut Frame, chart: &McastChart, now_s: f64, span_s: f64, colour: bool) {
    let targets = [chart.unicast.clone(), chart.multicast.clone()];
    draw_titled(frame, &chart.title, &targets, now_s, span_s, colour);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipkit::mcast::ping::PingReply;

    fn reply(kind: &'static str, seq: u32, rtt_ms: f64) -> Event {
        Event::Reply(PingReply {
            from: "10.9.0.1".parse().unwrap(),
            kind,
            seq,
            rtt_ms,
            ttl: Some(64),
            hops: Some(0),
        })
    }

    /// Ten requests a second apart: every unicast answer, the multicast
    /// answers to 4 and 7 lost (and 7's coming late, after its loss).
    #[test]
    fn both_series_with_their_losses_at_80_by_24() {
        let mut chart = McastChart::new(
            "10.9.0.1".parse().unwrap(),
            "232.43.211.234".parse().unwrap(),
            false,
        );
        for seq in 1..=10u32 {
            let at = Duration::from_secs(u64::from(seq));
            chart.record(&reply("unicast", seq, 1.0 + f64::from(seq) / 10.0), at);
            if seq == 4 || seq == 7 {
                chart.record(
                    &Event::Lost {
                        kind: "multicast",
                        seq,
                    },
                    at + Duration::from_secs(1),
                );
            } else {
                chart.record(&reply("multicast", seq, 2.0), at);
            }
        }
        chart.record(&reply("multicast", 7, 1500.0), Duration::from_secs(11));
        let (u, m) = (
            chart.unicast.series.figures(),
            chart.multicast.series.figures(),
        );
        assert_eq!((u.probes, u.lost), (10, 0));
        assert_eq!(
            (m.probes, m.lost),
            (10, 2),
            "the late answer is not a probe"
        );
        let text = crate::live::screen_text(80, 24, |f| draw(f, &chart, 60.0, 60.0, false));
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].contains("ipkit mcast ping --live (10.9.0.1,232.43.211.234)"),
            "{text}"
        );
        let row = |name: &str| -> Vec<String> {
            let l = lines.iter().find(|l| l.starts_with(name)).expect(name);
            l.split_whitespace().map(String::from).collect()
        };
        // Unicast: 1.1 … 2.0 ms, mean 1.55, steps of 0.1.
        assert_eq!(
            row("unicast"),
            [
                "unicast", "dist=0", "2.00", "1.10", "2.00", "1.55", "0.10", "2.00", "0.0%"
            ]
        );
        assert_eq!(row("multicast")[8], "20.0%");
        assert!(lines[23].starts_with("q quit"), "{text}");
        insta::assert_snapshot!(text);
    }
}
