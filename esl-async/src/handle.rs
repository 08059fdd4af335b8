//! The request API of one connection, shared by [`Client`](crate::Client) and
//! [`Session`](crate::Session). Each method hands the engine a command and what it expects,
//! and awaits the result the engine decides.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use esl_proto::client::{job_output, originated, Error, Result, SharedEngine};
use esl_proto::{Event, RequestId, Response};
use futures_util::future;

use crate::runtime::Runtime;
use crate::shared::{CancelOnDrop, Shared, Waiter};

/// Names a handler registered with [`Handle::on`], to remove it.
pub use esl_proto::apps::HandlerId;

/// The request methods of a connection, on [`Handle`] and on [`Client`](crate::Client)
/// alike (so that the client's own documentation page lists them): each type has a field
/// `shared`.
macro_rules! connection_methods {
    () => {
        /// Sends `command`, expecting `expect`, and awaits its result: the reply, the api
        /// output, a job's `BACKGROUND_JOB` or an execute's `CHANNEL_EXECUTE_COMPLETE`.
        ///
        /// Cancel-safe: dropping the future cancels the request (see
        /// [waiting](Self#waiting)).
        pub async fn request(
            &self,
            command: esl_proto::Command,
            expect: esl_proto::client::Expect,
            timeout: Option<::std::time::Duration>,
        ) -> esl_proto::client::Result<esl_proto::Response> {
            let (id, _, waiter) = self.shared.start(command, expect, timeout)?;
            self.wait_done(id, &waiter).await
        }

        async fn wait_done(&self, id: esl_proto::RequestId, waiter: &$crate::shared::Waiter) -> esl_proto::client::Result<esl_proto::Response> {
            let guard = $crate::shared::CancelOnDrop::new(&self.shared, id);
            let result = ::futures_util::future::poll_fn(|cx| waiter.poll_done(cx)).await;
            guard.disarm();
            result
        }

        /// `bgapi <command>` with a fresh `Job-UUID`: returns once the switch accepted it, with
        /// a [`Job`](crate::Job) that resolves to the command's output.
        ///
        /// Cancel-safe: dropped before the switch accepted it, the request is cancelled (the
        /// command may still run; see [waiting](Self#waiting)); the job it returns is
        /// cancelled when dropped.
        pub async fn bgapi(&self, command: &str) -> esl_proto::client::Result<$crate::Job<R>> {
            let (id, uuid, waiter) = self
                .shared
                .start(esl_proto::Command::bgapi(command), esl_proto::client::Expect::Job, None)?;
            let guard = $crate::shared::CancelOnDrop::new(&self.shared, id);
            let step = ::futures_util::future::poll_fn(|cx| waiter.poll_first(cx)).await;
            guard.disarm();
            step.accepted()?;
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
        pub fn track(&self) -> $crate::CallTable<R> {
            self.shared.track();
            $crate::CallTable::new(self.shared.clone())
        }

        /// A new stream of events, log lines, notices and gap markers from now on. Each call
        /// makes an independent stream; see [`Overflow`](crate::Overflow).
        pub fn events(&self) -> $crate::EventStream<R> {
            $crate::EventStream::open(self.shared.clone())
        }

        /// Calls `handler` for every event named `name` (an event name such as
        /// `CHANNEL_ANSWER`, a `CUSTOM` subclass such as `conference::maintenance`, or `*`).
        /// Handlers run on the connection's driver: keep them short, and spawn anything that
        /// waits.
        pub fn on(&self, name: &str, handler: impl Fn(&esl_proto::Event) + Send + Sync + 'static) -> $crate::HandlerId {
            self.shared.lock().on(name, ::std::sync::Arc::new(handler))
        }

        esl_proto::__handle_api!((async) (.await) $crate::Job<R>);
    };
}
pub(crate) use connection_methods;

/// The request API of one connection: what [`Client`](crate::Client) and
/// [`Session`](crate::Session) share. Cheap to clone; clones share the connection.
///
/// ```no_run
/// use esl_async::{Handle, Runtime};
///
/// /// Takes a client's connection and an outbound session's alike.
/// async fn uptime<R: Runtime>(handle: &Handle<R>) -> esl_async::Result<String> {
///     let status = handle.api("status").await?;
///     Ok(status.lines().next().unwrap_or_default().to_owned())
/// }
/// # async fn demo<R: Runtime>(client: esl_async::Client<R>) -> esl_async::Result<()> {
/// println!("{}", uptime(client.handle()).await?);
/// # Ok(())
/// # }
/// ```
///
/// # Waiting
///
/// Every method that waits is cancel-safe in this sense: dropping its future (a `select!`
/// branch that lost, a timeout around it) cancels the request, whose late reply the engine
/// then discards, never giving it to another request. Dropping does not undo the command,
/// which may still have run on the switch: a dropped `originate` may still place its call,
/// a dropped `execute` leaves its application running. The result is gone with the future:
/// to wait for one request in a `select!` loop, pin its future once
/// (`let mut reply = std::pin::pin!(handle.api("status"));`) and poll `&mut reply` each
/// time round, rather than sending the request again.
///
/// Every wait also ends on its own: within its timeout (the one given, or else
/// [`ClientConfig`](crate::ClientConfig)'s request, job or execute timeout for the command's
/// kind) with [`Error::Timeout`](crate::Error::Timeout), and at once with
/// [`Error::ConnectionClosed`](crate::Error::ConnectionClosed) when the connection ends.
pub struct Handle<R: Runtime> {
    pub(crate) shared: Arc<Shared<R>>,
}

impl<R: Runtime> Clone for Handle<R> {
    fn clone(&self) -> Self {
        Handle {
            shared: self.shared.clone(),
        }
    }
}

impl<R: Runtime> std::fmt::Debug for Handle<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("peer", &self.shared.peer)
            .finish()
    }
}

