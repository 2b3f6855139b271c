//! enact-core: the data every other enact crate shares, and nothing that
//! acts on it.
//!
//! - [`value`]: JSON values, their canonical bytes (RFC 8785) and [`Digest`]s.
//! - [`event`]: journal events, requests and divergences.
//! - [`record`]: sealed invocation records, outcomes, index entries, run headers.
//! - [`references`]: the digests each record and event names, walked by
//!   export, import and verify alike.
//! - [`limits`], [`grant`], [`component`]: what a record says of its sandbox,
//!   its granted directories and its component.
//! - [`answer`] and [`llm`]: requests to people and models, and the
//!   [`Answerer`](answer::Answerer) and [`Provider`](llm::Provider) traits that
//!   answer them live.
//! - [`time`]: instants for people.
//!
//! It depends on serde, sha2 and postcard (the journal's encoding), and on
//! jsonschema: whether an answer or a config fits a schema is a property of
//! the data, checked the same way by the runtime, the CLI and the server.

pub mod answer;
pub mod chunks;
pub mod component;
pub mod event;
pub mod feedback;
pub mod grant;
pub mod limits;
pub mod llm;
pub mod record;
pub mod references;
pub mod time;
pub mod value;

pub use value::Digest;
