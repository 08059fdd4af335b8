//! The API commands of the simulated switch, with FreeSWITCH's output and error texts
//! (`inbound_api_errors`, `inbound_bgapi`, `inbound_big_event`, `inbound_conference`).

use std::sync::Mutex;

use esl_proto::Event;

use super::state::{HangupOrder, State};

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

fn split(line: &str) -> (&str, &str) {
    match line.split_once(' ') {
        Some((command, args)) => (command, args),
        None => (line, ""),
    }
}

/// `api <line>`: the output (the session turns an empty one into `-ERR no reply`).
pub(crate) fn run(state: &Mutex<State>, line: &str, session: Option<&str>) -> String {
    let (command, args) = split(line);
    let mut st = lock(state);
    if command == "originate" {
        let mut out = String::new();
        st.originate(args, &mut |st, result| {
            out = result.map_or_else(|e| e, |uuid| format!("+OK {uuid}\n"));
            api_event(st, command, args);
        });
        return out;
    }
    let out = output(&mut st, command, args, session);
    api_event(&mut st, command, args);
    out
}

/// `bgapi <line>`: the result comes in a `BACKGROUND_JOB` event carrying `job`.
pub(crate) fn run_background(state: &Mutex<State>, line: &str, job: &str) {
    let (command, args) = split(line);
    let mut st = lock(state);
    if command == "originate" {
        st.originate(args, &mut |st, result| {
            let body = result.map_or_else(|e| e, |uuid| format!("+OK {uuid}\n"));
            api_event(st, command, args);
            background_job(st, job, command, args, &body);
        });
        return;
    }
    let body = output(&mut st, command, args, None);
    api_event(&mut st, command, args);
    background_job(&mut st, job, command, args, &body);
}

/// `sim_blast <n>`: not a FreeSWITCH command; the benchmark asks the simulator to stream its
/// configured events `n` times.
pub(crate) fn blast_request(line: &str) -> Option<usize> {
    let (command, args) = split(line);
    (command == "sim_blast").then(|| args.trim().parse().unwrap_or(1))
}

fn api_event(st: &mut State, command: &str, args: &str) {
    let mut b = st
        .base(
            "API",
            "switch_loadable_module.c",
            "switch_api_execute",
            3140,
        )
        .header("API-Command", command);
    if !args.is_empty() {
        b = b.header("API-Command-Argument", args);
    }
    st.publish(&b.build());
}

/// The BACKGROUND_JOB event: an empty result has no body (inbound_bgapi).
fn background_job(st: &mut State, job: &str, command: &str, args: &str, body: &str) {
    let mut b = st
        .base("BACKGROUND_JOB", "mod_event_socket.c", "api_exec", 1580)
        .header("Job-UUID", job)
        .header("Job-Command", command);
    if !args.is_empty() {
        b = b.header("Job-Command-Arg", args);
    }
    if !body.is_empty() {
        b = b.body(body);
    }
    let event: Event = b.build();
    st.publish(&event);
}

fn no_channel() -> String {
    "-ERR No such channel!\n".into()
}

