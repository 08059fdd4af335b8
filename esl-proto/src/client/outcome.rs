//! What a waiting caller has been told so far, and the rule for what it hears next. An
//! adapter keeps one per waiter, under its own lock, next to its own way of waking.

/// The first thing a request's caller hears: accepted (a job or execute is under way), or
/// its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<T> {
    /// The switch accepted it; the result comes later.
    Accepted,
    /// It ended.
    Done(T),
}

impl Step<super::Result<crate::Response>> {
    /// For a request that must be accepted before its result comes (a `bgapi` job): `Ok`
    /// once accepted; an end before that is an error, a reply that ended it a refusal.
    ///
    /// ```
    /// use esl_proto::client::{Error, Step};
    /// use esl_proto::{ApiResponse, Response};
    ///
    /// assert!(Step::Accepted.accepted().is_ok());
    /// let reply = ApiResponse::new("-ERR no such command".into());
    /// let refused = Step::Done(Ok(Response::Api(reply)));
    /// assert!(matches!(refused.accepted(), Err(Error::Rejected(t)) if t == "-ERR no such command"));
    /// assert!(matches!(Step::Done(Err(Error::Closed)).accepted(), Err(Error::Closed)));
    /// ```
    pub fn accepted(self) -> super::Result<()> {
        match self {
            Step::Accepted => Ok(()),
            Step::Done(Ok(response)) => Err(super::Error::Rejected(response.text())),
            Step::Done(Err(error)) => Err(error),
        }
    }
}

/// A waiter's news: whether the request was accepted, and its result once there.
///
/// ```
/// use esl_proto::client::{Outcome, Step};
///
/// let mut outcome = Outcome::default();
/// assert_eq!(outcome.take_first(), None);
/// outcome.accept();
/// outcome.complete("done");
/// outcome.complete("ignored: the first result stays");
/// // Accepted comes first even when the result arrived with it.
/// assert_eq!(outcome.take_first(), Some(Step::Accepted));
/// assert_eq!(outcome.take_done(), Some("done"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<T> {
    accepted: bool,
    result: Option<T>,
}

impl<T> Default for Outcome<T> {
    fn default() -> Self {
        Outcome {
            accepted: false,
            result: None,
        }
    }
}

impl<T> Outcome<T> {
    /// The switch accepted the request.
    pub fn accept(&mut self) {
        self.accepted = true;
    }

    /// The result; a second one is ignored.
    pub fn complete(&mut self, result: T) {
        if self.result.is_none() {
            self.result = Some(result);
        }
    }

    /// Accepted or done, whichever the caller has not heard yet; accepted first, even when
    /// the result came in the same breath (the result then waits for the next step).
    pub fn take_first(&mut self) -> Option<Step<T>> {
        if std::mem::take(&mut self.accepted) {
            return Some(Step::Accepted);
        }
        self.result.take().map(Step::Done)
    }

    /// The result, taken.
    pub fn take_done(&mut self) -> Option<T> {
        self.result.take()
    }

    /// The result, left for other waiters.
    pub fn peek(&self) -> Option<&T> {
        self.result.as_ref()
    }
}
