//! Writing results: plain text (coloured only on a terminal, never with `NO_COLOR`) or one
//! JSON document; times as UTC dates and "in 9m 59s" / "3h ago".

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;
use std::time::{Duration, UNIX_EPOCH};

use anstyle::{AnsiColor, Style};
use scitokens_format::UnixTime;
use serde_json::Value;

use crate::error::{CliError, Result};

/// Green: valid, allowed.
pub(crate) const GOOD: Style = AnsiColor::Green.on_default().bold();
/// Red: invalid, denied.
pub(crate) const BAD: Style = AnsiColor::Red.on_default().bold();
/// Yellow: warnings such as "not verified".
pub(crate) const WARN: Style = AnsiColor::Yellow.on_default().bold();
/// Bold: headings.
pub(crate) const HEAD: Style = Style::new().bold();
/// Dimmed: explanations.
pub(crate) const DIM: Style = Style::new().dimmed();

/// Where a command writes its results.
pub(crate) struct Printer {
    json: bool,
    out: anstream::AutoStream<std::io::Stdout>,
}

impl Printer {
    /// A printer for stdout; `json` selects JSON output.
    pub(crate) fn new(json: bool) -> Self {
        Printer {
            json,
            out: anstream::AutoStream::auto(std::io::stdout()),
        }
    }

    /// Whether the command should print JSON.
    pub(crate) fn json(&self) -> bool {
        self.json
    }

    /// One line of text (nothing in JSON mode). Everything in it goes through
    /// [`terminal_safe`]: a value from a token cannot end the line or reach the terminal.
    pub(crate) fn line(&mut self, text: impl std::fmt::Display) -> Result<()> {
        if self.json {
            return Ok(());
        }
        let text = text.to_string();
        writeln!(self.out, "{}", terminal_safe(&text)).map_err(CliError::Output)
    }

    /// Several lines whose breaks are ours (pretty-printed JSON): each line made
    /// [`terminal_safe`] on its own.
    pub(crate) fn block(&mut self, text: &str) -> Result<()> {
        text.lines().try_for_each(|line| self.line(line))
    }

    /// One line: `styled` in `style`, then `rest` (nothing in JSON mode); both
    /// [`terminal_safe`].
    pub(crate) fn styled(&mut self, style: Style, styled: &str, rest: &str) -> Result<()> {
        if self.json {
            return Ok(());
        }
        let (styled, rest) = (terminal_safe(styled), terminal_safe(rest));
        writeln!(self.out, "{style}{styled}{style:#}{rest}").map_err(CliError::Output)
    }

    /// The JSON document (nothing in text mode).
    pub(crate) fn document(&mut self, value: &Value) -> Result<()> {
        if !self.json {
            return Ok(());
        }
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| CliError::Output(std::io::Error::other(format!("encoding JSON: {e}"))))?;
        writeln!(self.out, "{text}").map_err(CliError::Output)
    }

    /// Flushes stdout.
    pub(crate) fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(CliError::Output)
    }
}

/// Whether `c` must not reach a terminal as itself: C0 controls (line breaks included), DEL,
/// C1 controls, the bidirectional controls (which reorder what is shown) and the Unicode line
/// and paragraph separators.
fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{2028}' | '\u{2029}')
}

/// Text for a terminal: every character [`is_unsafe`] becomes a visible `\u{..}` escape, so
/// untrusted text (a token's `sub`, `aud`, scopes, claims, key ids, error messages) cannot forge
/// an output line, move the cursor or send an escape sequence. The one function every text
/// output of the CLI goes through (`docs/semantics.md` §9).
pub(crate) fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A Unix time as an RFC 3339 UTC date, or the number itself if out of range.
pub(crate) fn utc(t: UnixTime) -> String {
    let t = t.as_secs();
    u64::try_from(t)
        .ok()
        .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs)))
        .filter(|_| t < 253_402_300_800) // year 10000: humantime's range
        .map_or_else(
            || format!("{t} (not a representable date)"),
            |time| humantime::format_rfc3339_seconds(time).to_string(),
        )
}

/// `t` relative to `now`: "in 9m 59s", "3h 2m ago", "now".
pub(crate) fn relative(t: UnixTime, now: UnixTime) -> String {
    let span = |seconds: i64| {
        humantime::format_duration(Duration::from_secs(seconds.unsigned_abs())).to_string()
    };
    match t.secs_since(now) {
        0 => "now".to_owned(),
        d if d > 0 => format!("in {}", span(d)),
        d => format!("{} ago", span(d)),
    }
}

/// JSON for a time: the number, the date, and how far from now.
pub(crate) fn time_json(t: UnixTime, now: UnixTime) -> Value {
    serde_json::json!({ "unix": t, "utc": utc(t), "relative": relative(t, now) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_text_cannot_forge_lines_or_reach_the_terminal() {
        assert_eq!(terminal_safe("alice"), "alice");
        assert!(matches!(terminal_safe("ünïcödé /data"), Cow::Borrowed(_)));
        assert_eq!(
            terminal_safe("alice\n  valid\r"),
            "alice\\u{a}  valid\\u{d}"
        );
        assert_eq!(terminal_safe("\u{1b}]8;;x\u{7}"), "\\u{1b}]8;;x\\u{7}");
        assert_eq!(terminal_safe("a\u{7f}b\u{9b}c"), "a\\u{7f}b\\u{9b}c");
        assert_eq!(
            terminal_safe("\u{202e}txt.exe\u{2066}\u{2069}\u{200f}\u{61c}"),
            "\\u{202e}txt.exe\\u{2066}\\u{2069}\\u{200f}\\u{61c}"
        );
        assert_eq!(terminal_safe("a\u{2028}b\u{2029}"), "a\\u{2028}b\\u{2029}");
        assert_eq!(terminal_safe("tab\there"), "tab\\u{9}here");
    }

    #[test]
    fn dates_and_spans() {
        let t = UnixTime::from_secs;
        assert_eq!(utc(t(1_700_000_000)), "2023-11-14T22:13:20Z");
        assert_eq!(utc(t(-1)), "-1 (not a representable date)");
        assert_eq!(
            utc(UnixTime::MAX),
            format!("{} (not a representable date)", i64::MAX)
        );
        assert_eq!(relative(t(100), t(100)), "now");
        assert_eq!(relative(t(700), t(100)), "in 10m");
        assert_eq!(relative(t(100), t(3_821)), "1h 2m 1s ago");
        assert!(relative(UnixTime::MIN, UnixTime::MAX).ends_with(" ago"));
    }
}
