//! The `qualkit` binary: process set-up, then the command line in `cli/`.

mod cli;

use std::process::ExitCode;

/// Counts the bytes in use, so that scripts run within their memory budget (see `budget`).
#[global_allocator]
static ALLOCATOR: qualkit::support::budget::CountingAllocator =
    qualkit::support::budget::CountingAllocator;

fn main() -> ExitCode {
    // Output piped into `head` and the like should end quietly, as other command-line tools do.
    #[cfg(unix)]
    // SAFETY: restoring the default SIGPIPE action at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    cli::run()
}
