//! How a client or an outbound server behaves: timeouts, the event queue, reconnecting.
//!
//! These are `esl-async`'s types (plain data; none of its async machinery runs here), so a
//! configuration means the same thing, and is written the same way, for every adapter.

pub use esl_async::{ClientConfig, Overflow, Reconnect, ServerConfig, SessionSetup};
