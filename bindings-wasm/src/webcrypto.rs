//! The host-signature step answered with WebCrypto (`crypto.subtle`): native code in workerd,
//! browsers and Node, and no RSA/EC/Ed25519 code compiled into the module.

use js_sys::{Array, JSON, Promise, Reflect};
use jwt_audit::{Algorithm, PendingSignature, Verification};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["crypto", "subtle"], js_name = importKey)]
    fn import_key(
        format: &str,
        key: &JsValue,
        algorithm: &JsValue,
        extractable: bool,
        usages: &Array,
    ) -> Result<Promise, JsValue>;

    // WebCrypto copies `signature` and `data` before returning, so views into WASM memory are safe.
    #[wasm_bindgen(catch, js_namespace = ["crypto", "subtle"], js_name = verify)]
    pub(crate) fn subtle_verify(
        algorithm: &JsValue,
        key: &JsValue,
        signature: &[u8],
        data: &[u8],
    ) -> Result<Verdict, JsValue>;

    /// The `Promise<boolean>` of `crypto.subtle.verify`.
    #[wasm_bindgen(extends = Promise)]
    pub(crate) type Verdict;

    /// `then(onFulfilled, onRejected)`.
    #[wasm_bindgen(method)]
    pub(crate) fn then(this: &Verdict, on_fulfilled: &JsValue, on_rejected: &JsValue) -> Promise;
}

/// `crypto.subtle` exists here (browsers expose it only in secure contexts: https and localhost).
pub(crate) fn available() -> bool {
    Reflect::get(&js_sys::global(), &"crypto".into())
        .and_then(|c| Reflect::get(&c, &"subtle".into()))
        .is_ok_and(|s| s.is_object())
}

/// WebCrypto's names for a JWS algorithm: (`importKey` parameters, `verify` parameters), as JSON.
fn params(alg: Algorithm) -> (&'static str, &'static str) {
    use Algorithm::*;
    match alg {
        RS256 => (
            r#"{"name":"RSASSA-PKCS1-v1_5","hash":"SHA-256"}"#,
            r#"{"name":"RSASSA-PKCS1-v1_5"}"#,
        ),
        RS384 => (
            r#"{"name":"RSASSA-PKCS1-v1_5","hash":"SHA-384"}"#,
            r#"{"name":"RSASSA-PKCS1-v1_5"}"#,
        ),
        RS512 => (
            r#"{"name":"RSASSA-PKCS1-v1_5","hash":"SHA-512"}"#,
            r#"{"name":"RSASSA-PKCS1-v1_5"}"#,
        ),
        // JWS PSS: MGF1 with the same hash, salt length = hash length (RFC 7518 §3.5).
        PS256 => (
            r#"{"name":"RSA-PSS","hash":"SHA-256"}"#,
            r#"{"name":"RSA-PSS","saltLength":32}"#,
        ),
        PS384 => (
            r#"{"name":"RSA-PSS","hash":"SHA-384"}"#,
            r#"{"name":"RSA-PSS","saltLength":48}"#,
        ),
        PS512 => (
            r#"{"name":"RSA-PSS","hash":"SHA-512"}"#,
            r#"{"name":"RSA-PSS","saltLength":64}"#,
        ),
        ES256 => (
            r#"{"name":"ECDSA","namedCurve":"P-256"}"#,
            r#"{"name":"ECDSA","hash":"SHA-256"}"#,
        ),
        ES384 => (
            r#"{"name":"ECDSA","namedCurve":"P-384"}"#,
            r#"{"name":"ECDSA","hash":"SHA-384"}"#,
        ),
        EdDSA => (r#"{"name":"Ed25519"}"#, r#"{"name":"Ed25519"}"#),
        // HMAC never reaches the host step (the core checks it); no key would match anyway.
        HS256 | HS384 | HS512 => (r#"{"name":"HMAC"}"#, r#"{"name":"HMAC"}"#),
    }
}

/// Imported `CryptoKey`s, per configured key and algorithm, for one verifier.
#[derive(Default)]
pub(crate) struct KeyCache {
    /// Keyed by the address of the JWK inside the core verifier, which this cache's owner keeps
    /// alive and never mutates, and by algorithm (an RSA `CryptoKey` is bound to its hash).
    /// `None`: WebCrypto refused the key, and will again.
    keys: RefCell<HashMap<(usize, Algorithm), Option<JsValue>>>,
    params: RefCell<HashMap<Algorithm, JsValue>>,
}

impl KeyCache {
    fn verify_params(&self, alg: Algorithm) -> JsValue {
        self.params
            .borrow_mut()
            .entry(alg)
            .or_insert_with(|| JSON::parse(params(alg).1).unwrap_or(JsValue::NULL))
            .clone()
    }

    /// The `CryptoKey` and `verify` parameters when the signature has exactly one candidate key
    /// and WebCrypto already imported it: the common case, answered with one `then`.
    pub(crate) fn ready(&self, pending: &PendingSignature) -> Option<(JsValue, JsValue)> {
        let alg = pending.algorithm();
        let [jwk] = pending.keys()[..] else {
            return None;
        };
        let key = self
            .keys
            .borrow()
            .get(&(jwk as *const Value as usize, alg))?
            .clone()?;
        Some((key, self.verify_params(alg)))
    }

    async fn key(&self, jwk: &Value, alg: Algorithm) -> Option<JsValue> {
        let id = (jwk as *const Value as usize, alg);
        if let Some(k) = self.keys.borrow().get(&id) {
            return k.clone();
        }
        let imported = import(jwk, alg).await;
        self.keys.borrow_mut().insert(id, imported.clone());
        imported
    }
}

async fn import(jwk: &Value, alg: Algorithm) -> Option<JsValue> {
    let jwk = JSON::parse(&jwk.to_string()).ok()?;
    let algorithm = JSON::parse(params(alg).0).ok()?;
    let usages = Array::of1(&"verify".into());
    let pending = import_key("jwk", &jwk, &algorithm, false, &usages).ok()?;
    JsFuture::from(pending).await.ok()
}

/// Checks the pending signature against each candidate key with `crypto.subtle.verify` and
/// resumes the core's pipeline with the verdict. A key WebCrypto refuses, or an error while
/// verifying, counts as "does not verify" (the record then says `bad_signature`).
pub(crate) async fn finish(pending: Box<PendingSignature>, cache: &KeyCache) -> Verification {
    let alg = pending.algorithm();
    let mut valid = false;
    for jwk in pending.keys() {
        let Some(key) = cache.key(jwk, alg).await else {
            continue;
        };
        let params = cache.verify_params(alg);
        let Ok(p) = subtle_verify(&params, &key, pending.signature(), pending.message()) else {
            continue;
        };
        if JsFuture::from(Promise::from(p))
            .await
            .ok()
            .and_then(|v| v.as_bool())
            == Some(true)
        {
            valid = true;
            break;
        }
    }
    pending.finish(valid)
}
