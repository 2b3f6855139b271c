//! Whoever holds the store serves the others. The store is one process's at
//! a time; while an enact process holds it (a long `enact invoke`, a session
//! waiting for a person, `enact serve`), it answers other enact commands on
//! a Unix socket beside the store, `enact.sock` in the home directory. A
//! command that finds the socket sends itself there and prints what comes
//! back: the same output, on the same streams, with the same exit code, as
//! if it had opened the store itself. Reads answer at once; writes wait
//! their turn for the store's one write transaction.
//!
//! The protocol, private to one version of enact (sender and holder are
//! the same binary's): the sender writes one JSON line, a [`Request`]; the
//! holder then sends frames of a tag byte, a big-endian `u32` length and
//! that many bytes: `a` (empty) first, once the command is taken; `o`
//! standard output, `e` standard error, `i` (empty) a wish for standard
//! input; `x` the exit code (one byte), last. After an
//! `i`, the sender streams its standard input as `i` frames, an empty one
//! at its end.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};

/// The socket's file in the home directory.
pub(crate) fn socket_path(home: &Path) -> PathBuf {
    home.join("enact.sock")
}

/// A command, as its sender ran it.
#[derive(Serialize, Deserialize)]
struct Request {
    /// The arguments, the program's name first.
    args: Vec<String>,
    env: HashMap<String, String>,
    /// Where relative paths are taken.
    cwd: PathBuf,
    /// Whether the sender's standard error is a terminal (for colours).
    terminal: bool,
}

const TAKEN: u8 = b'a';
const OUT: u8 = b'o';
const ERR: u8 = b'e';
const INPUT: u8 = b'i';
const EXIT: u8 = b'x';

fn write_frame(stream: &mut impl Write, tag: u8, bytes: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(bytes.len()).map_err(|_| std::io::Error::other("frame too large"))?;
    let mut frame = Vec::with_capacity(5 + bytes.len());
    frame.push(tag);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(bytes);
    stream.write_all(&frame)
}

fn read_frame(stream: &mut impl Read) -> std::io::Result<(u8, Vec<u8>)> {
    let mut head = [0u8; 5];
    stream.read_exact(&mut head)?;
    let len = u64::from(u32::from_be_bytes([head[1], head[2], head[3], head[4]]));
    // Memory grows with the bytes that come, not with the length a frame claims.
    let mut bytes = Vec::new();
    stream.take(len).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != len {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "a frame cut short"));
    }
    Ok((head[0], bytes))
}

/// Sends the command `args` to the process holding the store of `home`, if
/// one answers there, and relays what it prints; its exit code, or `None`
/// when no process holds the store (or it stopped listening).
pub(crate) fn send(
    home: &Path,
    args: &[std::ffi::OsString],
    env: &HashMap<String, String>,
    terminal: bool,
) -> Option<u8> {
    let stream = UnixStream::connect(socket_path(home)).ok()?;
    let request = Request {
        args: args.iter().map(|a| a.to_string_lossy().into_owned()).collect(),
        env: env.clone(),
        cwd: std::env::current_dir().unwrap_or_default(),
        terminal,
    };
    let mut line = serde_json::to_vec(&request).expect("a request serializes");
    line.push(b'\n');
    let mut writer = stream.try_clone().ok()?;
    writer.write_all(&line).ok()?;
    let mut reader = BufReader::new(stream);
    let (mut stdout, mut stderr) = (std::io::stdout().lock(), std::io::stderr());
    // Before `a`, the holder has not read the command: if it stops now
    // (it is finishing), this process runs the command itself.
    match read_frame(&mut reader) {
        Ok((TAKEN, _)) => {}
        _ => return None,
    }
    let mut feeding = false;
    loop {
        let (tag, bytes) = match read_frame(&mut reader) {
            Ok(frame) => frame,
            Err(_) => {
                let _ =
                    writeln!(stderr, "error: the enact process holding the store stopped before the command finished");
                return Some(crate::EXIT_ERROR);
            }
        };
        match tag {
            OUT => {
                let _ = stdout.write_all(&bytes).and_then(|()| stdout.flush());
            }
            ERR => {
                let _ = stderr.write_all(&bytes);
            }
            INPUT if !feeding => {
                feeding = true;
                let mut writer = writer.try_clone().ok()?;
                std::thread::spawn(move || feed_stdin(&mut writer));
            }
            EXIT => return Some(bytes.first().copied().unwrap_or(crate::EXIT_ERROR)),
            _ => {}
        }
    }
}

