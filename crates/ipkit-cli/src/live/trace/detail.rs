//! The trace screen's detail pane: the selected hop's round trips as a
//! sparkline and a histogram (ms), and its responders with their labels.

use super::*;

pub(super) fn draw_detail(frame: &mut Frame, area: Rect, live: &LiveTrace, screen: &TraceScreen) {
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
            format!("hop {} {}", hop.ttl, host(hop, 0, screen.host)),
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
    frame.render_widget(block, area);
    let [spark_area, histogram_area, responders_area] = Layout::horizontal([
        Constraint::Percentage(34),
        Constraint::Percentage(33),
        Constraint::Percentage(33),
    ])
    .spacing(1)
    .areas(inner);
    draw_sparkline(frame, spark_area, hop, screen);
    draw_histogram(frame, histogram_area, hop, screen);
    draw_responders(frame, responders_area, hop);
}

/// The newest round trips that fit, in microseconds; a loss is a gap.
fn draw_sparkline(frame: &mut Frame, area: Rect, hop: &LiveHop, screen: &TraceScreen) {
    let block = Block::default().title("RTT history");
    let width = usize::from(block.inner(area).width);
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

/// One line per bucket: its range in ms, a bar, the count.
fn draw_histogram(frame: &mut Frame, area: Rect, hop: &LiveHop, screen: &TraceScreen) {
    let rows = usize::from(area.height.saturating_sub(1));
    let buckets = hop.histogram(rows);
    let max = buckets.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let counts = buckets
        .iter()
        .map(|b| b.count.to_string().len())
        .max()
        .unwrap_or(1);
    // Enough decimals that neighbouring edges differ (1 to 3).
    let step = buckets.first().map_or(1.0, |b| b.to_ms - b.from_ms);
    let places = if step > 0.0 {
        (-step.log10()).ceil().clamp(1.0, 3.0) as usize
    } else {
        1
    };
    let edge = buckets
        .last()
        .map_or(1, |b| format!("{:.places$}", b.to_ms).len());
    let mut lines = vec![Line::styled("RTT histogram, ms", bold())];
    for b in &buckets {
        let range = format!("{:>edge$.places$}-{:<edge$.places$}", b.from_ms, b.to_ms);
        let room = usize::from(area.width).saturating_sub(range.len() + counts + 2);
        let bar = "█".repeat((b.count * room).div_ceil(max).min(room));
        let mut bar_style = Style::default();
        if screen.colour {
            bar_style = bar_style.fg(Color::Cyan);
        }
        lines.push(Line::from(vec![
            Span::raw(format!("{range} ")),
            Span::styled(format!("{bar:<room$}"), bar_style),
            Span::raw(format!(" {:>counts$}", b.count)),
        ]));
    }
    if buckets.is_empty() {
        lines.push(Line::raw("no replies kept"));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// The hop's responders, each with its replies (and AS, country).
fn draw_responders(frame: &mut Frame, area: Rect, hop: &LiveHop) {
    let mut lines = vec![Line::styled("responders (replies)", bold())];
    for r in &hop.responders {
        let mut text = format!("{} ({})", r.addr, r.replies);
        if let Some(asn) = r.asn {
            text.push_str(&format!(" AS{asn}"));
        }
        if let Some(cc) = &r.country {
            text.push_str(&format!(" {cc}"));
        }
        lines.push(Line::raw(text));
    }
    if hop.responders.is_empty() {
        lines.push(Line::raw("none answered"));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
