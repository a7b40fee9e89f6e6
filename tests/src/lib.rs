//! Shared helpers for bpfcompat integration tests.
pub mod conformance;
pub mod engine;
pub mod gcov;
pub mod guest;
pub mod jit;
pub mod matrix;
pub mod native;
