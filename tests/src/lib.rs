//! Shared helpers for bpfcompat integration tests.
