//! The HTTP API, version 1: JSON in and out, errors as `{error, hint}` with
//! 400 (a malformed request), 401 (no or a wrong token), 403 (another
//! origin), 404 (an unknown id or route) or 500 (the store failed). What
//! the CLI answers with `--json` is answered here in the same shape, by the
//! same code: the handlers of reads and of replay, rewind, fork and bundles
//! run the CLI's command in this process. Runs go through [`Jobs`].

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_stream::StreamExt;

use super::Server;
use super::jobs::{JobView, Work};
use enact_core::value::Digest;
use enact_runtime::{Call, ReplayOptions};

/// The OpenAPI document of this API.
pub(crate) const OPENAPI: &str = include_str!("openapi.json");

/// The most a JSON request body may hold.
const JSON_LIMIT: usize = 1 << 20;
/// The most an uploaded component or bundle may hold.
const UPLOAD_LIMIT: usize = 512 << 20;
/// How long a request waits for a run to settle before answering with the job as it is.
const SETTLE: Duration = Duration::from_secs(120);

pub(super) fn router(server: Server) -> Router {
    let uploads = Router::new()
        .route("/api/v1/components", post(add_component))
        .route("/api/v1/bundles/import", post(import_bundle))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT));
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/components", get(components))
        .route("/api/v1/components/{target}", get(component))
        .route("/api/v1/invocations", get(invocations).post(invoke))
        .route("/api/v1/invocations/{id}", get(invocation))
        .route("/api/v1/invocations/{id}/replay", post(replay))
        .route("/api/v1/invocations/{id}/rewind", post(rewind))
        .route("/api/v1/invocations/{id}/resume", post(resume))
        .route("/api/v1/inbox", get(inbox))
        .route("/api/v1/inbox/{key}/answer", post(answer))
        .route("/api/v1/jobs", get(jobs))
        .route("/api/v1/jobs/{job}", get(job))
        .route("/api/v1/events", get(events))
        .route("/api/v1/flows", post(start_flow))
        .route("/api/v1/flows/{id}/steps", get(flow_steps))
        .route("/api/v1/flows/{id}/graph", get(flow_graph))
        .route("/api/v1/flows/{id}/fork", post(fork_flow))
        .route("/api/v1/sessions", get(sessions).post(start_session))
        .route("/api/v1/sessions/{name}", get(session))
        .route("/api/v1/sessions/{name}/send", post(send))
        .route("/api/v1/bundles/export", post(export_bundle))
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .merge(uploads)
        .fallback(no_route)
        .layer(axum::middleware::from_fn_with_state(server.clone(), guard))
        .layer(axum::middleware::map_response(json_errors))
        .with_state(server)
}

/// Errors made below the handlers (a method a route does not take, a body
/// over its limit) come as `{error, hint}` too.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (error, hint) = match status {
        StatusCode::METHOD_NOT_ALLOWED => ("this route does not take that method", "see /api/v1/openapi.json"),
        StatusCode::PAYLOAD_TOO_LARGE => {
            ("the request body is too large", "JSON bodies take up to 1 MiB, components and bundles 512 MiB")
        }
        _ => (status.canonical_reason().unwrap_or("the request failed"), "see /api/v1/openapi.json"),
    };
    ApiError::new(status, error, Some(hint)).into_response()
}

/// An error of a request.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    error: String,
    hint: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, error: impl Into<String>, hint: Option<&str>) -> ApiError {
        ApiError { status, error: error.into(), hint: hint.map(str::to_string) }
    }

    fn bad(error: impl Into<String>, hint: &str) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, error, Some(hint))
    }

    fn internal(error: impl std::fmt::Display) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string(), None)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"error": self.error, "hint": self.hint}))).into_response()
    }
}

type Answer = Result<Json<Value>, ApiError>;

/// A JSON body, or a 400 that says what is wrong with it.
fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(value)| value).map_err(|e| {
        // 413 for a body too large; 400 for anything else wrong with it.
        let status = match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        let hint = "send a JSON object with `Content-Type: application/json`, as the API document says";
        ApiError::new(status, e.body_text(), Some(hint))
    })
}

