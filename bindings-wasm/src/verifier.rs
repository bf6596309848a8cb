//! The `Verifier` class.

use crate::convert;
use crate::errors;
use crate::handoff;
use crate::sink::{Deliveries, JsSink};
use crate::webcrypto::{self, KeyCache, Verdict};
use js_sys::{Function, Promise, Reflect};
use jwt_audit::{
    Algorithm, AuthzRequirement, PendingSignature, Progress, RequestContext, Verification,
};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// What pending verifications share with the verifier.
struct Shared {
    keys: KeyCache,
    deliveries: Option<Rc<Deliveries>>,
}

impl Shared {
    /// The JavaScript result, with `delivery` when an async sink is still writing the record.
    fn result(&self, v: &Verification, with_challenge: bool) -> JsValue {
        let out = handoff::result(v, with_challenge);
        if let Some(p) = self.deliveries.as_ref().and_then(|d| d.take()) {
            let _ = Reflect::set(&out, &"delivery".into(), &p);
        }
        out
    }

    /// Resolves a [`Progress`]: immediately, or after WebCrypto checked the signature.
    fn settle(self: &Rc<Self>, progress: Progress, with_challenge: bool) -> Promise {
        match progress {
            Progress::Done(v) => Promise::resolve(&self.result(&v, with_challenge)),
            Progress::Signature(pending) => match self.keys.ready(&pending) {
                Some((key, params)) => {
                    let verdict = webcrypto::subtle_verify(
                        &params,
                        &key,
                        pending.signature(),
                        pending.message(),
                    );
                    match verdict {
                        Ok(verdict) => park(pending, self.clone(), with_challenge, &verdict),
                        Err(_) => {
                            Promise::resolve(&self.result(&pending.finish(false), with_challenge))
                        }
                    }
                }
                None => {
                    let shared = self.clone();
                    wasm_bindgen_futures::future_to_promise(async move {
                        let v = webcrypto::finish(pending, &shared.keys).await;
                        Ok(shared.result(&v, with_challenge))
                    })
                }
            },
        }
    }
}

/// A verification waiting for `crypto.subtle.verify`.
struct Parked {
    pending: Box<PendingSignature>,
    shared: Rc<Shared>,
    with_challenge: bool,
}

thread_local! {
    static PARKED: RefCell<HashMap<u32, Parked>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
    /// `(id, verdict) => result`: one callback for the module's lifetime, bound to each parked
    /// verification's id, so a pending signature costs one `then` and no closure allocation.
    static RESUME: Function = Closure::<dyn FnMut(u32, JsValue) -> JsValue>::new(resume)
        .into_js_value()
        .unchecked_into();
}

/// Resumes the core's pipeline when `verdict` settles (a rejection counts as "does not verify").
fn park(
    pending: Box<PendingSignature>,
    shared: Rc<Shared>,
    with_challenge: bool,
    verdict: &Verdict,
) -> Promise {
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1));
        id
    });
    PARKED.with(|p| {
        p.borrow_mut().insert(
            id,
            Parked {
                pending,
                shared,
                with_challenge,
            },
        )
    });
    let callback = RESUME.with(|f| f.bind1(&JsValue::NULL, &JsValue::from(id)));
    verdict.then(&callback, &callback)
}

fn resume(id: u32, verdict: JsValue) -> JsValue {
    match PARKED.with(|p| p.borrow_mut().remove(&id)) {
        Some(Parked {
            pending,
            shared,
            with_challenge,
        }) => {
            let v = pending.finish(verdict.as_bool() == Some(true));
            shared.result(&v, with_challenge)
        }
        None => JsValue::UNDEFINED,
    }
}

/// Verifies JWTs and audits every verification (see the package README).
#[wasm_bindgen]
pub struct Verifier {
    pub(crate) core: jwt_audit::Verifier,
    shared: Rc<Shared>,
    /// Every allowed algorithm is HMAC, so `verifySync` can answer.
    hmac_only: bool,
}

/// The three arguments every verification takes, converted.
struct Call {
    token: Vec<u8>,
    ctx: RequestContext,
    need: Option<AuthzRequirement>,
}

impl Call {
    fn new(token: &JsValue, context: &JsValue, requirement: &JsValue) -> Result<Self, JsValue> {
        Ok(Self {
            token: convert::token(token)?,
            ctx: convert::context(context)?,
            need: convert::requirement(requirement)?,
        })
    }
}

