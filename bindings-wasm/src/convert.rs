//! JavaScript values in (config, token, context, requirement) and out (stats, and the JSON path
//! for results that [`crate::handoff`] does not build).

use crate::errors;
use js_sys::{JSON, Object, Reflect, Uint8Array};
use jwt_audit::config::{camel_case, snake_case};
use jwt_audit::{AuthzRequirement, ConfigError, RequestContext, Verification, VerifierConfig};
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};

/// `JSON.stringify`, then serde: the one conversion every JS object goes through.
fn from_json<T: for<'de> Deserialize<'de>>(value: &JsValue) -> Result<T, String> {
    let text = JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or("is not JSON-serialisable")?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// A parsed configuration, its `sink` option, and how the caller spelled option names.
pub(crate) struct Config {
    pub(crate) core: VerifierConfig,
    pub(crate) sink: JsValue,
    pub(crate) spelling: Spelling,
}

/// Splits the `sink` option off a config object and parses the rest with the core's
/// [`VerifierConfig::from_js_value`] (camelCase or snake_case names). The caller's object is not
/// modified.
pub(crate) fn config(value: &JsValue) -> Result<Config, JsValue> {
    if !value.is_object() || value.is_function() || js_sys::Array::is_array(value) {
        return Err(errors::config_option("config", "must be an object"));
    }
    let sink = Reflect::get(value, &"sink".into()).unwrap_or(JsValue::UNDEFINED);
    let rest = Object::assign(&Object::new(), value.unchecked_ref());
    let _ = Reflect::delete_property(&rest, &"sink".into());
    let json: serde_json::Value =
        from_json(&rest).map_err(|m| errors::config_option("config", &m))?;
    let spelling = Spelling::of(&json);
    let core = VerifierConfig::from_js_value(json).map_err(|e| spelling.error(e))?;
    Ok(Config {
        core,
        sink,
        spelling,
    })
}

/// The option names a config used. The core accepts `leewaySeconds` and `leeway_seconds` alike, but
/// its errors name an option in one spelling whichever the config used; they are thrown at
/// JavaScript callers with the name they wrote.
pub(crate) struct Spelling {
    given: Vec<String>,
}

impl Spelling {
    fn of(json: &serde_json::Value) -> Self {
        let given = json
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys().cloned())
            .collect();
        Self { given }
    }

    /// The core's error as the `ConfigError` JavaScript sees: the option's first segment as the
    /// caller spelled it (`leewaySeconds`, `required_claims[0]`), and the valid names listed in
    /// camelCase, as the TypeScript types have them, when the option is unknown.
    pub(crate) fn error(&self, mut e: ConfigError) -> JsValue {
        let end = e.option.find(['.', '[']).unwrap_or(e.option.len());
        let segment = &e.option[..end];
        if !self.given.iter().any(|g| g == segment) {
            let spellings = [camel_case(segment), snake_case(segment)];
            if let Some(given) = spellings.into_iter().find(|s| self.given.contains(s)) {
                e.option.replace_range(..end, &given);
            }
        }
        if end == e.option.len() && e.message.starts_with("unknown option") {
            // The valid names, between backticks.
            let mut message = String::with_capacity(e.message.len());
            for (i, part) in e.message.split('`').enumerate() {
                if i > 0 {
                    message.push('`');
                }
                match i % 2 {
                    1 => message.push_str(&camel_case(part)),
                    _ => message.push_str(part),
                }
            }
            e.message = message;
        }
        errors::config(&e)
    }
}

/// The token as bytes: a string (its UTF-8 bytes) or a `Uint8Array`; `undefined`/`null` is no
/// token (the core answers `missing_token`).
pub(crate) fn token(value: &JsValue) -> Result<Vec<u8>, JsValue> {
    if let Some(bytes) = crate::handoff::string_bytes(value) {
        return Ok(bytes);
    }
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    match value.dyn_ref::<Uint8Array>() {
        Some(bytes) => Ok(bytes.to_vec()),
        None => Err(errors::argument(
            "token must be a string, a Uint8Array, undefined or null",
        )),
    }
}

/// An HTTP header value: a string, or `undefined`/`null` when the header is absent.
pub(crate) fn header(value: &JsValue) -> Result<Option<String>, JsValue> {
    match crate::handoff::string_bytes(value) {
        // `encodeInto` writes UTF-8.
        Some(bytes) => {
            Ok(Some(String::from_utf8(bytes).unwrap_or_else(|e| {
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            })))
        }
        None if value.is_undefined() || value.is_null() => Ok(None),
        None => Err(errors::argument(
            "the Authorization header must be a string, undefined or null",
        )),
    }
}

/// The request context, in JavaScript spelling (`correlationId`, `clientIp`, `userAgent`) or the
/// record's (`correlation_id`, …). Unknown names are an error, so a typo does not silently drop a
/// field from the audit trail.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsContext {
    #[serde(default, alias = "correlationId")]
    correlation_id: Option<String>,
    #[serde(default, alias = "clientIp")]
    client_ip: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default, alias = "userAgent")]
    user_agent: Option<String>,
}

pub(crate) fn context(value: &JsValue) -> Result<RequestContext, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(RequestContext::default());
    }
    if !value.is_object() || value.is_function() {
        return Err(errors::argument("context must be an object"));
    }
    if let Some(ctx) = crate::handoff::plain_context(value) {
        return Ok(ctx);
    }
    let c: JsContext =
        from_json(value).map_err(|m| errors::argument(&format!("invalid context: {m}")))?;
    Ok(RequestContext {
        correlation_id: c.correlation_id,
        client_ip: c.client_ip,
        method: c.method,
        path: c.path,
        user_agent: c.user_agent,
    })
}

/// Scopes and roles that must all be granted: `{ scopes?: string[], roles?: string[] }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsRequirement {
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
}

pub(crate) fn requirement(value: &JsValue) -> Result<Option<AuthzRequirement>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if !value.is_object() || value.is_function() {
        return Err(errors::argument("requirement must be an object"));
    }
    let r: JsRequirement =
        from_json(value).map_err(|m| errors::argument(&format!("invalid requirement: {m}")))?;
    Ok(Some(
        AuthzRequirement::new().scopes(r.scopes).roles(r.roles),
    ))
}

/// Parses JSON text the core produced (always valid).
pub(crate) fn parse(json: &str) -> JsValue {
    JSON::parse(json).unwrap_or(JsValue::NULL)
}

/// `{ ok, claims, record }` (plus `challenge` for HTTP adapters) as JSON text: the path for records
/// [`crate::handoff`] does not build.
pub(crate) fn result_json(v: &Verification, with_challenge: bool) -> String {
    let record = v.record().to_json();
    let claims = v
        .claims()
        .and_then(|c| serde_json::to_string(c).ok())
        .unwrap_or_else(|| "null".into());
    let mut out = String::with_capacity(record.len() + claims.len() + 128);
    out.push_str(r#"{"ok":"#);
    out.push_str(if v.is_accepted() { "true" } else { "false" });
    out.push_str(r#","claims":"#);
    out.push_str(&claims);
    out.push_str(r#","record":"#);
    out.push_str(&record);
    if with_challenge {
        let challenge = jwt_audit::http::challenge(v).map(|c| {
            serde_json::json!({
                "status": c.status,
                "wwwAuthenticate": c.www_authenticate,
                "body": c.body,
            })
        });
        out.push_str(r#","challenge":"#);
        out.push_str(&serde_json::to_string(&challenge).unwrap_or_else(|_| "null".into()));
    }
    out.push('}');
    out
}
