//! Pictures of reports: `--plot FILE.svg|png` for ping (latency over time
//! and a histogram, losses marked) and for `trace --report` (one latency
//! bar per hop with its loss). Each picture is a pure function from a
//! report value to an SVG string ([`ping::plot`], [`trace::plot`]), so
//! tests read the XML; [`png::render`] rasterises that same SVG through
//! resvg for `.png`.
//!
//! The SVG is written by hand ([`svg`]) rather than through plotters'
//! SVG backend: two small charts need a few rectangles, lines and labels,
//! and writing them directly keeps every element's class and data
//! attributes (`class="hop" data-ttl="3"`) ours to document and test,
//! with no second drawing stack in the build. Rasterising is not ipkit's
//! craft: that is resvg's.

pub mod axis;
pub mod map;
pub mod ping;
pub mod png;
pub mod svg;
pub mod trace;

/// The kind of picture a file name asks for, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.svg`: the SVG text.
    Svg,
    /// `.png`: the SVG rendered by resvg.
    Png,
}

impl Format {
    /// The format `path`'s extension names (case-insensitive); None for
    /// any other.
    ///
    /// # Examples
    /// ```
    /// use ipkit::picture::Format;
    /// assert_eq!(Format::of_path("a/rtt.SVG".as_ref()), Some(Format::Svg));
    /// assert_eq!(Format::of_path("rtt.png".as_ref()), Some(Format::Png));
    /// assert_eq!(Format::of_path("rtt.jpg".as_ref()), None);
    /// ```
    pub fn of_path(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "svg" => Some(Format::Svg),
            "png" => Some(Format::Png),
            _ => None,
        }
    }

    /// The bytes of `svg` in this format.
    pub fn encode(self, svg: &str) -> Result<Vec<u8>, png::RenderError> {
        match self {
            Format::Svg => Ok(svg.as_bytes().to_vec()),
            Format::Png => png::render(svg),
        }
    }
}
