//! smt: MySQL-family → StarRocks. See README.md and design notes in each module.

pub mod app;
pub mod apply;
pub mod cli;
pub mod compat;
pub mod config;
pub mod diff;
pub mod error;
pub mod ident;
pub mod mapping;
pub mod output;
pub mod plan;
pub mod render;
pub mod retry;
pub mod rules;
pub mod schema;
pub mod source;
pub mod starrocks;
pub mod sync;
pub mod verify;
