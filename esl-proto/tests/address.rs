//! `Address`: what `connect` is given, as the `host:port` text a socket connects to and an
//! error names.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use esl_proto::client::{originated, Address, Error};
use esl_proto::{Event, Response};

#[test]
fn a_host_and_port_become_host_colon_port() {
    assert_eq!(
        Address::from(("fs1.example", 8021)).as_str(),
        "fs1.example:8021"
    );
    assert_eq!(
        Address::from((Ipv4Addr::new(10, 0, 0, 7), 8021)).as_str(),
        "10.0.0.7:8021"
    );
    assert_eq!(Address::from("10.0.0.7:8021").as_str(), "10.0.0.7:8021");
    assert_eq!(Address::from(String::from("h:1")).as_str(), "h:1");
}

#[test]
fn an_ipv6_host_gets_its_brackets_once() {
    assert_eq!(
        Address::from((Ipv6Addr::LOCALHOST, 8021)).as_str(),
        "[::1]:8021"
    );
    assert_eq!(Address::from(("fe80::1", 8021)).as_str(), "[fe80::1]:8021");
    assert_eq!(
        Address::from(("[fe80::1]", 8021)).as_str(),
        "[fe80::1]:8021"
    );
    let socket: SocketAddr = "[::1]:8021".parse().unwrap();
    assert_eq!(Address::from(socket).as_str(), "[::1]:8021");
}

#[test]
fn an_address_displays_as_its_text() {
    let addr = Address::from(("fs1.example", 8021));
    assert_eq!(addr.to_string(), "fs1.example:8021");
    assert_eq!(
        format!("connect to {addr} failed"),
        "connect to fs1.example:8021 failed"
    );
}

fn job(body: &str) -> Response {
    Response::Job(Event::builder("BACKGROUND_JOB").body(body).build())
}

#[test]
fn an_originate_gives_the_uuid_after_ok_or_the_refusal_whole() {
    assert_eq!(originated(job("+OK 1b2c\n")).unwrap(), "1b2c");
    assert_eq!(originated(job("+OK   1b2c \n")).unwrap(), "1b2c");
    for refused in ["+OK\n", "+OK \n", "-ERR USER_BUSY\n", "+OKAY 1\n"] {
        assert!(
            matches!(originated(job(refused)), Err(Error::Rejected(ref t)) if t == refused),
            "{refused:?}"
        );
    }
}

#[test]
fn only_a_switch_never_reached_is_unreachable() {
    use std::sync::Arc;
    use std::time::Duration;
    let refused = Error::Connect {
        addr: "10.0.0.7:8021".into(),
        source: Arc::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
    };
    let slow = Error::ConnectTimeout {
        addr: "10.0.0.7:8021".into(),
        after: Duration::from_secs(10),
    };
    assert!(refused.is_unreachable() && slow.is_unreachable());
    assert!(refused.to_string().contains("10.0.0.7:8021"), "{refused}");
    assert!(slow.to_string().contains("10.0.0.7:8021"), "{slow}");
    for reached in [
        Error::Timeout(Duration::from_secs(1)),
        Error::Auth("-ERR invalid".into()),
        Error::Closed,
        Error::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset)),
    ] {
        assert!(!reached.is_unreachable(), "{reached}");
    }
}
