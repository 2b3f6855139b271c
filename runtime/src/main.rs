//! The `enact` binary: all of it lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    enact::cli::main()
}
