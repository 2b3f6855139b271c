//! A small OpenAI-compatible server on 127.0.0.1 for the tests: it answers
//! from a queue of canned responses and records every request it receives.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// One canned answer.
#[derive(Clone)]
pub struct Canned {
    pub status: u16,
    pub body: String,
    pub delay: Duration,
    pub content_type: &'static str,
}

impl Canned {
    /// A 200 with a chat completion whose text is `text`.
    pub fn completion(text: &str) -> Canned {
        let body = json!({
            "id": "x", "object": "chat.completion", "model": "test-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        });
        Canned { status: 200, body: body.to_string(), delay: Duration::ZERO, content_type: "application/json" }
    }

    /// A 200 with a chat completion that calls tool `name` with `arguments`.
    pub fn tool_call(id: &str, name: &str, arguments: &Value) -> Canned {
        let call =
            json!({"id": id, "type": "function", "function": {"name": name, "arguments": arguments.to_string()}});
        let body = json!({
            "id": "x", "object": "chat.completion", "model": "test-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": [call]}, "finish_reason": "tool_calls"}],
        });
        Canned { status: 200, body: body.to_string(), delay: Duration::ZERO, content_type: "application/json" }
    }

    /// A 200 streaming `pieces` of a completion as server-sent events.
    pub fn stream(pieces: &[&str]) -> Canned {
        let mut body = String::new();
        for piece in pieces {
            let chunk = json!({"model": "test-model", "choices": [{"index": 0, "delta": {"content": piece}}]});
            body.push_str(&format!("data: {chunk}\n\n"));
        }
        let last = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
        body.push_str(&format!("data: {last}\n\ndata: [DONE]\n\n"));
        Canned { status: 200, body, delay: Duration::ZERO, content_type: "text/event-stream" }
    }

    pub fn status(status: u16, body: &str) -> Canned {
        Canned { status, body: body.to_string(), delay: Duration::ZERO, content_type: "application/json" }
    }
}

pub struct Server {
    pub url: String,
    requests: Arc<Mutex<Vec<Value>>>,
}

impl Server {
    /// Starts serving `responses` in order (then 503s); stops with the test process.
    pub fn start(responses: Vec<Canned>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let url = format!("http://{}/v1", listener.local_addr().expect("address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let queue = Arc::new(Mutex::new(VecDeque::from(responses)));
        let (seen, canned) = (requests.clone(), queue);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (seen, canned) = (seen.clone(), canned.clone());
                std::thread::spawn(move || serve(stream, &seen, &canned));
            }
        });
        Server { url, requests }
    }

    /// The request bodies received so far.
    pub fn requests(&self) -> Vec<Value> {
        self.requests.lock().expect("lock").clone()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().expect("lock").len()
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<Value>>, canned: &Mutex<VecDeque<Canned>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
    let mut length = 0;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    seen.lock().expect("lock").push(serde_json::from_slice(&body).unwrap_or(Value::Null));
    let reply = canned
        .lock()
        .expect("lock")
        .pop_front()
        .unwrap_or_else(|| Canned::status(503, r#"{"error":"no more canned responses"}"#));
    std::thread::sleep(reply.delay);
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {} Canned\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
        reply.status,
        reply.content_type,
        reply.body.len(),
        reply.body
    );
    let _ = stream.flush();
}
