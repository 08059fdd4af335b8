//! The API commands of the simulated switch (`api` and `bgapi`), with FreeSWITCH's output and
//! error texts (`inbound_api_errors`, `inbound_bgapi`, `inbound_big_event`,
//! `inbound_conference`).

mod show;

use esl_proto::server;
use esl_proto::Event;

use crate::events::VERSION;
use crate::hangup::HangupOrder;
use crate::ids::ConnectionId;
use crate::originate::{originate_usage, Waiter};
use crate::switch::Switch;

fn split(line: &str) -> (&str, &str) {
    match line.split_once(' ') {
        Some((command, args)) => (command, args),
        None => (line, ""),
    }
}

/// `sim_blast <n>`: not a FreeSWITCH command; a benchmark asks the simulator to stream its
/// configured events `n` times right after the reply.
fn blast_count(command: &str, args: &str) -> Option<usize> {
    (command == "sim_blast").then(|| args.trim().parse().unwrap_or(1))
}

fn no_channel() -> String {
    "-ERR No such channel!\n".into()
}

impl Switch {
    /// `api <line>` on `id`: the reply now, or, for an `originate` that waits for a far end,
    /// when the far end decides (commands after it wait, as `api_exec` runs in the
    /// listener's own thread).
    pub(crate) fn api_command(&mut self, id: ConnectionId, line: &str) {
        let (command, args) = split(line);
        if command == "originate" {
            self.originate(
                args,
                Waiter::Api {
                    conn: id,
                    args: args.to_owned(),
                },
            );
            if self.api_pending(id) {
                if let Some(conn) = self.conns.get_mut(&id) {
                    conn.blocked = true;
                }
            }
            return;
        }
        let session = self.conns.get(&id).and_then(|c| c.session.clone());
        let out = self.api_output(command, args, session.as_deref());
        self.api_done(id, command, args, &out);
        if let Some(times) = blast_count(command, args) {
            self.blast(id, times);
        }
    }

    /// An `api` call ended: the `API` event, then the reply (an empty output becomes
    /// `-ERR no reply`, as the listener replaces it). A connection that waited goes on.
    pub(crate) fn api_done(&mut self, id: ConnectionId, command: &str, args: &str, out: &str) {
        self.api_event(command, args);
        let body = if out.is_empty() {
            "-ERR no reply\n"
        } else {
            out
        };
        self.reply(id, server::encode_api_response(body.as_bytes()));
        let blocked = self.conns.get(&id).is_some_and(|c| c.blocked);
        if blocked {
            if let Some(conn) = self.conns.get_mut(&id) {
                conn.blocked = false;
            }
            self.release_held(id);
            self.pump(id);
        }
    }

    /// `bgapi <line>`: the result comes in a `BACKGROUND_JOB` event carrying `job`.
    pub(crate) fn bgapi_command(&mut self, line: &str, job: &str) {
        let (command, args) = split(line);
        if command == "originate" {
            let waiter = Waiter::Job {
                job: job.to_owned(),
                args: args.to_owned(),
            };
            return self.originate(args, waiter);
        }
        let out = self.api_output(command, args, None);
        self.job_done(job, command, args, &out);
    }

    /// A `bgapi` job ended: the `API` event, then `BACKGROUND_JOB` (an empty result has no
    /// body, `inbound_bgapi`).
    pub(crate) fn job_done(&mut self, job: &str, command: &str, args: &str, out: &str) {
        self.api_event(command, args);
        let mut b = self
            .base("BACKGROUND_JOB", ("mod_event_socket.c", "api_exec", 1580))
            .header("Job-UUID", job)
            .header("Job-Command", command);
        if !args.is_empty() {
            b = b.header("Job-Command-Arg", args);
        }
        if !out.is_empty() {
            b = b.body(out);
        }
        let event: Event = b.build();
        self.publish(&event);
    }

    fn api_event(&mut self, command: &str, args: &str) {
        let mut b = self
            .base(
                "API",
                ("switch_loadable_module.c", "switch_api_execute", 3140),
            )
            .header("API-Command", command);
        if !args.is_empty() {
            b = b.header("API-Command-Argument", args);
        }
        let event = b.build();
        self.publish(&event);
    }

    /// The channel named by word `n`, if it lives.
    fn live(&self, words: &[&str], n: usize) -> Option<String> {
        words
            .get(n)
            .filter(|u| self.channels.get(**u).is_some_and(|c| !c.hung_up))
            .map(|u| (*u).to_owned())
    }

