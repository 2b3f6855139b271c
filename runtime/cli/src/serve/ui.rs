//! The web UI: one page and its script and styles, compiled into the
//! binary; nothing is loaded from elsewhere, so it works offline. The page
//! routes by its fragment (`#/invocations`, `#/invocation/ID`, …) and
//! speaks only the API.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const INDEX: &str = include_str!("ui/index.html");
const SCRIPT: &str = include_str!("ui/app.js");
const STYLE: &str = include_str!("ui/app.css");

pub(super) fn router() -> Router {
    Router::new()
        .route("/", get(|| async { page(INDEX, "text/html; charset=utf-8") }))
        .route("/app.js", get(|| async { page(SCRIPT, "text/javascript; charset=utf-8") }))
        .route("/app.css", get(|| async { page(STYLE, "text/css; charset=utf-8") }))
}

fn page(body: &'static str, kind: &'static str) -> impl IntoResponse {
    // The page may only run its own script and reach its own server.
    let policy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'";
    ([(header::CONTENT_TYPE, kind), (header::CONTENT_SECURITY_POLICY, policy)], body)
}
