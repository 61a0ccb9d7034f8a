//! Painting laid-out pages with krilla: text as glyphs of the embedded (subsetted) faces,
//! each glyph mapped back to its characters so the text can be copied and searched.

use krilla::Document;
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::surface::Surface;
use krilla::text::{GlyphId, KrillaGlyph};
use yardstick_formats::Lang;

use crate::font::{FontFace, Metrics};
use crate::layout::{Laid, Op};
use crate::{Fonts, RenderError};

pub(crate) fn draw(laid: &Laid, fonts: &Fonts, regular: &Metrics<'_>, bold: &Metrics<'_>, title: &str, lang: Lang) -> Result<Vec<u8>, RenderError> {
    let mut doc = Document::new();
    let language = if lang == Lang::Zh { "zh-CN" } else { "en" };
    doc.set_metadata(Metadata::new().title(title.to_string()).language(language.into()).creator("Yardstick".into()));
    for ops in &laid.pages {
        let settings = PageSettings::from_wh(laid.width, laid.height).ok_or(RenderError::Layout)?;
        let mut page = doc.start_page_with(settings);
        let mut s = page.surface();
        for op in ops {
            match op {
                Op::Text { x, y, size, bold: b, text } => {
                    let (face, m) = if *b { (&fonts.bold, bold) } else { (&fonts.regular, regular) };
                    text_run(&mut s, face, m, *x, *y, *size, text);
                }
                Op::Line { x1, y1, x2, y2, width } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(*x1, *y1);
                    pb.line_to(*x2, *y2);
                    if let Some(path) = pb.finish() {
                        s.set_fill(None);
                        s.set_stroke(Some(Stroke { width: *width, ..Stroke::default() }));
                        s.draw_path(&path);
                    }
                }
                Op::Shade { x, y, w, h, gray } => {
                    let mut pb = PathBuilder::new();
                    if let Some(r) = Rect::from_xywh(*x, *y, *w, *h) {
                        pb.push_rect(r);
                    }
                    if let Some(path) = pb.finish() {
                        s.set_stroke(None);
                        s.set_fill(Some(Fill { paint: luma::Color::new(*gray).into(), opacity: NormalizedF32::ONE, rule: FillRule::NonZero }));
                        s.draw_path(&path);
                    }
                }
            }
        }
        s.finish();
        page.finish();
    }
    doc.finish().map_err(|e| RenderError::Pdf(format!("{e:?}")))
}

fn text_run(s: &mut Surface<'_>, face: &FontFace, m: &Metrics<'_>, x: f32, y: f32, size: f32, text: &str) {
    let glyphs: Vec<KrillaGlyph> = text
        .char_indices()
        .map(|(i, c)| {
            let (g, advance) = m.glyph(c);
            KrillaGlyph::new(GlyphId::new(g.to_u32()), advance, 0.0, 0.0, 0.0, i..i + c.len_utf8(), None)
        })
        .collect();
    s.set_stroke(None);
    s.set_fill(Some(Fill::default()));
    s.draw_glyphs(Point::from_xy(x, y), &glyphs, face.krilla.clone(), text, size, false);
}