fn output(st: &mut State, command: &str, args: &str, session: Option<&str>) -> String {
    let words: Vec<&str> = args.split_whitespace().collect();
    let channel = |st: &State, n: usize| -> Option<String> {
        words
            .get(n)
            .filter(|u| st.channels.get(**u).is_some_and(|c| !c.hung_up))
            .map(|u| (*u).to_owned())
    };
    match command {
        "status" => status(st),
        "version" => {
            "FreeSWITCH Version 1.11.2-release+sim~esl~64bit (esl-tests simulated switch)\n".into()
        }
        "global_getvar" if args.is_empty() => st
            .globals
            .iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect(),
        "global_getvar" => st.globals.get(args.trim()).cloned().unwrap_or_default(),
        "global_setvar" => {
            let (name, value) = args.split_once('=').unwrap_or((args, ""));
            st.globals.insert(name.trim().to_owned(), value.to_owned());
            "+OK".into()
        }
        "uuid_getvar" if words.len() < 2 => "-USAGE: <uuid> <var>\n".into(),
        "uuid_getvar" => match channel(st, 0) {
            Some(u) => st.channels[&u]
                .var(words[1])
                .unwrap_or("_undef_")
                .to_owned(),
            None => no_channel(),
        },
        "uuid_setvar" if words.len() < 2 => "-USAGE: <uuid> <var> [value]\n".into(),
        "uuid_setvar" => match channel(st, 0) {
            Some(u) => {
                let value = words.get(2..).map(|v| v.join(" ")).unwrap_or_default();
                if let Some(ch) = st.channels.get_mut(&u) {
                    ch.set_var(words[1], &value);
                }
                "+OK\n".into()
            }
            None => no_channel(),
        },
        "uuid_exists" => (if channel(st, 0).is_some() {
            "true"
        } else {
            "false"
        })
        .into(),
        "uuid_kill" if words.is_empty() => "-USAGE: <uuid> [cause]\n".into(),
        "uuid_kill" => match channel(st, 0) {
            Some(u) => {
                let cause = words.get(1).copied().unwrap_or("NORMAL_CLEARING");
                st.hangup(&u, cause, HangupOrder::Killed);
                "+OK\n".into()
            }
            None => no_channel(),
        },
        "uuid_answer" => match channel(st, 0) {
            Some(u) => {
                st.answer(&u);
                "+OK\n".into()
            }
            None => no_channel(),
        },
        "uuid_park" => match channel(st, 0) {
            Some(u) => {
                st.queue_exec(&u, "park", "", None);
                "+OK\n".into()
            }
            None => no_channel(),
        },
        "uuid_transfer" => match channel(st, 0) {
            Some(u) => {
                let dest = words.get(1).copied().unwrap_or_default().to_owned();
                st.queue_exec(&u, "transfer", &dest, None);
                "+OK\n".into()
            }
            None => no_channel(),
        },
        "uuid_broadcast" => match channel(st, 0) {
            Some(u) => {
                let file = words.get(1).copied().unwrap_or_default().to_owned();
                st.queue_exec(&u, "playback", &file, None);
                "+OK Message sent\n".into()
            }
            None => no_channel(),
        },
        "uuid_record" if words.len() < 3 => {
            "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n".into()
        }
        "uuid_record" => match (channel(st, 0), words[1]) {
            (None, _) => no_channel(),
            (Some(uuid), action @ ("start" | "stop")) => {
                st.record(&uuid, action == "start", words[2]);
                "+OK Success\n".into()
            }
            (Some(_), _) => {
                "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n"
                    .into()
            }
        },
        "uuid_bridge" if words.len() < 2 => "-USAGE: <uuid> <other_uuid>\n".into(),
        "uuid_bridge" => match (channel(st, 0), channel(st, 1)) {
            (Some(a), Some(b)) => {
                st.uuid_bridge(&a, &b);
                format!("+OK {b}\n")
            }
            _ => "-ERR Invalid uuid\n".into(),
        },
        "uuid_dump" => match channel(st, 0) {
            Some(u) => st
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
            st.hupall(cause);
            format!("+OK hangup all channels with cause {cause}\n")
        }
        "show" => show(st, args),
        "eval" | "echo" => args.to_owned(),
        "conference" => conference(st, &words),
        "help" => {
            "alias,[add|del],Alias,mod_commands\nstatus,,Show current status,mod_commands\n".into()
        }
        "sim_blast" => "+OK\n".into(),
        "getvar" => session
            .and_then(|u| st.channels.get(u))
            .and_then(|c| c.var(args.trim()).map(str::to_owned))
            .unwrap_or_default(),
        _ => format!("-ERR {command} Command not found!\n"),
    }
}

