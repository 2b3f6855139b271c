//! Jobs: invocations the server runs. The runtime is blocking; each job
//! runs on tokio's blocking threads, at most `workers` at once, so a long
//! run never holds up the API and a client that goes away cancels nothing.
//! A job that asks a person waits, live, for an answer through the API (or
//! until `input_wait` passes, or the server stops: then it suspends and is
//! sealed `awaiting-input`, as in the CLI); while it waits it gives its
//! worker slot back, so open questions never hold up other runs. At most
//! [`QUEUED`] jobs wait for a slot. What happens is published to the event
//! stream (server-sent events).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast, watch};

use enact_core::answer::{Answer, Answerer, InputRequest};
use enact_core::event::Event;
use enact_core::llm::{Completion, CompletionRequest, LlmFailure};
use enact_core::record::{Invocation, Outcome};
use enact_core::value::Digest;
use enact_runtime::{Observer, Runtime};

/// How many finished jobs are remembered (their invocations stay in the store).
const KEPT: usize = 1000;
/// How many jobs may wait for a worker; past this, a new one is refused.
pub(crate) const QUEUED: usize = 10_000;

/// A job as the API shows it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct JobView {
    pub job: u64,
    /// What runs: `invoke`, `resume`, `flow`, `session`.
    pub kind: &'static str,
    /// `queued`, `running`, `awaiting-input`, `done` (sealed), `error` (a host failure).
    pub status: &'static str,
    /// The session it drives, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The sealed invocation's summary, once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invocation: Option<Value>,
    /// The input request it waits on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Value>,
    /// A flow's state after its latest step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Value>,
    /// Why the operation failed (not the invocation: that is `invocation`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl JobView {
    /// Done, failed, or waiting for a person: nothing more happens by itself.
    pub fn settled(&self) -> bool {
        matches!(self.status, "done" | "error" | "awaiting-input")
    }
}

struct Job {
    view: JobView,
    /// Where an answer goes while the job waits for one.
    answer: Option<std::sync::mpsc::Sender<Value>>,
    request: Option<InputRequest>,
    changed: watch::Sender<u64>,
}

/// The server's jobs and its event stream.
pub(crate) struct Jobs {
    rt: Arc<Runtime>,
    next: AtomicU64,
    table: Mutex<BTreeMap<u64, Job>>,
    /// Every event, as a JSON text, to whoever listens.
    pub events: broadcast::Sender<Arc<str>>,
    workers: Arc<Semaphore>,
    input_wait: Duration,
    stopping: AtomicBool,
}

/// What a job runs: given its observer and answerer, an invocation.
pub(crate) type Work = Box<dyn FnOnce(Arc<dyn Observer>, Box<dyn Answerer>) -> anyhow::Result<Invocation> + Send>;

