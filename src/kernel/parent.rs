//! Ends the kernel when the process that started it has gone, as ipykernel does: a kernel
//! nobody can reach any more would otherwise run, and hold its project open, for ever.
//!
//! Jupyter clients that own their kernel (jupyter_client, hence notebooks and consoles) name
//! themselves in `JPY_PARENT_PID`; a kernel started without it (`independent`, or by hand) is
//! not watched. When that process is the kernel's parent, the kernel watches for being
//! handed to another parent, which cannot be fooled by a new process taking the old id; when
//! it is further up, the kernel watches for the id to stop existing.

/// Calls `gone` once, on a thread of its own, when the client that started the kernel has
/// gone; never when the kernel is not watched.
pub fn watch(gone: impl FnOnce(u32) + Send + 'static) {
    let Some(pid) = std::env::var("JPY_PARENT_PID")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
    else {
        return;
    };
    // PID 1 never goes away; it only adopts.
    if pid <= 1 {
        return;
    }
    imp::watch(pid, gone);
}

#[cfg(unix)]
mod imp {
    use std::time::Duration;

    /// How often the parent is looked at.
    const POLL: Duration = Duration::from_millis(500);

    fn parent() -> u32 {
        // SAFETY: getppid has no preconditions and cannot fail.
        unsafe { libc::getppid() as u32 }
    }

    fn exists(pid: u32) -> bool {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
        let found = unsafe { libc::kill(pid, 0) } == 0;
        found || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }

    pub fn watch(pid: u32, gone: impl FnOnce(u32) + Send + 'static) {
        let direct = parent() == pid;
        let spawned = std::thread::Builder::new()
            .name("qualkit-parent-watch".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(POLL);
                    let alive = if direct { parent() == pid } else { exists(pid) };
                    if !alive {
                        gone(pid);
                        return;
                    }
                }
            });
        if let Err(e) = spawned {
            eprintln!("qualkit kernel: cannot watch the parent process {pid}: {e}");
        }
    }
}

#[cfg(not(unix))]
mod imp {
    /// On Windows `JPY_PARENT_PID` is a process handle; it is not watched yet.
    pub fn watch(_pid: u32, _gone: impl FnOnce(u32) + Send + 'static) {}
}
