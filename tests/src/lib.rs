//! Shared helpers for bpfcompat integration tests.
pub mod guest;
pub mod matrix;
pub mod native;
