//! The live call table of one connection.

use std::sync::Arc;

use crate::conn::Conn;
use crate::events::EventStream;

/// The channels, calls (legs grouped) and conferences of the switch, kept current from its
/// events: see [`Handle::track`](crate::Handle::track). Each read is a snapshot; cheap to
/// clone.
///
/// ```no_run
/// # fn demo(client: esl_blocking::Client) -> esl_blocking::Result<()> {
/// let table = client.track();
/// let mut changes = table.changes();
/// let uuid = client.originate("loopback/park", "&park")?;
/// while let Some(change) = changes.recv() {
///     println!("{change:?}");
///     if table.call_of(&uuid).is_some_and(|call| call.legs.len() == 2) {
///         break;
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct CallTable {
    shared: Arc<Conn>,
}

impl std::fmt::Debug for CallTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallTable")
            .field("channels", &self.channels().len())
            .field("stale", &self.is_stale())
            .finish()
    }
}

impl CallTable {
    pub(crate) fn new(shared: Arc<Conn>) -> CallTable {
        CallTable { shared }
    }

    esl_proto::__call_table_api!();

    /// A new stream of what changes in the table from now on
    /// ([`Incoming::Change`](crate::Incoming::Change) items), with a
    /// [`Gap::Reconnected`](crate::Gap::Reconnected) marker where events may have been
    /// missed and the table was rebuilt.
    pub fn changes(&self) -> EventStream {
        EventStream::open_changes(self.shared.clone())
    }
}
