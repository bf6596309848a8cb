//! Verifier options from `--config FILE` (TOML or JSON, with the option names every binding
//! uses) and from flags, which override the file. The result goes through
//! [`VerifierConfig::from_json_value`], so validation is the core's; errors are reworded to name
//! the flag or the configuration key at fault.

use crate::error::CliError;
use crate::input::read_small_file;
use clap::Args;
use jwt_audit::{ConfigError, Verifier, VerifierBuilder, VerifierConfig};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// Keys and policy for `verify`.
#[derive(Args, Debug, Clone, Default)]
pub struct VerifierArgs {
    /// Configuration file, TOML or JSON (by extension; otherwise by content), with the option
    /// names of every binding: keys, algorithms, issuer, audience, leeway_seconds,
    /// required_claims, typ, max_token_bytes, now, redaction, fingerprint_key, name, sink.
    /// Flags override its options.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// JWKS document (JSON) with public keys. Repeatable. Key flags replace `keys` of --config.
    #[arg(long, value_name = "FILE")]
    pub jwks: Vec<PathBuf>,
    /// Public key in PEM: RSA (SPKI or PKCS#1), EC P-256/P-384 or Ed25519. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub key: Vec<PathBuf>,
    /// HMAC secret, the file's bytes (one trailing newline is removed). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub secret_file: Vec<PathBuf>,
    /// Allowed algorithm (repeatable), e.g. RS256; required unless the config has `algorithms`.
    #[arg(long, value_name = "ALG")]
    pub alg: Vec<String>,
    /// Accepted issuer (repeatable); when set, `iss` is required.
    #[arg(long, value_name = "S")]
    pub issuer: Vec<String>,
    /// Accepted audience (repeatable); when set, `aud` is required.
    #[arg(long, value_name = "S")]
    pub audience: Vec<String>,
    /// Clock tolerance for exp/nbf/iat, 0 to 300 (default 30).
    #[arg(long, value_name = "N")]
    pub leeway_seconds: Option<u64>,
    /// Fixed clock in unix seconds, for tests and for re-checking old tokens.
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub now: Option<i64>,
    /// Required claim (repeatable); when given, exactly these claims are required (default: exp).
    #[arg(long, value_name = "CLAIM")]
    pub require: Vec<String>,
    /// Required `typ` header, e.g. at+jwt.
    #[arg(long, value_name = "T")]
    pub typ: Option<String>,
    /// Size limit checked before decoding, 64 to 1048576 (default 8192).
    #[arg(long, value_name = "N")]
    pub max_token_bytes: Option<usize>,
    /// Secret that keys fingerprints and hashed claims (one trailing newline is removed).
    #[arg(long, value_name = "FILE")]
    pub fingerprint_key_file: Option<PathBuf>,
    /// This verifier's name in records.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// An option given by a flag: it replaces the option of the configuration file.
#[derive(Debug, Clone)]
pub struct Override {
    /// Canonical option name (`algorithms`).
    pub option: &'static str,
    /// The flag, for messages (`--alg`).
    pub flag: String,
    pub value: Value,
    /// For list options built from several flags (`keys`): the flag of each item.
    pub items: Vec<String>,
}

impl Override {
    /// An option set by one flag.
    pub fn new(option: &'static str, flag: impl Into<String>, value: Value) -> Self {
        Self {
            option,
            flag: flag.into(),
            value,
            items: Vec::new(),
        }
    }
}

impl VerifierArgs {
    /// The options these flags set (key and secret files are read here).
    pub fn overrides(&self) -> Result<Vec<Override>, CliError> {
        let mut out = Vec::new();
        let (mut keys, mut items) = (Vec::new(), Vec::new());
        for path in &self.jwks {
            let label = format!("--jwks {}", path.display());
            let bytes = read_small_file("--jwks", path)?;
            let doc: Value = serde_json::from_slice(&bytes)
                .map_err(|e| CliError::new(format!("{label}: {}", json_error(&e))))?;
            keys.push(json!({ "jwks": doc }));
            items.push(label);
        }
        for path in &self.key {
            let label = format!("--key {}", path.display());
            let text = utf8(read_small_file("--key", path)?, &label)?;
            keys.push(json!({ "pem": text }));
            items.push(label);
        }
        for path in &self.secret_file {
            let label = format!("--secret-file {}", path.display());
            let secret = read_secret("--secret-file", path)?;
            keys.push(json!({ "secret": secret }));
            items.push(label);
        }
        if !keys.is_empty() {
            out.push(Override {
                option: "keys",
                flag: "--jwks/--key/--secret-file".into(),
                value: Value::Array(keys),
                items,
            });
        }
        if !self.alg.is_empty() {
            out.push(Override::new("algorithms", "--alg", json!(self.alg)));
        }
        if !self.issuer.is_empty() {
            out.push(Override::new(
                "issuer",
                "--issuer",
                one_or_many(&self.issuer),
            ));
        }
        if !self.audience.is_empty() {
            out.push(Override::new(
                "audience",
                "--audience",
                one_or_many(&self.audience),
            ));
        }
        if let Some(n) = self.leeway_seconds {
            out.push(Override::new(
                "leeway_seconds",
                "--leeway-seconds",
                json!(n),
            ));
        }
        if let Some(n) = self.now {
            out.push(Override::new("now", "--now", json!(n)));
        }
        if !self.require.is_empty() {
            out.push(Override::new(
                "required_claims",
                "--require",
                json!(self.require),
            ));
        }
        if let Some(t) = &self.typ {
            out.push(Override::new("typ", "--typ", json!(t)));
        }
        if let Some(n) = self.max_token_bytes {
            out.push(Override::new(
                "max_token_bytes",
                "--max-token-bytes",
                json!(n),
            ));
        }
        out.extend(fingerprint_key_override(
            self.fingerprint_key_file.as_deref(),
        )?);
        if let Some(n) = &self.name {
            out.push(Override::new("name", "--name", json!(n)));
        }
        Ok(out)
    }

