//! StarRocks clients (stub)
