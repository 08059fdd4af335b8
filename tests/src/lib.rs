//! Test support for the ESL workspace.
//!
//! - [`fixtures`]: the FreeSWITCH 1.11.2 captures in `fixtures/freeswitch/`, loaded chunk by
//!   chunk as they crossed the socket.
//!
//! The simulated FreeSWITCH the tests run against is the published `esl-sim` crate.

pub mod fixtures;
