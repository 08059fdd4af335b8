//! What arrived: each message handled by its content type, replies paired with their
//! requests, events resolving jobs and executes before they reach the application.

use super::completion::Waiting;
use super::output::{Auth, Output, RequestId, Response};
use super::phase::Phase;
use super::requests::Kind;
use super::Connection;
use crate::command::Command;
use crate::error::{Error, EventError, RequestError};
use crate::event::{Event, EventFormat};
use crate::event_name::EventName;
use crate::message::{
    ApiResponse, ContentType, DisconnectNotice, Disposition, LogLine, Message, Reply,
};

impl Connection {
    pub(super) fn handle(&mut self, message: Message, event: Option<Result<Event, EventError>>) {
        self.stats.messages += 1;
        if let Some(event) = event {
            match event {
                Ok(event) => self.on_event(event),
                Err(error) => self
                    .outputs
                    .push_back(Output::InvalidEvent { message, error }),
            }
            return;
        }
        match message.content_type() {
            ContentType::AuthRequest => self.on_auth_request(message),
            ContentType::CommandReply => {
                let reply = Reply::new(message.headers().clone());
                self.on_reply(Response::Reply(reply), message);
            }
            ContentType::ApiResponse => {
                let api = ApiResponse::new(message.body().clone());
                self.on_reply(Response::Api(api), message);
            }
            // Parsed ahead, above.
            ContentType::EventPlain | ContentType::EventJson | ContentType::EventXml => {}
            ContentType::LogData => {
                let line = LogLine::new(message.headers().clone(), message.body().clone());
                self.outputs.push_back(Output::Log(line));
            }
            ContentType::DisconnectNotice => {
                let notice =
                    DisconnectNotice::new(message.headers().clone(), message.body().clone());
                if notice.disposition() == Disposition::Disconnect {
                    self.disconnect_seen = true;
                }
                self.outputs.push_back(Output::Disconnect(notice));
            }
            ContentType::RudeRejection => {
                let text = String::from_utf8_lossy(message.body())
                    .trim_end()
                    .to_owned();
                self.fail(Error::Rejected(text));
            }
            ContentType::Other(_) | ContentType::Missing => {
                self.outputs.push_back(Output::Unexpected(message));
            }
        }
    }

    fn on_auth_request(&mut self, message: Message) {
        match self.phase {
            Phase::AwaitAuthRequest => {
                let command = match &self.auth {
                    Some(Auth::Password(password)) => Command::Auth {
                        password: password.clone(),
                    },
                    Some(Auth::User { user, password }) => Command::UserAuth {
                        user: user.clone(),
                        password: password.clone(),
                    },
                    _ => return,
                };
                self.write_internal(command, Kind::InternalAuth);
                self.begin_auth();
            }
            Phase::Open => self.outputs.push_back(Output::AuthRequested),
            _ => self.outputs.push_back(Output::Unexpected(message)),
        }
    }

