//! `.png` pictures: the SVG of [`super::ping::plot`] or
//! [`super::trace::plot`] rendered by resvg (usvg parses, tiny-skia
//! paints) at its own size. Text needs a font: the system's fonts are
//! loaded through fontdb (on Debian, fonts-dejavu-core's DejaVu Sans is
//! the labels' first choice, [`super::svg::FONT`]); without any font
//! the labels are left out and the rest is drawn.

/// Why an SVG could not become a PNG.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The SVG did not parse.
    #[error("the picture's SVG did not parse: {0}")]
    Parse(String),
    /// The canvas could not be allocated (zero or too large).
    #[error("a {0}×{1} picture cannot be rendered")]
    Size(u32, u32),
    /// Encoding the PNG failed.
    #[error("encoding the PNG: {0}")]
    Encode(String),
}

/// The PNG bytes of `svg`.
pub fn render(svg: &str) -> Result<Vec<u8>, RenderError> {
    let mut options = resvg::usvg::Options {
        font_family: "DejaVu Sans".to_string(),
        ..resvg::usvg::Options::default()
    };
    options.fontdb_mut().load_system_fonts();
    let tree = resvg::usvg::Tree::from_str(svg, &options)
        .map_err(|e| RenderError::Parse(e.to_string()))?;
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or(RenderError::Size(size.width(), size.height()))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| RenderError::Encode(e.to_string()))
}
