//! `bpfhook stats`: what bpfdrv.ko reports in debugfs (`/sys/kernel/debug/bpfdrv/stats`,
//! root only). Each line of that file is `<kind> key=value ...`:
//!
//! ```text
//! objects maps=3 progs=2
//! events delivered=120 lost=0
//! prog id=1 name=handle_exec type=5 runs=40 run_time_ns=81234 aborts=0 missed=0 jited=312
//! ```
//!
//! jited: bytes of native code (0: the interpreter runs the program).
//!
//! Text output is a table; `--json` gives `{"objects":{...},"events":{...},"progs":[...]}`.

use serde_json::{Map, Value};
use std::process::ExitCode;

pub const STATS_FILE: &str = "/sys/kernel/debug/bpfdrv/stats";

/// One line: its kind and its key=value fields (numbers as numbers).
fn parse_line(line: &str) -> Option<(String, Map<String, Value>)> {
    let mut it = line.split_whitespace();
    let kind = it.next()?.to_string();
    let mut m = Map::new();
    for kv in it {
        let (k, v) = kv.split_once('=')?;
        let val = v.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(v));
        m.insert(k.to_string(), val);
    }
    Some((kind, m))
}

pub fn parse(text: &str) -> Value {
    let mut out = Map::new();
    let mut progs = Vec::new();
    for (kind, m) in text.lines().filter_map(parse_line) {
        if kind == "prog" {
            progs.push(Value::Object(m));
        } else {
            out.insert(kind, Value::Object(m));
        }
    }
    out.insert("progs".into(), Value::Array(progs));
    Value::Object(out)
}

fn field(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(x) => x.to_string(),
        None => "-".into(),
    }
}

pub fn main(as_json: bool) -> ExitCode {
    let path = std::env::var("BPFHOOK_STATS_FILE").unwrap_or_else(|_| STATS_FILE.into());
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("bpfhook stats: cannot read {path}: {e} (is bpfdrv loaded, debugfs mounted at /sys/kernel/debug, and are you root?)");
            return ExitCode::from(1);
        }
    };
    let v = parse(&text);
    if as_json {
        println!("{v}");
        return ExitCode::SUCCESS;
    }
    let kv = |k: &str| {
        v.get(k)
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(a, b)| format!("{a}={b}")).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| "-".into())
    };
    println!("objects alive: {}", kv("objects"));
    println!("events:        {}", kv("events"));
    println!(
        "{:>5} {:<16} {:>5} {:>12} {:>14} {:>8} {:>8} {:>7}",
        "ID", "PROGRAM", "TYPE", "RUNS", "RUN_TIME_NS", "ABORTS", "MISSED", "JITED"
    );
    for p in v["progs"].as_array().into_iter().flatten() {
        println!(
            "{:>5} {:<16} {:>5} {:>12} {:>14} {:>8} {:>8} {:>7}",
            field(p, "id"),
            field(p, "name"),
            field(p, "type"),
            field(p, "runs"),
            field(p, "run_time_ns"),
            field(p, "aborts"),
            field(p, "missed"),
            field(p, "jited")
        );
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_the_module_format() {
        let v = super::parse(
            "objects maps=3 progs=1\nevents delivered=12 lost=1\nprog id=7 name=handle_exec type=5 runs=4 run_time_ns=900 aborts=0 missed=2\n",
        );
        assert_eq!(v["objects"]["maps"], 3);
        assert_eq!(v["events"]["lost"], 1);
        assert_eq!(v["progs"][0]["name"], "handle_exec");
        assert_eq!(v["progs"][0]["missed"], 2);
    }
}
