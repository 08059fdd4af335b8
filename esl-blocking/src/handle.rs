//! The request API of one connection, shared by [`Client`](crate::Client) and
//! [`Session`](crate::Session). Each method hands the engine a command and what it expects,
//! and awaits the result the engine decides.

use std::sync::Arc;
use std::time::Duration;

use crate::conn::{Conn, Waiter};
use esl_proto::client::{job_output, originated, Error, Result, SharedEngine};
use esl_proto::{Event, RequestId, Response};

/// Names a handler registered with [`Handle::on`], to remove it.
pub use esl_proto::apps::HandlerId;

/// The request methods of a connection, on [`Handle`] and on [`Client`](crate::Client)
/// alike (so that the client's own documentation page lists them): each type has a field
/// `shared`.
macro_rules! connection_methods {
    () => {
        /// Sends `command`, expecting `expect`, and waits for its result: the reply, the api
        /// output, a job's `BACKGROUND_JOB` or an execute's `CHANNEL_EXECUTE_COMPLETE`.
        ///
        /// Blocks for at most `timeout`, or else the timeout the command's kind calls for
        /// (see [waiting](Self#waiting)).
        pub fn request(
            &self,
            command: esl_proto::Command,
            expect: esl_proto::client::Expect,
            timeout: Option<::std::time::Duration>,
        ) -> esl_proto::client::Result<esl_proto::Response> {
            let (_, _, waiter) = self.shared.start(command, expect, timeout)?;
            waiter.wait_done()
        }

        /// `bgapi <command>` with a fresh `Job-UUID`: returns once the switch accepted it, with
        /// a [`Job`](crate::Job) that resolves to the command's output.
        ///
        /// Blocks until the switch accepted it, for at most the request timeout (see
        /// [waiting](Self#waiting)); the job it returns is cancelled when dropped.
        pub fn bgapi(&self, command: &str) -> esl_proto::client::Result<$crate::Job> {
            let (id, uuid, waiter) = self
                .shared
                .start(esl_proto::Command::bgapi(command), esl_proto::client::Expect::Job, None)?;
            waiter.wait_first().accepted()?;
            Ok($crate::Job {
                shared: self.shared.clone(),
                uuid: uuid.unwrap_or_default(),
                id,
                waiter,
                armed: true,
            })
        }

        /// The live call table of this connection: its channels, calls and conferences, kept
        /// current from now on. The connection subscribes for itself to every event the table
        /// needs (`CHANNEL_DESTROY` included), on this and every later connection, and lists the
        /// channels already up; events the application did not subscribe to still do not reach
        /// its streams. Calling it again gives the same table.
        pub fn track(&self) -> $crate::CallTable {
            self.shared.track();
            $crate::CallTable::new(self.shared.clone())
        }

        /// A new stream of events, log lines, notices and gap markers from now on. Each call
        /// makes an independent stream; see [`Overflow`](crate::Overflow).
        pub fn events(&self) -> $crate::EventStream {
            $crate::EventStream::open(self.shared.clone())
        }

        /// Calls `handler` for every event named `name` (an event name such as
        /// `CHANNEL_ANSWER`, a `CUSTOM` subclass such as `conference::maintenance`, or `*`).
        /// Handlers run on the worker pool, one at a time per connection and in the order the
        /// events came, so they may block and make requests (on this connection too); a
        /// connection whose handlers fall behind by the event capacity skips (and logs) the
        /// handlers of newer events.
        pub fn on(&self, name: &str, handler: impl Fn(&esl_proto::Event) + Send + Sync + 'static) -> $crate::HandlerId {
            self.shared.lock().on(name, ::std::sync::Arc::new(handler))
        }

        esl_proto::__handle_api!(() () $crate::Job);
    };
}
pub(crate) use connection_methods;

