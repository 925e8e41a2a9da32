//! Dump parsing (stub)
