//! The static files, embedded in the binary. Pages link them as `/assets/NAME?v=HASH`; with
//! the hash in the address a browser may keep them for a year, and a new build changes the
//! address.

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::{ApiError, Params};

struct Asset {
    name: &'static str,
    body: &'static [u8],
    mime: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset { name: "app.css", body: include_bytes!("../../assets/app.css"), mime: "text/css; charset=utf-8" },
    Asset { name: "app.js", body: include_bytes!("../../assets/app.js"), mime: "text/javascript; charset=utf-8" },
    Asset { name: "favicon.svg", body: include_bytes!("../../assets/favicon.svg"), mime: "image/svg+xml" },
    Asset { name: "vendor/htmx.min.js", body: include_bytes!("../../assets/vendor/htmx.min.js"), mime: "text/javascript; charset=utf-8" },
    Asset { name: "vendor/echarts.min.js", body: include_bytes!("../../assets/vendor/echarts.min.js"), mime: "text/javascript; charset=utf-8" },
    Asset { name: "vendor/README.md", body: include_bytes!("../../assets/vendor/README.md"), mime: "text/plain; charset=utf-8" },
    Asset { name: "vendor/htmx.LICENSE", body: include_bytes!("../../assets/vendor/htmx.LICENSE"), mime: "text/plain; charset=utf-8" },
    Asset { name: "vendor/echarts.LICENSE", body: include_bytes!("../../assets/vendor/echarts.LICENSE"), mime: "text/plain; charset=utf-8" },
    Asset { name: "vendor/echarts.NOTICE", body: include_bytes!("../../assets/vendor/echarts.NOTICE"), mime: "text/plain; charset=utf-8" },
    Asset { name: "vendor/echarts.LICENSE-d3", body: include_bytes!("../../assets/vendor/echarts.LICENSE-d3"), mime: "text/plain; charset=utf-8" },
];

/// The first 10 hex digits of each asset's SHA-256, computed once.
static HASHES: LazyLock<Vec<String>> = LazyLock::new(|| ASSETS.iter().map(|a| Sha256::digest(a.body).iter().take(5).map(|b| format!("{b:02x}")).collect()).collect());

/// The address of an embedded asset, with its content hash.
pub fn url(name: &str) -> String {
    match ASSETS.iter().position(|a| a.name == name) {
        Some(i) => format!("/assets/{name}?v={}", HASHES[i]),
        None => format!("/assets/{name}"),
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/{*path}", get(serve))
        .route("/favicon.svg", get(|| async { file("favicon.svg", false) }))
        .route("/favicon.ico", get(|| async { (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, url("favicon.svg"))]).into_response() }))
}

async fn serve(Params(path): Params<String>, uri: axum::http::Uri) -> Response {
    let versioned = uri.query().is_some_and(|q| q.split('&').any(|kv| kv.starts_with("v=")));
    file(&path, versioned)
}

fn file(path: &str, versioned: bool) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == path) else {
        return ApiError::not_found("找不到该文件", "no such file").into_response();
    };
    let mut r = (StatusCode::OK, a.body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.mime));
    // With `?v=` the address changes with the content: keep it a year. Without, an hour.
    let cache = if versioned { "public, max-age=31536000, immutable" } else { "public, max-age=3600" };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_carry_the_hash() {
        let u = super::url("app.css");
        assert!(u.starts_with("/assets/app.css?v=") && u.len() == "/assets/app.css?v=".len() + 10, "{u}");
    }
}
