//! Configuration layers: the TOML file, then `.env`, then `TRADE_*`
//! environment variables, then `--set key=value` flags, each overriding the
//! one before. Overrides address keys by path: `risk.max_drawdown_pct`,
//! `strategies.0.params.fast`; in environment variables `__` separates the
//! segments (`TRADE_RISK__MAX_DRAWDOWN_PCT=0.2`), and segments match
//! existing keys case-insensitively (`TRADE_DATA__SPY__PATH`).

use std::path::Path;

use toml::{Table, Value};

/// Environment variables that configure the program itself, not the run.
pub const RESERVED_ENV: &[&str] = &[
    "TRADE_LOG",
    "TRADE_LOG_FORMAT",
    "TRADE_CONFIG",
    "TRADE_DASHBOARD_TOKEN",
    "TRADE_JOURNAL_URL",
    "TRADE_TELEGRAM_TOKEN",
    "TRADE_DISCORD_WEBHOOK_URL",
    "TRADE_ALERT_WEBHOOK_URL",
];

/// Whether an override's value must not be shown (tokens, passwords,
/// URLs that may carry credentials, account ids).
pub fn is_secret_key(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    ["token", "password", "secret", "url", "account"]
        .iter()
        .any(|s| last.contains(s))
}

/// Where an override came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// Dotted key path.
    pub key: String,
    /// Raw value text.
    pub value: String,
    /// `--set`, `environment variable TRADE_X` or `.env:3`.
    pub origin: String,
}

/// Parses a `.env` file: `KEY=VALUE` lines, `#` comments, optional
/// `export ` prefix and matching quotes around the value.
pub fn parse_dotenv(text: &str) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = if v.len() >= 2
            && ((v.starts_with('"') && v.ends_with('"'))
                || (v.starts_with('\'') && v.ends_with('\'')))
        {
            &v[1..v.len() - 1]
        } else {
            v
        };
        out.push((k.trim().to_string(), v.to_string(), n + 1));
    }
    out
}

/// Overrides from `TRADE_*` variables: `.env` entries first, then the
/// process environment (which wins, as with dotenv tools).
pub fn env_overrides(dotenv: Option<(&Path, &str)>, env: &[(String, String)]) -> Vec<Override> {
    let mut out = Vec::new();
    let mut push = |name: &str, value: &str, origin: String| {
        if let Some(rest) = name.strip_prefix("TRADE_")
            && !RESERVED_ENV.contains(&name)
            && !rest.is_empty()
        {
            let key = rest
                .split("__")
                .map(str::to_ascii_lowercase)
                .collect::<Vec<_>>()
                .join(".");
            out.push(Override {
                key,
                value: value.to_string(),
                origin,
            });
        }
    };
    if let Some((path, text)) = dotenv {
        for (k, v, line) in parse_dotenv(text) {
            push(&k, &v, format!("{}:{line}", path.display()));
        }
    }
    for (k, v) in env {
        push(k, v, format!("environment variable {k}"));
    }
    out
}

/// Parses `key=value` from `--set`.
///
/// # Errors
/// When there is no `=` or the key is empty.
pub fn parse_set(arg: &str) -> Result<Override, String> {
    let (k, v) = arg.split_once('=').ok_or_else(|| {
        format!("--set {arg:?}: expected KEY=VALUE, e.g. risk.max_drawdown_pct=0.2")
    })?;
    let k = k.trim();
    if k.is_empty() {
        return Err(format!("--set {arg:?}: empty key"));
    }
    Ok(Override {
        key: k.to_string(),
        value: v.trim().to_string(),
        origin: "--set".into(),
    })
}

/// A value as TOML would read it (`10`, `0.5`, `true`, `"x"`, `[1, 2]`,
/// dates); anything else is a plain string.
pub fn parse_value(text: &str) -> Value {
    let doc = format!("v = {text}");
    match doc.parse::<Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| Value::String(text.to_string())),
        Err(_) => Value::String(text.to_string()),
    }
}

/// Applies one override to the table.
///
/// # Errors
/// When the path crosses a value that is not a table or array, or an
/// array index is out of range.
pub fn apply(root: &mut Table, ov: &Override) -> Result<(), String> {
    let segs: Vec<&str> = ov.key.split('.').collect();
    set_in_table(root, &segs, ov).map_err(|msg| format!("{} (from {}): {msg}", ov.key, ov.origin))
}