    /// The configuration file and these flags, merged.
    pub fn settings(&self) -> Result<Settings, CliError> {
        Settings::load(self.config.as_deref(), self.overrides()?)
    }
}

/// `--fingerprint-key-file FILE` as an override (shared by `verify` and `inspect`).
pub fn fingerprint_key_override(path: Option<&Path>) -> Result<Option<Override>, CliError> {
    let Some(path) = path else { return Ok(None) };
    let key = read_secret("--fingerprint-key-file", path)?;
    Ok(Some(Override::new(
        "fingerprint_key",
        format!("--fingerprint-key-file {}", path.display()),
        json!(key),
    )))
}

fn one_or_many(v: &[String]) -> Value {
    match v {
        [one] => json!(one),
        many => json!(many),
    }
}

fn utf8(bytes: Vec<u8>, label: &str) -> Result<String, CliError> {
    String::from_utf8(bytes).map_err(|_| CliError::new(format!("{label}: is not UTF-8 text")))
}

/// A secret file's text without one trailing line ending (`echo secret > file` adds one).
fn read_secret(flag: &str, path: &Path) -> Result<String, CliError> {
    let label = format!("{flag} {}", path.display());
    let mut text = utf8(read_small_file(flag, path)?, &label)?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

/// The short, non-quoting description of a JSON syntax error.
fn json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg);
    format!(
        "not valid JSON at line {}, column {} ({msg})",
        e.line(),
        e.column()
    )
}

/// Options merged from the configuration file and the flags, remembering where each came from.
#[derive(Debug, Clone)]
pub struct Settings {
    values: Map<String, Value>,
    config_file: Option<PathBuf>,
    flags: Vec<Override>,
}

impl Settings {
    /// Reads the configuration file (if any) and applies the flag overrides.
    pub fn load(config_file: Option<&Path>, overrides: Vec<Override>) -> Result<Self, CliError> {
        let mut values = match config_file {
            Some(path) => parse_config_file(path)?,
            None => Map::new(),
        };
        for o in &overrides {
            values.insert(o.option.to_string(), o.value.clone());
        }
        Ok(Self {
            values,
            config_file: config_file.map(Path::to_path_buf),
            flags: overrides,
        })
    }