/// A body that may be left out (empty: `T::default()`), else JSON, or a 400.
fn optional_body<T: serde::de::DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad(
            format!("the request body is not what this route takes: {e}"),
            "send a JSON object, as the API document says",
        )
    })
}

/// The query, or a 400.
fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query.map(|Query(value)| value).map_err(|e| ApiError::bad(e.body_text(), "see /api/v1/openapi.json"))
}

/// The token and origin checks, before any handler.
async fn guard(State(server): State<Server>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let api = path.starts_with("/api/") && path != "/api/v1/openapi.json";
    if let (true, Some(token)) = (api, &server.token) {
        let bearer = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        // An EventSource cannot send headers: the stream takes `?token=`.
        let in_query = request.uri().query().is_some_and(|q| q.split('&').any(|p| p == format!("token={token}")));
        if bearer != Some(token) && !(path == "/api/v1/events" && in_query) {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "this server needs its token",
                Some("send `Authorization: Bearer TOKEN`; the token is in serve.json in the server's home"),
            )
            .into_response();
        }
    }
    if request.method() != axum::http::Method::GET && !same_origin(request.headers()) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "a request from another origin",
            Some("call the API from its own pages or without a browser"),
        )
        .into_response();
    }
    next.run(request).await
}

/// No `Origin` (not a browser), or the server's own.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host)
}

async fn no_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such route", Some("GET /api/v1/openapi.json describes the API"))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// Runs `f` on a blocking thread.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(ApiError::internal)?
}

/// Runs the CLI command `args` with `--json` here; its JSON, or its error
/// (an unknown id is a 404).
async fn cli(server: &Server, mut args: Vec<String>) -> Answer {
    args.push("--json".into());
    let (rt, home) = (server.jobs.runtime().clone(), server.home.clone());
    let (code, stdout, stderr) = blocking(move || Ok(crate::run_captured(&rt, &home, &args))).await?;
    let text = String::from_utf8_lossy(&stdout);
    let value: Option<Value> = text.lines().last().and_then(|line| serde_json::from_str(line).ok());
    if code != crate::EXIT_ERROR
        && let Some(value) = value
    {
        return Ok(Json(value));
    }
    let (message, hint) = match value.as_ref().map(|v| &v["error"]) {
        Some(error) => {
            (error["message"].as_str().unwrap_or("failed").to_string(), error["hint"].as_str().map(str::to_string))
        }
        None => (String::from_utf8_lossy(&stderr).trim().to_string(), None),
    };
    let unknown = message.starts_with("no ") && (message.contains(" matches ") || message.starts_with("no session"));
    let status = if unknown { StatusCode::NOT_FOUND } else { StatusCode::BAD_REQUEST };
    Err(ApiError { status, error: message, hint })
}

async fn components(State(server): State<Server>) -> Answer {
    cli(&server, vec!["ls".into(), "components".into()]).await
}

async fn component(State(server): State<Server>, Path(target): Path<String>) -> Answer {
    cli(&server, vec!["describe".into(), target]).await
}

#[derive(Deserialize)]
struct AddQuery {
    name: Option<String>,
    #[serde(default)]
    force: bool,
}

async fn add_component(
    State(server): State<Server>,
    q: Result<Query<AddQuery>, QueryRejection>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let q = query(q)?;
    let rt = server.jobs.runtime().clone();
    blocking(move || {
        let digest = enact_runtime::component_id(&bytes);
        if let Some(name) = &q.name {
            rt.name_check(name, &digest, q.force)
                .map_err(|e| ApiError::bad(e.to_string(), "pass `force=true` to move the name"))?;
        }
        let (digest, info) = rt
            .add(&bytes, None)
            .map_err(|e| ApiError::bad(format!("{e}"), "upload a WebAssembly component built for enact's world"))?;
        if let Some(name) = &q.name {
            rt.name(name, &digest, q.force)
                .map_err(|e| ApiError::bad(e.to_string(), "pass `force=true` to move the name"))?;
        }
        let value = json!({"id": digest.to_string(), "name": q.name, "describes_itself_as": info.metadata.name,
            "size": bytes.len()});
        Ok((StatusCode::CREATED, Json(value)))
    })
    .await
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    component: Option<String>,
    name: Option<String>,
    limit: Option<usize>,
}

