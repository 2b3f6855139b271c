//! `enact:runtime/invoke`. Child invocations are not implemented yet: a call
//! gets the guest-visible error `unsupported`.

use super::HostState;
use super::enact::runtime::invoke::Host;
use super::enact::runtime::types::Error;

impl Host for HostState {
    fn call(&mut self, target: String, _config: Option<String>, _input: String) -> wasmtime::Result<Result<String, Error>> {
        Ok(Err(Error {
            code: "unsupported".to_string(),
            message: format!("cannot invoke `{target}`: `invoke.call` is not supported by this version of enact"),
            details: None,
        }))
    }
}
