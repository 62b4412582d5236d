//! Unit files for containers: the `.container`, `.volume`, `.network` and
//! `.pod` files that `berth-generator` turns into services, written with
//! Quadlet's keys (podman-systemd.unit(5)), and the systemd syntax they
//! share: sections, `Key=Value` lines with their line numbers (for errors
//! that point at them), continuation lines, and the quoting of words.

pub mod describe;
pub mod generate;

/// One `Key=Value` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub name: String,
    pub entries: Vec<Entry>,
}

/// A parsed unit file, its sections in the order written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitFile {
    pub sections: Vec<Section>,
}

/// What is wrong with a file, and on which line (0: the file as a whole).
#[derive(Debug, Clone, PartialEq)]
pub struct FileError {
    pub line: usize,
    pub message: String,
}

impl FileError {
    pub fn at(line: usize, message: impl Into<String>) -> FileError {
        FileError { line, message: message.into() }
    }

    /// `path:line: message`, as compilers and systemd point at a line.
    pub fn located(&self, path: &std::path::Path) -> String {
        match self.line {
            0 => format!("{}: {}", path.display(), self.message),
            n => format!("{}:{n}: {}", path.display(), self.message),
        }
    }
}

impl UnitFile {
    /// Parse systemd's syntax: `[Section]` headers, `Key=Value` lines,
    /// `#` and `;` comments, a trailing backslash joining the next line.
    pub fn parse(text: &str) -> Result<UnitFile, FileError> {
        let mut file = UnitFile::default();
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        while let Some((number, raw)) = lines.next() {
            let mut line = raw.trim().to_string();
            while line.ends_with('\\') {
                line.pop();
                line.push(' ');
                match lines.next() {
                    Some((_, more)) if !more.trim_start().starts_with(['#', ';']) => line.push_str(more.trim()),
                    Some(_) => {}
                    None => break,
                }
            }
            let line = line.trim();
            if line.is_empty() || line.starts_with(['#', ';']) {
                continue;
            }
            if let Some(name) = line.strip_prefix('[') {
                let Some(name) = name.strip_suffix(']').filter(|n| !n.is_empty()) else {
                    return Err(FileError::at(number, format!("invalid section header {line:?}")));
                };
                file.sections.push(Section { name: name.to_string(), entries: Vec::new() });
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(FileError::at(number, format!("{line:?} is not KEY=VALUE")));
            };
            let Some(section) = file.sections.last_mut() else {
                return Err(FileError::at(number, format!("{:?} is outside any section", key.trim())));
            };
            section.entries.push(Entry { key: key.trim().to_string(), value: value.trim().to_string(), line: number });
        }
        Ok(file)
    }

    pub fn section<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Entry> {
        self.sections.iter().filter(move |s| s.name == name).flat_map(|s| &s.entries)
    }

    /// The last value of `key` in `section` (systemd's: a later one wins).
    pub fn last(&self, section: &str, key: &str) -> Option<&Entry> {
        self.sections.iter().filter(|s| s.name == section).flat_map(|s| &s.entries).rfind(|e| e.key == key)
    }
}

/// systemd's booleans.
pub fn parse_bool(entry: &Entry) -> Result<bool, FileError> {
    match entry.value.to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Ok(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Ok(false),
        _ => Err(FileError::at(entry.line, format!("{}={:?} is not a boolean", entry.key, entry.value))),
    }
}

/// Split a value into words as systemd does for Exec= and Environment=:
/// blanks separate, double or single quotes group, a backslash escapes.
pub fn split_words(entry: &Entry) -> Result<Vec<String>, FileError> {
    let mut words = Vec::new();
    let mut chars = entry.value.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(words);
        }
        let mut word = String::new();
        let mut quote = None;
        while let Some(c) = chars.next() {
            match (c, quote) {
                ('\\', _) => match chars.next() {
                    Some('n') => word.push('\n'),
                    Some('t') => word.push('\t'),
                    Some(other) => word.push(other),
                    None => word.push('\\'),
                },
                (q @ ('"' | '\''), None) => quote = Some(q),
                (q, Some(open)) if q == open => quote = None,
                (c, None) if c.is_whitespace() => break,
                (c, _) => word.push(c),
            }
        }
        if let Some(open) = quote {
            return Err(FileError::at(entry.line, format!("{}= has an unclosed {open} quote", entry.key)));
        }
        words.push(word);
    }
}

