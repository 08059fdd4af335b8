//! Saved fuzz findings (`tests/fuzz_regressions/<target>/`), each replayed through its harness.
//! See the README there.

use std::collections::BTreeSet;
use std::path::Path;

/// Names the test of every file of a target, so that each can be ignored on its own while the
/// bug it found is open.
macro_rules! regressions {
    ($target:ident, $harness:expr, [$($(#[$attr:meta])* $test:ident => $file:literal,)*]) => {
        mod $target {
            /// The files this module has a test for.
            pub(super) const FILES: &[&str] = &[$($file),*];
            $(
                #[test]
                $(#[$attr])*
                fn $test() {
                    let input = include_bytes!(concat!(
                        "fuzz_regressions/",
                        stringify!($target),
                        "/",
                        $file
                    ));
                    ($harness)(&input[..]);
                }
            )*
        }
    };
}

regressions!(connection, esl_proto::fuzzing::connection, [
    duplicate_job_uuid => "duplicate-job-uuid.bin",
    open_request_2aa24b => "open-request-2aa24b549a57d1cdbd518216217db3759fd219c7",
    open_request_2cc943 => "open-request-2cc943fee8864cec3e27e64c932ddc4fdd78dc3c",
    open_request_3f6071 => "open-request-3f607151e0613a8c4b3ae6e930a1d5e0f92e0b2a",
    open_request_6af4e6 => "open-request-6af4e60cc618b74d4b5ca636ae3aa3fc0169fa7d",
    open_request_b33939 => "open-request-b33939e351992de8a77d1fc9c1b8d9f5cdb11bed",
    open_request_ecd25e => "open-request-ecd25e3d9170aa1e13c671675db8e2dd566c32b9",
    open_request_fe164a => "open-request-fe164a59bf1a36ab5b0d9d2df2f078482dd93a55",
]);

#[test]
fn every_saved_input_has_its_own_test() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions/connection");
    let saved: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let tested: BTreeSet<String> = connection::FILES.iter().map(|f| f.to_string()).collect();
    assert_eq!(saved, tested);
}
