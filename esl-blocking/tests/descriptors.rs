//! An outbound server that runs out of file descriptors refuses the calls beyond them at
//! once (the switch's `socket` application then fails and its dialplan goes on), instead of
//! leaving them unanswered in the listen backlog while `accept` fails over and over.
//!
//! The server runs in a child process (this test binary again) under `prlimit --nofile`, so
//! the limit is real and the connecting side, in this process, is not bound by it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD: &str = "ESL_DESCRIPTOR_CHILD";
/// Descriptors the server process may hold.
const LIMIT: u32 = 48;
/// Calls the switch places: more than the limit allows to hold at once.
const CALLS: usize = 80;

#[test]
fn out_of_descriptors_the_server_refuses_calls_at_once() {
    let Ok(prlimit) = which("prlimit") else {
        panic!("prlimit (util-linux) is needed to run the server under a descriptor limit");
    };
    let mut child = Command::new(prlimit)
        .arg(format!("--nofile={LIMIT}:{LIMIT}"))
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "server_under_a_descriptor_limit",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server process");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("the server's address").unwrap();
        if let Some(addr) = line.strip_prefix("ADDR ") {
            break addr.to_owned();
        }
    };
    let mut served = Vec::new();
    let mut refused = 0;
    for _ in 0..CALLS {
        let mut socket = TcpStream::connect(&addr).unwrap();
        // Generous: a refusal comes at once, a served call at once too (`connect`); only a
        // call left in the backlog would wait this long, and fail the test.
        socket
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut first = [0u8; 9];
        match socket.read(&mut first) {
            Ok(0) => refused += 1,
            Ok(_) => {
                assert_eq!(&first, b"connect\n\n");
                served.push(socket);
            }
            Err(error) => panic!(
                "call {} neither served nor refused: {error}",
                served.len() + refused
            ),
        }
    }
    assert!(!served.is_empty(), "calls within the limit are served");
    assert!(refused > 0, "calls beyond the limit are refused");
    assert_eq!(served.len() + refused, CALLS);
    // The switch hangs up the calls it got, then the test is over.
    drop(served);
    drop(child.stdin.take());
    let report = lines
        .find_map(|line| line.ok()?.strip_prefix("REJECTED ").map(str::to_owned))
        .expect("the server's report");
    assert!(
        report.parse::<usize>().unwrap() >= refused,
        "{report} vs {refused}"
    );
    assert!(child.wait().unwrap().success());
}

/// The server side, run by the test above in a process of its own.
#[test]
#[ignore = "run by out_of_descriptors_the_server_refuses_calls_at_once under prlimit"]
fn server_under_a_descriptor_limit() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let config = esl_blocking::ServerConfig::default()
        .session(esl_blocking::ClientConfig::password("").connect_timeout(Duration::from_secs(60)));
    let server = esl_blocking::listen("127.0.0.1:0", config).unwrap();
    let mut out = std::io::stdout();
    writeln!(out, "ADDR {}", server.local_addr().unwrap()).unwrap();
    out.flush().unwrap();
    let stop = server.shutdown_handle();
    let watcher = stop.clone();
    // The parent closes our stdin when it is done: then stop, ending the calls held open.
    std::thread::spawn(move || {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        watcher.shutdown();
    });
    let ran = std::thread::spawn(move || server.run(|_session| {}));
    ran.join().unwrap().unwrap();
    writeln!(out, "REJECTED {}", stop.rejected_calls()).unwrap();
}

fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
        .ok_or(())
}
