//! The router of switchy's documentation, as one service over several switches, on plain
//! threads: block international numbers with a 407, send long distance through a gateway,
//! 2xxx to sales and 4xxx to support through their proxies.
//!
//! ```sh
//! cargo run -p esl-blocking --example blocking_router
//! ```
//!
//! Without `ESL_ADDRS` it starts three simulated switches in-process, places one call of
//! each kind on each, and exits once every call was routed on its own switch. With
//! `ESL_ADDRS=10.0.0.1:8021,10.0.0.2:8021` (and `ESL_PASSWORD`) it routes the parked calls of
//! real switches until interrupted.

// An example talks to its user on the terminal; the library itself never prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use esl_blocking::{dptools::DialString, ClientConfig, Flow, Router, Service};
use esl_sim::SimSwitch;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("blocking_router failed: {message}");
            ExitCode::FAILURE
        }
    }
}

fn router() -> Result<Router, String> {
    let mut router = Router::new();
    router.guard("Call-Direction", "inbound");
    let reject = router.handler(|channel, m| {
        let code = m.param("response").unwrap_or("407").parse().unwrap_or(407);
        println!("  {} {}: rejected with {code}", channel.peer(), m.matched());
        channel.respond(code, None)?;
        channel.hangup(Some("CALL_REJECTED"))?;
        Ok(Flow::Stop)
    });
    let bridge = router.handler(|channel, m| {
        let destination = channel
            .header("Caller-Destination-Number")
            .unwrap_or_default();
        let dial = match (m.param("gateway"), m.param("proxy")) {
            (Some(gateway), _) => DialString::gateway(gateway, &destination)?,
            (None, Some(proxy)) => DialString::via_proxy(
                m.param("profile").unwrap_or("internal"),
                &destination,
                proxy,
            )?,
            (None, None) => DialString::profile("internal", &destination)?,
        };
        println!(
            "  {} {destination}: bridged to {}",
            channel.peer(),
            dial.as_str()
        );
        channel.answer()?;
        // Not `bridge`: that would hold this worker for the whole call.
        channel.bridge_nowait(&dial)?;
        Ok(Flow::Stop)
    });
    router
        .route("00(.*)|011(.*)", reject)
        .map_err(|e| e.to_string())?
        .param("response", "407");
    router
        .route("1(.*)", bridge)
        .map_err(|e| e.to_string())?
        .param("gateway", "long_distance_trunk");
    router
        .route(r"2[1-9]{3}$", bridge)
        .map_err(|e| e.to_string())?
        .param("profile", "internal")
        .param("proxy", "salespbx.com");
    router
        .route(r"4[1-9]{3}$", bridge)
        .map_err(|e| e.to_string())?
        .param("profile", "internal")
        .param("proxy", "supportpbx.com");
    Ok(router)
}

fn run() -> Result<(), String> {
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
    let service = Service::new();
    for (i, addr) in addrs.iter().enumerate() {
        let config =
            ClientConfig::password(password.as_str()).connect_timeout(Duration::from_secs(5));
        service
            .add_switch(&format!("fs{i}"), addr, config)
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        println!("switch fs{i}: {addr}");
    }
    service
        .load_default("router", router()?.into_app())
        .map_err(|e| e.to_string())?;
    if simulated.is_empty() {
        println!("routing; ctrl-c to stop");
        loop {
            std::thread::park();
        }
    }
    // One call of each kind on each switch, and what the router must do with it.
    let kinds = [
        ("011441234567", "respond"),
        ("18005550100", "bridge"),
        ("2345", "bridge"),
        ("4567", "bridge"),
    ];
    let mut calls = Vec::new();
    for (i, switch) in simulated.iter().enumerate() {
        for (to, app) in kinds {
            calls.push((i, to, app, switch.inbound_call("1000", to, &[])));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    for (i, to, app, uuid) in &calls {
        while !simulated[*i]
            .applications(uuid)
            .iter()
            .any(|(a, _)| a == app)
        {
            if Instant::now() > deadline {
                return Err(format!("the call to {to} on fs{i} was not routed"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // Routed on its own switch, and on no other.
        for (j, other) in simulated.iter().enumerate() {
            if j != *i && !other.applications(uuid).is_empty() {
                return Err(format!("a command for the call to {to} reached fs{j}"));
            }
        }
    }
    service.close();
    println!(
        "\nsummary: {} calls on {} switches routed, each on its own switch, in {:.1?}",
        calls.len(),
        simulated.len(),
        started.elapsed()
    );
    Ok(())
}