impl<R: Runtime> Handle<R> {
    pub(crate) fn new(shared: Arc<Shared<R>>) -> Handle<R> {
        Handle { shared }
    }

    connection_methods!();
}

/// A `bgapi` job under way: await it (it is [`IntoFuture`]) for the command's output.
///
/// Dropping an unfinished job cancels it: the connection stops waiting for its result (the
/// command still runs on the switch).
///
/// ```no_run
/// # async fn demo<R: esl_async::Runtime>(client: esl_async::Client<R>) -> esl_async::Result<()> {
/// // Returns once the switch accepted the command; it runs in the background.
/// let job = client.bgapi("status").await?;
/// println!("job {}", job.uuid());
/// // Its output, within the job timeout.
/// let output = job.await?;
/// println!("{output}");
/// # Ok(())
/// # }
/// ```
///
/// # Waiting
///
/// Each method consumes the job, and dropping its future cancels the job as dropping the
/// job does: cancel-safe in [`Handle`]'s sense, and the result is gone with the future. To
/// wait for a job in a `select!` loop, pin its future once
/// (`let mut output = std::pin::pin!(job.output());`) and poll `&mut output` each time
/// round. The wait ends on its own within the job timeout
/// ([`ClientConfig::job_timeout`](crate::ClientConfig::job_timeout)) or the one given
/// ([`Job::event_within`]), with [`Error::Timeout`].
pub struct Job<R: Runtime> {
    pub(crate) shared: Arc<Shared<R>>,
    pub(crate) uuid: String,
    pub(crate) id: RequestId,
    pub(crate) waiter: Waiter,
    pub(crate) armed: bool,
}

impl<R: Runtime> std::fmt::Debug for Job<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("uuid", &self.uuid).finish()
    }
}

impl<R: Runtime> Job<R> {
    /// The job's `Job-UUID`.
    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    /// The `BACKGROUND_JOB` event, within the configured job timeout.
    pub async fn event(mut self) -> Result<Event> {
        self.armed = false;
        let guard = CancelOnDrop::new(&self.shared, self.id);
        let result = future::poll_fn(|cx| self.waiter.poll_done(cx)).await;
        guard.disarm();
        match result? {
            Response::Job(event) => Ok(event),
            other => Err(Error::Rejected(other.text())),
        }
    }

    /// The `BACKGROUND_JOB` event, within `timeout` from now. On [`Error::Timeout`] the job
    /// is cancelled: its result, if it comes later, is discarded.
    pub async fn event_within(self, timeout: Duration) -> Result<Event> {
        let now = self.shared.now();
        self.shared.lock().set_timeout(self.id, now, timeout);
        self.shared.driver.wake();
        self.event().await
    }

    /// The command's output; `-ERR ...` / `-USAGE ...` outputs are [`Error::Rejected`].
    pub async fn output(self) -> Result<String> {
        job_output(Response::Job(self.event().await?))
    }

    /// For an `originate` job: the new channel's uuid (`+OK <uuid>`), or the switch's cause.
    pub async fn channel_uuid(self) -> Result<String> {
        originated(Response::Job(self.event().await?))
    }
}

impl<R: Runtime> IntoFuture for Job<R> {
    type Output = Result<String>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<String>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.output())
    }
}

impl<R: Runtime> Drop for Job<R> {
    fn drop(&mut self) {
        if self.armed {
            self.shared.cancel(self.id);
        }
    }
}
