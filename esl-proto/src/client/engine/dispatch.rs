//! What arrived: each output of the connection turned into the engine's actions, the
//! outbound session's setup, and the uuids the engine chooses.

use super::*;

impl<W: Clone, H: Clone, S: Clone> Engine<W, H, S> {
    pub(super) fn choose_uuid(&mut self, command: &mut Command) -> Option<String> {
        match command {
            Command::Bgapi { job_uuid, .. } => {
                Some(job_uuid.get_or_insert_with(|| self.rng.uuid()).clone())
            }
            Command::SendMsg(msg) => match &mut msg.command {
                CallCommand::Execute(exec) if exec.wait => Some(
                    exec.event_uuid
                        .get_or_insert_with(|| self.rng.uuid())
                        .clone(),
                ),
                _ => None,
            },
            _ => None,
        }
    }

    /// Takes every output of the connection.
    pub(super) fn pump(&mut self, now: Instant) {
        loop {
            match self.conn.poll_output() {
                Ok(Some(output)) => self.on_output(now, output),
                Ok(None) => return,
                Err(error) => {
                    if self.conn.is_closed() && !self.is_finished() {
                        self.lost(now, Error::from(error));
                    }
                    return;
                }
            }
        }
    }

    pub(super) fn on_output(&mut self, now: Instant, output: Output) {
        match output {
            Output::Ready(ready) => self.on_ready(ready),
            Output::Accepted { id, .. } => {
                if let Some(waiter) = self.requests.accepted(id, now) {
                    self.actions.push_back(Action::Accepted(waiter));
                }
            }
            Output::Response { id, response } => self.on_response(now, id, response),
            Output::Failed { id, error } => {
                if let Some(entry) = self.requests.remove(id) {
                    let error = self.request_error(error);
                    self.actions
                        .push_back(Action::Done(entry.waiter, Err(error)));
                }
            }
            Output::LibraryEvent(event) => self.track_event(&event),
            Output::Event(event) => {
                self.track_event(&event);
                let handlers: Vec<H> = self.handlers.matching(&event).cloned().collect();
                if !handlers.is_empty() {
                    self.actions.push_back(Action::Event {
                        event: event.clone(),
                        handlers,
                    });
                }
                self.streams.push(Incoming::Event(event));
            }
            Output::Log(line) => self.streams.push(Incoming::Log(line)),
            Output::Disconnect(notice) => self.streams.push(Incoming::Notice(notice)),
            Output::InvalidEvent { error, .. } => {
                tracing::warn!(%error, "event that does not parse, skipped");
            }
            Output::Unexpected(message) => {
                tracing::warn!(content_type = %message.content_type(), "unexpected message, skipped");
            }
            Output::AuthRequested => {}
            Output::Closed(reason) => self.on_closed(now, reason),
        }
    }

    pub(super) fn on_ready(&mut self, ready: Ready) {
        self.conn_ready = true;
        if let Some(tracking) = self.tracking.as_mut() {
            tracking.stale = true;
            self.list_channels();
        }
        match self.role {
            Role::Inbound => {
                self.link.handshake_done();
                if self.ready_once {
                    self.reconnects += 1;
                    tracing::info!("reconnected; subscriptions replayed");
                    self.streams.push_gap(Gap::Reconnected);
                } else {
                    self.ready_once = true;
                    self.actions.push_back(Action::Ready(ready));
                }
            }
            Role::Outbound(setup) => {
                let mut commands = Vec::new();
                if setup.myevents {
                    commands.push(Command::MyEvents {
                        uuid: None,
                        format: None,
                    });
                }
                if setup.linger {
                    commands.push(Command::Linger { seconds: None });
                }
                let pending = commands
                    .into_iter()
                    .filter_map(|command| self.conn.send(command).ok())
                    .collect();
                self.setup = Some(Setup { pending, ready });
                self.setup_progress();
            }
        }
    }

    /// The outbound session is ready once every setup command is accepted.
    pub(super) fn setup_progress(&mut self) {
        if self.setup.as_ref().is_some_and(|s| s.pending.is_empty()) {
            if let Some(setup) = self.setup.take() {
                self.link.handshake_done();
                self.ready_once = true;
                self.actions.push_back(Action::Ready(setup.ready));
            }
        }
    }

    pub(super) fn on_response(&mut self, now: Instant, id: RequestId, response: Response) {
        if self.tracking.as_ref().and_then(|t| t.listing) == Some(id) {
            self.on_listing(&response);
            return;
        }
        if self.exit == Some(id) {
            self.actions.push_back(Action::Disconnect);
            self.finish(now, Ok(()));
            return;
        }
        if let Some(setup) = self.setup.as_mut() {
            if let Some(at) = setup.pending.iter().position(|p| *p == id) {
                setup.pending.remove(at);
                if !response.is_ok() {
                    let error = Error::Rejected(response.text());
                    tracing::warn!(%error, "session setup refused");
                    self.actions.push_back(Action::Disconnect);
                    self.finish(now, Err(error));
                    return;
                }
                self.setup_progress();
                return;
            }
        }
        if let Some(entry) = self.requests.remove(id) {
            let result = entry.expect.check(response);
            self.actions.push_back(Action::Done(entry.waiter, result));
        }
    }

    pub(super) fn on_closed(&mut self, now: Instant, reason: CloseReason) {
        match self.link {
            Link::Closing { .. } => {
                self.actions.push_back(Action::Disconnect);
                self.finish(now, Ok(()));
            }
            Link::Finished => {}
            _ => {
                let error = match &self.io_error {
                    Some(io) => Error::Io(io.clone()),
                    None => Error::ConnectionClosed(reason),
                };
                self.lost(now, error);
            }
        }
    }

    /// What a request that failed in the connection reports.
    pub(super) fn request_error(&self, error: RequestError) -> Error {
        match (&self.io_error, error) {
            (Some(io), RequestError::ConnectionClosed(_)) => Error::Io(io.clone()),
            (_, error) => Error::from(error),
        }
    }
}
