//! Tells the unit tests whether the recorded captures are at hand: they are in the workspace
//! (`../fixtures`), not in the published package, so a test that replays them runs in the
//! workspace and is ignored, saying why, when the package is tested on its own.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(recorded_captures)");
    println!("cargo::rerun-if-changed=../fixtures/freeswitch");
    if std::path::Path::new("../fixtures/freeswitch").is_dir() {
        println!("cargo::rustc-cfg=recorded_captures");
    }
}
