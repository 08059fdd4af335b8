//! Test support for the ESL workspace.
//!
//! - [`fixtures`]: the FreeSWITCH 1.11.2 captures in `fixtures/freeswitch/`, loaded chunk by
//!   chunk as they crossed the socket.
//! - [`switch`]: a simulated FreeSWITCH on 127.0.0.1, started in-process with one call.

pub mod fixtures;
pub mod switch;
