//! Text shown to people: data from files and from the CMDB made printable (no line of its own, no
//! terminal escape, no CI workflow command), I/O errors and sizes in words. Every human-facing
//! output of the CLI (reports, messages, errors) goes through here.

use std::borrow::Cow;
use std::fmt::Write as _;

fn terminal_escaped(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Data made printable: `\n`, `\r`, `\t`, and `\u{1b}` for other control and bidi characters.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(terminal_escaped) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if terminal_escaped(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`clean`], and hidden characters (zero-width, private-use, unassigned, ...) shown as
/// `\u{200b}` too: for values, where an invisible character is the very thing to see.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(asset_id::chars::is_hidden) {
        return clean(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if asset_id::chars::is_hidden(c) && !matches!(c, '\n' | '\r' | '\t') {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push_str(&clean(c.encode_utf8(&mut [0; 4])));
        }
    }
    Cow::Owned(out)
}

/// Output lines that a CI runner would execute (GitHub: `::` after leading white space; Azure
/// Pipelines: `##vso[`) get a leading backslash.
pub fn neutralise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("::") || t.starts_with("##vso[") || t.starts_with("##[") {
            out.push('\\');
        }
        out.push_str(line);
    }
    out
}

/// The first line (1-based) of `text` that a CI runner would execute (see [`neutralise`]).
pub fn runner_command_line(text: &str) -> Option<usize> {
    text.split('\n')
        .position(|line| {
            let t = line.trim_start();
            t.starts_with("::") || t.starts_with("##vso[") || t.starts_with("##[")
        })
        .map(|i| i + 1)
}

pub fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Sizes are worded once, by the core (lookup messages and the CLI alike).
pub use asset_id::verdict::human_bytes;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_cannot_start_a_line_or_a_command() {
        assert_eq!(
            clean("Evil\n::error file=x::pwned\x1b[31m\u{202e}"),
            "Evil\\n::error file=x::pwned\\u{1b}[31m\\u{202e}"
        );
        assert!(matches!(clean("plain APM0001234"), Cow::Borrowed(_)));
        assert_eq!(
            neutralise("ok\n  ::error::x\n##vso[task.setvariable]y\nz::w\n"),
            "ok\n\\  ::error::x\n\\##vso[task.setvariable]y\nz::w\n"
        );
    }

    #[test]
    fn hidden_characters_are_visible_in_values() {
        assert_eq!(visible("A\u{200b}\n"), "A\\u{200b}\\n");
    }
}
