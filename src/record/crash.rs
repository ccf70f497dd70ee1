//! Named crash points, for testing that the record survives a process dying mid-write.
//!
//! `QUALKIT_CRASH_AT=NAME` aborts the process the first time it reaches the point `NAME`;
//! `QUALKIT_CRASH_AT=#N` aborts at the N-th point reached, whatever its name, so a test can walk
//! through every step of a command by raising N until the command finishes. The abort skips
//! destructors and buffered writes, as `kill -9` does. `QUALKIT_CRASH_LIST=1` prints each point
//! as it is passed, to standard error.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

enum Target {
    Name(String),
    Nth(u64),
}

fn target() -> &'static Option<Target> {
    static TARGET: OnceLock<Option<Target>> = OnceLock::new();
    TARGET.get_or_init(|| {
        let value = std::env::var("QUALKIT_CRASH_AT").ok()?;
        match value.strip_prefix('#') {
            Some(n) => n.parse().ok().map(Target::Nth),
            None => Some(Target::Name(value)),
        }
    })
}

fn listing() -> bool {
    static LIST: OnceLock<bool> = OnceLock::new();
    *LIST.get_or_init(|| std::env::var_os("QUALKIT_CRASH_LIST").is_some())
}

/// Marks a step of a write; aborts here if the environment asks for it.
pub fn point(name: &str) {
    static PASSED: AtomicU64 = AtomicU64::new(0);
    let n = PASSED.fetch_add(1, Ordering::SeqCst) + 1;
    if listing() {
        eprintln!("crash point #{n}: {name}");
    }
    let hit = match target() {
        None => false,
        Some(Target::Name(wanted)) => wanted == name,
        Some(Target::Nth(wanted)) => *wanted == n,
    };
    if hit {
        eprintln!("qualkit: crashing on purpose at crash point #{n} ({name})");
        std::process::abort();
    }
}
