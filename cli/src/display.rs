//! Text for terminals: values that come from tokens are escaped before they are printed, and
//! unix times are shown as dates relative to a clock.

use clap::ValueEnum;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::{Duration, UNIX_EPOCH};

/// Escapes control characters (C0 such as newline and ESC, DEL, and C1 such as CSI) as `\u{..}`,
/// so that a claim, `kid` or detail taken from a token can neither forge a line nor drive the
/// terminal.
///
/// ```
/// use jwt_audit_cli::display::safe;
/// assert_eq!(safe("user-1"), "user-1");
/// assert_eq!(safe("a\n\u{1b}[31mb"), "a\\u{a}\\u{1b}[31mb");
/// ```
pub fn safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The UTC date of a unix time in seconds (fractions are cut), or `None` when it is outside
/// 1970..=9999.
///
/// ```
/// assert_eq!(jwt_audit_cli::display::date(1_700_000_000.0).as_deref(), Some("2023-11-14T22:13:20Z"));
/// assert_eq!(jwt_audit_cli::display::date(-1.0), None);
/// ```
pub fn date(unix_seconds: f64) -> Option<String> {
    if !(0.0..=253_402_300_799.0).contains(&unix_seconds) {
        return None;
    }
    let t = UNIX_EPOCH + Duration::from_secs(unix_seconds as u64);
    Some(humantime::format_rfc3339_seconds(t).to_string())
}

/// A difference `then - now` in seconds as words, with the two largest units.
///
/// ```
/// use jwt_audit_cli::display::relative;
/// assert_eq!(relative(845.0), "in 14m 5s");
/// assert_eq!(relative(-93_780.0), "1d 2h ago");
/// assert_eq!(relative(0.4), "now");
/// ```
pub fn relative(delta_seconds: f64) -> String {
    let secs = delta_seconds.abs().round() as u64;
    if secs == 0 {
        return "now".to_string();
    }
    let units = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
    let mut parts = Vec::new();
    let mut rest = secs;
    for (size, name) in units {
        if rest >= size && parts.len() < 2 {
            parts.push(format!("{}{name}", rest / size));
            rest %= size;
        } else if !parts.is_empty() {
            // Only adjacent units: "1d 2h", never "1d 5s".
            break;
        }
    }
    let text = parts.join(" ");
    if delta_seconds > 0.0 {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// Output format.
#[derive(ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// For humans.
    #[default]
    Text,
    /// One JSON object, for machines.
    Json,
}
