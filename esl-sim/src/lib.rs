//! esl-sim (docs to come)
#![forbid(unsafe_code)]

mod api;
mod apps;
mod bridge;
mod channel;
mod commands;
mod conference;
mod config;
mod connection;
mod dialplan;
mod events;
mod hangup;
mod ids;
mod inspect;
mod memory;
mod network;
mod originate;
mod outbound;
mod switch;
mod tcp;
pub mod testing;
mod time;

pub use config::{Config, Fault};
pub use ids::ConnectionId;
pub use inspect::{ChannelInfo, Received};
pub use memory::{Accepted, VirtualSwitch, WRITE_WINDOW};
pub use network::{InboundCall, Outcome, Route};
pub use switch::{Output, Switch};
pub use tcp::SimSwitch;
