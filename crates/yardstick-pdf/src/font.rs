//! Fonts: loading a font file (a single font or a collection such as Debian's
//! `NotoSerifCJK-Regular.ttc`), picking its Simplified Chinese face, and measuring text with
//! the face's own character map and advances. No shaping: CJK needs none, and Latin digits
//! and punctuation are set glyph by glyph at their advance widths.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use skrifa::MetadataProvider;
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::raw::FileRef;
use skrifa::string::StringId;
use skrifa::{FontRef, GlyphId};

/// One face of a font file, ready to draw with and to measure.
#[derive(Clone)]
pub struct FontFace {
    data: Arc<Vec<u8>>,
    index: u32,
    /// The face's family name, e.g. "Noto Serif CJK SC".
    pub family: String,
    pub(crate) krilla: krilla::text::Font,
}

impl fmt::Debug for FontFace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FontFace({:?}, face {})", self.family, self.index)
    }
}

/// The regular face (body text, table cells) and the bold one (title, headings, table
/// headers). Both may be the same file.
#[derive(Clone, Debug)]
pub struct Fonts {
    pub regular: FontFace,
    pub bold: FontFace,
}

/// Why a font file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FontError {
    /// The file cannot be read (missing, no permission).
    Unreadable { path: PathBuf, reason: String },
    /// The file is not a font or font collection this renderer can read.
    NotAFont { path: PathBuf },
    /// No face of the file has Chinese characters.
    NoChinese { path: PathBuf },
}

impl fmt::Display for FontError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FontError::Unreadable { path, reason } => write!(f, "cannot read the font file {}: {reason}", path.display()),
            FontError::NotAFont { path } => write!(f, "{} is not a font file (TrueType/OpenType font or collection)", path.display()),
            FontError::NoChinese { path } => write!(f, "the font file {} has no face with Chinese characters", path.display()),
        }
    }
}

impl std::error::Error for FontError {}

impl FontError {
    /// The path of the file concerned.
    pub fn path(&self) -> &Path {
        match self {
            FontError::Unreadable { path, .. } | FontError::NotAFont { path } | FontError::NoChinese { path } => path,
        }
    }
}

impl Fonts {
    /// Loads both faces from their files.
    pub fn load(regular: &Path, bold: &Path) -> Result<Fonts, FontError> {
        let regular_face = FontFace::load(regular)?;
        let bold_face = if bold == regular { regular_face.clone() } else { FontFace::load(bold)? };
        Ok(Fonts { regular: regular_face, bold: bold_face })
    }
}

impl FontFace {
    /// Reads a font file and picks its face: in a collection, the Simplified Chinese one (a
    /// family name ending in " SC", not a monospaced "Mono" face), else the first face that
    /// has Chinese characters.
    pub fn load(path: &Path) -> Result<FontFace, FontError> {
        let data = std::fs::read(path).map_err(|e| FontError::Unreadable { path: path.to_path_buf(), reason: e.to_string() })?;
        FontFace::from_bytes(data).map_err(|e| match e {
            FontError::NotAFont { .. } => FontError::NotAFont { path: path.to_path_buf() },
            FontError::NoChinese { .. } => FontError::NoChinese { path: path.to_path_buf() },
            other => other,
        })
    }

    /// As [`FontFace::load`], from the file's bytes (errors name no path).
    pub fn from_bytes(data: Vec<u8>) -> Result<FontFace, FontError> {
        let none = PathBuf::new;
        let (index, family) = {
            let file = FileRef::new(&data).map_err(|_| FontError::NotAFont { path: none() })?;
            let faces: Vec<(u32, FontRef<'_>)> = file.fonts().enumerate().filter_map(|(i, f)| Some((i as u32, f.ok()?))).collect();
            if faces.is_empty() {
                return Err(FontError::NotAFont { path: none() });
            }
            let chinese = |f: &FontRef<'_>| f.charmap().map('中').is_some_and(|g| g != GlyphId::NOTDEF);
            let sc = faces.iter().find(|(_, f)| {
                let name = family_name(f);
                chinese(f) && (name.ends_with(" SC") || name.contains(" SC ")) && !name.contains("Mono")
            });
            let (i, f) = sc.or_else(|| faces.iter().find(|(_, f)| chinese(f))).ok_or(FontError::NoChinese { path: none() })?;
            (*i, family_name(f))
        };
        let data = Arc::new(data);
        let krilla = krilla::text::Font::new(krilla::Data::from(data.clone()), index).ok_or(FontError::NotAFont { path: none() })?;
        Ok(FontFace { data, index, family, krilla })
    }

    /// The face's tables, for measuring.
    pub(crate) fn metrics(&self) -> Result<Metrics<'_>, FontError> {
        let font = FontRef::from_index(&self.data, self.index).map_err(|_| FontError::NotAFont { path: PathBuf::new() })?;
        let upem = font.metrics(Size::unscaled(), LocationRef::default()).units_per_em.max(1) as f32;
        Ok(Metrics { charmap: font.charmap(), advances: font.glyph_metrics(Size::unscaled(), LocationRef::default()), upem })
    }
}

fn family_name(f: &FontRef<'_>) -> String {
    let typographic = f.localized_strings(StringId::TYPOGRAPHIC_FAMILY_NAME).english_or_first();
    let name = typographic.or_else(|| f.localized_strings(StringId::FAMILY_NAME).english_or_first());
    name.map(|s| s.to_string()).unwrap_or_default()
}

/// A face's character map and advance widths.
pub(crate) struct Metrics<'a> {
    charmap: Charmap<'a>,
    advances: GlyphMetrics<'a>,
    upem: f32,
}

impl Metrics<'_> {
    /// The glyph of a character and its advance in ems (`.notdef` for a character the face
    /// lacks).
    pub(crate) fn glyph(&self, c: char) -> (GlyphId, f32) {
        let g = self.charmap.map(c).unwrap_or(GlyphId::NOTDEF);
        let advance = self.advances.advance_width(g).unwrap_or(self.upem);
        (g, advance / self.upem)
    }

    /// The width of a text set at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }
}
