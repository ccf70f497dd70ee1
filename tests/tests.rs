//! The one integration-test binary (see STYLE.md: every test binary links the whole crate).

mod common;
mod core;

/// Scripts evaluated in this process run within their memory budget, as in `qualkit`'s own.
#[global_allocator]
static ALLOCATOR: qualkit::support::budget::CountingAllocator =
    qualkit::support::budget::CountingAllocator;
