//! The person at the other end of a command: the standard input it reads
//! (`--interactive`, `@-`, `-`) and the standard error it prompts on. A
//! command run in this process has the process's own; a command another
//! process sent here (see `forward`) has that process's, over its socket.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// A handle on standard input and standard error, cheap to clone, that
/// outlives the command's borrowed streams (an answerer owns one).
#[derive(Clone)]
pub struct Console {
    input: Arc<Mutex<dyn Read + Send>>,
    output: Arc<Mutex<dyn Write + Send>>,
}

impl Console {
    /// This process's standard input and standard error.
    pub fn process() -> Console {
        Console::new(std::io::stdin(), std::io::stderr())
    }

    /// Reads `input`, prompts on `output`.
    pub fn new(input: impl Read + Send + 'static, output: impl Write + Send + 'static) -> Console {
        Console { input: Arc::new(Mutex::new(input)), output: Arc::new(Mutex::new(output)) }
    }

    /// All of standard input.
    pub fn read_all(&self) -> std::io::Result<String> {
        let mut text = String::new();
        self.clone().read_to_string(&mut text)?;
        Ok(text)
    }
}

impl Read for Console {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.input.lock().unwrap_or_else(PoisonError::into_inner).read(buf)
    }
}

impl Write for Console {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.output.lock().unwrap_or_else(PoisonError::into_inner).write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.output.lock().unwrap_or_else(PoisonError::into_inner).flush()
    }
}
