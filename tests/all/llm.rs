use std::sync::Arc;
use std::time::Duration;

use enact::llm::{CompletionRequest, HttpConfig, HttpProvider, LlmFailure, Message, Provider};
use enact::{FileAnswers, Runtime, Storage};
use serde_json::json;

use crate::llm_server::{Canned, Server};
use crate::support::{Home, guest};

fn provider(server: &Server, retries: u32, timeout_ms: u64) -> HttpProvider {
    let mut config = HttpConfig::new(&server.url);
    config.api_key = Some("sk-test".into());
    config.model = Some("default-model".into());
    config.retries = retries;
    config.backoff_ms = 10;
    config.timeout_ms = timeout_ms;
    HttpProvider::new(config)
}

fn request(text: &str) -> CompletionRequest {
    CompletionRequest {
        model: None,
        messages: vec![Message::new("user", text)],
        temperature: Some(0.7),
        max_tokens: Some(64),
        stop: vec!["\n\n".into()],
        response_format: None,
        tools: vec![],
    }
}

#[test]
fn the_client_sends_an_openai_chat_completion_request() {
    let server = Server::start(vec![Canned::completion("4")]);
    let completion = provider(&server, 0, 5_000).complete(&request("2+2?"), &|_| {}).expect("a completion");
    assert_eq!(completion.text, "4");
    assert_eq!(completion.model, "test-model");
    assert_eq!(completion.usage.prompt_tokens, 5);
    let sent = &server.requests()[0];
    assert_eq!(sent["model"], "default-model");
    assert_eq!(sent["messages"], json!([{"role": "user", "content": "2+2?"}]));
    assert_eq!(sent["temperature"], json!(0.7));
    assert_eq!(sent["max_tokens"], 64);
    assert_eq!(sent["stop"], json!(["\n\n"]));
}