    /// What an API command outputs (everything but `originate`, which may wait).
    fn api_output(&mut self, command: &str, args: &str, session: Option<&str>) -> String {
        let words: Vec<&str> = args.split_whitespace().collect();
        match command {
            "status" => self.status(),
            "version" => format!("FreeSWITCH Version {VERSION} (esl-sim simulated switch)\n"),
            "global_getvar" if args.is_empty() => self
                .globals
                .iter()
                .map(|(k, v)| format!("{k}={v}\n"))
                .collect(),
            "global_getvar" => self.globals.get(args.trim()).cloned().unwrap_or_default(),
            "global_setvar" => {
                let (name, value) = args.split_once('=').unwrap_or((args, ""));
                self.globals
                    .insert(name.trim().to_owned(), value.to_owned());
                "+OK".into()
            }
            "uuid_getvar" if words.len() < 2 => "-USAGE: <uuid> <var>\n".into(),
            "uuid_getvar" => match self.live(&words, 0).and_then(|u| self.channels.get(&u)) {
                Some(ch) => ch.var(words[1]).unwrap_or("_undef_").to_owned(),
                None => no_channel(),
            },
            "uuid_setvar" if words.len() < 2 => "-USAGE: <uuid> <var> [value]\n".into(),
            "uuid_setvar" => match self.live(&words, 0) {
                Some(u) => {
                    let value = words.get(2..).map(|v| v.join(" ")).unwrap_or_default();
                    if let Some(ch) = self.channels.get_mut(&u) {
                        ch.set_var(words[1], &value);
                    }
                    "+OK\n".into()
                }
                None => no_channel(),
            },
            "uuid_exists" => self.live(&words, 0).is_some().to_string(),
            "uuid_kill" if words.is_empty() => "-USAGE: <uuid> [cause]\n".into(),
            "uuid_kill" => match self.live(&words, 0) {
                Some(u) => {
                    let cause = words.get(1).copied().unwrap_or("NORMAL_CLEARING");
                    self.hangup(&u, cause, HangupOrder::Killed);
                    "+OK\n".into()
                }
                None => no_channel(),
            },
            "uuid_answer" => match self.live(&words, 0) {
                Some(u) => {
                    self.answer(&u);
                    "+OK\n".into()
                }
                None => no_channel(),
            },
            "uuid_park" => match self.live(&words, 0) {
                Some(u) => {
                    self.queue_exec(&u, "park", "", None, 0);
                    "+OK\n".into()
                }
                None => no_channel(),
            },
            "uuid_transfer" => match self.live(&words, 0) {
                Some(u) => {
                    // `-bleg`/`-both` pick legs of a bridge; the simulator moves the named one.
                    let dest = words
                        .iter()
                        .skip(1)
                        .find(|w| !w.starts_with('-'))
                        .copied()
                        .unwrap_or_default();
                    // No application runs (switch_ivr_session_transfer), but the history
                    // notes the move, as it notes uuid_bridge.
                    self.history.application(&u, "transfer", dest);
                    self.transfer(&u, dest);
                    "+OK\n".into()
                }
                None => no_channel(),
            },
            "uuid_broadcast" => match self.live(&words, 0) {
                Some(u) => {
                    let file = words.get(1).copied().unwrap_or_default();
                    self.queue_exec(&u, "playback", file, None, 0);
                    "+OK Message sent\n".into()
                }
                None => no_channel(),
            },
            "uuid_record" => self.uuid_record(&words),
            "uuid_bridge" if words.len() < 2 => "-USAGE: <uuid> <other_uuid>\n".into(),
            "uuid_bridge" => match (self.live(&words, 0), self.live(&words, 1)) {
                (Some(a), Some(b)) => {
                    self.uuid_bridge(&a, &b);
                    format!("+OK {b}\n")
                }
                _ => "-ERR Invalid uuid\n".into(),
            },
            "uuid_dump" => match self.live(&words, 0) {
                Some(u) => self
                    .channel_data_event(&u)
                    .map(|e| {
                        e.headers()
                            .iter()
                            .map(|(n, v)| format!("{}: {}\n", n.as_str(), v.decoded()))
                            .collect()
                    })
                    .unwrap_or_default(),
                None => no_channel(),
            },
            "hupall" => {
                let cause = words.first().copied().unwrap_or("MANAGER_REQUEST");
                self.hupall(cause);
                format!("+OK hangup all channels with cause {cause}\n")
            }
            "show" => self.show(args),
            "eval" | "echo" => args.to_owned(),
            "conference" => self.conference_api(&words),
            "help" => {
                "alias,[add|del],Alias,mod_commands\nstatus,,Show current status,mod_commands\n"
                    .into()
            }
            "sim_blast" => "+OK\n".into(),
            "getvar" => session
                .and_then(|u| self.channels.get(u))
                .and_then(|c| c.var(args.trim()).map(str::to_owned))
                .unwrap_or_default(),
            "originate" => originate_usage(),
            _ => format!("-ERR {command} Command not found!\n"),
        }
    }

    /// `uuid_record <uuid> start|stop <path>`: RECORD_START / RECORD_STOP.
    fn uuid_record(&mut self, words: &[&str]) -> String {
        let usage = "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n";
        if words.len() < 3 {
            return usage.into();
        }
        let Some(uuid) = self.live(words, 0) else {
            return no_channel();
        };
        let (name, line) = match words[1] {
            "start" => ("RECORD_START", 1218),
            "stop" => ("RECORD_STOP", 1120),
            _ => return usage.into(),
        };
        self.channel_event(
            &uuid,
            name,
            ("switch_ivr_async.c", "record_callback", line),
            &[("Record-File-Path", words[2].to_owned())],
        );
        "+OK Success\n".into()
    }
}
