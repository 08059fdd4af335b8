//! JSON as FreeSWITCH's bundled cJSON prints it: `cJSON_Print` indents with tabs and puts a
//! tab after each colon (`conference json_list`, in `inbound_conference`), and
//! `cJSON_PrintUnformatted` prints nothing between tokens. Members keep the order they were
//! added in, as cJSON keeps them.

/// A cJSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Str(String),
    Int(i64),
    Bool(bool),
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
}

impl Json {
    pub(crate) fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    /// `cJSON_Print`.
    pub(crate) fn pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0, true);
        out
    }

    /// `cJSON_PrintUnformatted`.
    pub(crate) fn compact(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0, false);
        out
    }

    fn write(&self, out: &mut String, depth: usize, fmt: bool) {
        match self {
            Json::Str(s) => write_string(out, s),
            Json::Int(n) => out.push_str(&n.to_string()),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(if fmt { ", " } else { "," });
                    }
                    item.write(out, depth + 1, fmt);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                if fmt {
                    out.push('\n');
                }
                for (i, (name, value)) in members.iter().enumerate() {
                    if fmt {
                        tabs(out, depth + 1);
                    }
                    write_string(out, name);
                    out.push(':');
                    if fmt {
                        out.push('\t');
                    }
                    value.write(out, depth + 1, fmt);
                    if i + 1 < members.len() {
                        out.push(',');
                    }
                    if fmt {
                        out.push('\n');
                    }
                }
                if fmt {
                    tabs(out, depth);
                }
                out.push('}');
            }
        }
    }
}

fn tabs(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n('\t', n));
}

/// `print_string_ptr`: quotes, backslashes and control characters escaped, the rest as is.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 32 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_as_cjson_prints() {
        let json = Json::Array(vec![Json::Object(vec![
            ("name".into(), Json::str("conf217")),
            ("count".into(), Json::Int(2)),
            ("variables".into(), Json::Object(vec![])),
            (
                "members".into(),
                Json::Array(vec![
                    Json::Object(vec![("id".into(), Json::Int(2))]),
                    Json::Object(vec![
                        ("id".into(), Json::Int(1)),
                        ("on".into(), Json::Bool(true)),
                    ]),
                ]),
            ),
        ])]);
        assert_eq!(
            json.pretty(),
            "[{\n\t\t\"name\":\t\"conf217\",\n\t\t\"count\":\t2,\n\t\t\"variables\":\t{\n\t\t},\n\
             \t\t\"members\":\t[{\n\t\t\t\t\"id\":\t2\n\t\t\t}, {\n\t\t\t\t\"id\":\t1,\n\
             \t\t\t\t\"on\":\ttrue\n\t\t\t}]\n\t}]"
        );
        assert_eq!(
            json.compact(),
            "[{\"name\":\"conf217\",\"count\":2,\"variables\":{},\"members\":[{\"id\":2},{\"id\":1,\"on\":true}]}]"
        );
        assert_eq!(
            Json::str("a\"b\\\n\u{1}").compact(),
            "\"a\\\"b\\\\\\n\\u0001\""
        );
        assert_eq!(Json::Array(vec![]).pretty(), "[]");
    }
}