/// A word for an Exec= line: systemd expands `%` specifiers and `$`
/// variables there, so both are doubled; blanks, quotes and backslashes
/// are quoted.
pub fn exec_word(word: &str) -> String {
    let escaped = word.replace('%', "%%").replace('$', "$$");
    if !escaped.is_empty() && !escaped.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | ';')) {
        return escaped;
    }
    let mut quoted = String::from("\"");
    for c in escaped.chars() {
        match c {
            '"' | '\\' => {
                quoted.push('\\');
                quoted.push(c);
            }
            '\n' => quoted.push_str("\\n"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// A value for a unit file's `Key=Value` line, quoted as `split_words`
/// reads it back when it must be.
pub fn value_word(word: &str) -> String {
    if !word.is_empty() && !word.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\')) {
        return word.to_string();
    }
    let inner: String = word
        .chars()
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            '\n' => vec!['\\', 'n'],
            c => vec![c],
        })
        .collect();
    format!("\"{inner}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(value: &str) -> Entry {
        Entry { key: "Exec".into(), value: value.into(), line: 3 }
    }

    #[test]
    fn sections_keys_lines_and_continuations() {
        let text = "# a comment\n[Unit]\nDescription=web\n\n[Container]\nImage=busybox\nExec=sh -c \\\n  'echo hi'\n; done\nLabel=a=b\n";
        let file = UnitFile::parse(text).unwrap();
        assert_eq!(file.sections.len(), 2);
        assert_eq!(file.last("Unit", "Description").unwrap().value, "web");
        let exec = file.last("Container", "Exec").unwrap();
        assert_eq!((exec.value.as_str(), exec.line), ("sh -c  'echo hi'", 7));
        assert_eq!(file.last("Container", "Label").unwrap().value, "a=b");
        assert_eq!(file.last("Container", "Label").unwrap().line, 10);
        assert_eq!(UnitFile::parse("Image=x\n").unwrap_err().line, 1);
        assert_eq!(
            UnitFile::parse("[Container]\nImage\n").unwrap_err(),
            FileError::at(2, "\"Image\" is not KEY=VALUE")
        );
        assert_eq!(UnitFile::parse("[Container\n").unwrap_err().line, 1);
    }

    #[test]
    fn words_split_and_quote_back() {
        assert_eq!(split_words(&entry(r#"sh -c "echo 'a b'" x\ y"#)).unwrap(), ["sh", "-c", "echo 'a b'", "x y"]);
        assert_eq!(split_words(&entry("A=1  'B=two words'")).unwrap(), ["A=1", "B=two words"]);
        assert!(split_words(&entry("sh \"open")).unwrap_err().message.contains("unclosed"));
        for word in ["plain", "two words", "q\"uote", "back\\slash", "", "100%", "$HOME", "semi;colon"] {
            let line = exec_word(word);
            let back = split_words(&entry(&line.replace("%%", "%").replace("$$", "$"))).unwrap();
            assert_eq!(back, [word], "{line}");
            assert_eq!(split_words(&entry(&value_word(word))).unwrap(), [word]);
        }
        assert_eq!(exec_word("50%"), "50%%");
    }

    #[test]
    fn booleans_as_systemd_spells_them() {
        for (text, want) in [("yes", true), ("On", true), ("1", true), ("false", false), ("no", false)] {
            assert_eq!(parse_bool(&entry(text)).unwrap(), want);
        }
        assert!(parse_bool(&entry("maybe")).unwrap_err().message.contains("not a boolean"));
    }
}
