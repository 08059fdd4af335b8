//! Which values are percent-decoded on access and which are read literally: the switch
//! percent-encodes the outer headers and `text/event-plain` / `text/event-xml` values, but
//! writes JSON values, and reads command headers, as they are. A value that looks encoded
//! (`100%25`, `%20`) shows the difference.

use bytes::Bytes;
use esl_proto::server::{self, CommandReader};
use esl_proto::{
    Auth, Command, Connection, Event, EventFormat, Headers, Limits, Output, ValueEncoding,
};

const LOOKS_ENCODED: &str = "100%25 of%20it";

#[test]
fn plain_event_values_are_percent_decoded() {
    let body = Bytes::from(format!("Event-Name: CUSTOM\nValue: {LOOKS_ENCODED}\n\n"));
    let event = Event::parse(EventFormat::Plain, &body, &Limits::default()).unwrap();
    assert_eq!(event.header("Value").unwrap(), "100% of it");
    assert_eq!(event.get("Value").unwrap().raw(), LOOKS_ENCODED.as_bytes());
}

#[test]
fn json_event_values_are_read_literally() {
    let body = Bytes::from(format!(
        r#"{{"Event-Name":"CUSTOM","Value":"{LOOKS_ENCODED}","Weird":"a%2"}}"#
    ));
    let event = Event::parse(EventFormat::Json, &body, &Limits::default()).unwrap();
    assert_eq!(event.headers().encoding(), ValueEncoding::Literal);
    assert_eq!(event.header("Value").unwrap(), LOOKS_ENCODED);
    assert_eq!(event.header("Weird").unwrap(), "a%2");
}

#[test]
fn built_event_values_are_read_literally() {
    let event = Event::builder("CUSTOM")
        .header("Value", LOOKS_ENCODED)
        .build();
    assert_eq!(event.header("Value").unwrap(), LOOKS_ENCODED);
    let headers = Headers::from_pairs([("Value", LOOKS_ENCODED)]);
    assert_eq!(headers.text("Value").unwrap(), LOOKS_ENCODED);
    assert_eq!(
        &*headers.get("Value").unwrap().decoded_bytes(),
        LOOKS_ENCODED.as_bytes()
    );
}

#[test]
fn command_headers_read_by_the_server_side_are_literal() {
    let mut reader = CommandReader::new(Limits::default());
    reader.push(
        format!("sendmsg u\ncall-command: execute\nexecute-app-arg: {LOOKS_ENCODED}\n\n")
            .as_bytes(),
    );
    let command = reader.next_command().unwrap().unwrap();
    assert_eq!(
        command.headers.text("execute-app-arg").unwrap(),
        LOOKS_ENCODED
    );
}

#[test]
fn a_connection_decodes_plain_events_and_reply_headers_but_not_json_events() {
    let mut conn = Connection::inbound(Auth::Manual);
    let plain = format!("Event-Name: CUSTOM\nValue: {LOOKS_ENCODED}\n\n");
    let json = format!(r#"{{"Event-Name":"CUSTOM","Value":"{LOOKS_ENCODED}"}}"#);
    let mut wire = Vec::new();
    for (kind, body) in [("plain", plain), ("json", json)] {
        wire.extend_from_slice(
            format!(
                "Content-Length: {}\nContent-Type: text/event-{kind}\n\n{body}",
                body.len()
            )
            .as_bytes(),
        );
    }
    let reply = conn.send(Command::api("x")).unwrap();
    wire.extend_from_slice(&server::encode_command_reply("+OK%20done"));
    // One read, so both events come through the connection's shared index.
    conn.receive(&wire);
    let mut values = Vec::new();
    while let Some(output) = conn.poll_output().unwrap() {
        match output {
            Output::Event(event) => values.push(event.header("Value").unwrap().into_owned()),
            Output::Response { id, response } => {
                assert_eq!(id, reply);
                values.push(response.text());
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(values, ["100% of it", LOOKS_ENCODED, "+OK done"]);
}
