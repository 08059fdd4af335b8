//! The driver: one future per connection that moves bytes between the socket and the
//! protocol core. It writes what the core queued, reads what arrived, and hands each output
//! to whoever waits for it. Callers wake it when they queue a command; event streams wake it
//! when they make room (backpressure).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};

use crate::handle::Inner;
use crate::runtime::Runtime;

/// Reads per poll before yielding, so a firehose of events cannot starve other tasks.
const BUDGET: usize = 32;

/// Bytes per read: one chunk of events handed to the core at a time.
const READ_SIZE: usize = 64 * 1024;

/// How a connection's driver ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The peer closed, the socket failed, or the protocol broke.
    Lost,
    /// The application closed it.
    Closed,
}

pub(crate) struct Driver<R: Runtime> {
    inner: Arc<Inner<R>>,
    stream: R::Stream,
    buf: Box<[u8]>,
    writing: Option<(Bytes, usize)>,
}

impl<R: Runtime> Driver<R> {
    pub(crate) fn new(inner: Arc<Inner<R>>, stream: R::Stream) -> Driver<R> {
        Driver {
            inner,
            stream,
            buf: vec![0; READ_SIZE].into_boxed_slice(),
            writing: None,
        }
    }

    /// Writes queued bytes until the socket would block. `Err(())` if the socket failed.
    fn flush(&mut self, cx: &mut Context<'_>) -> Result<bool, ()> {
        let mut progress = false;
        loop {
            if self.writing.is_none() {
                self.writing = self.inner.lock().conn.poll_transmit().map(|b| (b, 0));
            }
            let Some((bytes, offset)) = self.writing.as_mut() else {
                return Ok(progress);
            };
            match Pin::new(&mut self.stream).poll_write(cx, &bytes[*offset..]) {
                Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return Err(()),
                Poll::Ready(Ok(n)) => {
                    *offset += n;
                    progress = true;
                    if *offset == bytes.len() {
                        self.writing = None;
                        let _ = Pin::new(&mut self.stream).poll_flush(cx);
                    }
                }
                Poll::Pending => return Ok(progress),
            }
        }
    }
}

impl<R: Runtime> Future for Driver<R> {
    type Output = Ended;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Ended> {
        let this = &mut *self;
        let turn = this.turn(cx);
        // Once per turn, whatever it read: events already parsed are never held back.
        this.inner.wake_streams();
        turn
    }
}

impl<R: Runtime> Driver<R> {
    /// Writes and reads until the socket would block or the budget is spent.
    fn turn(&mut self, cx: &mut Context<'_>) -> Poll<Ended> {
        let this = self;
        // Registered before looking at any state, so a wake after the look is not lost.
        this.inner.wake.register(cx.waker());
        for _ in 0..BUDGET {
            if this.inner.shutting_down.load(Ordering::Acquire) {
                // Whatever is queued (an `exit`) goes out first.
                let _ = this.flush(cx);
                let _ = Pin::new(&mut this.stream).poll_close(cx);
                return Poll::Ready(Ended::Closed);
            }
            let mut progress = match this.flush(cx) {
                Ok(progress) => progress,
                Err(()) => {
                    this.inner.process(None);
                    return Poll::Ready(Ended::Lost);
                }
            };
            if !this.inner.backpressure() {
                match Pin::new(&mut this.stream).poll_read(cx, &mut this.buf) {
                    Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => {
                        this.inner.process(None);
                        return Poll::Ready(Ended::Lost);
                    }
                    Poll::Ready(Ok(n)) => {
                        if this.inner.process(Some(&this.buf[..n])).is_some() {
                            return Poll::Ready(Ended::Lost);
                        }
                        progress = true;
                    }
                    Poll::Pending => {}
                }
            }
            if !progress {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