async fn invocations(State(server): State<Server>, q: Result<Query<ListQuery>, QueryRejection>) -> Answer {
    let q = query(q)?;
    let mut args = vec!["ls".to_string(), "invocations".into()];
    if let Some(status) = &q.status {
        args.extend(["--status".into(), status.clone()]);
    }
    let Json(listed) = cli(&server, args).await?;
    let rows = listed.as_array().cloned().unwrap_or_default().into_iter().filter(|row| {
        let component = row["component"].as_str().unwrap_or_default();
        q.component.as_deref().is_none_or(|c| component == c || component.trim_start_matches("sha256:").starts_with(c))
            && q.name.as_deref().is_none_or(|n| row["name"] == n)
    });
    Ok(Json(Value::Array(rows.take(q.limit.unwrap_or(usize::MAX)).collect())))
}

#[derive(Deserialize)]
struct ShowQuery {
    #[serde(default)]
    events: bool,
    depth: Option<usize>,
}

async fn invocation(
    State(server): State<Server>,
    Path(id): Path<String>,
    q: Result<Query<ShowQuery>, QueryRejection>,
) -> Answer {
    let q = query(q)?;
    let mut args = vec!["show".to_string(), id];
    if q.events {
        args.push("--events".into());
    }
    if let Some(depth) = q.depth {
        args.extend(["--depth".into(), depth.to_string()]);
    }
    cli(&server, args).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvokeBody {
    component: String,
    #[serde(default)]
    config: Option<Value>,
    #[serde(default)]
    input: Option<Value>,
    /// Wait until it ends or asks (the default), or answer with the job at once.
    #[serde(default = "yes")]
    wait: bool,
}

fn yes() -> bool {
    true
}

/// A job that was started, or a 503 when too many wait for a worker.
fn spawned(job: Option<u64>) -> Result<u64, ApiError> {
    job.ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{} runs wait for a worker already", super::jobs::QUEUED),
            Some("try again once some have run; GET /api/v1/jobs lists them"),
        )
    })
}

/// The job's view, once settled unless `wait` is false: 200 when settled, else 202.
async fn job_answer(server: &Server, job: u64, wait: bool) -> Result<(StatusCode, Json<JobView>), ApiError> {
    let view = match wait {
        true => server.jobs.settled(job, SETTLE).await,
        false => server.jobs.get(job),
    };
    let view = view.ok_or_else(|| ApiError::internal("the job is gone"))?;
    let status = if view.settled() { StatusCode::OK } else { StatusCode::ACCEPTED };
    Ok((status, Json(view)))
}

