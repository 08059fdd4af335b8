//! A tour of the blocking client: plain threads, no async runtime.
//!
//! ```sh
//! cargo run -p esl-blocking --example blocking_quickstart
//! ```
//!
//! Without `ESL_ADDR` it starts a simulated switch in-process. Against a real FreeSWITCH:
//!
//! ```sh
//! ESL_ADDR=127.0.0.1:8021 ESL_PASSWORD=ClueCon \
//!     cargo run -p esl-blocking --example blocking_quickstart
//! ```
//!
//! The real switch needs an extension `park` in the context loopback calls route to
//! (`default`):
//!
//! ```xml
//! <extension name="park"><condition field="destination_number" expression="^park$">
//!   <action application="answer"/><action application="park"/>
//! </condition></extension>
//! ```

// An example talks to its user on the terminal; the library itself never prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use esl_blocking::{ClientConfig, EventFormat, Incoming};
use esl_sim::{Config, SimSwitch};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("blocking_quickstart failed: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let started = Instant::now();
    // A real switch, or one simulated in this process.
    let (simulated, addr, password) = match std::env::var("ESL_ADDR") {
        Ok(addr) => (
            None,
            addr,
            std::env::var("ESL_PASSWORD").unwrap_or_else(|_| "ClueCon".into()),
        ),
        Err(_) => {
            let switch = SimSwitch::with_config(Config::default().time_scale(0.3));
            let addr = switch.addr().to_string();
            (Some(switch), addr, "ClueCon".into())
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
    let client = esl_blocking::connect_with(&addr, config)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;

    let status = client
        .api("status")
        .map_err(|e| format!("api status: {e}"))?;
    println!("\n$ api status\n{}", status.trim_end());

    // Events as they happen, printed by a thread of their own: the stream is an iterator
    // that ends when the client closes.
    let events = client.events();
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
        .map_err(|e| format!("subscribe: {e}"))?;
    let seen = Arc::new(AtomicUsize::new(0));
    let hung_up = Arc::new(AtomicUsize::new(0));
    let printer = {
        let (seen, hung_up) = (seen.clone(), hung_up.clone());
        std::thread::spawn(move || {
            for item in events {
                if let Incoming::Event(event) = item {
                    seen.fetch_add(1, Ordering::Relaxed);
                    if event.is("CHANNEL_HANGUP_COMPLETE") {
                        hung_up.fetch_add(1, Ordering::Relaxed);
                    }
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
        })
    };

    // A call parked on the switch, then hung up.
    println!("\n$ originate loopback/park &park");
    let uuid = client
        .originate("loopback/park", "&park")
        .map_err(|e| format!("originate failed: {e}"))?;
    println!("  new channel {uuid}");
    std::thread::sleep(Duration::from_millis(200));
    println!("$ uuid_kill {uuid}");
    client
        .api(&format!("uuid_kill {uuid}"))
        .map_err(|e| format!("uuid_kill: {e}"))?;

    // Both legs' CHANNEL_HANGUP_COMPLETE, before closing.
    let deadline = Instant::now() + Duration::from_secs(5);
    while hung_up.load(Ordering::Relaxed) < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if hung_up.load(Ordering::Relaxed) < 2 {
        return Err("the call's hang-up events did not arrive within 5 s".into());
    }

    client.close().map_err(|e| format!("close: {e}"))?;
    printer
        .join()
        .map_err(|_| "the event printer panicked".to_string())?;
    println!(
        "\nsummary: status ok, 1 call, {} events, done in {:.1?}",
        seen.load(Ordering::Relaxed),
        started.elapsed()
    );
    Ok(())
}
