//! TablePlan → SQL text through the askama templates in `templates/`.
//! (Implementation lands with the render work; the types below are the contract that
//! `output`, `apply` and `sync` use.)

/// One DDL statement with what it creates, so `apply` can report per object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DdlStatement {
    /// Target database the statement creates or creates into.
    pub database: String,
    /// `None` for CREATE DATABASE.
    pub table: Option<String>,
    /// The statement text, without a trailing `;`.
    pub sql: String,
}
