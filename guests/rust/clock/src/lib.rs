//! `clock`: reads the time through Rust std, so through WASI's wall and
//! monotonic clocks, which enact journals. Output `{"seconds", "nanoseconds", "elapsed_ns"}`.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use enact_guest::{Error, Guest, Metadata};

struct Clock;

impl Guest for Clock {
    fn describe() -> Metadata {
        enact_guest::metadata("clock", "returns the current time, read through the standard library")
    }

    fn call(_config: String, _input: String) -> Result<String, Error> {
        let start = Instant::now();
        let now =
            SystemTime::now().duration_since(UNIX_EPOCH).map_err(|e| enact_guest::error("clock", e.to_string()))?;
        let elapsed = start.elapsed();
        println!("the time is {}s", now.as_secs());
        Ok(format!(
            r#"{{"seconds":{},"nanoseconds":{},"elapsed_ns":{}}}"#,
            now.as_secs(),
            now.subsec_nanos(),
            elapsed.as_nanos()
        ))
    }
}

enact_guest::export!(Clock);