fn set_in_table(t: &mut Table, segs: &[&str], ov: &Override) -> Result<(), String> {
    let (seg, rest) = segs.split_first().ok_or("empty key")?;
    if seg.is_empty() {
        return Err("empty key segment".into());
    }
    let key = t
        .keys()
        .find(|k| k.eq_ignore_ascii_case(seg))
        .cloned()
        .unwrap_or_else(|| (*seg).to_string());
    if rest.is_empty() {
        t.insert(key, parse_value(&ov.value));
        return Ok(());
    }
    let slot = t.entry(key).or_insert_with(|| Value::Table(Table::new()));
    set_in_value(slot, rest, ov)
}

fn set_in_value(v: &mut Value, segs: &[&str], ov: &Override) -> Result<(), String> {
    match v {
        Value::Table(t) => set_in_table(t, segs, ov),
        Value::Array(a) => {
            let (seg, rest) = segs.split_first().ok_or("empty key")?;
            let i: usize = seg
                .parse()
                .map_err(|_| format!("`{seg}` must be an array index"))?;
            let len = a.len();
            let slot = a
                .get_mut(i)
                .ok_or_else(|| format!("index {i} out of range (the array has {len} entries)"))?;
            if rest.is_empty() {
                *slot = parse_value(&ov.value);
                Ok(())
            } else {
                set_in_value(slot, rest, ov)
            }
        }
        other => Err(format!(
            "`{}` is inside a {}, not a table",
            segs[0],
            other.type_str()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ov(key: &str, value: &str) -> Override {
        Override {
            key: key.into(),
            value: value.into(),
            origin: "--set".into(),
        }
    }

    #[test]
    fn overrides_apply_by_path() {
        let mut t: Table = "[risk]\nmax_drawdown_pct = 0.3\n[data.SPY]\npath = \"a.csv\"\n[[strategies]]\nname = \"s\"\n[strategies.params]\nfast = 20\n".parse().unwrap();
        apply(&mut t, &ov("risk.max_drawdown_pct", "0.2")).unwrap();
        apply(&mut t, &ov("data.spy.path", "b.csv")).unwrap();
        apply(&mut t, &ov("strategies.0.params.fast", "10")).unwrap();
        apply(&mut t, &ov("run.name", "demo run")).unwrap();
        assert_eq!(t["risk"]["max_drawdown_pct"].as_float(), Some(0.2));
        assert_eq!(t["data"]["SPY"]["path"].as_str(), Some("b.csv"));
        assert_eq!(t["strategies"][0]["params"]["fast"].as_integer(), Some(10));
        assert_eq!(t["run"]["name"].as_str(), Some("demo run"));
        let err = apply(&mut t, &ov("strategies.3.name", "x")).unwrap_err();
        assert_eq!(
            err,
            "strategies.3.name (from --set): index 3 out of range (the array has 1 entries)"
        );
        let err = apply(&mut t, &ov("risk.max_drawdown_pct.x", "1")).unwrap_err();
        assert!(err.contains("inside a float"), "{err}");
    }

    #[test]
    fn env_and_dotenv() {
        let env = vec![
            (
                "TRADE_RISK__MAX_DRAWDOWN_PCT".to_string(),
                "0.1".to_string(),
            ),
            ("TRADE_LOG".to_string(), "debug".to_string()),
            ("HOME".to_string(), "/root".to_string()),
        ];
        let dotenv = "# comment\nexport TRADE_ACCOUNT__INITIAL_CASH=\"5000\"\nOTHER=1\n";
        let ovs = env_overrides(Some((Path::new(".env"), dotenv)), &env);
        assert_eq!(ovs.len(), 2);
        assert_eq!(ovs[0].key, "account.initial_cash");
        assert_eq!(ovs[0].origin, ".env:2");
        assert_eq!(ovs[1].key, "risk.max_drawdown_pct");
    }

    #[test]
    fn values_parse_like_toml() {
        assert_eq!(parse_value("10").as_integer(), Some(10));
        assert_eq!(parse_value("true").as_bool(), Some(true));
        assert_eq!(parse_value("hello world").as_str(), Some("hello world"));
        assert_eq!(
            parse_value("[\"SPY\", \"QQQ\"]")
                .as_array()
                .map(|a| a.len()),
            Some(2)
        );
    }
}
