//! Driving an invocation from Rust, as the Python enact's `InvocationGenerator`
//! does: the invocation runs on its own thread and yields each input request;
//! the driver answers and it goes on, in the same instance, without replaying.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use enact_runtime::{Call, Runtime, Step};
//!
//! let rt = Runtime::open(std::path::Path::new("/tmp/enact-home"))?;
//! let ask_dice = rt.resolve_component("ask-dice")?;
//! let mut session = rt.start(Call::new(ask_dice))?;
//! let invocation = loop {
//!     match session.step()? {
//!         Step::Input(request) => {
//!             println!("asked: {}", request.prompt_text());
//!             session.answer(serde_json::json!(3))?; // checked against the request's schema
//!         }
//!         Step::Finished(invocation) => break *invocation,
//!     }
//! };
//! println!("{:?}", invocation.output);
//! # Ok(())
//! # }
//! ```
//!
//! A session dropped (or [`Session::suspend`]ed) while a request is pending
//! seals the invocation as `awaiting-input`; [`Runtime::resume`] continues it
//! later, from the store, by replaying its journal.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use serde_json::Value;

use enact_core::answer::{Answer, Answerer, InputRequest};
use enact_core::record::Invocation;

use crate::error::{InvokeError, SessionError};
use crate::runtime::{Call, Runtime};

/// What a running invocation did next.
#[derive(Debug)]
pub enum Step {
    /// It asks for input: answer with [`Session::answer`].
    Input(InputRequest),
    /// It ended; the invocation is sealed.
    Finished(Box<Invocation>),
}

enum Message {
    Ask(InputRequest),
    Done(Box<Result<Invocation, InvokeError>>),
}

enum Reply {
    Answer(Answer),
    Suspend,
}

/// An invocation in progress, driven from Rust.
pub struct Session {
    messages: Receiver<Message>,
    replies: Sender<Reply>,
    pending: Option<InputRequest>,
    thread: Option<JoinHandle<()>>,
}

/// Hands requests to the session's driver and waits for its reply.
struct ChannelAnswerer {
    messages: Sender<Message>,
    replies: Receiver<Reply>,
}

impl Answerer for ChannelAnswerer {
    fn answer(&mut self, request: &InputRequest) -> Result<Option<Answer>, String> {
        if self.messages.send(Message::Ask(request.clone())).is_err() {
            return Ok(None);
        }
        match self.replies.recv() {
            Ok(Reply::Answer(answer)) => Ok(Some(answer)),
            Ok(Reply::Suspend) | Err(_) => Ok(None),
        }
    }
}

impl Runtime {
    /// Starts invoking `call` on its own thread; input requests come back
    /// through [`Session::step`] (the call's own answerer is not asked).
    ///
    /// # Errors
    /// Invalid config or input JSON, checked before anything runs.
    pub fn start(&self, call: Call) -> Result<Session, SessionError> {
        call.check_json()?;
        let (message_tx, messages) = channel();
        let (replies, reply_rx) = channel();
        let answerer = ChannelAnswerer { messages: message_tx.clone(), replies: reply_rx };
        let rt = self.clone();
        let thread = std::thread::Builder::new()
            .name("enact-session".into())
            .spawn(move || {
                let result = rt.invoke(call.answerer(Box::new(answerer)));
                let _ = message_tx.send(Message::Done(Box::new(result)));
            })
            .map_err(SessionError::Thread)?;
        Ok(Session { messages, replies, pending: None, thread: Some(thread) })
    }
}

impl Session {
    /// Runs until the invocation asks for input or ends.
    ///
    /// # Errors
    /// What the invocation itself failed with (a store error, say).
    ///
    /// # Panics
    /// If called again while a request is pending.
    pub fn step(&mut self) -> Result<Step, SessionError> {
        assert!(self.pending.is_none(), "answer the pending request before asking for the next step");
        match self.messages.recv() {
            Ok(Message::Ask(request)) => {
                self.pending = Some(request.clone());
                Ok(Step::Input(request))
            }
            Ok(Message::Done(result)) => {
                if let Some(thread) = self.thread.take() {
                    let _ = thread.join();
                }
                Ok((*result).map(|invocation| Step::Finished(Box::new(invocation)))?)
            }
            Err(_) => Err(SessionError::Ended),
        }
    }

    /// Answers the pending request on behalf of the program driving the
    /// session (recorded as `program`): the answer is journaled before the
    /// guest sees it and committed with the journal's next commit, so a
    /// crash can lose it (with everything after it) and the program gives
    /// it again. A person's answer goes through [`Session::answer_by`] with
    /// `person`, and is durable before the guest sees it.
    ///
    /// # Errors
    /// [`SessionError::BadAnswer`] when it does not fit the request's schema;
    /// the request stays pending.
    pub fn answer(&mut self, value: Value) -> Result<(), SessionError> {
        self.answer_by(value, "program")
    }

    /// Like [`Session::answer`], recording who answered (`person`, `file`,
    /// `llm:<model>`, …); see [`Answer::must_be_durable`].
    ///
    /// # Errors
    /// See [`Session::answer`].
    pub fn answer_by(&mut self, value: Value, by: &str) -> Result<(), SessionError> {
        let request =
            self.pending.as_ref().ok_or_else(|| SessionError::BadAnswer("no input request is pending".into()))?;
        request.check(&value).map_err(SessionError::BadAnswer)?;
        self.pending = None;
        let _ = self.replies.send(Reply::Answer(Answer { value, by: by.to_string() }));
        Ok(())
    }

    /// Stops at the pending request: the invocation is sealed `awaiting-input`.
    ///
    /// # Errors
    /// What the invocation failed with.
    pub fn suspend(mut self) -> Result<Invocation, SessionError> {
        loop {
            if self.pending.take().is_some() {
                let _ = self.replies.send(Reply::Suspend);
            }
            if let Step::Finished(invocation) = self.step()? {
                return Ok(*invocation);
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.pending.take().is_some() {
            let _ = self.replies.send(Reply::Suspend);
        }
        if let Some(thread) = self.thread.take() {
            // Every later request is declined too: the channel is closed.
            drop(std::mem::replace(&mut self.replies, channel().0));
            let _ = thread.join();
        }
    }
}
