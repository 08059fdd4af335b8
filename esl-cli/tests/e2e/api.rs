//! `esl api`, `esl bgapi`, the console, connection failures and exit codes.

use esl_sim::{Config, Fault};

use crate::support::{bare, esl, stderr, stdout, SimSwitch};

#[test]
fn api_prints_the_output_and_exits_0() {
    let switch = SimSwitch::start();
    let output = esl(&switch).args(["api", "status"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("is ready"), "{}", stdout(&output));
}

#[test]
fn an_err_reply_goes_to_stderr_with_exit_1() {
    let switch = SimSwitch::start();
    let output = esl(&switch)
        .args(["api", "uuid_kill", "no-such-uuid"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    assert!(
        stderr(&output).contains("-ERR No such channel!"),
        "{}",
        stderr(&output)
    );
    let usage = esl(&switch).args(["api", "uuid_kill"]).output().unwrap();
    assert_eq!(usage.status.code(), Some(1));
    assert!(stderr(&usage).contains("-USAGE"), "{}", stderr(&usage));
}

#[test]
fn json_wraps_the_result_either_way() {
    let switch = SimSwitch::start();
    let ok = esl(&switch)
        .args(["api", "--json", "version"])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(value["ok"], true);
    assert_eq!(value["command"], "version");
    assert!(value["output"]
        .as_str()
        .unwrap()
        .contains("FreeSWITCH Version"));

    let refused = esl(&switch)
        .args(["api", "--json", "no_such_command"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(value["ok"], false);
    assert!(value["output"].as_str().unwrap().starts_with("-ERR"));
}

#[test]
fn bgapi_prints_the_jobs_output_and_its_uuid_in_json() {
    let switch = SimSwitch::start();
    let plain = esl(&switch)
        .args(["bgapi", "echo", "hello", "there"])
        .output()
        .unwrap();
    assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
    assert_eq!(stdout(&plain), "hello there\n");

    let json = esl(&switch)
        .args(["bgapi", "--json", "status"])
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["ok"], true);
    assert_eq!(value["job_uuid"].as_str().unwrap().len(), 36);

    let refused = esl(&switch)
        .args(["bgapi", "uuid_kill", "nope"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("-ERR No such channel!"));
}

#[test]
fn a_wrong_password_exits_4_and_is_never_printed() {
    let switch = SimSwitch::start();
    let output = bare()
        .args([
            "--addr",
            &switch.addr().to_string(),
            "-vvv",
            "api",
            "status",
        ])
        .env("ESL_PASSWORD", "not-the-Pa55word")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
    let err = stderr(&output);
    assert!(
        err.contains(&format!("{} refused the credentials", switch.addr())),
        "{err}"
    );
    assert!(
        !err.contains("not-the-Pa55word"),
        "the password leaked: {err}"
    );
    assert!(!stdout(&output).contains("not-the-Pa55word"));
}

#[test]
fn help_hides_the_password_in_the_environment() {
    let output = bare()
        .args(["api", "--help"])
        .env("ESL_PASSWORD", "hidden-Pa55word")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("ESL_PASSWORD"));
    assert!(!stdout(&output).contains("hidden-Pa55word"));
}

#[test]
fn without_a_password_and_a_terminal_the_default_is_tried_out_loud() {
    let switch = SimSwitch::start();
    let output = bare()
        .args(["--addr", &switch.addr().to_string(), "api", "version"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("no password given"),
        "{}",
        stderr(&output)
    );

    let guarded = SimSwitch::with_config(Config::default().password("s3cret"));
    let refused = bare()
        .args(["--addr", &guarded.addr().to_string(), "api", "version"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(4));
}

#[test]
fn userauth_is_sent_with_user() {
    let switch = SimSwitch::start();
    let output = esl(&switch)
        .args(["--user", "1000@default", "api", "version"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn an_unreachable_address_exits_3_and_names_it() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let output = bare()
        .args(["--addr", &addr, "--password", "x", "api", "status"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains(&format!("cannot reach the switch at {addr}")),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_switch_that_does_not_answer_times_out_with_exit_3() {
    let switch = SimSwitch::start();
    switch.set_fault(Fault::WithholdReplies);
    let output = esl(&switch)
        .args(["--timeout", "300ms", "api", "status"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("within 300ms"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_console_runs_each_line_and_leaves_on_exit() {
    let switch = SimSwitch::start();
    let output = esl(&switch)
        .arg("api")
        .write_stdin("version\n/bgapi echo from-bgapi\n/exit\nstatus\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("FreeSWITCH Version"), "{out}");
    assert!(out.contains("from-bgapi"), "{out}");
    assert!(!out.contains("is ready"), "ran past /exit: {out}");
}

#[test]
fn a_scripted_console_exits_1_when_a_line_was_refused() {
    let switch = SimSwitch::start();
    let output = esl(&switch)
        .arg("api")
        .write_stdin("uuid_kill nope\n/nosuch\nversion\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert!(
        out.contains("-ERR No such channel!") && out.contains("FreeSWITCH Version"),
        "{out}"
    );
    assert!(stderr(&output).contains("unknown console command /nosuch"));
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let output = bare().args(["completions", shell]).output().unwrap();
        assert_eq!(output.status.code(), Some(0));
        let script = stdout(&output);
        assert!(
            script.contains("originate") && script.contains("max-concurrent"),
            "{shell}"
        );
    }
}

#[test]
fn bad_usage_exits_2() {
    let output = bare()
        .args(["originate", "loopback/9196"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = bare()
        .args(["originate", "--var", "novalue", "loopback/9196", "&park"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("name=value"));
}
