//! The simulated switch as a [`Transport`]: clients and outbound servers in memory, on the
//! switch's virtual clock (feature `sim`).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use esl_sim::{ConnectionId, VirtualSwitch};
use futures_io::{AsyncRead, AsyncWrite};

use crate::transport::{Duplex, Transport};

/// One connection to a [`VirtualSwitch`], as a socket would be.
struct SimStream(esl_sim::Stream);

impl AsyncRead for SimStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.0.poll_read(cx, buf)
    }
}

impl AsyncWrite for SimStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.close();
        Poll::Ready(Ok(()))
    }
}

fn stream(switch: &VirtualSwitch, conn: ConnectionId) -> Box<dyn Duplex> {
    Box::new(SimStream(esl_sim::Stream::new(switch, conn)))
}

impl Transport for VirtualSwitch {
    fn connect(&self) -> io::Result<Box<dyn Duplex>> {
        Ok(stream(self, VirtualSwitch::connect(self)))
    }

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(Box<dyn Duplex>, String)>> {
        self.poll_accept(cx)
            .map(|accepted| Ok((stream(self, accepted.conn), accepted.channel)))
    }

    fn now(&self) -> Instant {
        self.instant()
    }

    fn poll_sleep_until(&self, at: Instant, cx: &mut Context<'_>) -> Poll<()> {
        VirtualSwitch::poll_sleep_until(self, at, cx)
    }
}

impl<R: crate::Runtime> crate::Client<R> {
    /// Connects to the simulated `switch`, in memory and on its virtual clock (feature
    /// `sim`): [`Client::connect_via`](crate::Client::connect_via) with the switch as the
    /// transport. Cancel-safe, as [`Client::connect`](crate::Client::connect).
    pub async fn connect_sim(
        runtime: R,
        switch: &VirtualSwitch,
        config: esl_proto::client::ClientConfig,
    ) -> esl_proto::client::Result<crate::Client<R>> {
        crate::Client::connect_via(runtime, Arc::new(switch.clone()), config).await
    }
}

impl<R: crate::Runtime> crate::OutboundServer<R> {
    /// Serves the outbound sockets the simulated `switch` opens (its `socket`
    /// application), in memory and on its virtual clock (feature `sim`).
    pub fn bind_sim(
        runtime: R,
        switch: &VirtualSwitch,
        config: esl_proto::client::ServerConfig,
    ) -> crate::OutboundServer<R> {
        crate::OutboundServer::bind_via(runtime, Arc::new(switch.clone()), config)
    }
}

impl<R: crate::Runtime> crate::Service<R> {
    /// Adds the simulated `switch` under `name`, in memory and on its virtual clock
    /// (feature `sim`): [`Service::add_switch_via`](crate::Service::add_switch_via) with the
    /// switch as the transport. Cancel-safe, as
    /// [`Service::add_switch`](crate::Service::add_switch).
    pub async fn add_sim_switch(
        &self,
        name: &str,
        switch: &VirtualSwitch,
        config: esl_proto::client::ClientConfig,
    ) -> esl_proto::client::Result<()> {
        self.add_switch_via(name, Arc::new(switch.clone()), config)
            .await
    }
}