    /// Removes an option and returns it (e.g. `sink`, which the core does not take).
    pub fn take(&mut self, option: &str) -> Option<Value> {
        self.values.remove(option)
    }

    /// Sets an option on the program's own authority (not from the user).
    pub fn set(&mut self, option: &str, value: Value) {
        self.values.insert(option.to_string(), value);
    }

    /// The merged options as the core's configuration.
    pub fn config(&self) -> Result<VerifierConfig, CliError> {
        if !self.values.contains_key("keys") {
            return Err(CliError::new(
                "no key: give --jwks FILE, --key FILE or --secret-file FILE, or `keys` in --config",
            ));
        }
        if !self.values.contains_key("algorithms") {
            return Err(CliError::new(
                "no algorithm allow-list: give --alg ALG (repeatable), or `algorithms` in --config",
            ));
        }
        VerifierConfig::from_json_value(Value::Object(self.values.clone()))
            .map_err(|e| self.error(&e))
    }

    /// Builds the verifier (with the builder's sinks and hooks), naming the source of any error.
    pub fn build(&self, builder: VerifierBuilder) -> Result<Verifier, CliError> {
        builder
            .config(self.config()?)
            .build()
            .map_err(|e| self.error(&e))
    }

    /// The core's error, reworded to name the flag or the configuration key at fault.
    pub fn error(&self, e: &ConfigError) -> CliError {
        CliError::new(format!("{}: {}", self.locate(&e.option), e.message))
    }

    /// `--alg`, `--jwks keys.json (keys[1].n)` or ``config key `leeway_seconds` in cfg.toml``.
    fn locate(&self, option: &str) -> String {
        let top_end = option.find(['.', '[']).unwrap_or(option.len());
        let (top, rest) = option.split_at(top_end);
        if let Some(o) = self.flags.iter().find(|o| o.option == top) {
            let item = rest
                .strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .and_then(|(i, tail)| Some((o.items.get(i.parse::<usize>().ok()?)?, tail)));
            return match item {
                Some((label, tail)) => {
                    // `.jwks.keys[1].n` → `keys[1].n`: the flag already says it is a JWKS.
                    let tail = tail.trim_start_matches('.');
                    let tail = tail
                        .split_once(['.', '['])
                        .map(|(_, t)| t.trim_start_matches('.'))
                        .unwrap_or("");
                    if tail.is_empty() {
                        label.clone()
                    } else {
                        format!("{label} ({tail})")
                    }
                }
                None => o.flag.clone(),
            };
        }
        match &self.config_file {
            Some(p) if option != "config" => {
                format!("config key `{option}` in {}", p.display())
            }
            Some(p) => format!("--config {}", p.display()),
            None => format!("option `{option}`"),
        }
    }
}

/// Parses a TOML or JSON configuration file into a map of options. Messages give the line and
/// column but never quote the file (it may hold secrets).
fn parse_config_file(path: &Path) -> Result<Map<String, Value>, CliError> {
    let label = format!("--config {}", path.display());
    let text = utf8(read_small_file("--config", path)?, &label)?;
    let is_toml = match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("toml") => true,
        Some(e) if e.eq_ignore_ascii_case("json") => false,
        _ => !text.trim_start().starts_with('{'),
    };
    let value = if is_toml {
        let table: toml::Table = toml::from_str(&text).map_err(|e| {
            let (line, col) = e.span().map(|s| line_col(&text, s.start)).unwrap_or((0, 0));
            CliError::new(format!(
                "{label}: not valid TOML at line {line}, column {col} ({})",
                e.message().trim_end()
            ))
        })?;
        serde_json::to_value(table)
            .map_err(|_| CliError::new(format!("{label}: holds a value JSON cannot represent")))?
    } else {
        serde_json::from_str::<Value>(&text)
            .map_err(|e| CliError::new(format!("{label}: {}", json_error(&e))))?
    };
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(CliError::new(format!(
            "{label}: must hold an object (a table) of options"
        ))),
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}
