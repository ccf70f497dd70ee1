//! What a running evaluation may still use: the memory the process has allocated beyond what
//! it held when the evaluation began, and the time until its deadline.
//!
//! Every allocation passes through [`CountingAllocator`], so the bytes in use are one atomic
//! load away: the script engine checks them after every operation, and functions that build
//! a large result in one step (a table join) ask first whether it fits. Responsible for the
//! accounting and for refusing what would not fit; the script layer sets the budget and says
//! why an evaluation was stopped.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

static IN_USE: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting the bytes in use. A program installs it as its global
/// allocator (`qualkit`'s binary does, in `main.rs`); the library does not, so that programs
/// embedding it (a Rust notebook, say) keep their own allocator. Without it memory budgets
/// see nothing in use, and only time limits stop a script.
pub struct CountingAllocator;

// SAFETY: every call is passed to the system allocator unchanged; only a counter is added.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees for `layout` are the system allocator's.
        let block = unsafe { System.alloc(layout) };
        if !block.is_null() {
            IN_USE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let block = unsafe { System.alloc_zeroed(layout) };
        if !block.is_null() {
            IN_USE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: `block` came from this allocator, which is the system allocator.
        unsafe { System.dealloc(block, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`; the new size is the caller's to guarantee.
        let moved = unsafe { System.realloc(block, layout, new_size) };
        if !moved.is_null() {
            IN_USE.fetch_add(new_size, Ordering::Relaxed);
            IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        moved
    }
}

/// Bytes allocated and not yet freed, by every thread of the process.
pub fn heap_in_use() -> usize {
    IN_USE.load(Ordering::Relaxed)
}

/// The limits of one evaluation, from the moment it began.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    heap_at_start: usize,
    max_memory: usize,
    deadline: Option<Instant>,
}

/// Which limit an evaluation went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    Memory,
    Time,
}

impl Budget {
    /// A budget starting now: `max_memory` bytes on top of what the process holds, and
    /// `max_time` from now when given.
    pub fn starting_now(max_memory: usize, max_time: Option<Duration>) -> Budget {
        let now = Instant::now();
        Budget {
            heap_at_start: heap_in_use(),
            max_memory,
            deadline: max_time.and_then(|t| now.checked_add(t)),
        }
    }

    /// Bytes the evaluation may still allocate.
    pub fn memory_left(&self) -> usize {
        let used = heap_in_use().saturating_sub(self.heap_at_start);
        self.max_memory.saturating_sub(used)
    }

    /// The limit the evaluation has gone past, if any. Memory is checked every time, since
    /// one operation can double a value; the clock only when `look_at_clock`, since reading
    /// it costs more than a small operation does.
    pub fn exceeded(&self, look_at_clock: bool) -> Option<Exceeded> {
        if heap_in_use().saturating_sub(self.heap_at_start) > self.max_memory {
            return Some(Exceeded::Memory);
        }
        match self.deadline {
            Some(deadline) if look_at_clock && Instant::now() >= deadline => Some(Exceeded::Time),
            _ => None,
        }
    }
}

thread_local! {
    static CURRENT: Cell<Option<Budget>> = const { Cell::new(None) };
}

/// Makes `budget` the one that [`current`] and [`ensure_room`] see on this thread until the
/// returned guard is dropped; the budget before it comes back then (evaluations nest).
pub fn enter(budget: Budget) -> Entered {
    Entered {
        outer: CURRENT.with(|c| c.replace(Some(budget))),
    }
}

/// Restores the outer budget when dropped.
pub struct Entered {
    outer: Option<Budget>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.outer));
    }
}

/// The budget of the evaluation running on this thread, if one is.
pub fn current() -> Option<Budget> {
    CURRENT.with(Cell::get)
}

/// Refuses work that would allocate about `bytes` when the running evaluation has less left
/// than that. `function` names what the user called; `what` says, in terms of its arguments,
/// what would be built, and `advice` how to ask for less.
pub fn ensure_room(function: &str, what: &str, bytes: usize, advice: &str) -> Result<()> {
    let Some(budget) = current() else {
        return Ok(());
    };
    let left = budget.memory_left();
    if bytes <= left {
        return Ok(());
    }
    Err(Error::argument(
        function,
        format!(
            "{what}, which would need about {} of memory; the script has {} left of its {} budget ({MAX_MEMORY_VAR} or --max-memory-mb sets it); {advice}",
            megabytes(bytes),
            megabytes(left),
            megabytes(budget.max_memory),
        ),
    ))
}

/// The environment variable that sets the memory budget of every front end, in megabytes.
pub const MAX_MEMORY_VAR: &str = "QUALKIT_MAX_MEMORY_MB";

/// A byte count as the user sets it: whole megabytes.
pub fn megabytes(bytes: usize) -> String {
    format!("{} MB", bytes.div_ceil(1 << 20))
}
