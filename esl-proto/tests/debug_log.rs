//! What a user sees at debug level: every command the connection sends (its own included,
//! never a password) and the first line of every reply, each with its request id.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use esl_proto::{server, Auth, Command, Connection, EventFormat};

/// Everything logged at debug level while `f` runs.
fn debug_log(f: impl FnOnce()) -> String {
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let bytes = sink.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn debug_shows_each_command_and_reply_and_never_the_password() {
    let log = debug_log(|| {
        let mut conn = Connection::inbound(Auth::Password("s3cret-pw".into()));
        conn.receive(&server::encode_auth_request());
        outputs(&mut conn);
        sent(&mut conn);
        conn.receive(&server::encode_command_reply("+OK accepted"));
        outputs(&mut conn);
        conn.send(Command::api("status")).unwrap();
        conn.send(Command::event(EventFormat::Plain, ["CHANNEL_ANSWER"]))
            .unwrap();
        conn.send(execute("u1", "playback", Some("app-1"))).unwrap();
        sent(&mut conn);
        conn.receive(&server::encode_api_response(b"UP 0 years, 0 days\nmore\n"));
        conn.receive(&server::encode_command_reply("-ERR no keywords supplied"));
        outputs(&mut conn);
    });
    assert!(!log.contains("s3cret-pw"), "{log}");
    for line in [
        "sent: auth <password>",
        "reply: +OK accepted",
        "sent: api status",
        "sent: event plain CHANNEL_ANSWER",
        "reply: UP 0 years, 0 days",
        "reply: -ERR no keywords supplied",
        // The execute and, before it, the subscription the library adds so that the
        // execute can complete.
        "sent: sendmsg u1 | call-command: execute | execute-app-name: playback",
        "CHANNEL_EXECUTE_COMPLETE",
    ] {
        assert!(log.contains(line), "no {line:?} in\n{log}");
    }
    assert!(
        !log.contains("reply: more"),
        "only a reply's first line: {log}"
    );
    assert!(
        log.contains("request="),
        "each line names its request: {log}"
    );
}

#[test]
fn a_user_login_shows_the_user_and_not_the_password() {
    let log = debug_log(|| {
        let mut conn = Connection::inbound(Auth::User {
            user: "ops@default".into(),
            password: "s3cret-pw".into(),
        });
        conn.receive(&server::encode_auth_request());
        outputs(&mut conn);
        sent(&mut conn);
    });
    assert!(
        log.contains("sent: userauth ops@default:<password>"),
        "{log}"
    );
    assert!(!log.contains("s3cret-pw"), "{log}");
}