#[wasm_bindgen]
impl Verifier {
    /// Builds a verifier; an invalid configuration throws a `ConfigError` (`option`, `code`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "VerifierConfig")] config: JsValue,
    ) -> Result<Verifier, JsValue> {
        let convert::Config {
            core: config,
            sink,
            spelling,
        } = convert::config(&config)?;
        let hmac_only = config.algorithms.iter().all(|a| {
            a.parse::<Algorithm>()
                .map(Algorithm::is_hmac)
                .unwrap_or(true)
        });
        if !hmac_only && !webcrypto::available() {
            return Err(errors::config_option(
                "algorithms",
                "RS*/PS*/ES*/EdDSA are verified with WebCrypto, and this context has no \
                 `crypto.subtle` (browsers expose it only on https:// and localhost pages)",
            ));
        }
        let mut builder = jwt_audit::Verifier::builder().config(config);
        let mut deliveries = None;
        if let Some((sink, d)) = JsSink::from_option(&sink)? {
            builder = builder.shared_sink(Arc::new(sink));
            deliveries = Some(d);
        }
        let core = builder.build().map_err(|e| spelling.error(e))?;
        Ok(Verifier {
            core,
            shared: Rc::new(Shared {
                keys: KeyCache::default(),
                deliveries,
            }),
            hmac_only,
        })
    }

    /// Verifies a compact JWS (string or `Uint8Array`, without `Bearer `). Resolves to
    /// `{ ok, claims, record }` — never rejects for a bad token, only for arguments of the wrong
    /// type. `requirement` (`{ scopes, roles }`) adds an authorization check.
    #[wasm_bindgen(unchecked_return_type = "Promise<VerifyResult>")]
    pub fn verify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | null | undefined")]
        token: JsValue,
        #[wasm_bindgen(unchecked_param_type = "RequestContext | null | undefined")]
        context: JsValue,
        #[wasm_bindgen(unchecked_param_type = "AuthzRequirement | null | undefined")]
        requirement: JsValue,
    ) -> Promise {
        match Call::new(&token, &context, &requirement) {
            Ok(c) => self
                .shared
                .settle(self.core.begin(&c.token, &c.ctx, c.need.as_ref()), false),
            Err(e) => Promise::reject(&e),
        }
    }

    /// Synchronous `verify` for verifiers whose allowed algorithms are all HS*; otherwise throws
    /// (`code` `ERR_JWT_AUDIT_ASYNC_REQUIRED`) before looking at the token.
    #[wasm_bindgen(js_name = verifySync, unchecked_return_type = "VerifyResult")]
    pub fn verify_sync(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | null | undefined")]
        token: JsValue,
        #[wasm_bindgen(unchecked_param_type = "RequestContext | null | undefined")]
        context: JsValue,
        #[wasm_bindgen(unchecked_param_type = "AuthzRequirement | null | undefined")]
        requirement: JsValue,
    ) -> Result<JsValue, JsValue> {
        if !self.hmac_only {
            return Err(errors::async_required());
        }
        let c = Call::new(&token, &context, &requirement)?;
        match self.core.begin(&c.token, &c.ctx, c.need.as_ref()) {
            Progress::Done(v) => Ok(self.shared.result(&v, false)),
            // Unreachable with an HMAC-only allow-list; finish it rather than drop a record.
            Progress::Signature(p) => Ok(self.shared.result(&p.finish(false), false)),
        }
    }

    /// Verifies the credential of an HTTP `Authorization` header value (the core's RFC 6750
    /// parsing: absent or non-Bearer is `missing_token`). Resolves to `{ ok, claims, record,
    /// challenge }`; `challenge` (`{ status, wwwAuthenticate, body }`) is the core's generic
    /// answer for a rejection, `null` when accepted.
    #[wasm_bindgen(unchecked_return_type = "Promise<AuthenticateResult>")]
    pub fn authenticate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] authorization: JsValue,
        #[wasm_bindgen(unchecked_param_type = "RequestContext | null | undefined")]
        context: JsValue,
        #[wasm_bindgen(unchecked_param_type = "AuthzRequirement | null | undefined")]
        requirement: JsValue,
    ) -> Promise {
        use jwt_audit::http::{Credential, bearer_credential};
        let args = (
            convert::header(&authorization),
            convert::context(&context),
            convert::requirement(&requirement),
        );
        let (authorization, ctx, need) = match args {
            (Ok(a), Ok(c), Ok(n)) => (a, c, n),
            (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return Promise::reject(&e),
        };
        let header = authorization.as_deref();
        let progress = match bearer_credential(header) {
            Credential::Bearer(token) => self.core.begin(token, &ctx, need.as_ref()),
            _ => Progress::Done(self.core.verify_authorization(header, &ctx, need.as_ref())),
        };
        self.shared.settle(progress, true)
    }

    /// Counts by outcome and failure kind, and records lost by sinks (snake_case, like records).
    #[wasm_bindgen(unchecked_return_type = "Stats")]
    pub fn stats(&self) -> JsValue {
        convert::parse(&serde_json::to_string(&self.core.stats()).unwrap_or_default())
    }

    /// The verifier's name, as written in records.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.core.name().to_string()
    }
}
