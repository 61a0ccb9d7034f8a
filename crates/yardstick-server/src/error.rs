//! Errors with stable codes and messages in the caller's language. A handler returns an
//! [`ApiError`]; the `finish` middleware writes it as JSON under `/api` and as a page
//! elsewhere, in Chinese or English, and turns axum's own bare 4xx answers into the same form.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use yardstick_formats::{Lang, Msg, Problem};
use yardstick_storage::StorageError;

/// An error answer: HTTP status, a stable code, a bilingual message and located problems.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub msg: Msg,
    pub problems: Vec<Problem>,
    /// Seconds to wait, sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError { status, code, msg: Msg::new(zh, en), problems: Vec::new(), retry_after: None }
    }
    pub fn unauthenticated() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "请先登录", "please sign in first")
    }
    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "您的角色无权进行此操作", "your role may not do this")
    }
    pub fn not_found(zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", zh, en)
    }
    pub fn bad_request(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, zh, en)
    }
    pub fn invalid(problems: Vec<Problem>) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid",
            msg: Msg::new(format!("有 {} 处问题，均未保存", problems.len()), format!("{} problem(s); nothing was saved", problems.len())),
            problems,
            retry_after: None,
        }
    }
    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        eprintln!("internal error: {e}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "服务器内部错误，已记录", "internal server error (logged)")
    }

    pub fn json(&self, lang: Lang) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "code": self.code,
                "message": self.msg.get(lang),
                "problems": self.problems.iter().map(|p| serde_json::json!({
                    "place": { "file": p.place.file, "sheet": p.place.sheet, "line": p.place.line, "column": p.place.column, "field": p.place.field },
                    "message": p.msg.get(lang),
                    "text": p.render(lang),
                })).collect::<Vec<_>>(),
            }
        })
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Conflict(what) => ApiError::new(StatusCode::CONFLICT, "conflict", format!("{what} 已存在"), format!("{what} is already taken")),
            StorageError::NotFound(what) => ApiError::not_found(format!("{what} 不存在"), format!("{what} does not exist")),
            StorageError::Reference(what) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_reference", format!("引用的对象不存在或仍在使用：{what}"), what),
            StorageError::Refused { code, zh, en } => ApiError::new(StatusCode::CONFLICT, code, zh, en),
            StorageError::Invalid { code, zh, en } => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, zh, en),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let mut r = status.into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut().insert(header::RETRY_AFTER, s.into());
        }
        r.extensions_mut().insert(Arc::new(self));
        r
    }
}

/// The request's language: `?lang=`, then the `ys_lang` cookie, then `Accept-Language`; Chinese by default.
pub fn lang_of(parts: &Parts) -> Lang {
    if let Some(q) = parts.uri.query() {
        for pair in q.split('&') {
            if let Some(v) = pair.strip_prefix("lang=") {
                if let Some(l) = Lang::parse(v) {
                    return l;
                }
            }
        }
    }
    if let Some(v) = crate::auth::cookie(&parts.headers, "ys_lang") {
        if let Some(l) = Lang::parse(&v) {
            return l;
        }
    }
    let accept = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if accept.trim_start().to_ascii_lowercase().starts_with("en") { Lang::En } else { Lang::Zh }
}

/// The language as an extractor.
#[derive(Clone, Copy, Debug)]
pub struct L(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for L {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(L(parts.extensions.get::<Lang>().copied().unwrap_or_else(|| lang_of(parts))))
    }
}

/// Writes errors in the request's language.
pub async fn finish(req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let lang = lang_of(&parts);
    parts.extensions.insert(lang);
    let api = parts.uri.path().starts_with("/api/");
    let resp = next.run(Request::from_parts(parts, body)).await;
    let status = resp.status();
    let err = resp.extensions().get::<Arc<ApiError>>().cloned();
    let err = match err {
        Some(e) => (*e).clone(),
        None if status.is_client_error() || status.is_server_error() => {
            let is_json = resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
            let is_html = resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
            if is_json || is_html {
                return resp;
            }
            generic(status)
        }
        None => return resp,
    };
    let mut out = if api {
        (err.status, axum::Json(err.json(lang))).into_response()
    } else {
        (err.status, axum::response::Html(crate::ui::error_page(&err, lang))).into_response()
    };
    // Keep what the inner layers set (security headers, Retry-After, WWW-Authenticate, cookies).
    for (k, v) in resp.headers() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().append(k.clone(), v.clone());
        }
    }
    out
}

