//! The captures are the recordings, byte for byte: each matches the checksum committed beside
//! it (`fixtures/freeswitch/SHA256SUMS`), none is missing or unlisted, and they equal the
//! shared recordings they were copied from. A missing file fails the run: a test that
//! returned early would pass on a checkout that has no captures at all.
//!
//! The checksum list is generated, never edited by hand:
//!
//! ```sh
//! cd fixtures/freeswitch && LC_ALL=C sha256sum *.jsonl *.txt > SHA256SUMS
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use esl_tests::fixtures;
use sha2::{Digest, Sha256};

/// `SHA256SUMS` as (file name, lower-case hex digest), in `sha256sum`'s text format.
fn committed_sums() -> BTreeMap<String, String> {
    let path = fixtures::dir().join("SHA256SUMS");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (see this file's docs)", path.display()));
    text.lines()
        .map(|line| {
            let (digest, name) = line
                .split_once("  ")
                .unwrap_or_else(|| panic!("not a sha256sum line: {line:?}"));
            assert!(
                digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
                "bad digest in {line:?}"
            );
            (name.to_owned(), digest.to_ascii_lowercase())
        })
        .collect()
}

fn sha256_hex(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The capture files present (`*.jsonl` and `*.txt`).
fn present() -> Vec<String> {
    let dir = fixtures::dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fixtures at {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".jsonl") || name.ends_with(".txt"))
        .collect();
    names.sort();
    names
}

#[test]
fn every_capture_matches_its_committed_checksum() {
    let sums = committed_sums();
    assert!(!sums.is_empty(), "SHA256SUMS lists no capture");
    let listed: Vec<String> = sums.keys().cloned().collect();
    assert_eq!(present(), listed, "captures present differ from SHA256SUMS");
    for (name, digest) in &sums {
        let actual = sha256_hex(&fixtures::dir().join(name));
        assert_eq!(&actual, digest, "{name} changed");
    }
    // Each capture comes as its bytes and their rendering for people.
    for name in fixtures::names() {
        for ext in ["jsonl", "txt"] {
            assert!(sums.contains_key(&format!("{name}.{ext}")), "{name}.{ext}");
        }
    }
}

/// Where the shared recordings are: `$ESL_SHARED_FIXTURES`, or `shared/fixtures/freeswitch`
/// beside the checkout.
fn shared_dir() -> PathBuf {
    match std::env::var_os("ESL_SHARED_FIXTURES") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/freeswitch"),
    }
}

#[test]
fn the_captures_are_the_shared_recordings_unchanged() {
    let shared = shared_dir();
    assert!(
        shared.is_dir(),
        "the shared recordings are not at {} (set ESL_SHARED_FIXTURES)",
        shared.display()
    );
    let names = fixtures::names();
    assert!(
        !names.is_empty(),
        "no capture in {}",
        fixtures::dir().display()
    );
    for name in names {
        for ext in ["jsonl", "txt"] {
            let file = format!("{name}.{ext}");
            assert_eq!(
                sha256_hex(&fixtures::dir().join(&file)),
                sha256_hex(&shared.join(&file)),
                "{file} differs from the shared capture"
            );
        }
    }
}
