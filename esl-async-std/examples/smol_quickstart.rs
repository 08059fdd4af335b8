//! The client and the outbound server on smol, through the same driver as every runtime.
//!
//! ```sh
//! cargo run -p esl-async-std --example smol_quickstart
//! ```
//!
//! Without `ESL_ADDR` it starts a simulated switch in-process; with `ESL_ADDR`,
//! `ESL_PASSWORD` and `ESL_OUTBOUND` it uses a real FreeSWITCH set up as the esl-tokio
//! quickstart describes (a `park` and a `socket` extension).

// An example talks to its user on the terminal; the library itself never prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use esl_async_std::smol::{self, channel, future::FutureExt};
use esl_async_std::{
    Client, ClientConfig, EventFormat, OutboundServer, ServerConfig, Session, Smol,
};
use esl_sim::SimSwitch;

fn main() -> ExitCode {
    match smol::block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("smol quickstart failed: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let started = Instant::now();
    let (simulated, addr, password, outbound_addr) = match std::env::var("ESL_ADDR") {
        Ok(addr) => (
            None,
            addr,
            std::env::var("ESL_PASSWORD").unwrap_or_else(|_| "ClueCon".into()),
            std::env::var("ESL_OUTBOUND").unwrap_or_else(|_| "127.0.0.1:8084".into()),
        ),
        Err(_) => {
            let switch = SimSwitch::start();
            let addr = switch.addr().to_string();
            (Some(switch), addr, "ClueCon".into(), "127.0.0.1:0".into())
        }
    };
    let config = ClientConfig::password(password.as_str()).connect_timeout(Duration::from_secs(5));
    let client = Client::<Smol>::connect(Smol, &addr, config)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let status = client.api("status").await.map_err(|e| e.to_string())?;
    println!("$ api status\n{}", status.trim_end());

    let mut events = client.events();
    client
        .subscribe(EventFormat::Json, &["CHANNEL_CREATE", "CHANNEL_ANSWER"])
        .await
        .map_err(|e| e.to_string())?;
    let uuid = client
        .originate("loopback/park", "&park")
        .await
        .map_err(|e| format!("originate failed: {e}"))?;
    println!("\noriginated {uuid}");
    let event = events
        .next_event()
        .or(async {
            smol::Timer::after(Duration::from_secs(5)).await;
            None
        })
        .await
        .ok_or("no CHANNEL_CREATE within 5 s")?;
    println!(
        "  event {} {}",
        event.name().as_str(),
        event.unique_id().unwrap_or_default()
    );
    client
        .api(&format!("uuid_kill {uuid}"))
        .await
        .map_err(|e| e.to_string())?;

    let server = OutboundServer::<Smol>::bind(Smol, &outbound_addr, ServerConfig::default())
        .await
        .map_err(|e| format!("cannot listen on {outbound_addr}: {e}"))?;
    let local = server.local_addr().map_err(|e| e.to_string())?;
    if let Some(switch) = &simulated {
        switch.set_socket_target(local);
    }
    let stop = server.shutdown_handle();
    let (done_tx, done_rx) = channel::bounded::<Result<String, String>>(1);
    let serving = smol::spawn(server.run(move |session: Session<Smol>| {
        let done_tx = done_tx.clone();
        async move {
            let _ = done_tx.send(handle_call(&session).await).await;
        }
    }));
    client
        .originate("loopback/socket", "&park")
        .await
        .map_err(|e| format!("originate to the socket extension failed: {e}"))?;
    let outcome = done_rx
        .recv()
        .or(async {
            smol::Timer::after(Duration::from_secs(20)).await;
            Err(channel::RecvError)
        })
        .await
        .map_err(|_| "the outbound call did not finish within 20 s".to_string())??;
    println!("outbound call on {local}: {outcome}");

    stop.shutdown();
    let _ = serving.await;
    client.close().await.map_err(|e| e.to_string())?;
    println!(
        "\nsummary: status ok, 2 calls, done on smol in {:.1?}",
        started.elapsed()
    );
    Ok(())
}

async fn handle_call(session: &Session<Smol>) -> Result<String, String> {
    session.answer().await.map_err(|e| format!("answer: {e}"))?;
    session
        .playback("tone_stream://%(200,100,440);loops=3")
        .await
        .map_err(|e| format!("playback: {e}"))?;
    session
        .hangup(None)
        .await
        .map_err(|e| format!("hangup: {e}"))?;
    Ok("answered, played a tone, hung up".into())
}
