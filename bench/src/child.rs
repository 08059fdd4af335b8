//! The stand-in switch in a process of its own (`esl-bench-switch`), so that a measurement
//! of this process's memory counts the client only.
//!
//! The child prints `listening <addr>`, then takes commands on its stdin, one per line, and
//! answers each with one line: `dial <addr> <n>` (open `n` outbound calls, see
//! [`crate::dialer`]) and `hangup` (close them all).

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// A running `esl-bench-switch`; killed when dropped.
pub struct SwitchProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    addr: SocketAddr,
}

impl SwitchProcess {
    /// Starts `esl-bench-switch` from the directory of the running executable (cargo builds
    /// the binaries of a package side by side). Panics if it cannot.
    pub fn spawn() -> SwitchProcess {
        let exe = std::env::current_exe().expect("the running executable");
        let path = exe.with_file_name("esl-bench-switch");
        let mut child = Command::new(&path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "starting {}: {e} (cargo build -p esl-bench --bins)",
                    path.display()
                )
            });
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut process = SwitchProcess {
            child,
            stdin,
            stdout,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let line = process.line();
        process.addr = line
            .strip_prefix("listening ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected greeting from the switch: {line:?}"));
        process
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Opens `n` outbound calls to `server`, each set up before the next; returns once all are.
    pub fn dial(&mut self, server: SocketAddr, n: usize) {
        self.command(&format!("dial {server} {n}"));
    }

    /// Closes every call.
    pub fn hang_up(&mut self) {
        self.command("hangup");
    }

    fn command(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").expect("writing to the switch");
        self.stdin.flush().expect("writing to the switch");
        let answer = self.line();
        assert!(!answer.starts_with("error"), "{command}: {answer}");
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("reading the switch");
        line.trim().to_owned()
    }
}

impl Drop for SwitchProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