impl Jobs {
    pub fn new(rt: Arc<Runtime>, workers: usize, input_wait: Duration) -> Arc<Jobs> {
        Arc::new(Jobs {
            rt,
            next: AtomicU64::new(1),
            table: Mutex::default(),
            events: broadcast::channel(4096).0,
            workers: Arc::new(Semaphore::new(workers.max(1))),
            input_wait,
            stopping: AtomicBool::new(false),
        })
    }

    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.rt
    }

    fn table(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Job>> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends `event` to the event stream's listeners.
    pub fn publish(&self, event: Value) {
        if self.events.receiver_count() > 0 {
            let _ = self.events.send(Arc::from(event.to_string()));
        }
    }

    fn update(&self, job: u64, f: impl FnOnce(&mut Job)) {
        let mut table = self.table();
        if let Some(entry) = table.get_mut(&job) {
            f(entry);
            entry.changed.send_modify(|v| *v += 1);
        }
    }

    /// Starts `work` as a job of `kind`; its id, or `None` when [`QUEUED`]
    /// jobs wait for a worker already.
    pub fn spawn(self: &Arc<Jobs>, kind: &'static str, session: Option<String>, work: Work) -> Option<u64> {
        let job = self.next.fetch_add(1, Ordering::SeqCst);
        let view =
            JobView { job, kind, status: "queued", session, invocation: None, request: None, state: None, error: None };
        {
            let mut table = self.table();
            if table.values().filter(|j| j.view.status == "queued").count() >= QUEUED {
                return None;
            }
            let done: Vec<u64> = table.iter().filter(|(_, j)| j.view.settled()).map(|(id, _)| *id).collect();
            for id in done.iter().take(done.len().saturating_sub(KEPT)) {
                table.remove(id);
            }
            table.insert(job, Job { view, answer: None, request: None, changed: watch::channel(0).0 });
        }
        self.publish(json!({"type": "job-queued", "job": job, "kind": kind}));
        let jobs = self.clone();
        tokio::spawn(async move {
            let Ok(permit) = jobs.workers.clone().acquire_owned().await else { return };
            let slot = Arc::new(Mutex::new(Some(permit)));
            let (running, held) = (jobs.clone(), slot.clone());
            let result = tokio::task::spawn_blocking(move || {
                running.update(job, |j| j.view.status = "running");
                running.publish(json!({"type": "job-started", "job": job}));
                let observer = Arc::new(Watcher { jobs: running.clone(), job });
                let runtime = tokio::runtime::Handle::current();
                let answerer = Box::new(LiveAnswers { jobs: running.clone(), job, slot: held, runtime });
                let outcome = work(observer, answerer)
                    .and_then(|inv| Ok((running.summary(&inv)?, inv)))
                    .map_err(|e| format!("{e:#}"));
                if let (Ok((_, inv)), Some(session)) = (&outcome, running.session_of(job)) {
                    let _ = running.rt.storage().write(|w| w.set_session(&session, &inv.id));
                }
                outcome.map(|(summary, _)| summary)
            })
            .await;
            drop(slot);
            let result = result.unwrap_or_else(|e| Err(format!("the job panicked: {e}")));
            jobs.update(job, |j| {
                j.answer = None;
                j.request = None;
                j.view.request = None;
                match &result {
                    Ok(summary) => {
                        j.view.status = "done";
                        j.view.invocation = Some(summary.clone());
                    }
                    Err(e) => {
                        j.view.status = "error";
                        j.view.error = Some(e.clone());
                    }
                }
            });
            match result {
                Ok(summary) => jobs.publish(json!({"type": "job-done", "job": job, "invocation": summary})),
                Err(e) => jobs.publish(json!({"type": "job-error", "job": job, "error": e})),
            }
        });
        Some(job)
    }

    fn summary(&self, inv: &Invocation) -> anyhow::Result<Value> {
        Ok(enact_store::view::summary(&self.rt.storage().read()?, inv)?)
    }

    fn session_of(&self, job: u64) -> Option<String> {
        self.table().get(&job).and_then(|j| j.view.session.clone())
    }

    /// One job's view.
    pub fn get(&self, job: u64) -> Option<JobView> {
        self.table().get(&job).map(|j| j.view.clone())
    }

    /// Every remembered job, newest first.
    pub fn list(&self) -> Vec<JobView> {
        self.table().values().rev().map(|j| j.view.clone()).collect()
    }

    /// The live job driving session `name`, if one runs or waits.
    pub fn live_session(&self, name: &str) -> Option<JobView> {
        let table = self.table();
        let live = table.values().rev().find(|j| j.view.session.as_deref() == Some(name) && !j.view.settled());
        let waiting = table.values().rev().find(|j| j.view.session.as_deref() == Some(name) && j.answer.is_some());
        live.or(waiting).map(|j| j.view.clone())
    }

    /// Waits until `job` is settled (done, failed or waiting for a person),
    /// or `timeout` passes; its view then.
    pub async fn settled(&self, job: u64, timeout: Duration) -> Option<JobView> {
        let mut changed = self.table().get(&job)?.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let view = self.get(job)?;
            if view.settled() {
                return Some(view);
            }
            if tokio::time::timeout_at(deadline, changed.changed()).await.is_err() {
                return Some(view);
            }
        }
    }

    /// Answers the input `job` waits for, live (checked against its
    /// schema), then waits until the job settles again or `timeout` passes:
    /// its view then.
    ///
    /// # Errors
    /// The job waits for nothing, or the answer does not fit.
    pub async fn answer(&self, job: u64, value: Value, timeout: Duration) -> Result<JobView, String> {
        let mut changed = {
            let table = self.table();
            let entry = table.get(&job).ok_or_else(|| format!("no job {job}"))?;
            let (Some(request), Some(sender)) = (&entry.request, &entry.answer) else {
                return Err(format!("job {job} waits for no input"));
            };
            request.check(&value)?;
            // Subscribed before the answer goes: no change is missed.
            let changed = entry.changed.subscribe();
            sender.send(value).map_err(|_| format!("job {job} stopped waiting"))?;
            changed
        };
        let _ = tokio::time::timeout(timeout, changed.changed()).await;
        self.settled(job, timeout).await.ok_or_else(|| format!("job {job} is gone"))
    }

    /// The jobs waiting for a person: `(job, request)`.
    pub fn waiting(&self) -> Vec<JobView> {
        self.table().values().filter(|j| j.answer.is_some()).map(|j| j.view.clone()).collect()
    }

    /// Stops: no job waits for a person any more (each suspends, durably).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        for job in self.table().values_mut() {
            job.answer = None;
        }
    }

    /// Whether any job is running or queued.
    pub fn busy(&self) -> bool {
        self.table().values().any(|j| matches!(j.view.status, "queued" | "running"))
    }
}

