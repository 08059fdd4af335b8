//! `esl sim`: a simulated FreeSWITCH on a local port, so that every other subcommand (and a
//! user's own program) can be tried without a switch.
//! The switch is `esl-sim`'s, over TCP.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use esl_sim::{Config, SimSwitch};

use crate::conn::{duration, ConnectArgs};
use crate::failure::{self, Failure};
use crate::render;

/// Options of `esl sim`. The password it expects is the global `--password` /
/// `ESL_PASSWORD`, else FreeSWITCH's stock one.
#[derive(clap::Args, Debug)]
pub(crate) struct SimArgs {
    /// Where to listen; the simulator listens on 127.0.0.1 only (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8021", value_name = "127.0.0.1:PORT")]
    listen: SocketAddr,

    /// HEARTBEAT events this often (FreeSWITCH's default is 20s); 0 for none.
    #[arg(long, default_value = "20s", value_parser = duration, value_name = "DURATION")]
    heartbeat: Duration,

    /// Where the dialplan's `socket` extension connects: an outbound ESL server.
    #[arg(long, value_name = "HOST:PORT")]
    socket_target: Option<SocketAddr>,

    /// Multiplies simulated durations (playback, tones, linger); below 1 runs faster.
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR")]
    time_scale: f64,
}

/// Runs the simulated switch until Ctrl-C.
pub(crate) async fn run(connect: &ConnectArgs, args: SimArgs) -> Result<(), Failure> {
    if args.listen.ip() != Ipv4Addr::LOCALHOST {
        return Err(Failure::usage(format!(
            "--listen {}: the simulated switch listens on 127.0.0.1 only",
            args.listen
        )));
    }
    if !(args.time_scale > 0.0 && args.time_scale.is_finite()) {
        return Err(Failure::usage("--time-scale must be a positive number"));
    }
    let mut config = Config::default()
        .password(connect.switch_password())
        .port(args.listen.port())
        .time_scale(args.time_scale);
    if !args.heartbeat.is_zero() {
        config = config.heartbeat(args.heartbeat);
    }
    if let Some(target) = args.socket_target {
        config = config.socket_target(target);
    }
    let switch = SimSwitch::try_with_config(config).map_err(|e| {
        Failure::new(
            failure::REFUSED,
            format!("cannot listen on {}: {e}", args.listen),
        )
    })?;
    render::print(&format!(
        "esl sim: a simulated FreeSWITCH is listening on {} (Ctrl-C stops it)",
        switch.addr()
    ))?;
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Failure::io("waiting for Ctrl-C", &e))?;
    drop(switch);
    eprintln!("esl sim: stopped");
    Ok(())
}
