//! End-to-end tests: the `esl` binary against a simulated switch started in the test.
//!
//! Nothing here waits by sleeping or polling: each test reads the child's output until the
//! line it needs appears, or waits on the switch's own change notifications
//! (`SimSwitch::wait_until`), with a generous deadline that only bounds a hang (no assertion
//! is about speed).

mod api;
mod calls;
mod events;
mod load;
mod originate;
mod sim;
mod support;
