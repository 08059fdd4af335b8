//! End-to-end tests: the `esl` binary against a simulated switch started in the test.
//!
//! Nothing here waits by sleeping: each test reads the child's output until the line it
//! needs appears, or polls the switch's state, with a generous deadline that only bounds a
//! hang (no assertion is about speed).

mod api;
mod calls;
mod events;
mod load;
mod originate;
mod sim;
mod support;
