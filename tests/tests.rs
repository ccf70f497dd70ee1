//! The one integration-test binary (see STYLE.md: every test binary links the whole crate).

mod common;
mod core;
