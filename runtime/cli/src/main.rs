//! The `enact` binary: all of it lives in the library's `cli` module.

/// mimalloc rather than the system's malloc: an invocation makes many small,
/// short-lived allocations (a child about 80), which it serves in 40% of the
/// instructions glibc's takes. The benchmark uses the same allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    restore_sigpipe();
    enact::main()
}

/// Rust ignores SIGPIPE, so `enact ls | head` would panic when `head` exits.
/// With the default action restored, enact stops quietly instead, like any
/// other Unix command writing to a closed pipe.
#[cfg(unix)]
#[allow(unsafe_code, reason = "one libc call, before any other thread starts")]
fn restore_sigpipe() {
    // SAFETY: `signal` with `SIG_DFL` installs no handler code, and no other
    // thread exists yet to race with the change.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_sigpipe() {}
