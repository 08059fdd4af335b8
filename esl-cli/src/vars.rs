//! `--var name=value` options, and the `{name=value,...}` prefix of an originate's dial string.

use std::fmt::Write;

/// One `name=value` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Var {
    /// The channel variable's name.
    pub(crate) name: String,
    /// Its value.
    pub(crate) value: String,
}

/// Parses `name=value` (clap value parser): the name is non-empty and has no `=`, `,`, `{`,
/// `}` or whitespace; the value is anything on one line.
pub(crate) fn parse(text: &str) -> Result<Var, String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: write name=value"))?;
    let bad = |c: char| c.is_whitespace() || matches!(c, '=' | ',' | '{' | '}' | '[' | ']');
    if name.is_empty() || name.contains(bad) {
        return Err(format!("`{name}` is not a channel variable name"));
    }
    if value.contains(['\n', '\r']) {
        return Err(format!("the value of `{name}` spans lines"));
    }
    Ok(Var {
        name: name.to_owned(),
        value: value.to_owned(),
    })
}

/// `{a=1,b=2\,3}` for `vars` (commas in values escaped as FreeSWITCH reads them); empty for
/// none.
pub(crate) fn prefix<'a>(vars: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in vars {
        out.push(if out.is_empty() { '{' } else { ',' });
        let _ = write!(out, "{name}={}", value.replace(',', "\\,"));
    }
    if !out.is_empty() {
        out.push('}');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_parse_and_refuse_what_would_break_the_dial_string() {
        assert_eq!(
            parse("origination_caller_id_name=Load Test").unwrap(),
            Var {
                name: "origination_caller_id_name".into(),
                value: "Load Test".into()
            }
        );
        assert_eq!(parse("x=").unwrap().value, "");
        assert_eq!(parse("x=a=b").unwrap().value, "a=b");
        assert!(parse("novalue").is_err());
        assert!(parse("=v").is_err());
        assert!(parse("a,b=v").is_err());
        assert!(parse("a=line\nbreak").is_err());
    }

    #[test]
    fn the_prefix_escapes_commas() {
        assert_eq!(prefix([]), "");
        assert_eq!(prefix([("a", "1"), ("b", "2,3")]), "{a=1,b=2\\,3}");
    }
}
