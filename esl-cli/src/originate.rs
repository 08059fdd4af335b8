//! `esl originate <url> <target>`: place one call; print its uuid, or why it failed.

use crate::conn::{ConnectArgs, Needs};
use crate::failure::{self, Failure};
use crate::render;
use crate::vars::{self, Var};

/// Options of `esl originate`.
#[derive(clap::Args, Debug)]
pub(crate) struct OriginateArgs {
    /// A channel variable of the new channel, NAME=VALUE (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = vars::parse)]
    vars: Vec<Var>,

    /// Print {"ok", "uuid"} or {"ok", "cause"} as JSON.
    #[arg(long)]
    json: bool,

    /// The dial string: `loopback/9196`, `user/1000`, `sofia/gateway/gw/15551234567`.
    url: String,

    /// Where the answered call goes: an extension (`9196`, or `9196 XML default` as
    /// separate words) or an application (`&park`, `'&playback(ivr/ivr-welcome.wav)'`).
    #[arg(required = true, num_args = 1.., value_name = "TARGET")]
    target: Vec<String>,
}

/// Runs `esl originate`.
pub(crate) async fn run(connect: &ConnectArgs, args: OriginateArgs) -> Result<(), Failure> {
    let prefix = vars::prefix(
        args.vars
            .iter()
            .map(|v| (v.name.as_str(), v.value.as_str())),
    );
    let url = format!("{prefix}{}", args.url);
    let target = args.target.join(" ");
    let conn = connect.connect(Needs::default()).await?;
    let doing = format!("originate {url} {target}");
    let result = match conn.client.originate_job(&url, &target).await {
        Ok(job) => job.channel_uuid().await,
        Err(e) => Err(e),
    };
    conn.close().await;
    match result {
        Ok(uuid) if args.json => {
            render::print(&serde_json::json!({ "ok": true, "uuid": uuid }).to_string())
        }
        Ok(uuid) => render::print(&uuid),
        Err(esl_tokio::Error::Rejected(text)) => {
            let cause = failure::cause_of(&text);
            if args.json {
                render::print(&serde_json::json!({ "ok": false, "cause": cause }).to_string())?;
                Err(Failure::quiet(failure::REFUSED))
            } else {
                Err(Failure::new(
                    failure::REFUSED,
                    format!("originate failed: {cause}"),
                ))
            }
        }
        Err(e) => Err(conn.fail(&e, &doing)),
    }
}
