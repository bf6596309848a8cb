//! The errors JavaScript callers see. Each has a stable `code`; none carries a token, a signature
//! or key material (the core's messages never do, and the binding adds only fixed text).

use js_sys::{Error, Reflect, TypeError};
use jwt_audit::ConfigError;
use wasm_bindgen::{JsCast, JsValue};

/// `code` of a configuration error (`name` `"ConfigError"`, with the faulty `option`).
pub(crate) const CONFIG: &str = "ERR_JWT_AUDIT_CONFIG";
/// `code` of an argument of the wrong type (a `TypeError`).
pub(crate) const ARGUMENT: &str = "ERR_JWT_AUDIT_ARGUMENT";
/// `code` of `verifySync` on a verifier that allows asymmetric algorithms.
pub(crate) const ASYNC_REQUIRED: &str = "ERR_JWT_AUDIT_ASYNC_REQUIRED";

fn with_props(err: &JsValue, props: &[(&str, &str)]) -> JsValue {
    for (k, v) in props {
        // Setting a property on a fresh Error object cannot fail.
        let _ = Reflect::set(err, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    err.clone()
}

/// A `ConfigError` from the core, as a JS `Error` named `ConfigError` with `option` and `code`.
pub(crate) fn config(e: &ConfigError) -> JsValue {
    let err = Error::new(&e.to_string());
    err.set_name("ConfigError");
    with_props(&err, &[("option", &e.option), ("code", CONFIG)])
}

/// A configuration error raised by the binding itself (the `sink` option, the config's shape).
pub(crate) fn config_option(option: &str, message: &str) -> JsValue {
    config(&ConfigError {
        option: option.into(),
        message: message.into(),
    })
}

/// A `TypeError` for an argument of the wrong type.
pub(crate) fn argument(message: &str) -> JsValue {
    let err: JsValue = TypeError::new(message).into();
    with_props(&err, &[("code", ARGUMENT)])
}

/// `verifySync` cannot answer an asymmetric signature: WebCrypto is asynchronous.
pub(crate) fn async_required() -> JsValue {
    let err = Error::new(
        "verifySync() supports HS256/HS384/HS512 only; this verifier allows asymmetric \
         algorithms, which are verified with WebCrypto: use `await verifier.verify()`",
    );
    err.set_name("JwtAuditError");
    with_props(err.unchecked_ref(), &[("code", ASYNC_REQUIRED)])
}
