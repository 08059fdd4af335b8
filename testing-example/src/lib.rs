//! The call logic of a small PBX, as an application would write it: a router for calls
//! that park, and a handler for the calls the dialplan hands to an outbound socket. The
//! same code runs against a FreeSWITCH in production and against `esl-sim` in the tests
//! (`tests/`), where nothing opens a socket.

use esl_tokio::{dptools::DialString, Flow, Router, Session};

/// Extensions 1000-1999 ring on the internal profile; 9xxx are told the line is busy;
/// numbers starting 00 (international) are refused with a 403.
pub fn router() -> Router {
    let mut router = Router::new();
    router.guard("Call-Direction", "inbound");
    let ring = router.handler(|channel, m| async move {
        let extension = m.capture(1).unwrap_or_default().to_owned();
        let dial = DialString::profile("internal", &extension)?;
        channel.answer().await?;
        channel.bridge_nowait(&dial).await?;
        Ok(Flow::Stop)
    });
    let busy = router.handler(|channel, _| async move {
        channel.respond(486, Some("Busy Here")).await?;
        channel.hangup(Some("USER_BUSY")).await?;
        Ok(Flow::Stop)
    });
    let refuse = router.handler(|channel, _| async move {
        channel.respond(403, None).await?;
        channel.hangup(Some("CALL_REJECTED")).await?;
        Ok(Flow::Stop)
    });
    router.route(r"(1\d{3})$", ring).expect("a valid pattern");
    router.route(r"9\d{3}$", busy).expect("a valid pattern");
    router.route("00", refuse).expect("a valid pattern");
    router
}

/// An outbound call: greet, remember who took it, hang up.
pub async fn handle_outbound(session: Session) {
    let steps = async {
        session.answer().await?;
        session.playback("ivr/ivr-welcome.wav").await?;
        session
            .set_variable("handled_by", "testing-example")
            .await?;
        session.hangup(None).await
    };
    if let Err(error) = steps.await {
        eprintln!("call {}: {error}", session.uuid());
    }
}

/// The same logic for threads (`esl-blocking`).
pub mod blocking {
    use esl_blocking::esl_proto::route::Flow;
    use esl_blocking::{Router, Session};

    /// 9xxx are told the line is busy.
    pub fn router() -> Router {
        let mut router = Router::new();
        let busy = router.handler(|channel, _| {
            channel.respond(486, Some("Busy Here"))?;
            channel.hangup(Some("USER_BUSY"))?;
            Ok(Flow::Stop)
        });
        router.route(r"9\d{3}$", busy).expect("a valid pattern");
        router
    }

    /// An outbound call: answer, remember who took it, hang up.
    pub fn handle_outbound(session: Session) {
        let steps = || -> esl_blocking::Result<()> {
            session.answer()?;
            session.set_variable("handled_by", "testing-example")?;
            session.hangup(None)
        };
        if let Err(error) = steps() {
            eprintln!("call {}: {error}", session.uuid());
        }
    }
}
