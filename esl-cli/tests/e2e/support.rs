//! Running the binary: one-shot commands, and children whose output is read as it comes.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub(crate) use esl_sim::SimSwitch;

/// How long anything may take before the test calls it a hang. Only turns a hang into a
/// failure: every wait ends on the output or change awaited, never on time passing, so a
/// working CLI never comes near it.
pub(crate) const DEADLINE: Duration = Duration::from_secs(60);

const PATH: &str = env!("CARGO_BIN_EXE_esl");

/// `esl` with a clean environment (no ESL_* from the caller's shell), and the switch's
/// address and password if there is one.
fn command(switch: Option<&SimSwitch>) -> std::process::Command {
    let mut cmd = std::process::Command::new(PATH);
    for var in [
        "ESL_ADDR",
        "ESL_PASSWORD",
        "ESL_USER",
        "ESL_TIMEOUT",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    if let Some(switch) = switch {
        cmd.args([
            "--addr",
            &switch.addr().to_string(),
            "--password",
            "ClueCon",
        ]);
    }
    cmd
}

/// `esl` against `switch`, to run to its end.
pub(crate) fn esl(switch: &SimSwitch) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::from_std(command(Some(switch)));
    cmd.timeout(DEADLINE);
    cmd
}

/// `esl` with a clean environment and nothing else.
pub(crate) fn bare() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::from_std(command(None));
    cmd.timeout(DEADLINE);
    cmd
}

/// Standard output as text.
pub(crate) fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub(crate) fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Originates a parked loopback call through the binary; its A leg's uuid.
pub(crate) fn originate(switch: &SimSwitch) -> String {
    let output = esl(switch)
        .args(["originate", "loopback/9196", "&park"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).trim().to_owned()
}

/// Waits until `done` holds of the switch (asked again after each change the switch makes),
/// or panics with `what` at the deadline.
pub(crate) fn switch_until(
    switch: &SimSwitch,
    what: &str,
    done: impl FnMut(&esl_sim::Switch) -> bool,
) {
    assert!(switch.wait_until(DEADLINE, done), "never happened: {what}");
}

/// A running `esl`, its output read line by line as it comes.
pub(crate) struct Running {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
    seen: Vec<String>,
}

fn lines(from: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Running {
    /// Starts `esl <args>` against `switch` (or with `args` alone when `switch` is None).
    pub(crate) fn start(switch: Option<&SimSwitch>, args: &[&str]) -> Running {
        let mut child = command(switch)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start esl");
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        Running {
            child,
            stdout,
            stderr,
            seen: Vec::new(),
        }
    }

    /// The next standard-output line that satisfies `wanted` (earlier ones are skipped).
    pub(crate) fn stdout_line(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        Self::wait_line(&self.stdout, &mut self.seen, what, wanted)
    }

    /// The next standard-error line that satisfies `wanted`.
    pub(crate) fn stderr_line(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        Self::wait_line(&self.stderr, &mut self.seen, what, wanted)
    }

    fn wait_line(
        rx: &mpsc::Receiver<String>,
        seen: &mut Vec<String>,
        what: &str,
        wanted: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            let left = DEADLINE.saturating_sub(start.elapsed());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => panic!("no line {what}; output so far:\n{}", seen.join("\n")),
            }
        }
    }

    /// Sends SIGINT, as Ctrl-C does.
    pub(crate) fn interrupt(&self) {
        let status = std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Waits for the exit; the exit status and the rest of standard output and error.
    ///
    /// The end of both pipes is the exit's sign (the child closes them as it exits); only
    /// then is the child reaped, which no longer waits.
    pub(crate) fn finish(mut self) -> (ExitStatus, String, String) {
        let start = Instant::now();
        let mut rest = |rx: &mpsc::Receiver<String>, seen: &mut Vec<String>| {
            let mut text = String::new();
            loop {
                match rx.recv_timeout(DEADLINE.saturating_sub(start.elapsed())) {
                    Ok(line) => {
                        seen.push(line.clone());
                        text.push_str(&line);
                        text.push('\n');
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => return text,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        let _ = self.child.kill();
                        panic!("esl did not exit; output so far:\n{}", seen.join("\n"));
                    }
                }
            }
        };
        let out = rest(&self.stdout, &mut self.seen);
        let err = rest(&self.stderr, &mut self.seen);
        let status = self.child.wait().unwrap();
        (status, out, err)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
