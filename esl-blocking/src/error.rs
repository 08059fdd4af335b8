//! What can go wrong for a caller: `esl-async`'s [`Error`], so every adapter reports the same
//! failures the same way.

pub use esl_async::{Error, Result};
