//! StarRocks clients: Stream Load + transaction API over HTTP ([`stream_load`]), the FE over
//! the MySQL protocol ([`fe`]), `SHOW CREATE TABLE` parsing ([`show_create`]) and the retry
//! policy both use ([`retry`]).

pub mod fe;
pub mod http1;
pub mod show_create;
pub mod stream_load;
