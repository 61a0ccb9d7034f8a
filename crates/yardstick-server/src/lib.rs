//! Yardstick's web server: the JSON API under `/api/v1` (with its OpenAPI document at
//! `/api/openapi.json` and a viewer at `/api/docs`), and the server-rendered web UI with
//! its assets embedded in the binary.
//!
//! Layers, outermost first: [`error::finish`] (errors in the caller's language, never a
//! bare 4xx/5xx), security headers, panic catching, body size limit, request timeout,
//! [`auth::authenticate`] (session or API token, CSRF), then the handler, which asks
//! [`authz`] for the permission it needs.

#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod authz;
pub mod compute;
pub mod config;
pub mod demo;
pub mod error;
pub mod sets;
pub mod reminders;
pub mod reports;
pub mod ui;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use yardstick_storage::Db;

pub use config::Config;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub sessions: Arc<auth::Sessions>,
    pub limiter: Arc<auth::LoginLimiter>,
    pub models: Arc<compute::ModelCache>,
    /// Rows and statistics of computed result sets (never changed, so never stale).
    pub sets: Arc<sets::SetCache>,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> AppState {
        let limiter = auth::LoginLimiter::new(config.login_failures_per_user, config.login_failures_per_address, Duration::from_secs(config.login_window_secs));
        let sessions = auth::Sessions::new(Duration::from_secs(config.session_cache_secs));
        AppState { db, config: Arc::new(config), sessions: Arc::new(sessions), limiter: Arc::new(limiter), models: Arc::new(compute::ModelCache::new(Duration::from_secs(30))), sets: Arc::new(sets::SetCache::new(500_000)) }
    }
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// The whole application.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = utoipa_axum::router::OpenApiRouter::new().nest("/api/v1", api::router()).split_for_parts();
    let openapi = Arc::new(openapi);
    let doc = openapi.clone();
    let router = Router::new()
        .merge(api)
        .route("/api/openapi.json", axum::routing::get(move || async move { axum::Json((*doc).clone()) }))
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/docs/openapi.json", (*openapi).clone()))
        .merge(ui::router())
        .with_state(state.clone());
    let max_body = state.config.max_body_bytes;
    let state_evidence_max = state.config.max_evidence_bytes;
    router
        .layer(axum::middleware::from_fn_with_state(state, auth::authenticate))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        // Evidence uploads read their own (larger) limit from the raw body; every extractor
        // (JSON, forms) keeps the default one.
        .layer(RequestBodyLimitLayer::new(max_body.max(state_evidence_max + 64 * 1024)))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(CatchPanicLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::overriding(HeaderName::from_static("permissions-policy"), HeaderValue::from_static("camera=(), microphone=(), geolocation=()")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(axum::middleware::from_fn(error::finish))
}

/// Connects to the configured database (migrating it), then serves until Ctrl-C.
pub async fn serve(config: Config, demo: Option<yardstick_project::r#gen::Scale>) -> anyhow::Result<()> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir)?;
    }
    let db = Db::connect(&url).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(scale) = demo {
        let report = demo::load_demo(&db, scale, auth::now_ms()).await?;
        println!("{report}");
    }
    if db.users().await.map_err(|e| anyhow::anyhow!("{e}"))?.is_empty() {
        println!(
            "还没有任何用户：请先创建管理员 / no users yet: create the first administrator with\n  yardstick admin create-user --username admin --database-url {url}\n(or start with --demo for the demo county)"
        );
    }
    let listen: SocketAddr = config.listen.parse().map_err(|e| anyhow::anyhow!("listen address '{}': {e}", config.listen))?;
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let state = AppState::new(db.clone(), config);
    println!("yardstick: serving http://{} ({} database)", listener.local_addr()?, db.backend());
    reminders::spawn(state.clone());
    let purge = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(600)).await;
            let _ = purge.db.purge_sessions(auth::now_ms()).await;
        }
    });
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
