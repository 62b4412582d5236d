//! How berthctl prints: tables aligned by a tab writer, `--format json`,
//! and podman's Go-template-like `--format '{{.Names}}'` (optionally
//! `table ...` for a header), over the same JSON the API returns.

use crate::error::Failure;
use serde_json::Value;
use std::io::Write;

/// What `--format` asked for.
pub enum Format {
    Table,
    Json,
    Template { header: bool, template: Template },
}

impl Format {
    pub fn parse(s: &str) -> Result<Format, Failure> {
        Ok(match s {
            "" | "table" => Format::Table,
            "json" => Format::Json,
            t => match t.strip_prefix("table ") {
                Some(rest) => Format::Template { header: true, template: Template::parse(rest)? },
                None => Format::Template { header: false, template: Template::parse(t)? },
            },
        })
    }
}

/// One column of a table: its header and the row field it shows.
pub type Column = (&'static str, &'static str);

/// Headers of fields no default table shows, as podman names them.
const HEADERS: &[Column] = &[
    ("IMAGE ID", "ImageID"),
    ("RUNNING FOR", "RunningFor"),
    ("CREATED AT", "CreatedAt"),
    ("EXIT CODE", "ExitCode"),
    ("POD ID", "Pod"),
    ("PODNAME", "PodName"),
    ("LABELS", "Labels"),
    ("STATE", "State"),
];

/// Print `rows` (JSON objects with the fields a template may name) as
/// `format` says; `api` is what `--format json` prints, as the API gave it.
pub fn print_list(format: &Format, columns: &[Column], rows: &[Value], api: &Value) -> Result<(), Failure> {
    match format {
        Format::Json => pretty(api),
        Format::Table => {
            let header: Vec<&str> = columns.iter().map(|(h, _)| *h).collect();
            let lines =
                rows.iter().map(|r| columns.iter().map(|(_, f)| display(&r[*f])).collect::<Vec<_>>().join("\t"));
            aligned(std::iter::once(header.join("\t")).chain(lines));
        }
        Format::Template { header, template } => {
            let head = header.then(|| template.header(columns));
            aligned(head.into_iter().chain(rows.iter().map(|r| template.render(r))));
        }
    }
    Ok(())
}

/// `inspect`: fetch each object by name, then print them all as one JSON
/// array, or each through a template.
pub fn inspect_each<T: serde::Serialize>(
    format: &str,
    names: Vec<String>,
    mut fetch: impl FnMut(String) -> Result<T, Failure>,
) -> Result<(), Failure> {
    let format = Format::parse(format)?;
    let objects = names.into_iter().map(|n| Ok(serde_json::json!(fetch(n)?))).collect::<Result<Vec<_>, Failure>>()?;
    match format {
        Format::Template { template, .. } => objects.iter().for_each(|o| println!("{}", template.render(o))),
        _ => pretty(&objects),
    }
    Ok(())
}

/// Lines with tab-separated cells, aligned in columns two spaces apart.
pub fn aligned(lines: impl Iterator<Item = String>) {
    let mut tw = tabwriter::TabWriter::new(std::io::stdout().lock()).padding(2);
    for line in lines {
        let _ = writeln!(tw, "{line}");
    }
    let _ = tw.flush();
}

pub fn pretty(value: &impl serde::Serialize) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

/// A parsed `--format` template: text and `{{.Path.To.Field}}`,
/// `{{json .Path}}` or `{{(index .List N).Path}}` actions, and
/// `{{with .Path}}...{{end}}` blocks; `\t` and `\n` stand for a tab and
/// a newline.
pub struct Template(Vec<Piece>);

enum Piece {
    Text(String),
    Field(Vec<String>),
    Json(Vec<String>),
    /// The Nth element of a list, then a path into it.
    Index(Vec<String>, usize, Vec<String>),
    /// Go's `with`: the block, with `.` the value at the path, when it is
    /// there and not empty.
    With(Vec<String>, Template),
}

/// Where the `{{end}}` closing a `{{with}}` whose body starts `body` is:
/// (where the body ends, where what follows starts).
fn block_end(body: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(open) = body[at..].find("{{") {
        let start = at + open;
        let close = start + body[start..].find("}}")?;
        let action = body[start + 2..close].trim();
        if action.starts_with("with ") {
            depth += 1;
        } else if action == "end" {
            if depth == 0 {
                return Some((start, close + 2));
            }
            depth -= 1;
        }
        at = close + 2;
    }
    None
}

