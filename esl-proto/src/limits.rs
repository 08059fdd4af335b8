//! Every bound the core puts on what the network can make it hold.

/// The limits of one connection (or one server-side command parser).
///
/// Each field bounds memory that bytes from the network could otherwise grow without end.
/// Exceeding a framing limit is a fatal [`FrameError`](crate::FrameError): the stream cannot be
/// resynchronised after it, so the connection stops (a sticky error). Exceeding a request limit
/// refuses the new request with [`SendError`](crate::SendError) and keeps the connection.
///
/// The defaults accept everything FreeSWITCH 1.11 was seen to send (see
/// `fixtures/freeswitch/README.md`) with a wide margin, and nothing that would let a peer
/// make the client hold more than about `max_header_block + max_body` bytes at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest header block (the bytes before the blank line, including line ends) of one
    /// message, and of the header block inside a `text/event-plain` body.
    ///
    /// Default 4 MiB. An outbound `connect` reply and every channel event carry all channel
    /// variables as headers: `inbound_big_event` shows 72 KB of them for one 70 KB variable, so
    /// libesl's 64 KiB header buffer (which silently truncates) is too small. FreeSWITCH itself
    /// accepts command header blocks up to 10 MiB; 4 MiB holds any realistic channel.
    pub max_header_block: usize,
    /// Most header lines in one header block. Default 16,384: a channel event has about 200,
    /// and a header costs 16 bytes of index, so the cap bounds the index at 256 KiB.
    pub max_headers: usize,
    /// Largest body (`Content-Length`) of one message. Default 16 MiB: `api` output such as
    /// `show modules` or a 100 KB `global_getvar` is far below it, and FreeSWITCH sends bodies
    /// of whatever size an API produced; 16 MiB is the design's bound on a single reply.
    pub max_body: usize,
    /// Most requests waiting for their reply at once (sent or held before auth). Default 65,536,
    /// far above what one socket pipelines (FreeSWITCH answers strictly in order).
    pub max_pending_requests: usize,
    /// Most `bgapi` jobs and `execute`s waiting for their completion event at once.
    /// Default 65,536.
    pub max_pending_jobs: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_block: 4 * 1024 * 1024,
            max_headers: 16 * 1024,
            max_body: 16 * 1024 * 1024,
            max_pending_requests: 64 * 1024,
            max_pending_jobs: 64 * 1024,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_header_block`].
    pub fn max_header_block(mut self, bytes: usize) -> Limits {
        self.max_header_block = bytes;
        self
    }

    /// Sets [`Limits::max_headers`].
    pub fn max_headers(mut self, count: usize) -> Limits {
        self.max_headers = count;
        self
    }

    /// Sets [`Limits::max_body`].
    pub fn max_body(mut self, bytes: usize) -> Limits {
        self.max_body = bytes;
        self
    }

    /// Sets [`Limits::max_pending_requests`].
    pub fn max_pending_requests(mut self, count: usize) -> Limits {
        self.max_pending_requests = count;
        self
    }

    /// Sets [`Limits::max_pending_jobs`].
    pub fn max_pending_jobs(mut self, count: usize) -> Limits {
        self.max_pending_jobs = count;
        self
    }

    /// The most bytes a framer can hold that do not yet form a complete message:
    /// one header block and one body at their limits.
    pub fn max_buffered(&self) -> usize {
        self.max_header_block.saturating_add(self.max_body)
    }
}