fn status(st: &State) -> String {
    let up = (super::clock::now_micros() - st.started) / 1000;
    format!(
        "UP 0 years, 0 days, {} hours, {} minutes, {} seconds, {} milliseconds, 0 microseconds\n\
FreeSWITCH (Version 1.11.2-release+sim esl-tests 64bit) is ready\n\
{} session(s) since startup\n\
{} session(s) - peak {}, last 5min {} \n\
0 session(s) per Sec out of max 30, peak 0, last 5min 0 \n\
1000 session(s) max\nmin idle cpu 0.00/99.00\nCurrent Stack Size/Max 240K/8192K\n",
        up / 3_600_000,
        up / 60_000 % 60,
        up / 1000 % 60,
        up % 1000,
        st.sessions_since_startup,
        st.channels.len(),
        st.peak,
        st.peak,
    )
}

const CHANNEL_COLUMNS: [&str; 12] = [
    "uuid",
    "direction",
    "created",
    "created_epoch",
    "name",
    "state",
    "cid_name",
    "cid_num",
    "dest",
    "application",
    "application_data",
    "callstate",
];

fn show(st: &State, args: &str) -> String {
    let mut words = args.split_whitespace();
    match words.next() {
        Some("channels" | "calls") => {
            let json = args.ends_with("as json");
            let rows: Vec<Vec<String>> = st
                .channels
                .values()
                .filter(|c| !c.hung_up)
                .map(|c| {
                    let app = c.apps.first();
                    vec![
                        c.uuid.clone(),
                        if c.outbound { "outbound" } else { "inbound" }.into(),
                        super::clock::date_local(c.created),
                        (c.created / 1_000_000).to_string(),
                        c.name.clone(),
                        c.state.into(),
                        c.cid_name.clone(),
                        c.cid_num.clone(),
                        c.dest.clone(),
                        app.map(|a| a.app.clone()).unwrap_or_default(),
                        app.map(|a| a.arg.clone()).unwrap_or_default(),
                        c.call_state.into(),
                    ]
                })
                .collect();
            if json {
                if rows.is_empty() {
                    return "{\"row_count\": 0}\n".into();
                }
                let rows: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|r| {
                        serde_json::Value::Object(
                            CHANNEL_COLUMNS
                                .iter()
                                .zip(r)
                                .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone())))
                                .collect(),
                        )
                    })
                    .collect();
                return format!(
                    "{}\n",
                    serde_json::json!({ "row_count": rows.len(), "rows": rows })
                );
            }
            if rows.is_empty() {
                return "\n0 total.\n".into();
            }
            let mut out = CHANNEL_COLUMNS.join(",");
            out.push('\n');
            for row in &rows {
                out.push_str(&row.join(","));
                out.push('\n');
            }
            out.push_str(&format!("\n{} total.\n", rows.len()));
            out
        }
        Some("modules") => "type,name,ikey,filename\napi,status,mod_commands,/usr/freeswitch/lib/freeswitch/mod/mod_commands.so\n\n1 total.\n".into(),
        Some("application") => "type,name,ikey,filename\napplication,park,mod_dptools,\n\n1 total.\n".into(),
        _ => "-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n".into(),
    }
}

fn conference(st: &State, words: &[&str]) -> String {
    let Some(name) = words.first() else {
        return "-USAGE: conference <name> <command>\n".into();
    };
    let Some(conf) = st.conferences.get(*name) else {
        return format!("-ERR Conference {name} not found\n");
    };
    match words.get(1).copied() {
        Some("list") => conf
            .members
            .iter()
            .rev()
            .map(|m| {
                format!(
                    "{};{};{};;{};hear|speak;0;0;100\n",
                    m.id, m.name, m.uuid, m.cid_num
                )
            })
            .collect(),
        Some("json_list") => {
            let members: Vec<serde_json::Value> = conf
                .members
                .iter()
                .map(|m| serde_json::json!({ "id": m.id, "uuid": m.uuid, "caller_id_number": m.cid_num, "flags": { "can_hear": true, "can_speak": true, "talking": false, "has_floor": conf.floor == Some(m.id) } }))
                .collect();
            format!(
                "{}\n",
                serde_json::json!([{ "conference_name": conf.name, "member_count": conf.members.len(), "members": members }])
            )
        }
        Some(other) => format!("-ERR Unknown command {other}\n"),
        None => "-USAGE: conference <name> <command>\n".into(),
    }
}