/// `.A.B` as its steps.
fn steps(path: &str) -> Vec<String> {
    path.split('.').filter(|p| !p.is_empty()).map(str::to_string).collect()
}

impl Template {
    pub fn parse(s: &str) -> Result<Template, Failure> {
        let s = s.replace("\\t", "\t").replace("\\n", "\n");
        let mut pieces = Vec::new();
        let mut rest = s.as_str();
        while let Some(open) = rest.find("{{") {
            pieces.push(Piece::Text(rest[..open].to_string()));
            let close = rest[open..]
                .find("}}")
                .ok_or_else(|| Failure::engine(format!("template {s:?}: an action is not closed with }}}}")))?;
            let action = rest[open + 2..open + close].trim();
            if let Some(path) = action.strip_prefix("with ") {
                let body = &rest[open + close + 2..];
                let (end, after) = block_end(body)
                    .ok_or_else(|| Failure::engine(format!("template {s:?}: {action:?} has no {{{{end}}}}")))?;
                let path = path
                    .trim()
                    .strip_prefix('.')
                    .ok_or_else(|| Failure::engine(format!("template {s:?}: {action:?} is not with .Field")))?;
                pieces.push(Piece::With(steps(path), Template::parse(&body[..end])?));
                rest = &body[after..];
                continue;
            }
            if let Some(index) = action.strip_prefix("(index ") {
                let bad = || Failure::engine(format!("template {s:?}: {action:?} is not (index .List N).Field"));
                let (inner, after) = index.split_once(')').ok_or_else(bad)?;
                let (list, n) = inner.trim().split_once(' ').ok_or_else(bad)?;
                let n = n.trim().parse().map_err(|_| bad())?;
                pieces.push(Piece::Index(steps(list.strip_prefix('.').ok_or_else(bad)?), n, steps(after)));
                rest = &rest[open + close + 2..];
                continue;
            }
            let (json, path) = match action.strip_prefix("json ") {
                Some(p) => (true, p.trim()),
                None => (false, action),
            };
            let path = path
                .strip_prefix('.')
                .ok_or_else(|| Failure::engine(format!("template {s:?}: {action:?} is not a field such as .Names")))?;
            let path = steps(path);
            pieces.push(if json { Piece::Json(path) } else { Piece::Field(path) });
            rest = &rest[open + close + 2..];
        }
        pieces.push(Piece::Text(rest.to_string()));
        Ok(Template(pieces))
    }

    pub fn render(&self, value: &Value) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.clone(),
                Piece::Field(path) => lookup(value, path).map_or("<no value>".into(), display),
                Piece::Json(path) => lookup(value, path).map_or("null".into(), |v| v.to_string()),
                Piece::Index(list, n, path) => lookup(value, list)
                    .and_then(|l| l.get(*n))
                    .and_then(|item| lookup(item, path))
                    .map_or("<no value>".into(), display),
                Piece::With(path, block) => match lookup(value, path) {
                    None | Some(Value::Null) | Some(Value::Bool(false)) => String::new(),
                    Some(Value::String(s)) if s.is_empty() => String::new(),
                    Some(v) => block.render(v),
                },
            })
            .collect()
    }

    /// The header line of `table ...`: each field's column header, or its name.
    fn header(&self, columns: &[Column]) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.clone(),
                Piece::Index(..) | Piece::With(..) => "VALUE".to_string(),
                Piece::Field(path) | Piece::Json(path) => {
                    let name = path.join(".");
                    columns
                        .iter()
                        .chain(HEADERS)
                        .find(|(_, f)| f.eq_ignore_ascii_case(&name))
                        .map_or(name.to_uppercase(), |(h, _)| h.to_string())
                }
            })
            .collect()
    }
}

/// A field by path, each step matching a key without regard to case (so
/// podman's `.State.Pid` finds berth's `state.pid`).
fn lookup<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter()
        .try_fold(value, |v, step| v.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(step)).map(|(_, v)| v))
}

