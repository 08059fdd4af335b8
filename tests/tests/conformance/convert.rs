//! What both adapters share under the harness: they use the engine's configuration, error
//! and stream item types, so one conversion serves them all.

use std::time::Duration;

use esl_proto::client::{ClientConfig, Error, Gap, Incoming, Overflow, Reconnect};
use esl_proto::Response;

use crate::harness::{Item, OverflowKind, Settings, TestError};

pub(crate) fn convert(error: Error) -> TestError {
    match error {
        Error::Rejected(text) => TestError::Rejected(text),
        Error::Timeout(_) => TestError::Timeout,
        Error::Auth(reply) => TestError::Auth(reply),
        Error::Io(_) | Error::ConnectionClosed(_) | Error::Protocol(_) | Error::Closed => {
            TestError::ConnectionLost(error.to_string())
        }
        other => TestError::Other(other.to_string()),
    }
}

pub(crate) fn connect_error(error: Error) -> TestError {
    match error {
        Error::Connect { .. } | Error::ConnectTimeout { .. } => TestError::Io(error.to_string()),
        other => convert(other),
    }
}

pub(crate) fn overflow(kind: OverflowKind) -> Overflow {
    match kind {
        OverflowKind::DropNewest => Overflow::DropNewest,
        OverflowKind::DropOldest => Overflow::DropOldest,
        OverflowKind::Backpressure => Overflow::Backpressure,
    }
}

pub(crate) fn config(settings: &Settings) -> ClientConfig {
    let mut config = ClientConfig::password(settings.password.as_str());
    config.request_timeout = settings.request_timeout;
    config.connect_timeout = Duration::from_secs(5);
    config.event_capacity = settings.event_capacity;
    config.overflow = overflow(settings.overflow);
    if settings.reconnect {
        config = config.reconnect(
            Reconnect::default()
                .initial(Duration::from_millis(20))
                .max(Duration::from_millis(200)),
        );
    }
    config
}

pub(crate) fn item(incoming: Incoming) -> Item {
    match incoming {
        Incoming::Event(event) => Item::Event(event),
        Incoming::Log(_) => Item::Log,
        Incoming::Notice(_) => Item::Notice,
        Incoming::Gap(Gap::Lost(n)) => Item::Lost(n),
        Incoming::Gap(Gap::Reconnected) => Item::Reconnected,
        Incoming::Gap(Gap::Disconnected) => Item::Disconnected,
        Incoming::Change(change) => Item::Change(change),
        other => panic!("an item this suite does not know: {other:?}"),
    }
}

/// `api` with an explicit timeout, interpreted like `Handle::api`.
pub(crate) fn api_text(response: Response) -> Result<String, TestError> {
    if response.is_ok() {
        Ok(response.text())
    } else {
        Err(TestError::Rejected(response.text()))
    }
}
