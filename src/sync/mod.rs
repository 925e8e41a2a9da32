//! Sync engine (stub)
