//! The verifier's options as JavaScript passes them, and configuration errors that name options
//! the way the caller wrote them (`leewaySeconds` or `leeway_seconds`).

use jwt_audit::config::{camel_case, snake_case};
use jwt_audit::{ConfigError, VerifierConfig};
use serde_json::Value;

/// The options, from the JSON text `index.js` makes of them: JSON text keeps integers integers
/// (N-API hands numbers beyond 32 bits over as doubles, which core rejects for `now` and the
/// other integer options). Errors are named as the caller wrote the options.
pub fn parse(text: &str) -> Result<(VerifierConfig, Spelling), ConfigError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ConfigError {
        option: "config".into(),
        message: format!("is not JSON data ({e})"),
    })?;
    let spelling = Spelling {
        written: value
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default(),
    };
    let config = VerifierConfig::from_js_value(value).map_err(|e| spelling.apply(e))?;
    Ok((config, spelling))
}

/// The top-level option names the caller wrote.
pub struct Spelling {
    written: Vec<String>,
}

impl Spelling {
    /// `e` with option names as the caller wrote them — camelCase unless written in snake_case —
    /// both in `e.option` (core names some options in snake_case, e.g. when the verifier is
    /// built) and where the message quotes option names (the list of valid options).
    pub fn apply(&self, mut e: ConfigError) -> ConfigError {
        let wrote = |name: &str| self.written.iter().any(|w| w == name);
        let cut = e.option.find(['.', '[']).unwrap_or(e.option.len());
        let (head, rest) = e.option.split_at(cut);
        let snake = snake_case(head);
        if option_names().contains(&snake) {
            let camel = camel_case(&snake);
            let head = if wrote(&camel) || !wrote(&snake) {
                camel
            } else {
                snake
            };
            e.option = format!("{head}{rest}");
        }
        for name in option_names().iter().filter(|n| n.contains('_')) {
            if !wrote(name) {
                let (core, js) = (format!("`{name}`"), format!("`{}`", camel_case(name)));
                e.message = e.message.replace(&core, &js);
            }
        }
        e
    }
}

/// The options' canonical (snake_case) names, as core serialises a configuration.
fn option_names() -> Vec<String> {
    match serde_json::to_value(VerifierConfig::default()) {
        Ok(Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}
