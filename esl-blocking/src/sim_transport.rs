//! The simulated switch as a [`Transport`]: clients and outbound servers in memory, on the
//! switch's virtual clock (feature `sim`).

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::Instant;

use esl_sim::{ConnectionId, VirtualSwitch};

use crate::transport::{Duplex, Transport, Watcher};

/// One connection to a [`VirtualSwitch`], as a non-blocking socket would be.
struct SimSocket(esl_sim::Stream);

impl Read for SimSocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for SimSocket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn socket(switch: &VirtualSwitch, conn: ConnectionId) -> Box<dyn Duplex> {
    Box::new(SimSocket(esl_sim::Stream::new(switch, conn)))
}

impl Transport for VirtualSwitch {
    fn connect(&self) -> io::Result<Box<dyn Duplex>> {
        Ok(socket(self, VirtualSwitch::connect(self)))
    }

    fn accept(&self) -> Option<(Box<dyn Duplex>, String)> {
        VirtualSwitch::accept(self).map(|accepted| (socket(self, accepted.conn), accepted.channel))
    }

    fn now(&self) -> Instant {
        self.instant()
    }

    fn watch(&self, watcher: Watcher) {
        VirtualSwitch::watch(self, watcher);
    }
}

impl crate::Client {
    /// Connects to the simulated `switch`, in memory and on its virtual clock (feature
    /// `sim`): [`Client::connect_via`](crate::Client::connect_via) with the switch as the
    /// transport.
    pub fn connect_sim(
        switch: &VirtualSwitch,
        config: esl_proto::client::ClientConfig,
    ) -> esl_proto::client::Result<crate::Client> {
        crate::Client::connect_via(Arc::new(switch.clone()), config)
    }
}

impl crate::OutboundServer {
    /// Serves the outbound sockets the simulated `switch` opens (its `socket`
    /// application), in memory and on its virtual clock (feature `sim`).
    pub fn bind_sim(
        switch: &VirtualSwitch,
        config: esl_proto::client::ServerConfig,
    ) -> esl_proto::client::Result<crate::OutboundServer> {
        crate::OutboundServer::bind_via(Arc::new(switch.clone()), config)
    }
}

impl crate::Service {
    /// Adds the simulated `switch` under `name`, in memory and on its virtual clock
    /// (feature `sim`): [`Service::add_switch_via`](crate::Service::add_switch_via) with the
    /// switch as the transport.
    pub fn add_sim_switch(
        &self,
        name: &str,
        switch: &VirtualSwitch,
        config: esl_proto::client::ClientConfig,
    ) -> esl_proto::client::Result<()> {
        self.add_switch_via(name, Arc::new(switch.clone()), config)
    }
}