    fn on_reply(&mut self, response: Response, message: Message) {
        let Some(entry) = self.requests.answer_next() else {
            self.outputs.push_back(Output::Unexpected(message));
            return;
        };
        let ok = response.is_ok();
        let id = entry.id;
        log_reply(id, &response);
        // mod_event_socket answers `api` with api/response and everything else with
        // command/reply (before auth, everything with command/reply: inbound_unauth_command).
        if self.phase == Phase::Ready {
            let api = matches!(entry.kind, Kind::Api);
            let api_response = matches!(response, Response::Api(_));
            if api != api_response {
                self.requests.unanswer(entry);
                return self.fail(Error::OutOfStep(format!(
                    "request {id} got {}",
                    if api_response {
                        "an api/response"
                    } else {
                        "a command/reply to an api"
                    }
                )));
            }
        }
        let by_user = matches!(entry.kind, Kind::Replay(_));
        match entry.kind {
            Kind::InternalAuth => {
                let Response::Reply(reply) = response else {
                    return self.fail(Error::Handshake("auth answered by an api/response".into()));
                };
                if !ok {
                    return self.fail(Error::AuthenticationFailed {
                        reply: reply.text().into_owned(),
                    });
                }
                self.become_ready(reply, None);
            }
            Kind::InternalConnect => {
                let Response::Reply(reply) = response else {
                    return self.fail(Error::Handshake(
                        "connect answered by an api/response".into(),
                    ));
                };
                if !ok {
                    return self.fail(Error::Handshake(format!(
                        "connect refused: {}",
                        reply.text()
                    )));
                }
                let channel = Event::from_parts(reply.headers().clone(), None, EventFormat::Plain);
                self.session = channel.unique_id().map(|u| u.into_owned());
                self.become_ready(reply, Some(channel));
            }
            Kind::Replay(command) | Kind::Internal(Some(command)) => {
                self.stats.internal_replies += 1;
                if !ok {
                    self.stats.internal_failures += 1;
                }
                let unanswered = self.requests.unanswered_subscriptions();
                self.coverage.answered(&command, by_user, ok, unanswered);
            }
            Kind::Internal(None) => {
                self.stats.internal_replies += 1;
                if !ok {
                    self.stats.internal_failures += 1;
                }
            }
            Kind::Subscription(command) => {
                let unanswered = self.requests.unanswered_subscriptions();
                self.coverage.answered(&command, true, ok, unanswered);
                if !ok {
                    // What the refused command was thought to do may have been what an open
                    // job or execute relied on.
                    self.restore_coverage();
                }
                if !entry.cancelled {
                    self.respond(id, response);
                } else {
                    self.stats.late_replies += 1;
                }
            }
            _ if entry.cancelled || entry.done => self.stats.late_replies += 1,
            Kind::Reply | Kind::Api => self.respond(id, response),
            Kind::Exit => {
                self.exit_acked |= ok;
                self.respond(id, response);
            }
            Kind::ManualAuth => {
                if let (true, Response::Reply(reply)) = (ok, &response) {
                    self.become_ready(reply.clone(), None);
                }
                self.respond(id, response);
            }
            Kind::Job { job_uuid } => {
                let accepted = job_uuid.or_else(|| match &response {
                    Response::Reply(r) => r.job_uuid().map(|u| u.into_owned()).or_else(|| {
                        r.text()
                            .strip_prefix("+OK Job-UUID: ")
                            .map(|u| u.trim().to_owned())
                    }),
                    _ => None,
                });
                match (ok, accepted, response) {
                    (true, Some(uuid), Response::Reply(reply)) => {
                        self.completions.job_accepted(uuid, id);
                        self.outputs.push_back(Output::Accepted { id, reply });
                    }
                    (_, _, response) => {
                        self.completions.forget(id);
                        self.respond(id, response);
                        self.withdraw_unneeded();
                    }
                }
            }
            Kind::Execute {
                channel,
                app,
                event_uuid,
                wait,
            } => match response {
                Response::Reply(reply) if ok && wait => {
                    self.completions
                        .execute_accepted(event_uuid, id, channel, app);
                    self.outputs.push_back(Output::Accepted { id, reply });
                }
                response => {
                    self.completions.forget(id);
                    self.respond(id, response);
                    self.withdraw_unneeded();
                }
            },
        }
    }

    fn respond(&mut self, id: RequestId, response: Response) {
        self.outputs.push_back(Output::Response { id, response });
    }

    fn on_event(&mut self, event: Event) {
        let name = event.name();
        match name {
            EventName::BackgroundJob => {
                if let Some(waiting) = event.job_uuid().and_then(|u| self.completions.job_done(&u))
                {
                    self.complete(waiting, Response::Job(event.clone()));
                }
            }
            EventName::ChannelExecute => self.completions.execute_started(&event),
            EventName::ChannelExecuteComplete => {
                if let Some(waiting) = event
                    .application_uuid()
                    .and_then(|u| self.completions.execute_done(&u))
                {
                    self.complete(waiting, Response::Executed(event.clone()));
                }
            }
            EventName::ChannelHangupComplete | EventName::ChannelDestroy => {
                if let Some(uuid) = event.unique_id() {
                    for id in self.completions.channel_gone(&uuid) {
                        self.outputs.push_back(Output::Failed {
                            id,
                            error: RequestError::ChannelGone {
                                uuid: uuid.clone().into_owned(),
                            },
                        });
                    }
                }
            }
            _ => {}
        }
        let added = self.coverage.is_added(&event);
        if added && !self.coverage.user().admits(&event, self.session.as_deref()) {
            self.stats.hidden_events += 1;
            self.outputs.push_back(Output::LibraryEvent(event));
        } else {
            self.stats.events += 1;
            self.outputs.push_back(Output::Event(event));
        }
        self.withdraw_unneeded();
    }

    fn complete(&mut self, waiting: Waiting, response: Response) {
        if !waiting.replied {
            self.requests.mark_done(waiting.id);
        }
        self.respond(waiting.id, response);
    }
}

/// At debug level, every command that goes out (passwords never), with its request id.
pub(super) fn log_sent(id: RequestId, command: &Command, bytes: &[u8]) {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    match command {
        Command::Auth { .. } => tracing::debug!(request = id.get(), "sent: auth <password>"),
        Command::UserAuth { user, .. } => {
            tracing::debug!(request = id.get(), "sent: userauth {user}:<password>")
        }
        _ => {
            let head = bytes.split(|b| *b == b'\n').take_while(|l| !l.is_empty());
            let text: Vec<String> = head
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .collect();
            tracing::debug!(request = id.get(), "sent: {}", text.join(" | "));
        }
    }
}

/// At debug level, the first line of every reply, with the request it answers.
pub(super) fn log_reply(id: RequestId, response: &Response) {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    let text = response.text();
    let first = text.lines().next().unwrap_or_default();
    tracing::debug!(request = id.get(), "reply: {first}");
}