async fn invoke(
    State(server): State<Server>,
    b: Result<Json<InvokeBody>, JsonRejection>,
) -> Result<(StatusCode, Json<JobView>), ApiError> {
    let b = body(b)?;
    let rt = server.jobs.runtime().clone();
    let target = b.component.clone();
    let resolved = blocking(move || {
        let component = rt.resolve_component(&target).map_err(|e| {
            ApiError::new(StatusCode::NOT_FOUND, e.to_string(), Some("GET /api/v1/components lists them"))
        })?;
        let named = rt.named_invokable(&target).map_err(ApiError::internal)?;
        Ok((component, named))
    })
    .await?;
    let (component, named) = resolved;
    let config = match (named, b.config) {
        (Some((_, config)), None) => config,
        (Some(_), Some(_)) => {
            return Err(ApiError::bad(
                format!("`{}` names an invokable with a config of its own", b.component),
                "leave out `config`",
            ));
        }
        (None, config) => config.unwrap_or(json!({})),
    };
    let input = b.input.unwrap_or(Value::Null);
    let rt = server.jobs.runtime().clone();
    let work: Work = Box::new(move |observer, answerer| {
        let call = Call::new(component)
            .config(&config.to_string())
            .input(&input.to_string())
            .answerer(answerer)
            .observer(observer);
        Ok(rt.invoke(call)?)
    });
    let job = spawned(server.jobs.spawn("invoke", None, work))?;
    job_answer(&server, job, b.wait).await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReplayBody {
    /// Replace the recorded response of event `event` with `value` and go on live.
    #[serde(rename = "override")]
    override_event: Option<OverrideBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverrideBody {
    event: u64,
    value: Value,
}

async fn replay(State(server): State<Server>, Path(id): Path<String>, b: Bytes) -> Answer {
    let b: ReplayBody = optional_body(&b)?;
    let mut args = vec!["replay".to_string(), id];
    if let Some(o) = b.override_event {
        args.extend(["--override".into(), format!("{}={}", o.event, o.value)]);
    }
    cli(&server, args).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RewindBody {
    n: u64,
}

async fn rewind(
    State(server): State<Server>,
    Path(id): Path<String>,
    b: Result<Json<RewindBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    cli(&server, vec!["rewind".into(), id, b.n.to_string()]).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResumeBody {
    answer: Option<Value>,
    #[serde(default = "yes")]
    wait: bool,
}

impl Default for ResumeBody {
    fn default() -> Self {
        ResumeBody { answer: None, wait: true }
    }
}

async fn resume(
    State(server): State<Server>,
    Path(id): Path<String>,
    b: Bytes,
) -> Result<(StatusCode, Json<JobView>), ApiError> {
    let b: ResumeBody = optional_body(&b)?;
    let job = resume_job(&server, &id, b.answer, None).await?;
    job_answer(&server, job, b.wait).await
}

/// Starts a job that resumes `target` (an invocation awaiting input, an
/// incomplete one, or a cut-off `run:`), with `answer` for its request.
async fn resume_job(
    server: &Server,
    target: &str,
    answer: Option<Value>,
    session: Option<String>,
) -> Result<u64, ApiError> {
    let rt = server.jobs.runtime().clone();
    let target = target.to_string();
    let what = blocking(move || {
        if target.starts_with("run:") {
            let run = rt.resolve_run(&target).map_err(|e| ApiError::new(StatusCode::NOT_FOUND, e.to_string(), None))?;
            return Ok(Err(run));
        }
        let id = rt.resolve_invocation(&target).map_err(|e| {
            ApiError::new(StatusCode::NOT_FOUND, e.to_string(), Some("GET /api/v1/invocations lists them"))
        })?;
        // Only a run that awaits input or was cut short goes on.
        let status = rt.load(&id).map_err(ApiError::internal)?.record.outcome.status();
        if !matches!(status, "awaiting-input" | "incomplete") {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!("invocation {} is {status}: there is nothing to resume", id.short()),
                Some("replay it, or rewind it first"),
            ));
        }
        Ok(Ok(id))
    })
    .await?;
    let rt = server.jobs.runtime().clone();
    let work: Work = Box::new(move |observer, answerer| {
        let options = ReplayOptions { observer, answerer, ..ReplayOptions::default() };
        Ok(match what {
            Ok(id) => rt.resume(&id, answer, options)?,
            Err(run) => rt.resume_run(run, options)?,
        })
    });
    spawned(server.jobs.spawn(if session.is_some() { "session" } else { "resume" }, session, work))
}

async fn jobs(State(server): State<Server>) -> Json<Vec<JobView>> {
    Json(server.jobs.list())
}

async fn job(State(server): State<Server>, Path(job): Path<String>) -> Result<Json<JobView>, ApiError> {
    let view = job.parse().ok().and_then(|job| server.jobs.get(job));
    view.map(Json).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, format!("no job {job}"), Some("GET /api/v1/jobs lists them"))
    })
}

