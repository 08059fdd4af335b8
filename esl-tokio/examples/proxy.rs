//! switchio's proxy: every call that parks is bridged to its SIP request URI, on whichever
//! switch it arrived, by one service over several switches.
//!
//! ```sh
//! cargo run -p esl-tokio --example proxy
//! ```
//!
//! Without `ESL_ADDRS` it starts three simulated switches in-process and sends a few calls
//! to each. With `ESL_ADDRS=10.0.0.1:8021,10.0.0.2:8021` (and `ESL_PASSWORD`) it serves real
//! switches whose dialplan parks inbound calls, until interrupted.

// An example talks to its user on the terminal; the library itself never prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use esl_sim::SimSwitch;
use esl_tokio::{dptools::DialString, App, ClientConfig, Service};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("proxy failed: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Bridges the parked call to `sofia/<profile>/<its sip_req_uri>`.
fn proxy(profile: &'static str) -> App {
    App::new().on("CHANNEL_PARK", move |call| async move {
        let Some(channel) = call.channel().filter(|c| c.is_inbound()) else {
            return;
        };
        let Some(uri) = channel.variable("sip_req_uri") else {
            return;
        };
        let result = async {
            let dial = DialString::profile(profile, &uri)?;
            channel.bridge_nowait(&dial).await?;
            Ok::<_, esl_tokio::Error>(dial)
        };
        match result.await {
            Ok(dial) => println!("  {}: {} -> {}", call.switch, channel.uuid(), dial.as_str()),
            Err(error) => eprintln!("  {}: {}: {error}", call.switch, channel.uuid()),
        }
    })
}

async fn run() -> Result<(), String> {
    let started = Instant::now();
    let password = std::env::var("ESL_PASSWORD").unwrap_or_else(|_| "ClueCon".into());
    let (simulated, addrs): (Vec<SimSwitch>, Vec<String>) = match std::env::var("ESL_ADDRS") {
        Ok(list) => (Vec::new(), list.split(',').map(str::to_owned).collect()),
        Err(_) => {
            let switches: Vec<SimSwitch> = (0..3).map(|_| SimSwitch::start()).collect();
            let addrs = switches.iter().map(|s| s.addr().to_string()).collect();
            (switches, addrs)
        }
    };
    let service = Service::new(esl_tokio::Tokio);
    for (i, addr) in addrs.iter().enumerate() {
        let config =
            ClientConfig::password(password.as_str()).connect_timeout(Duration::from_secs(5));
        service
            .add_switch(&format!("fs{i}"), addr, config)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        println!("switch fs{i}: {addr}");
    }
    service
        .load_default("proxy", proxy("external"))
        .await
        .map_err(|e| e.to_string())?;
    if simulated.is_empty() {
        println!("proxying; ctrl-c to stop");
        let _ = tokio::signal::ctrl_c().await;
        service.close().await;
        return Ok(());
    }
    // Calls arrive at every switch; each must be bridged where it is.
    let mut calls = Vec::new();
    for (i, switch) in simulated.iter().enumerate() {
        for to in ["2001", "3002"] {
            calls.push((i, switch.inbound_call("1000", to, &[])));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    for (i, uuid) in &calls {
        loop {
            let bridged = simulated[*i]
                .applications(uuid)
                .iter()
                .any(|(app, arg)| app == "bridge" && arg.starts_with("sofia/external/"));
            if bridged {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("call {uuid} on fs{i} was not bridged"));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    service.close().await;
    println!(
        "\nsummary: {} calls on {} switches, each bridged to its request URI on its own switch, in {:.1?}",
        calls.len(),
        simulated.len(),
        started.elapsed()
    );
    Ok(())
}
