//! `connect` takes what `TcpStream::connect` takes, on every adapter, and a failed connect
//! names the address it tried.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};

use esl_sim::SimSwitch;

/// A local port nobody listens on: bound, noted, freed.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn tokio_connects_to_a_socket_addr_and_a_host_port_pair() {
    let switch = SimSwitch::start();
    let addr: SocketAddr = switch.addr();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = esl_tokio::connect(addr, "ClueCon").await.unwrap();
        assert_eq!(client.peer(), addr.to_string());
        client.close().await.unwrap();
        let client = esl_tokio::connect(("127.0.0.1", addr.port()), "ClueCon")
            .await
            .unwrap();
        assert!(client.api("status").await.unwrap().contains("is ready"));
        client.close().await.unwrap();
    });
}

#[test]
fn blocking_connects_to_an_ip_port_pair_and_async_std_to_a_string() {
    let switch = SimSwitch::start();
    let port = switch.addr().port();
    let client =
        esl_blocking::connect((IpAddr::from(Ipv4Addr::LOCALHOST), port), "ClueCon").unwrap();
    assert_eq!(client.peer(), format!("127.0.0.1:{port}"));
    client.close().unwrap();
    async_std::task::block_on(async {
        let text = format!("127.0.0.1:{port}");
        let client = esl_async_std::connect(&text, "ClueCon").await.unwrap();
        client.close().await.unwrap();
    });
}

#[test]
fn a_refused_connect_names_the_address_and_the_reason() {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, closed_port()));
    let error = esl_blocking::connect(addr, "ClueCon").unwrap_err();
    assert!(error.is_unreachable(), "{error:?}");
    match &error {
        esl_blocking::Error::Connect {
            addr: named,
            source,
        } => {
            assert_eq!(named, &addr.to_string());
            assert_eq!(source.kind(), std::io::ErrorKind::ConnectionRefused);
        }
        other => panic!("{other:?}"),
    }
    let text = error.to_string();
    assert!(
        text.starts_with(&format!("cannot connect to {addr}: ")),
        "{text}"
    );
}
