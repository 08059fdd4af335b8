//! The write half of a connection: one writer at a time, bytes in the order the protocol
//! core queued them, and never a thread stuck in a socket write past its deadline.
//!
//! The socket has a short send timeout ([`WRITE_SLICE`]), so every `write` returns within a
//! slice even when the switch stops reading. A writer that runs out of time leaves what it
//! could not write in the backlog; the next writer writes the backlog first, so the byte
//! order never changes, and the reader thread retries it every slice until it is gone.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};

use crate::signal::{lock, wait_until};

/// The longest one socket write blocks (the socket's send timeout).
pub(crate) const WRITE_SLICE: Duration = Duration::from_millis(20);

/// What a writer owns while it holds the lock.
#[derive(Default)]
pub(crate) struct Writer {
    stream: Option<TcpStream>,
    backlog: VecDeque<Bytes>,
}

/// How a flush ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flushed {
    /// Everything is written.
    Done,
    /// The socket did not take it all in time; the rest is in the backlog.
    Stalled,
    /// The socket failed; it has been shut down, so the reader thread sees the end.
    Failed,
}

impl Writer {
    /// Queues bytes behind the backlog.
    pub(crate) fn push(&mut self, bytes: Bytes) {
        if !bytes.is_empty() {
            self.backlog.push_back(bytes);
        }
    }

    /// Writes the backlog until it is empty, the socket fails, or `deadline` passes (with
    /// `patient` false: after one write that timed out).
    pub(crate) fn flush(&mut self, deadline: Option<Instant>, patient: bool) -> Flushed {
        let Some(stream) = self.stream.as_mut() else {
            // No socket (reconnecting): nothing written now can be answered.
            self.backlog.clear();
            return Flushed::Done;
        };
        while let Some(front) = self.backlog.front_mut() {
            match stream.write(front) {
                Ok(0) => return self.fail(),
                Ok(n) => {
                    front.advance(n);
                    if front.is_empty() {
                        self.backlog.pop_front();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if !patient || deadline.is_some_and(|d| Instant::now() >= d) {
                        return Flushed::Stalled;
                    }
                }
                Err(error) => {
                    tracing::debug!(%error, "socket write failed");
                    return self.fail();
                }
            }
        }
        Flushed::Done
    }

    fn fail(&mut self) -> Flushed {
        self.backlog.clear();
        if let Some(stream) = &self.stream {
            let _ = stream.shutdown(Shutdown::Both);
        }
        Flushed::Failed
    }
}

/// The lock around the [`Writer`]: acquired with a deadline, so a thread whose request timed
/// out while another was writing gives up without having sent anything.
#[derive(Default)]
struct Parked {
    /// `None` while a writer holds it.
    writer: Option<Writer>,
    /// Threads waiting for it.
    waiting: usize,
}

#[derive(Default)]
pub(crate) struct WriteLock {
    parked: Mutex<Parked>,
    freed: Condvar,
    /// Bytes were queued in the connection by a thread that could not take the lock; the
    /// holder writes them before it leaves.
    dirty: AtomicBool,
    /// The backlog is not empty (the reader thread then retries it every slice).
    backlogged: AtomicBool,
}

/// The held lock; dropping it gives the writer back.
pub(crate) struct WriteGuard<'a> {
    lock: &'a WriteLock,
    writer: Option<Writer>,
}

impl WriteLock {
    pub(crate) fn new() -> WriteLock {
        WriteLock {
            parked: Mutex::new(Parked {
                writer: Some(Writer::default()),
                waiting: 0,
            }),
            ..WriteLock::default()
        }
    }

    /// Takes the lock, waiting at most until `deadline` (for ever without one).
    pub(crate) fn lock_until(&self, deadline: Option<Instant>) -> Option<WriteGuard<'_>> {
        let mut parked = lock(&self.parked);
        if let Some(writer) = parked.writer.take() {
            return Some(self.guard(writer));
        }
        parked.waiting += 1;
        loop {
            let (guard, expired) = wait_until(&self.freed, parked, deadline);
            parked = guard;
            if let Some(writer) = parked.writer.take() {
                parked.waiting -= 1;
                return Some(self.guard(writer));
            }
            if expired {
                parked.waiting -= 1;
                return None;
            }
        }
    }

    fn guard(&self, writer: Writer) -> WriteGuard<'_> {
        WriteGuard {
            lock: self,
            writer: Some(writer),
        }
    }

    /// Takes the lock if it is free.
    pub(crate) fn try_lock(&self) -> Option<WriteGuard<'_>> {
        let writer = lock(&self.parked).writer.take()?;
        Some(WriteGuard {
            lock: self,
            writer: Some(writer),
        })
    }

    /// Marks bytes as queued in the connection and not yet taken by a writer.
    pub(crate) fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::SeqCst);
    }

    /// Takes the dirty mark (a writer is about to take everything queued).
    pub(crate) fn take_dirty(&self) -> bool {
        self.dirty.swap(false, Ordering::SeqCst)
    }

    pub(crate) fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::SeqCst)
    }

    pub(crate) fn is_backlogged(&self) -> bool {
        self.backlogged.load(Ordering::Acquire)
    }
}

impl WriteGuard<'_> {
    pub(crate) fn has_backlog(&self) -> bool {
        self.writer.as_ref().is_some_and(|w| !w.backlog.is_empty())
    }

    pub(crate) fn writer(&mut self) -> &mut Writer {
        self.writer.as_mut().expect("held until dropped")
    }

    /// Puts a new socket in place (or none, while reconnecting); the old backlog goes.
    pub(crate) fn attach(&mut self, stream: Option<TcpStream>) {
        let writer = self.writer();
        writer.stream = stream;
        writer.backlog.clear();
    }
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take() {
            self.lock
                .backlogged
                .store(!writer.backlog.is_empty(), Ordering::Release);
            let mut parked = lock(&self.lock.parked);
            parked.writer = Some(writer);
            let waiting = parked.waiting > 0;
            drop(parked);
            // The woken waiter takes it even if its own time just ran out (and gives it back
            // at once), so a wake-up is never spent on a thread that leaves without it.
            if waiting {
                self.lock.freed.notify_one();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_waiter_gives_up_at_its_deadline_and_gets_the_lock_once_free() {
        let lock = Arc::new(WriteLock::new());
        let held = lock.try_lock().unwrap();
        assert!(lock.try_lock().is_none());
        let started = Instant::now();
        let waited = lock.lock_until(Some(Instant::now() + Duration::from_millis(50)));
        assert!(waited.is_none());
        assert!(started.elapsed() >= Duration::from_millis(50));
        let waiter = {
            let lock = lock.clone();
            std::thread::spawn(move || lock.lock_until(None).is_some())
        };
        std::thread::sleep(Duration::from_millis(20));
        drop(held);
        assert!(waiter.join().unwrap());
        assert!(lock.try_lock().is_some());
    }

    #[test]
    fn no_wake_up_is_lost_among_waiters_that_time_out() {
        let lock = Arc::new(WriteLock::new());
        let got = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..16)
            .map(|i| {
                let (lock, got) = (lock.clone(), got.clone());
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        // Half the threads give up quickly, half wait as long as it takes.
                        let deadline =
                            (i % 2 == 0).then(|| Instant::now() + Duration::from_micros(50));
                        if let Some(guard) = lock.lock_until(deadline) {
                            got.fetch_add(1, Ordering::Relaxed);
                            drop(guard);
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert!(got.load(Ordering::Relaxed) >= 8 * 200);
        assert!(lock.try_lock().is_some(), "the lock ends up free");
    }
}
