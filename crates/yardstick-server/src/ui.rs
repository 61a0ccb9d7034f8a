//! The server-rendered web UI.
use axum::Router;
use yardstick_formats::Lang;

use crate::AppState;
use crate::error::ApiError;

pub fn router() -> Router<AppState> {
    Router::new()
}

pub fn error_page(e: &ApiError, lang: Lang) -> String {
    format!("<!doctype html><meta charset=utf-8><title>{}</title><p>{}</p>", e.status.as_u16(), e.msg.get(lang))
}