/// The request API of one connection: what [`Client`](crate::Client) and
/// [`Session`](crate::Session) share. Cheap to clone; clones share the connection, and
/// every method may be called from any number of threads at once.
///
/// ```
/// # #[cfg(feature = "sim")]
/// # fn main() -> esl_blocking::Result<()> {
/// # let switch = esl_blocking::sim::VirtualSwitch::new(Default::default());
/// # let client =
/// #     esl_blocking::sim::connect(&switch, esl_blocking::ClientConfig::password("ClueCon"))?;
/// use esl_blocking::Handle;
///
/// /// Takes a client's connection and an outbound session's alike.
/// fn uptime(handle: &Handle) -> esl_blocking::Result<String> {
///     let status = handle.api("status")?;
///     Ok(status.lines().next().unwrap_or_default().to_owned())
/// }
///
/// let handle = client.handle().clone();
/// let uptime = std::thread::spawn(move || uptime(&handle)).join().unwrap()?;
/// assert!(uptime.starts_with("UP "));
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "sim"))]
/// # fn main() {}
/// ```
///
/// # Waiting
///
/// Each method that waits blocks the calling thread until its result, for at most its
/// timeout: the one given (`send_timeout`, [`Job::wait_timeout`]), or else
/// [`ClientConfig`](crate::ClientConfig)'s for the command's kind (request, job or execute
/// timeout). On timeout it returns [`Error::Timeout`](crate::Error::Timeout) and the request
/// is cancelled: its late reply is discarded, never given to another request, but the
/// command may still have run on the switch. The waiting thread cannot interrupt the wait;
/// another thread ends it by closing the connection ([`Client::close`](crate::Client::close),
/// [`Session::close`](crate::Session::close)): a request still waiting when the connection
/// ends fails with [`Error::ConnectionClosed`](crate::Error::ConnectionClosed), as it does
/// when the connection is lost.
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Conn>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("peer", &self.shared.peer)
            .finish()
    }
}

impl Handle {
    pub(crate) fn new(shared: Arc<Conn>) -> Handle {
        Handle { shared }
    }

    connection_methods!();
}

/// A `bgapi` job under way: [`Job::wait`] for the command's output.
///
/// Dropping an unfinished job cancels it: the connection stops waiting for its result (the
/// command still runs on the switch).
///
/// ```
/// # #[cfg(feature = "sim")]
/// # fn main() -> esl_blocking::Result<()> {
/// # let switch = esl_blocking::sim::VirtualSwitch::new(Default::default());
/// # let client =
/// #     esl_blocking::sim::connect(&switch, esl_blocking::ClientConfig::password("ClueCon"))?;
/// // Returns once the switch accepted the command; it runs in the background.
/// let job = client.bgapi("status")?;
/// println!("job {}", job.uuid());
/// // Blocks for its output, within the job timeout.
/// let output = job.wait()?;
/// assert!(output.contains("is ready"));
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "sim"))]
/// # fn main() {}
/// ```
///
/// # Waiting
///
/// Each method consumes the job and blocks until its result, for at most the job timeout
/// ([`ClientConfig::job_timeout`](crate::ClientConfig::job_timeout)) or the one given
/// ([`Job::event_within`], [`Job::wait_timeout`]). On timeout it returns
/// [`Error::Timeout`] and the job is cancelled: its result, if it comes later, is
/// discarded. Only the end of the connection (closed from another thread, or lost) ends the
/// wait sooner, with [`Error::ConnectionClosed`].
pub struct Job {
    pub(crate) shared: Arc<Conn>,
    pub(crate) uuid: String,
    pub(crate) id: RequestId,
    pub(crate) waiter: Waiter,
    pub(crate) armed: bool,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("uuid", &self.uuid).finish()
    }
}

impl Job {
    /// The job's `Job-UUID`.
    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    /// The `BACKGROUND_JOB` event, within the configured job timeout.
    pub fn event(mut self) -> Result<Event> {
        self.armed = false;
        match self.waiter.wait_done()? {
            Response::Job(event) => Ok(event),
            other => Err(Error::Rejected(other.text())),
        }
    }

    /// The `BACKGROUND_JOB` event, within `timeout` from now. On [`Error::Timeout`] the job
    /// is cancelled: its result, if it comes later, is discarded.
    pub fn event_within(self, timeout: Duration) -> Result<Event> {
        self.shared
            .lock()
            .set_timeout(self.id, self.shared.now(), timeout);
        self.shared.notify();
        self.event()
    }

    /// The command's output, within the configured job timeout; `-ERR ...` / `-USAGE ...`
    /// outputs are [`Error::Rejected`].
    pub fn wait(self) -> Result<String> {
        job_output(Response::Job(self.event()?))
    }

    /// [`Job::wait`] within `timeout`. On [`Error::Timeout`] the job is cancelled: its
    /// result, if it comes later, is discarded.
    pub fn wait_timeout(self, timeout: Duration) -> Result<String> {
        job_output(Response::Job(self.event_within(timeout)?))
    }

    /// The command's output: the same as [`Job::wait`].
    pub fn output(self) -> Result<String> {
        self.wait()
    }

    /// For an `originate` job: the new channel's uuid (`+OK <uuid>`), or the switch's cause.
    pub fn channel_uuid(self) -> Result<String> {
        originated(Response::Job(self.event()?))
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        if self.armed {
            self.shared.cancel(self.id);
        }
    }
}