/// Streams this process's standard input to the holder, then its end.
fn feed_stdin(writer: &mut UnixStream) {
    let mut stdin = std::io::stdin().lock();
    let mut buf = [0u8; 8192];
    loop {
        match stdin.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if write_frame(writer, INPUT, &buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
    let _ = write_frame(writer, INPUT, &[]);
}

/// Runs a forwarded command against the held store: the arguments, the
/// sender's environment, its standard streams, its directory; its exit code.
pub(crate) type Run = dyn Fn(Forwarded) -> u8 + Send + Sync;

/// A command another process sent, with its streams.
pub(crate) struct Forwarded {
    pub args: Vec<String>,
    pub env: HashMap<String, String>,
    pub cwd: PathBuf,
    pub terminal: bool,
    pub out: Box<dyn Write + Send>,
    pub err: Box<dyn Write + Send>,
    pub console: crate::Console,
}

/// Serves the store's socket while alive; dropping it stops listening and
/// waits for the commands being served to finish.
pub(crate) struct Holder {
    path: PathBuf,
    stopping: Arc<AtomicBool>,
    accepting: Option<JoinHandle<()>>,
}

impl Holder {
    /// Listens on `home`'s socket, running each command with `run`; `None`
    /// when the socket cannot be made (a path too long for a socket, a
    /// read-only home): others then wait for the store instead.
    pub(crate) fn start(home: &Path, run: Arc<Run>) -> Option<Holder> {
        let path = socket_path(home);
        // This process holds the store: a socket file left there is stale.
        let _ = std::fs::remove_file(&path);
        let listener = match UnixListener::bind(&path) {
            Ok(listener) => listener,
            Err(e) => {
                tracing::debug!("not serving other enact commands at {}: {e}", path.display());
                return None;
            }
        };
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        let stopping = Arc::new(AtomicBool::new(false));
        let flag = stopping.clone();
        let accepting = std::thread::spawn(move || {
            let mut serving: Vec<JoinHandle<()>> = Vec::new();
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let run = run.clone();
                serving.retain(|t| !t.is_finished());
                serving.push(std::thread::spawn(move || serve(stream, &*run)));
            }
            serving.into_iter().for_each(|t| drop(t.join()));
        });
        Some(Holder { path, stopping, accepting: Some(accepting) })
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wake the accepting thread, which sees `stopping` and ends; a
        // sender whose connection it drops unread runs its command itself.
        let _ = UnixStream::connect(&self.path);
        let _ = std::fs::remove_file(&self.path);
        if let Some(accepting) = self.accepting.take() {
            let _ = accepting.join();
        }
    }
}

/// One forwarded command: the request, then frames until its exit code.
fn serve(stream: UnixStream, run: &Run) {
    let Ok(read_half) = stream.try_clone() else { return };
    let mut reader = BufReader::new(read_half);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let Ok(request) = serde_json::from_str::<Request>(&line) else { return };
    let mut stream = stream;
    if write_frame(&mut stream, TAKEN, &[]).is_err() {
        return;
    }
    let stream = Arc::new(Mutex::new(stream));
    let err = Frames { stream: stream.clone(), tag: ERR };
    let console = crate::Console::new(
        Stdin { stream: stream.clone(), reader, asked: false, ended: false, pending: Vec::new() },
        err.clone(),
    );
    let code = run(Forwarded {
        args: request.args,
        env: request.env,
        cwd: request.cwd,
        terminal: request.terminal,
        out: Box::new(Frames { stream: stream.clone(), tag: OUT }),
        err: Box::new(err),
        console,
    });
    let mut stream = stream.lock().unwrap_or_else(PoisonError::into_inner);
    let _ = write_frame(&mut *stream, EXIT, &[code]);
}

/// Writes as frames of one tag.
#[derive(Clone)]
struct Frames {
    stream: Arc<Mutex<UnixStream>>,
    tag: u8,
}

impl Write for Frames {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut stream = self.stream.lock().unwrap_or_else(PoisonError::into_inner);
        write_frame(&mut *stream, self.tag, buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The sender's standard input, asked for on the first read.
struct Stdin {
    stream: Arc<Mutex<UnixStream>>,
    reader: BufReader<UnixStream>,
    asked: bool,
    ended: bool,
    pending: Vec<u8>,
}

impl Read for Stdin {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.asked {
            self.asked = true;
            let mut stream = self.stream.lock().unwrap_or_else(PoisonError::into_inner);
            write_frame(&mut *stream, INPUT, &[])?;
        }
        while self.pending.is_empty() && !self.ended {
            let (tag, bytes) = read_frame(&mut self.reader)?;
            if tag == INPUT {
                self.ended = bytes.is_empty();
                self.pending = bytes;
            }
        }
        let n = self.pending.len().min(buf.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}