/// Pending input across all invocations: live runs waiting now, and
/// invocations suspended awaiting input (and not continued since).
async fn inbox(State(server): State<Server>) -> Answer {
    let mut items: Vec<Value> = server
        .jobs
        .waiting()
        .into_iter()
        .map(|view| {
            let request = view.request.clone().unwrap_or(Value::Null);
            json!({"key": format!("job-{}", view.job), "job": view.job, "kind": view.kind, "session": view.session,
                "prompt": request["prompt"], "schema": request["schema"], "context": request["context"], "live": true})
        })
        .collect();
    let Json(suspended) =
        cli(&server, vec!["ls".into(), "invocations".into(), "--status".into(), "awaiting-input".into()]).await?;
    let rt = server.jobs.runtime().clone();
    let suspended: Vec<Value> = suspended.as_array().cloned().unwrap_or_default();
    let suspended = blocking(move || {
        let mut out = Vec::new();
        for row in suspended.into_iter().filter(|row| row["continued_as"].is_null()) {
            let Some(id) = row["id"].as_str().and_then(|id| id.parse::<Digest>().ok()) else { continue };
            let inv = rt.load(&id).map_err(ApiError::internal)?;
            let request = enact_store::view::summary(&rt.storage().read().map_err(ApiError::internal)?, &inv)
                .map_err(ApiError::internal)?["request"]
                .clone();
            out.push(json!({"key": row["id"], "invocation": row["id"], "name": row["name"], "created": row["created"],
                "prompt": request["prompt"], "schema": request["schema"], "context": request["context"], "live": false}));
        }
        Ok(out)
    })
    .await?;
    items.extend(suspended);
    Ok(Json(Value::Array(items)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    answer: Value,
}

async fn answer(
    State(server): State<Server>,
    Path(key): Path<String>,
    b: Result<Json<AnswerBody>, JsonRejection>,
) -> Result<(StatusCode, Json<JobView>), ApiError> {
    let b = body(b)?;
    let job = match key.strip_prefix("job-").and_then(|n| n.parse::<u64>().ok()) {
        Some(job) => {
            if server.jobs.get(job).is_none() {
                return Err(ApiError::new(StatusCode::NOT_FOUND, format!("no job {job}"), None));
            }
            let view = server
                .jobs
                .answer(job, b.answer, SETTLE)
                .await
                .map_err(|e| ApiError::bad(e, "GET /api/v1/inbox shows what it asks, and its schema"))?;
            let status = if view.settled() { StatusCode::OK } else { StatusCode::ACCEPTED };
            return Ok((status, Json(view)));
        }
        None => resume_job(&server, &key, Some(b.answer), None).await?,
    };
    job_answer(&server, job, true).await
}

#[derive(Deserialize)]
struct EventsQuery {
    job: Option<u64>,
}

/// Server-sent events: every job's, or one job's.
async fn events(
    State(server): State<Server>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Sse<impl tokio_stream::Stream<Item = Result<SseEvent, std::convert::Infallible>>>, ApiError> {
    let q = query(q)?;
    let q = EventsQuery { job: q.get("job").and_then(|j| j.parse().ok()) };
    let stream = tokio_stream::wrappers::BroadcastStream::new(server.jobs.events.subscribe());
    let stream = stream
        .map_while(move |item| {
            let Ok(text) = item else {
                return Some(Some(SseEvent::default().event("lagged").data("{}")));
            };
            let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if value["type"] == "server-stopping" {
                return None;
            }
            let wanted = q.job.is_none_or(|job| value["job"] == job);
            Some(wanted.then(|| SseEvent::default().event(value["type"].as_str().unwrap_or("event")).data(&*text)))
        })
        .filter_map(|event| event.map(Ok));
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlowBody {
    /// The flow's file, on the server's file system.
    file: String,
    #[serde(default)]
    state: Option<Value>,
    /// With `session`, the run is the session of that name.
    #[serde(default)]
    session: Option<String>,
    #[serde(default = "yes")]
    wait: bool,
}

/// Starts a flow as a job: the interpreter with the flow as its config.
async fn flow_job(server: &Server, b: FlowBody, kind: &'static str) -> Result<u64, ApiError> {
    let rt = server.jobs.runtime().clone();
    let (file, session) = (b.file.clone(), b.session.clone());
    let state = b.state.unwrap_or(json!({}));
    if !state.is_object() {
        return Err(ApiError::bad("`state` must be a JSON object", "as in {\"count\": 3}"));
    }
    let (component, config) = blocking(move || {
        let loaded = crate::flow::load_checked(std::path::Path::new(&file))
            .map_err(|e| ApiError::bad(format!("{e:#}"), "`file` is a flow file on the server"))?;
        if let Some(name) = &session
            && (rt.storage().read().and_then(|r| r.session(name)).map_err(ApiError::internal)?).is_some()
        {
            return Err(ApiError::bad(
                format!("session `{name}` exists"),
                "POST /api/v1/sessions/NAME/send goes on with it",
            ));
        }
        let component = crate::flow::interpreter(&rt).map_err(|e| ApiError::internal(format!("{e:#}")))?;
        Ok((component, loaded.flow.to_json()))
    })
    .await?;
    let rt = server.jobs.runtime().clone();
    let input = json!({"state": state}).to_string();
    let work: Work = Box::new(move |observer, answerer| {
        let call = Call::new(component).config(&config).input(&input).answerer(answerer).observer(observer);
        Ok(rt.invoke(call)?)
    });
    spawned(server.jobs.spawn(kind, b.session, work))
}

async fn start_flow(
    State(server): State<Server>,
    b: Result<Json<FlowBody>, JsonRejection>,
) -> Result<(StatusCode, Json<JobView>), ApiError> {
    let b = body(b)?;
    let wait = b.wait;
    let job = flow_job(&server, b, "flow").await?;
    job_answer(&server, job, wait).await
}

async fn flow_steps(State(server): State<Server>, Path(id): Path<String>) -> Answer {
    cli(&server, vec!["flow".into(), "steps".into(), id]).await
}

/// The flow's graph, from the run's own definition: its steps, the entry,
/// and its transitions as edges.
async fn flow_graph(State(server): State<Server>, Path(id): Path<String>) -> Answer {
    let rt = server.jobs.runtime().clone();
    blocking(move || {
        let digest =
            rt.resolve_invocation(&id).map_err(|e| ApiError::new(StatusCode::NOT_FOUND, e.to_string(), None))?;
        let inv = rt.load(&digest).map_err(ApiError::internal)?;
        let config = enact_store::load::json(&rt.storage().read().map_err(ApiError::internal)?, &inv.record.config)
            .map_err(ApiError::internal)?;
        let flow: enact_flow::definition::Flow = serde_json::from_value(config).map_err(|e| {
            ApiError::bad(format!("{id} is not a flow run: {e}"), "GET /api/v1/invocations lists the flow runs")
        })?;
        let steps: Vec<&String> = flow.step.keys().collect();
        let edges: Vec<Value> =
            flow.next.iter().map(|t| json!({"from": t.from, "to": t.to, "when": t.when, "on": t.on})).collect();
        Ok(Json(json!({"flow": flow.flow, "entry": flow.entry, "steps": steps, "edges": edges})))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForkBody {
    step: u64,
    #[serde(default)]
    set: serde_json::Map<String, Value>,
}

async fn fork_flow(
    State(server): State<Server>,
    Path(id): Path<String>,
    b: Result<Json<ForkBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let mut args = vec!["flow".to_string(), "fork".into(), id, "--step".into(), b.step.to_string()];
    for (key, value) in b.set {
        args.extend(["--set".into(), format!("{key}={value}")]);
    }
    cli(&server, args).await
}

async fn sessions(State(server): State<Server>) -> Answer {
    let Json(stored) = cli(&server, vec!["session".into(), "ls".into()]).await?;
    let mut rows = stored.as_array().cloned().unwrap_or_default();
    for view in server.jobs.list().into_iter().filter(|v| v.session.is_some() && !matches!(v.status, "done" | "error"))
    {
        let name = view.session.clone().unwrap_or_default();
        rows.retain(|row| row["session"] != name.as_str());
        let messages = view.state.as_ref().map_or(0, |s| crate::flow::dialogue(s).len());
        rows.push(json!({"session": name, "job": view.job, "status": view.status, "messages": messages, "live": true}));
    }
    Ok(Json(Value::Array(rows)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionBody {
    file: String,
    name: String,
    #[serde(default)]
    state: Option<Value>,
}

/// A session's turn: the whole dialogue, what it asks now, and its status.
fn turn(view: &JobView, name: &str) -> Value {
    let dialogue = view.state.as_ref().map(crate::flow::dialogue).unwrap_or_default();
    let asks = view.request.as_ref().map(|r| r["prompt"].clone());
    json!({"session": name, "job": view.job, "status": view.status, "dialogue": dialogue, "asks": asks,
        "state": view.state, "invocation": view.invocation, "error": view.error})
}

async fn start_session(State(server): State<Server>, b: Result<Json<SessionBody>, JsonRejection>) -> Answer {
    let b = body(b)?;
    let name = b.name.clone();
    let job =
        flow_job(&server, FlowBody { file: b.file, state: b.state, session: Some(b.name), wait: true }, "session")
            .await?;
    let view = server.jobs.settled(job, SETTLE).await.ok_or_else(|| ApiError::internal("the job is gone"))?;
    Ok(Json(turn(&view, &name)))
}

async fn session(State(server): State<Server>, Path(name): Path<String>) -> Answer {
    if let Some(view) = server.jobs.live_session(&name) {
        return Ok(Json(turn(&view, &name)));
    }
    cli(&server, vec!["session".into(), "show".into(), name]).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendBody {
    text: String,
}

/// The next utterance: to the live run when it waits (no replay), else a
/// resume of the session's suspended invocation.
async fn send(
    State(server): State<Server>,
    Path(name): Path<String>,
    b: Result<Json<SendBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let answer = Value::String(b.text);
    if let Some(view) = server.jobs.live_session(&name)
        && view.status == "awaiting-input"
    {
        let view = server
            .jobs
            .answer(view.job, answer, SETTLE)
            .await
            .map_err(|e| ApiError::bad(e, "GET /api/v1/sessions/NAME shows what it asks"))?;
        return Ok(Json(turn(&view, &name)));
    }
    let rt = server.jobs.runtime().clone();
    let lookup = name.clone();
    let id = blocking(move || {
        let id = rt.storage().read().and_then(|r| r.session(&lookup)).map_err(ApiError::internal)?;
        id.ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no session `{lookup}`"),
                Some("POST /api/v1/sessions starts one"),
            )
        })
    })
    .await?;
    let job = resume_job(&server, &id.to_string(), Some(answer), Some(name.clone())).await?;
    let view = server.jobs.settled(job, SETTLE).await.ok_or_else(|| ApiError::internal("the job is gone"))?;
    Ok(Json(turn(&view, &name)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportBody {
    targets: Vec<String>,
}

async fn export_bundle(
    State(server): State<Server>,
    b: Result<Json<ExportBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let b = body(b)?;
    if b.targets.is_empty() {
        return Err(ApiError::bad("nothing to export", "name invocations or components in `targets`"));
    }
    let dir = blocking(tempfile_dir).await?;
    let file = dir.join("export.bundle");
    let mut args = vec!["export".to_string()];
    args.extend(b.targets);
    args.extend(["-o".into(), file.display().to_string()]);
    let result = cli(&server, args).await;
    let bytes = blocking(move || {
        let bytes = std::fs::read(&file);
        let _ = std::fs::remove_dir_all(&dir);
        Ok(bytes)
    })
    .await?;
    let _ = result?;
    let bytes = bytes.map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

async fn import_bundle(State(server): State<Server>, bytes: Bytes) -> Answer {
    let (dir, file) = blocking(move || {
        let dir = tempfile_dir()?;
        let file = dir.join("import.bundle");
        std::fs::write(&file, &bytes).map_err(ApiError::internal)?;
        Ok((dir, file))
    })
    .await?;
    let result = cli(&server, vec!["import".into(), file.display().to_string()]).await;
    let _ = blocking(move || Ok(std::fs::remove_dir_all(&dir))).await;
    result
}

/// A new directory for a bundle on its way in or out, its owner's only.
fn tempfile_dir() -> Result<std::path::PathBuf, ApiError> {
    let dir = std::env::temp_dir().join(format!("enact-serve-{:032x}", rand::random::<u128>()));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir).map_err(ApiError::internal)?;
    Ok(dir)
}
