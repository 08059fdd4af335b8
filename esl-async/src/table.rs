//! The live call table of one connection.

use std::sync::Arc;

use crate::events::EventStream;
use crate::runtime::Runtime;
use crate::shared::Shared;

/// The channels, calls (legs grouped) and conferences of the switch, kept current from its
/// events: see [`Handle::track`](crate::Handle::track). Each read is a snapshot; cheap to
/// clone. None of its methods waits; its [`changes`](CallTable::changes) stream's receive
/// methods are cancel-safe (see [`EventStream`]).
///
/// ```no_run
/// # async fn demo(client: esl_async::Client<impl esl_async::Runtime>) -> esl_async::Result<()> {
/// let table = client.track();
/// let mut changes = table.changes();
/// let uuid = client.originate("loopback/park", "&park").await?;
/// while let Some(change) = changes.recv().await {
///     println!("{change:?}");
///     if table.call_of(&uuid).is_some_and(|call| call.legs.len() == 2) {
///         break;
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct CallTable<R: Runtime> {
    shared: Arc<Shared<R>>,
}

impl<R: Runtime> Clone for CallTable<R> {
    fn clone(&self) -> Self {
        CallTable {
            shared: self.shared.clone(),
        }
    }
}

impl<R: Runtime> std::fmt::Debug for CallTable<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallTable")
            .field("channels", &self.channels().len())
            .field("stale", &self.is_stale())
            .finish()
    }
}

impl<R: Runtime> CallTable<R> {
    pub(crate) fn new(shared: Arc<Shared<R>>) -> CallTable<R> {
        CallTable { shared }
    }

    esl_proto::__call_table_api!();

    /// A new stream of what changes in the table from now on
    /// ([`Incoming::Change`](crate::Incoming::Change) items), with a
    /// [`Gap::Reconnected`](crate::Gap::Reconnected) marker where events may have been
    /// missed and the table was rebuilt.
    pub fn changes(&self) -> EventStream<R> {
        EventStream::open_changes(self.shared.clone())
    }
}
