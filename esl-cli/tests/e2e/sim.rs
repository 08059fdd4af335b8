//! `esl sim`: a switch the other subcommands can talk to, stopped by Ctrl-C.

use crate::support::{bare, stderr, stdout, Running};

#[test]
fn sim_listens_answers_with_its_password_and_stops_on_ctrl_c() {
    let mut sim = Running::start(
        None,
        &["--password", "s3cret", "sim", "--listen", "127.0.0.1:0"],
    );
    let line = sim.stdout_line("announcing the address", |l| l.contains("listening on"));
    let addr = line
        .split_whitespace()
        .find(|w| w.starts_with("127.0.0.1:"))
        .unwrap()
        .to_owned();
    let ok = bare()
        .args(["--addr", &addr, "--password", "s3cret", "api", "status"])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("is ready"));
    let refused = bare()
        .args(["--addr", &addr, "--password", "ClueCon", "api", "status"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(4));
    sim.interrupt();
    let (status, _, err) = sim.finish();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("stopped"));
}

#[test]
fn sim_refuses_other_addresses_and_busy_ports() {
    let output = bare()
        .args(["sim", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("127.0.0.1 only"));
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let output = bare().args(["sim", "--listen", &addr]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("cannot listen"),
        "{}",
        stderr(&output)
    );
}
