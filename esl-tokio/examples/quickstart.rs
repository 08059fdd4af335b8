//! A tour of the client and the outbound server.
//!
//! ```sh
//! cargo run -p esl-tokio --example quickstart
//! ```
//!
//! Without `ESL_ADDR` it starts a simulated switch in-process. Against a real FreeSWITCH:
//!
//! ```sh
//! ESL_ADDR=127.0.0.1:8021 ESL_PASSWORD=ClueCon ESL_OUTBOUND=127.0.0.1:8084 \
//!     cargo run -p esl-tokio --example quickstart
//! ```
//!
//! The real switch needs two extensions in the context loopback calls route to (`default`):
//!
//! ```xml
//! <extension name="park"><condition field="destination_number" expression="^park$">
//!   <action application="answer"/><action application="park"/>
//! </condition></extension>
//! <extension name="socket"><condition field="destination_number" expression="^socket$">
//!   <action application="socket" data="127.0.0.1:8084 async full"/>
//! </condition></extension>
//! ```
//!
//! (`socket` must point at `ESL_OUTBOUND`, where this example listens.)

// An example talks to its user on the terminal; the library itself never prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use esl_sim::{Config, SimSwitch};
use esl_tokio::{ClientConfig, EventFormat, Incoming, ServerConfig, Session};

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("quickstart failed: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let started = Instant::now();
    // A real switch, or one simulated in this process.
    let (simulated, addr, password, outbound_addr) = match std::env::var("ESL_ADDR") {
        Ok(addr) => (
            None,
            addr,
            std::env::var("ESL_PASSWORD").unwrap_or_else(|_| "ClueCon".into()),
            std::env::var("ESL_OUTBOUND").unwrap_or_else(|_| "127.0.0.1:8084".into()),
        ),
        Err(_) => {
            let switch = SimSwitch::with_config(Config::default().time_scale(0.3));
            let addr = switch.addr().to_string();
            (Some(switch), addr, "ClueCon".into(), "127.0.0.1:0".into())
        }
    };
    println!(
        "switch: {addr}{}",
        if simulated.is_some() {
            " (simulated in this process)"
        } else {
            ""
        }
    );

    let config = ClientConfig::password(password.as_str()).connect_timeout(Duration::from_secs(5));
    let client = esl_tokio::connect_with(&addr, config)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;

    let status = client.api("status").await.map_err(|e| e.to_string())?;
    println!("\n$ api status\n{}", status.trim_end());

    // Events as they happen, printed by a task of their own.
    let mut events = client.events();
    client
        .subscribe(
            EventFormat::Plain,
            &[
                "CHANNEL_CREATE",
                "CHANNEL_ANSWER",
                "CHANNEL_EXECUTE",
                "CHANNEL_HANGUP_COMPLETE",
            ],
        )
        .await
        .map_err(|e| e.to_string())?;
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let printer = tokio::spawn(async move {
        while let Some(item) = events.recv().await {
            if let Incoming::Event(event) = item {
                counter.fetch_add(1, Ordering::Relaxed);
                println!(
                    "  event {:<24} {} {}",
                    event.name().as_str(),
                    event.header("Channel-Name").unwrap_or_default(),
                    event
                        .application()
                        .map(|a| format!("[{a}]"))
                        .unwrap_or_default()
                );
            }
        }
    });

    // An inbound call: originate a loopback call parked on the switch, then hang it up.
    println!("\n$ originate loopback/park &park");
    let uuid = client
        .originate("loopback/park", "&park")
        .await
        .map_err(|e| format!("originate failed: {e}"))?;
    println!("  new channel {uuid}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    client
        .api(&format!("uuid_kill {uuid}"))
        .await
        .map_err(|e| e.to_string())?;

    // An outbound call: the switch's `socket` extension connects to this server.
    let server = esl_tokio::listen(&outbound_addr, ServerConfig::default())
        .await
        .map_err(|e| format!("cannot listen on {outbound_addr}: {e}"))?;
    let local = server.local_addr().map_err(|e| e.to_string())?;
    if let Some(switch) = &simulated {
        switch.set_socket_target(local);
    }
    println!("\noutbound server on {local}");
    let stop = server.shutdown_handle();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<Result<String, String>>();
    let done_tx = Arc::new(std::sync::Mutex::new(Some(done_tx)));
    let serving = tokio::spawn(server.run(move |session: Session| {
        let done_tx = done_tx.clone();
        async move {
            let result = handle_call(&session).await;
            if let Some(tx) = done_tx.lock().ok().and_then(|mut t| t.take()) {
                let _ = tx.send(result);
            }
        }
    }));
    println!("$ originate loopback/socket &park");
    let routed = client
        .originate("loopback/socket", "&park")
        .await
        .map_err(|e| format!("originate to the socket extension failed: {e}"))?;
    println!("  new channel {routed}, routed to the outbound server");
    let outcome = tokio::time::timeout(Duration::from_secs(20), done_rx)
        .await
        .map_err(|_| "the outbound call did not finish within 20 s".to_string())?
        .map_err(|_| "the outbound handler did not report".to_string())??;
    println!("  {outcome}");

    stop.shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(5), serving).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    client.close().await.map_err(|e| e.to_string())?;
    let _ = tokio::time::timeout(Duration::from_secs(1), printer).await;
    println!(
        "\nsummary: status ok, 2 calls, {} events, done in {:.1?}",
        seen.load(Ordering::Relaxed),
        started.elapsed()
    );
    Ok(())
}

/// The outbound call: answer, play a tone, hang up.
async fn handle_call(session: &Session) -> Result<String, String> {
    println!(
        "  call {} to {} ({})",
        session.uuid(),
        session
            .header("Caller-Destination-Number")
            .unwrap_or_default(),
        if session.is_inbound() {
            "inbound"
        } else {
            "outbound"
        }
    );
    session.answer().await.map_err(|e| format!("answer: {e}"))?;
    let played = session
        .playback("tone_stream://%(200,100,440);loops=3")
        .await
        .map_err(|e| format!("playback: {e}"))?;
    session
        .hangup(None)
        .await
        .map_err(|e| format!("hangup: {e}"))?;
    Ok(format!(
        "answered, played a tone ({}), hung up",
        played.application_response().unwrap_or_default()
    ))
}
