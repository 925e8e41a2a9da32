//! Live introspection (stub)
