//! Snapshot reader (in progress)