#[test]
fn rate_limits_and_server_errors_are_retried_with_backoff() {
    let server = Server::start(vec![
        Canned::status(429, r#"{"error":"slow down"}"#),
        Canned::status(500, "oops"),
        Canned::completion("done"),
    ]);
    let retries = std::sync::Mutex::new(Vec::new());
    let completion = provider(&server, 3, 5_000)
        .complete(&request("go"), &|r: &enact::llm::Retry| retries.lock().expect("lock").push(r.clone()))
        .expect("a completion after retries");
    assert_eq!(completion.text, "done");
    assert_eq!(server.count(), 3);
    // Each retry is told first, with its number and its wait.
    let retries = retries.into_inner().expect("lock");
    let told: Vec<(u32, u32)> = retries.iter().map(|r| (r.attempt, r.of)).collect();
    assert_eq!(told, [(1, 3), (2, 3)]);
    assert_eq!(retries[1].wait, retries[0].wait * 2);
    assert!(retries[0].failure.to_string().contains("HTTP 429"), "{:?}", retries[0].failure);
}

#[test]
fn each_failure_becomes_a_clear_llm_error() {
    let server = Server::start(vec![Canned::status(401, r#"{"error":"bad key"}"#)]);
    let err = provider(&server, 3, 5_000).complete(&request("x"), &|_| {}).expect_err("rejected");
    assert!(matches!(&err, LlmFailure::Rejected(m) if m.contains("HTTP 401") && m.contains("bad key")), "{err}");
    assert_eq!(server.count(), 1, "a 401 is not retried");

    let server = Server::start(vec![Canned::status(429, "{}"), Canned::status(429, "{}")]);
    let err = provider(&server, 1, 5_000).complete(&request("x"), &|_| {}).expect_err("rate limited");
    assert!(matches!(&err, LlmFailure::Unavailable(m) if m.contains("429")), "{err}");
    assert_eq!(server.count(), 2);

    let server = Server::start(vec![Canned::status(500, "boom"), Canned::status(502, "boom")]);
    let err = provider(&server, 1, 5_000).complete(&request("x"), &|_| {}).expect_err("server error");
    assert!(matches!(&err, LlmFailure::Unavailable(m) if m.contains("HTTP 502")), "{err}");

    let slow = Canned { delay: Duration::from_millis(1500), ..Canned::completion("late") };
    let server = Server::start(vec![slow]);
    let err = provider(&server, 0, 300).complete(&request("x"), &|_| {}).expect_err("a timeout");
    assert!(matches!(err, LlmFailure::Timeout(_)), "{err}");

    let server = Server::start(vec![Canned::status(200, "this is not json")]);
    let err = provider(&server, 0, 5_000).complete(&request("x"), &|_| {}).expect_err("malformed");
    assert!(matches!(&err, LlmFailure::Malformed(m) if m.contains("not JSON")), "{err}");

    let unreachable = HttpConfig { retries: 0, model: Some("m".into()), ..HttpConfig::new("http://127.0.0.1:1/v1") };
    let err = HttpProvider::new(unreachable).complete(&request("x"), &|_| {}).expect_err("nobody listens");
    assert!(matches!(err, LlmFailure::Unavailable(_)), "{err}");
}

fn runtime_with(home: &Home, provider: Option<Arc<dyn Provider>>) -> Runtime {
    let storage = Storage::open(&home.store_file()).expect("the store opens");
    let builder = Runtime::builder(Arc::new(storage));
    match provider {
        Some(p) => builder.llm(p),
        None => builder,
    }
    .build()
    .expect("runtime")
}

#[test]
fn a_chat_is_journaled_and_replays_without_contacting_the_model() {
    let home = Home::new();
    let server = Server::start(vec![Canned::completion("Hello!"), Canned::completion("Four.")]);
    let answers = home.path().join("answers.json");
    std::fs::write(&answers, r#"["hi", "what is 2+2?", "stop"]"#).expect("write");
    let recorded = {
        let rt = runtime_with(&home, Some(Arc::new(provider(&server, 0, 5_000))));
        let chat = rt.add(&std::fs::read(guest("rust", "chat")).expect("guest"), Some("chat")).expect("add").0;
        let answerer = FileAnswers::open(answers.to_str().expect("utf-8")).expect("answers");
        rt.invoke(enact::Call::new(chat).answerer(Box::new(answerer))).expect("invoke")
    };
    assert_eq!(recorded.record.outcome.status(), "completed");
    assert_eq!(
        recorded.output,
        Some(json!([
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "what is 2+2?"},
            {"role": "assistant", "content": "Four."},
        ]))
    );
    assert_eq!(server.count(), 2);
    // the second request carries the conversation so far
    let second = &server.requests()[1];
    assert_eq!(second["messages"][2], json!({"role": "assistant", "content": "Hello!"}));

    // Replay with a provider that cannot be reached: nothing is sent.
    let unreachable = HttpProvider::new(HttpConfig { retries: 0, ..HttpConfig::new("http://127.0.0.1:1/v1") });
    let rt = runtime_with(&home, Some(Arc::new(unreachable)));
    let replay = rt.replay(&recorded.id).expect("replay");
    assert!(replay.identical);
    assert_eq!(replay.invocation.output, recorded.output);
    assert_eq!(server.count(), 2, "replay sent no request");
}

/// Runs `chat` with the single answer `hi`, expecting it to fail on the LLM.
fn chat_saying_hi(home: &Home, rt: &Runtime) -> (enact::Invocation, enact::ErrorRecord) {
    let chat = rt.add(&std::fs::read(guest("rust", "chat")).expect("guest"), Some("chat")).expect("add").0;
    let answers = home.path().join("answers.json");
    std::fs::write(&answers, r#"["hi"]"#).expect("write");
    let inv = rt
        .invoke(
            enact::Call::new(chat)
                .answerer(Box::new(FileAnswers::open(answers.to_str().expect("utf-8")).expect("answers"))),
        )
        .expect("invoke");
    let enact::Outcome::Failed { error } = inv.record.outcome.clone() else {
        panic!("expected a failure, got {:?}", inv.record.outcome);
    };
    (inv, error)
}

#[test]
fn a_guest_sees_the_llm_error_and_the_failure_is_journaled() {
    let home = Home::new();
    let server = Server::start(vec![Canned::status(401, r#"{"error":"bad key"}"#)]);
    let rt = runtime_with(&home, Some(Arc::new(provider(&server, 0, 5_000))));
    let (inv, error) = chat_saying_hi(&home, &rt);
    assert_eq!(error.code, "llm-rejected");
    let journal = rt.journal_of(&inv.record).expect("journal");
    assert!(matches!(&journal[1], enact::Event::Llm(call) if call.result.is_err()));
    assert!(rt.replay(&inv.id).expect("replay").identical);
    assert_eq!(server.count(), 1);
}

#[test]
fn without_a_provider_the_guest_gets_unavailable() {
    let home = Home::new();
    let rt = runtime_with(&home, None);
    let (_, error) = chat_saying_hi(&home, &rt);
    assert_eq!(error.code, "llm-unavailable");
    // journaled as the guest saw it: no command-line vocabulary in the journal
    assert_eq!(error.message, "no LLM provider is configured");
}

#[test]
fn the_llm_is_set_up_from_a_config_file_a_bare_host_and_a_model_flag() {
    let home = Home::new();
    home.add_rust("chat");
    let server = Server::start(vec![Canned::completion("Hello!")]);
    let answers = r#"["hi", "stop"]"#;
    // a bare host gets `/v1`; the model comes from --model
    let host = server.url.trim_end_matches("/v1").to_string();
    let run = home.enact(&["invoke", "chat", "--llm", &host, "--model", "m1", "--answers", answers, "--json"]);
    assert_eq!(run.success().json()["output"][1]["content"], "Hello!");
    assert_eq!(server.requests()[0]["model"], "m1");

    // unknown keys in the config file are errors, naming the file
    let config = home.path().join("llm.json");
    std::fs::write(&config, format!(r#"{{"url": "{host}", "modle": "m1"}}"#)).expect("write");
    let refused = home.enact(&["invoke", "chat", "--answers", answers]);
    assert_eq!(refused.code(), 2, "{}", refused.stderr());
    assert!(refused.stderr().contains("llm.json") && refused.stderr().contains("modle"), "{}", refused.stderr());

    // with no model anywhere, nothing is sent, and the guest is told why
    std::fs::write(&config, format!(r#"{{"url": "{host}/v1/chat/completions"}}"#)).expect("write");
    let none = home.enact(&["invoke", "chat", "--answers", answers, "--json"]);
    let out = none.json();
    assert_eq!(out["error"]["code"], "llm-rejected", "{out}");
    assert!(out["error"]["message"].as_str().is_some_and(|m| m.contains("no model")), "{out}");
    assert_eq!(server.count(), 1, "the request without a model was not sent");
    let shown = home.enact(&["invoke", "chat", "--answers", answers]);
    assert!(shown.stderr().contains("drops the failed call"), "{}", shown.stderr());
}

/// Collects the streamed pieces an invocation's observer is told of.
#[derive(Default)]
struct Pieces(std::sync::Mutex<Vec<String>>);

impl enact::Observer for Pieces {
    fn llm_chunk(&self, _depth: u32, text: &str) {
        self.0.lock().expect("lock").push(text.to_string());
    }
}

#[test]
fn a_streamed_completion_reaches_the_observer_piece_by_piece_and_the_journal_whole() {
    let home = Home::new();
    let server = Server::start(vec![Canned::stream(&["Hel", "lo", "!"])]);
    let mut config = HttpConfig::new(&server.url);
    config.model = Some("m".into());
    config.stream = true;
    let rt = runtime_with(&home, Some(Arc::new(HttpProvider::new(config))));
    let chat = rt.add(&std::fs::read(guest("rust", "chat")).expect("guest"), Some("chat")).expect("add").0;
    let answers = home.path().join("answers.json");
    std::fs::write(&answers, r#"["hi", "stop"]"#).expect("write");
    let pieces = Arc::new(Pieces::default());
    let inv = rt
        .invoke(
            enact::Call::new(chat)
                .answerer(Box::new(FileAnswers::open(answers.to_str().expect("utf-8")).expect("answers")))
                .observer(pieces.clone()),
        )
        .expect("invoke");
    assert_eq!(*pieces.0.lock().expect("lock"), ["Hel", "lo", "!"]);
    assert_eq!(inv.output.as_ref().map(|o| o[1]["content"].clone()), Some(json!("Hello!")), "{:?}", inv.output);
    assert_eq!(server.requests()[0]["stream"], true);
    drop(rt);
    let rt = runtime_with(&home, None);
    let replay = rt.replay(&inv.id).expect("replay");
    assert!(replay.identical, "the journal holds the whole completion");
}

#[test]
fn a_flow_step_calls_the_tools_the_model_asks_for_and_hands_back_their_results() {
    let home = Home::new();
    home.add_rust("echo");
    let server = Server::start(vec![
        Canned::tool_call("call_1", "echo", &json!({"said": "hello"})),
        Canned::completion("The echo said hello."),
    ]);
    let config = json!({"url": server.url, "model": "test-model", "retries": 0});
    std::fs::write(home.path().join("llm.json"), config.to_string()).expect("write llm.json");
    let flow = home.path().join("tools.toml");
    std::fs::write(
        &flow,
        r#"flow = "tools"
entry = "ask_model"
[step.ask_model]
llm = "What does the echo say?"
into = "answer"
tools = [{ name = "echo", description = "says its input back", parameters = { type = "object" }, call = "echo" }]
"#,
    )
    .expect("write the flow");
    let run = home.enact(&["flow", "run", flow.to_str().expect("utf-8"), "--json"]);
    let out = run.success().json();
    assert_eq!(out["output"]["state"]["answer"], "The echo said hello.", "{out}");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["tools"][0]["function"]["name"], "echo");
    let messages = requests[1]["messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(messages[1]["tool_calls"][0]["id"], "call_1", "{messages:?}");
    assert_eq!(messages[2], json!({"role": "tool", "tool_call_id": "call_1", "content": r#"{"said":"hello"}"#}));
    // The tool ran as a child; a replay needs neither the model nor the tool's live run.
    let id = out["invocation"].as_str().expect("an id");
    let tree = home.enact(&["show", id, "--json"]).success().json();
    assert_eq!(tree["children"].as_array().map(Vec::len), Some(1), "{tree}");
    let replay = home.enact(&["replay", id, "--llm", "http://127.0.0.1:9/v1", "--json"]).success().json();
    assert_eq!(replay["identical"], true, "{replay}");
}