/// A value as a template prints it: strings bare, lists and maps as Go prints them.
pub fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) => format!("[{}]", items.iter().map(display).collect::<Vec<_>>().join(" ")),
        Value::Object(map) => {
            format!("map[{}]", map.iter().map(|(k, v)| format!("{k}:{}", display(v))).collect::<Vec<_>>().join(" "))
        }
        other => other.to_string(),
    }
}

/// The first 12 characters of an ID, as podman shows IDs.
pub fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// "5 seconds ago", as podman shows creation times (given in microseconds).
pub fn ago(usec: i64) -> String {
    format!("{} ago", since(usec))
}

/// How long ago `usec` (microseconds since the epoch) was, in the words of
/// go-units' HumanDuration, which podman's ps and pod ps use.
pub fn since(usec: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64);
    let seconds = (now - usec).max(0) / 1_000_000;
    let (minutes, hours) = (seconds / 60, (seconds as f64 / 3600.0 + 0.5) as i64);
    match () {
        _ if seconds < 1 => "Less than a second".into(),
        _ if seconds == 1 => "1 second".into(),
        _ if seconds < 60 => format!("{seconds} seconds"),
        _ if minutes == 1 => "About a minute".into(),
        _ if minutes < 60 => format!("{minutes} minutes"),
        _ if hours == 1 => "About an hour".into(),
        _ if hours < 48 => format!("{hours} hours"),
        _ if hours < 24 * 7 * 2 => format!("{} days", hours / 24),
        _ if hours < 24 * 30 * 2 => format!("{} weeks", hours / 24 / 7),
        _ if hours < 24 * 365 * 2 => format!("{} months", hours / 24 / 30),
        _ => format!("{} years", seconds / 3600 / 24 / 365),
    }
}

/// Bytes as podman shows sizes: three significant digits, SI units.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    let digits = if size >= 100.0 || unit == 0 {
        0
    } else if size >= 10.0 {
        1
    } else {
        2
    };
    format!("{size:.digits$} {}", UNITS[unit])
}

/// Text cut to `max` characters (not bytes: a command may be any text), with "...".
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        text.chars().take(max - 3).chain("...".chars()).collect()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates() {
        let v = json!({ "Names": "web", "state": { "pid": 42 }, "labels": { "a": "1" }, "cmd": ["sh", "-c"] });
        let t = |s: &str| Template::parse(s).unwrap().render(&v);
        assert_eq!(t("{{.Names}}"), "web");
        assert_eq!(t("{{ .Names }}\\t{{.State.Pid}}"), "web\t42");
        assert_eq!(t("{{.Labels}} {{.Cmd}}"), "map[a:1] [sh -c]");
        assert_eq!(t("{{json .Cmd}}"), "[\"sh\",\"-c\"]");
        assert_eq!(t("{{.Nope}}"), "<no value>");
        assert_eq!(t("{{(index .Cmd 1)}}"), "-c");
        let v2 = json!({ "Mounts": [{ "source": "/v", "destination": "/d" }] });
        assert_eq!(Template::parse("{{(index .Mounts 0).Source}}").unwrap().render(&v2), "/v");
        let ns = json!({ "Namespaces": { "NET": "1", "UTS": "2" }, "None": null });
        assert_eq!(Template::parse("{{with .Namespaces}}{{.NET}}:{{.UTS}}{{end}}!").unwrap().render(&ns), "1:2!");
        assert_eq!(Template::parse("a{{with .None}}{{.X}}{{end}}b").unwrap().render(&ns), "ab");
        assert!(Template::parse("{{with .Namespaces}}{{.NET}}").is_err());
        assert!(Template::parse("{{.Names").is_err());
        assert!(Template::parse("{{Names}}").is_err());
        let cols = [("NAMES", "Names")];
        assert_eq!(Template::parse("{{.Names}}\\t{{.Other}}").unwrap().header(&cols), "NAMES\tOTHER");
    }

    #[test]
    fn sizes_and_truncation() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_234_567), "1.23 MB");
        assert_eq!(human_size(45_600_000), "45.6 MB");
        assert_eq!(truncate("/bin/echo ünïcödé ünïcödé", 20), "/bin/echo ünïcödé...");
    }
}
