//! A minimal SVG writer: the elements the pictures use, with their text
//! escaped. Coordinates are pixels of the picture's canvas.

use std::fmt::Write as _;

/// The font the labels ask for (DejaVu Sans, Debian's fonts-dejavu-core;
/// any sans-serif otherwise).
pub const FONT: &str = "DejaVu Sans, Verdana, sans-serif";

/// An SVG document being written.
#[derive(Debug)]
pub struct Svg {
    body: String,
    width: u32,
    height: u32,
}

/// `text` with XML's special characters escaped.
///
/// # Examples
/// ```
/// assert_eq!(ipkit::picture::svg::escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A number as an SVG coordinate: two decimals at most, never NaN.
fn n(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// How a text is anchored at its point.
#[derive(Debug, Clone, Copy)]
pub enum Anchor {
    /// Its start.
    Start,
    /// Its middle.
    Middle,
    /// Its end.
    End,
}

impl Anchor {
    fn name(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

impl Svg {
    /// A white canvas of `width` × `height` pixels titled `title`.
    pub fn new(width: u32, height: u32, title: &str) -> Svg {
        let mut body = String::new();
        let _ = write!(
            body,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="12"><title>{}</title><rect class="background" x="0" y="0" width="{width}" height="{height}" fill="white"/>"#,
            escape(title)
        );
        Svg {
            body,
            width,
            height,
        }
    }

    /// The canvas width.
    pub fn width(&self) -> f64 {
        f64::from(self.width)
    }

    /// The canvas height.
    pub fn height(&self) -> f64 {
        f64::from(self.height)
    }

    /// Open a group with these attributes (`class="…"` and the like,
    /// written as given: the caller escapes values).
    pub fn open_group(&mut self, attrs: &str) {
        let _ = write!(self.body, "<g {attrs}>");
    }

    /// Close the last group.
    pub fn close_group(&mut self) {
        self.body.push_str("</g>");
    }

    /// A rectangle; `attrs` as for [`Svg::open_group`].
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, attrs: &str) {
        let _ = write!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" {attrs}/>"#,
            n(x),
            n(y),
            n(w.max(0.0)),
            n(h.max(0.0))
        );
    }

    /// A line.
    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), attrs: &str) {
        let _ = write!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" {attrs}/>"#,
            n(x1),
            n(y1),
            n(x2),
            n(y2)
        );
    }

    /// A circle.
    pub fn circle(&mut self, (x, y): (f64, f64), r: f64, attrs: &str) {
        let _ = write!(
            self.body,
            r#"<circle cx="{}" cy="{}" r="{}" {attrs}/>"#,
            n(x),
            n(y),
            n(r)
        );
    }

    /// A path from its `d` (already made of numbers).
    pub fn path(&mut self, d: &str, attrs: &str) {
        let _ = write!(self.body, r#"<path d="{d}" {attrs}/>"#);
    }

    /// A polyline through `points`.
    pub fn polyline(&mut self, points: &[(f64, f64)], attrs: &str) {
        let pts: Vec<String> = points
            .iter()
            .map(|&(x, y)| format!("{},{}", n(x), n(y)))
            .collect();
        let _ = write!(
            self.body,
            r#"<polyline points="{}" fill="none" {attrs}/>"#,
            pts.join(" ")
        );
    }

    /// A text at a point; `rotate` degrees about that point.
    pub fn text(&mut self, (x, y): (f64, f64), text: &str, anchor: Anchor, attrs: &str) {
        let _ = write!(
            self.body,
            r#"<text x="{}" y="{}" text-anchor="{}" {attrs}>{}</text>"#,
            n(x),
            n(y),
            anchor.name(),
            escape(text)
        );
    }

    /// A text turned `degrees` about its point.
    pub fn text_rotated(
        &mut self,
        (x, y): (f64, f64),
        degrees: f64,
        text: &str,
        anchor: Anchor,
        attrs: &str,
    ) {
        let rotate = format!(
            r#"transform="rotate({} {} {})" {attrs}"#,
            n(degrees),
            n(x),
            n(y)
        );
        self.text((x, y), text, anchor, &rotate);
    }

    /// The finished document.
    pub fn finish(mut self) -> String {
        self.body.push_str("</svg>\n");
        self.body
    }
}

/// `v` as an SVG coordinate (for paths built by the caller).
pub fn coord(v: f64) -> String {
    n(v)
}