fn generic(status: StatusCode) -> ApiError {
    match status {
        StatusCode::NOT_FOUND => ApiError::not_found("找不到该地址", "no such address"),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(status, "method_not_allowed", "该地址不支持此请求方法", "this method is not allowed here"),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(status, "too_large", "请求内容过大", "the request body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(status, "unsupported_media_type", "请求内容类型不受支持（应为 application/json）", "unsupported content type (use application/json)"),
        StatusCode::REQUEST_TIMEOUT => ApiError::new(status, "timeout", "请求超时", "the request timed out"),
        StatusCode::TOO_MANY_REQUESTS => ApiError::new(status, "too_many_requests", "请求过于频繁，请稍后再试", "too many requests; try again later"),
        s if s.is_server_error() => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "服务器内部错误，已记录", "internal server error (logged)"),
        s => ApiError::new(s, "bad_request", "请求无效", "the request is not valid"),
    }
}

/// A JSON body whose rejections are [`ApiError`]s with clear codes.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection;
        let json_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<std::string::String>().ok());
        let is_json = json_type.as_deref().is_some_and(|t| {
            let t = t.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            t == "application/json" || (t.starts_with("application/") && t.ends_with("+json"))
        });
        if !is_json {
            return Err(generic(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(generic(StatusCode::PAYLOAD_TOO_LARGE)),
            Err(e) => return Err(ApiError::bad_request("bad_body", format!("无法读取请求内容：{}", e.body_text()), format!("cannot read the request body: {}", e.body_text()))),
        };
        if memchr_nul(&bytes) {
            return Err(nul_error());
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "wrong_type",
                format!("字段类型或取值不对：{}", e.body_text()),
                format!("a field has the wrong type or value: {}", e.body_text()),
            )),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::bad_request("malformed_json", format!("JSON 格式错误：{}", e.body_text()), format!("malformed JSON: {}", e.body_text()))),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(generic(StatusCode::UNSUPPORTED_MEDIA_TYPE)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(generic(StatusCode::PAYLOAD_TOO_LARGE)),
            Err(e) => Err(ApiError::bad_request("bad_body", format!("无法读取请求内容：{}", e.body_text()), format!("cannot read the request body: {}", e.body_text()))),
        }
    }
}

/// Path parameters whose rejections are [`ApiError`]s.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Params(v)),
            Err(e) => Err(ApiError::bad_request("bad_path", format!("地址参数无效：{}", e.body_text()), format!("invalid path parameter: {}", e.body_text()))),
        }
        .and_then(|v| if parts.uri.path().contains("%00") { Err(nul_error()) } else { Ok(v) })
    }
}

/// Query parameters whose rejections are [`ApiError`]s.
pub struct Q<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Q(v)),
            Err(e) => Err(ApiError::bad_request("bad_query", format!("查询参数无效：{}", e.body_text()), format!("invalid query parameter: {}", e.body_text()))),
        }
        .and_then(|v| if parts.uri.query().is_some_and(|q| q.contains("%00")) { Err(nul_error()) } else { Ok(v) })
    }
}

/// Text with a NUL character is refused everywhere (PostgreSQL cannot store it, and no name,
/// key or value needs it).
fn nul_error() -> ApiError {
    ApiError::bad_request("nul_character", "内容中含有空字符（\\0），请删除后重试", "the request contains a NUL character (\\0); remove it and try again")
}

/// Whether JSON text escapes a NUL (`\u0000`); raw NUL bytes are already invalid JSON.
fn memchr_nul(b: &[u8]) -> bool {
    b.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
}