/// Answers a job's input requests with what the API delivers.
struct LiveAnswers {
    jobs: Arc<Jobs>,
    job: u64,
    /// The job's worker slot: given back while it waits for a person.
    slot: Arc<Mutex<Option<OwnedSemaphorePermit>>>,
    runtime: tokio::runtime::Handle,
}

impl Answerer for LiveAnswers {
    fn answer(&mut self, request: &InputRequest) -> Result<Option<Answer>, String> {
        if self.jobs.stopping.load(Ordering::SeqCst) {
            return Ok(None);
        }
        let (sender, answers) = std::sync::mpsc::channel();
        let shown = serde_json::to_value(request).unwrap_or(Value::Null);
        self.jobs.update(self.job, |j| {
            j.answer = Some(sender);
            j.request = Some(request.clone());
            j.view.request = Some(shown.clone());
            j.view.status = "awaiting-input";
        });
        self.jobs.publish(json!({"type": "input-requested", "job": self.job, "request": shown}));
        let freed = self.slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        drop(freed);
        let answer = answers.recv_timeout(self.jobs.input_wait).ok();
        // Back to work: wait for a slot like any job.
        let permit = self.runtime.block_on(self.jobs.workers.clone().acquire_owned()).ok();
        *self.slot.lock().unwrap_or_else(PoisonError::into_inner) = permit;
        self.jobs.update(self.job, |j| {
            j.answer = None;
            j.request = None;
            j.view.request = None;
            j.view.status = "running";
        });
        Ok(answer.map(|value| Answer { value, by: "person".into() }))
    }
}

/// Publishes what happens in a job's tree, and keeps a flow's latest state.
struct Watcher {
    jobs: Arc<Jobs>,
    job: u64,
}

impl Observer for Watcher {
    fn event(&self, depth: u32, index: u64, event: &Event, replayed: bool) {
        if let (0, Event::Step(mark)) = (depth, event) {
            let state: Value = serde_json::from_slice(mark.state_after()).unwrap_or(Value::Null);
            self.jobs.update(self.job, |j| j.view.state = Some(state));
        }
        if self.jobs.events.receiver_count() > 0 {
            let request: String = event.request().to_string().chars().take(120).collect();
            self.jobs.publish(json!({"type": "event", "job": self.job, "depth": depth, "index": index,
                "request": request, "replayed": replayed}));
        }
    }

    fn child_started(&self, depth: u32, target: &str) {
        self.jobs.publish(json!({"type": "child-started", "job": self.job, "depth": depth, "target": target}));
    }

    fn sealed(&self, depth: u32, id: &Digest, outcome: &Outcome) {
        let status = outcome.status();
        self.jobs.publish(json!({"type": "sealed", "job": self.job, "depth": depth, "id": id, "status": status}));
    }

    fn llm_request(&self, depth: u32, request: &CompletionRequest) {
        self.jobs.publish(json!({"type": "llm-request", "job": self.job, "depth": depth, "model": request.model}));
    }

    fn llm_chunk(&self, depth: u32, text: &str) {
        self.jobs.publish(json!({"type": "llm-chunk", "job": self.job, "depth": depth, "text": text}));
    }

    fn llm_response(&self, depth: u32, result: &Result<Completion, LlmFailure>) {
        let text = result.as_ref().map(|c| c.text.clone()).map_err(|e| e.to_string());
        self.jobs.publish(json!({"type": "llm-response", "job": self.job, "depth": depth, "result": match text {
            Ok(text) => json!({"text": text}),
            Err(e) => json!({"error": e}),
        }}));
    }
}
