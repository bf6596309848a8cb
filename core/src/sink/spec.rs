//! Built-in sinks named in a binding's `sink` option: `"stdout"` or `{"file": "<path>"}`.

use super::{AuditSink, JsonLinesSink};
use crate::errors::ConfigError;
use serde_json::Value;
use std::sync::Arc;

/// Builds the built-in sink a `sink` option names, or `None` when the spec is not a built-in
/// (a host function or logger, which the binding adapts itself).
///
/// ```
/// use jwt_audit::sink::builtin_sink;
/// assert!(builtin_sink(&serde_json::json!("stdout")).unwrap().is_some());
/// assert!(builtin_sink(&serde_json::json!({"file": 7})).is_err());
/// ```
pub fn builtin_sink(spec: &Value) -> Result<Option<Arc<dyn AuditSink>>, ConfigError> {
    match spec {
        Value::String(s) if s == "stdout" => Ok(Some(Arc::new(JsonLinesSink::stdout()))),
        Value::String(s) => Err(ConfigError::new(
            "sink",
            format!(
                "unknown sink `{}` (use \"stdout\" or {{\"file\": path}})",
                crate::redaction::cap_str(s, 32)
            ),
        )),
        Value::Object(m) if m.contains_key("file") => match (m.get("file"), m.len()) {
            (Some(Value::String(path)), 1) => JsonLinesSink::file(path)
                .map(|s| Some(Arc::new(s) as Arc<dyn AuditSink>))
                .map_err(|e| {
                    ConfigError::new("sink.file", format!("cannot open for appending: {e}"))
                }),
            _ => Err(ConfigError::new(
                "sink.file",
                "must be a path string (and the only key)",
            )),
        },
        _ => Ok(None),
    }
}
