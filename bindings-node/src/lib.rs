//! Node.js binding of `jwt-audit` (the npm package `jwt-audit`).
//!
//! This crate only converts types and adapts sinks; every decision is made by the core crate.
//! The JavaScript layer (`index.js`) wraps these native classes into the public API
//! (`Verifier`, `jwtAudit`, `requireScopes`, ...). Results, records and claims reach JavaScript as
//! a tape of numbers and one string, from which `index.js` builds the objects (see [`to_js`]),
//! not as JSON text to parse.

mod config;
mod sinks;
mod to_js;
mod token;

use jwt_audit::http::{self, Challenge};
use jwt_audit::sink::builtin_sink;
use jwt_audit::{AuthzRequirement, ConfigError, RequestContext, Verification, Verifier};
use napi::bindgen_prelude::{AsyncTask, External};
use napi::{Env, Error, Result, Status, Task, sys};
use napi_derive::napi;
use serde_json::Value;
use sinks::{JsFunctions, OnJsThread};
use std::sync::Arc;
use to_js::{JsFunction, Raw, check};
use token::Token;

/// Rust-side allocations of the addon (the core's parsed token, claims and record) go to
/// mimalloc; JavaScript values are still allocated by V8.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The request context of `verify`/`verifyAsync`: the five optional strings of [`context`] in an
/// array, or nothing (one type check).
type Context = Option<Vec<Option<String>>>;

fn context_of(c: Context) -> RequestContext {
    let mut c = c.unwrap_or_default().into_iter();
    let mut next = || c.next().flatten();
    context(next(), next(), next(), next(), next())
}

/// The request context, flattened into arguments (reading five optional strings is much cheaper
/// than reading an object's properties through N-API).
fn context(
    correlation_id: Option<String>,
    client_ip: Option<String>,
    method: Option<String>,
    path: Option<String>,
    user_agent: Option<String>,
) -> RequestContext {
    RequestContext {
        correlation_id,
        client_ip,
        method,
        path,
        user_agent,
    }
}

/// Throws a `TypeError` with `code: "ERR_JWT_AUDIT_CONFIG"` and the offending `option`.
fn config_error(env: &Env, e: &ConfigError) -> Error {
    let raw = env.raw();
    let js_str = |s: &str| -> Result<sys::napi_value> {
        let mut out = std::ptr::null_mut();
        // SAFETY: `raw` is the live env of the current call; `s` outlives the call.
        let status = unsafe {
            sys::napi_create_string_utf8(raw, s.as_ptr().cast(), s.len() as isize, &mut out)
        };
        check(status).map(|()| out)
    };
    let thrown = (|| -> Result<()> {
        let (code, message, option) = (
            js_str("ERR_JWT_AUDIT_CONFIG")?,
            js_str(&e.to_string())?,
            js_str(&e.option)?,
        );
        let mut err = std::ptr::null_mut();
        // SAFETY: every value was created in this env during this call.
        unsafe {
            check(sys::napi_create_type_error(raw, code, message, &mut err))?;
            check(sys::napi_set_named_property(
                raw,
                err,
                c"option".as_ptr(),
                option,
            ))?;
            check(sys::napi_throw(raw, err))
        }
    })();
    match thrown {
        Ok(()) => Error::from_status(Status::PendingException),
        Err(other) => other,
    }
}

/// The generic HTTP answer to a rejection (RFC 6750), from `jwt_audit::http::challenge`.
#[napi(object)]
pub struct HttpChallenge {
    pub status: u16,
    pub www_authenticate: String,
    pub body: String,
}

impl From<Challenge> for HttpChallenge {
    fn from(c: Challenge) -> Self {
        Self {
            status: c.status,
            www_authenticate: c.www_authenticate,
            body: c.body.to_string(),
        }
    }
}

/// A verification kept on the native side, for HTTP adapters: its challenge, and scope/role
/// checks after the fact (`Verifier::authorize` needs the verified claims).
#[napi]
pub struct NativeVerification {
    inner: Verification,
    js: Arc<JsFunctions>,
}

#[napi]
impl NativeVerification {
    #[napi(getter)]
    pub fn ok(&self) -> bool {
        self.inner.is_accepted()
    }

    /// The failure kind (`"bad_signature"`, ...); `null` when accepted.
    #[napi(getter)]
    pub fn failure_kind(&self) -> Option<&'static str> {
        self.inner.failure_kind().map(|k| k.as_str())
    }

    /// The record's text, its tape in the verifier's JS state (`recordFromTape` in `index.js`
    /// makes the record).
    #[napi(ts_return_type = "string")]
    pub fn record(&self, env: Env) -> Result<Raw> {
        self.js.record(&env, self.inner.record()).map(Raw)
    }

    /// The text of the verified claims (accepted tokens only, else of `null`), its tape in the
    /// verifier's JS state (`claimsFromTape` in `index.js` makes the object).
    #[napi(ts_return_type = "string")]
    pub fn claims(&self, env: Env) -> Result<Raw> {
        self.js.claims(&env, &self.inner).map(Raw)
    }

    /// The HTTP answer for a rejection; `null` when accepted.
    #[napi]
    pub fn challenge(&self) -> Option<HttpChallenge> {
        http::challenge(&self.inner).map(Into::into)
    }
}

/// The native verifier behind the JS `Verifier` class.
#[napi]
pub struct NativeVerifier {
    inner: Verifier,
    functions: Arc<JsFunctions>,
    fail_closed: bool,
}

// The request context arrives as five flattened arguments (see `context`).
#[allow(clippy::too_many_arguments)]
#[napi]
impl NativeVerifier {
    /// `config`: the options with the JS-only `sink` removed, as JSON text (camelCase or
    /// snake_case names);
    /// `builtin_sinks`: `"stdout"` / `{ file }` specs; `functions`: JS sink functions, each
    /// receiving a record's text (see `to_js`); `factory`: makes a `Verification` from a
    /// verification's text (`verifyAsync`); `state`: the `{ names, tape }` that the texts' tapes
    /// go to; `inherited`: the property names a plain object inherits.
    #[napi(
        constructor,
        ts_args_type = "config: string, builtinSinks: Array<unknown>, functions: Array<(text: string) => unknown>, factory: (text: string) => object, state: { names: unknown[], tape: Float64Array }, inherited: Array<string>"
    )]
    pub fn new(
        env: Env,
        config: String,
        builtin_sinks: Vec<Value>,
        functions: Vec<JsFunction>,
        factory: JsFunction,
        state: Raw,
        inherited: Vec<String>,
    ) -> Result<Self> {
        let functions = JsFunctions::new(&env, functions, factory, state.0, inherited)?;
        let build = || -> std::result::Result<Self, ConfigError> {
            let (config, spelling) = config::parse(&config)?;
            let fail_closed = config.audit_fail_closed;
            let mut builder = Verifier::builder().config(config);
            for spec in &builtin_sinks {
                let sink = builtin_sink(spec)?.ok_or_else(|| ConfigError {
                    option: "sink".into(),
                    message: "must be a function, \"stdout\", { file: path }, or an array of those"
                        .into(),
                })?;
                builder = builder.shared_sink(sink);
            }
            for sink in functions.sinks() {
                builder = builder.sink(sink);
            }
            Ok(Self {
                inner: builder.build().map_err(|e| spelling.apply(e))?,
                functions: functions.clone(),
                fail_closed,
            })
        };
        build().map_err(|e| config_error(&env, &e))
    }

    /// The handle `verify` and `verifyOutcome` take: an N-API external, which the addon reads
    /// in a fraction of the time it takes to unwrap `this` of a method call (a private-symbol
    /// lookup in V8).
    #[napi(ts_return_type = "ExternalObject<VerifierHandle>")]
    pub fn handle(&self) -> External<VerifierHandle> {
        External::new(VerifierHandle {
            inner: self.inner.clone(),
            functions: self.functions.clone(),
        })
    }

    /// Verifies a token on the libuv thread pool; JS sinks receive the record when the promise
    /// settles (see `sinks`).
    #[napi(
        ts_args_type = "token: string | Uint8Array, context?: Array<string | undefined | null>",
        ts_return_type = "Promise<object>"
    )]
    pub fn verify_async(&self, token: Token, context: Context) -> AsyncTask<VerifyTask> {
        AsyncTask::new(VerifyTask {
            verifier: self.inner.clone(),
            functions: self.functions.clone(),
            token: token.into_vec(),
            ctx: context_of(context),
        })
    }

    /// `true` when `verifyAsync` must verify on the JS thread: fail-closed auditing needs the
    /// verdict of the JS sinks before the decision.
    #[napi(getter)]
    pub fn needs_js_thread(&self) -> bool {
        self.fail_closed && !self.functions.is_empty()
    }

    /// Verifies an HTTP request: the `Authorization` header (RFC 6750 Bearer extraction in
    /// core), or a token taken from elsewhere (cookie, query) when `token` is given.
    #[napi]
    pub fn verify_request(
        &self,
        env: Env,
        authorization: Option<String>,
        token: Option<String>,
        correlation_id: Option<String>,
        client_ip: Option<String>,
        method: Option<String>,
        path: Option<String>,
        user_agent: Option<String>,
    ) -> NativeVerification {
        let ctx = context(correlation_id, client_ip, method, path, user_agent);
        let _js = OnJsThread::enter(&env);
        let inner = match token {
            Some(token) => self.inner.verify(token, &ctx),
            None => self
                .inner
                .verify_authorization(authorization.as_deref(), &ctx, None),
        };
        NativeVerification {
            inner,
            js: self.functions.clone(),
        }
    }

    /// Requires scopes and roles of an accepted verification; `null` when granted, else the
    /// denial (an `authz_fail` record, already handed to the sinks).
    #[napi]
    pub fn authorize(
        &self,
        env: Env,
        verification: &NativeVerification,
        scopes: Vec<String>,
        roles: Vec<String>,
    ) -> Option<NativeVerification> {
        let need = AuthzRequirement::new().scopes(scopes).roles(roles);
        let _js = OnJsThread::enter(&env);
        self.inner
            .authorize(&verification.inner, &need)
            .err()
            .map(|inner| NativeVerification {
                inner,
                js: self.functions.clone(),
            })
    }

    /// Counters as JSON (`accepted`, `rejected`, `by_kind`, `sink_errors`, ...).
    #[napi]
    pub fn stats(&self) -> String {
        let mut stats = self.inner.stats();
        stats.sink_errors += self.functions.late_failures();
        serde_json::to_string(&stats).unwrap_or_default()
    }

    /// Flushes every sink.
    #[napi]
    pub fn flush(&self, env: Env) {
        let _js = OnJsThread::enter(&env);
        self.inner.flush();
    }

    /// The verifier's name (as written in records).
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }
}

/// What the synchronous `verify` needs of a [`NativeVerifier`] (see [`NativeVerifier::handle`]).
pub struct VerifierHandle {
    inner: Verifier,
    functions: Arc<JsFunctions>,
}

/// Verifies a token on the JS thread (sinks run before this returns); the verification's text,
/// its tape in the JS state (`fromTape` in `index.js` makes the `Verification`).
/// `context`: `[correlationId, clientIp, method, path, userAgent]`, when given.
#[napi(
    ts_args_type = "handle: ExternalObject<VerifierHandle>, token: string | Uint8Array, context?: Array<string | undefined | null>",
    ts_return_type = "string"
)]
pub fn verify(
    env: Env,
    handle: &External<VerifierHandle>,
    token: Token,
    context: Context,
) -> Result<Raw> {
    let ctx = context_of(context);
    let v = {
        let _js = OnJsThread::enter(&env);
        handle.inner.verify(token.bytes(), &ctx)
    };
    handle.functions.verification(&env, &v).map(Raw)
}

/// `verify` without handing anything but the outcome to JS: the floor of `verify`'s cost (the
/// core and the N-API call), measured by `bench/breakdown.js`.
#[napi(ts_args_type = "handle: ExternalObject<VerifierHandle>, token: string | Uint8Array")]
pub fn verify_outcome(env: Env, handle: &External<VerifierHandle>, token: Token) -> bool {
    let _js = OnJsThread::enter(&env);
    handle
        .inner
        .verify(token.bytes(), &RequestContext::default())
        .is_accepted()
}

/// `verifyAsync`: the whole pipeline (signature included) on the libuv pool.
pub struct VerifyTask {
    verifier: Verifier,
    functions: Arc<JsFunctions>,
    token: Vec<u8>,
    ctx: RequestContext,
}

impl Task for VerifyTask {
    type Output = (Verification, Vec<(usize, Arc<jwt_audit::AuditRecord>)>);
    type JsValue = Raw;

    fn compute(&mut self) -> Result<Self::Output> {
        let v = self.verifier.verify(&self.token, &self.ctx);
        Ok((v, sinks::take_deferred()))
    }

    fn resolve(&mut self, env: Env, (v, deferred): Self::Output) -> Result<Raw> {
        self.functions.deliver(&env, deferred);
        self.functions.verification_object(&env, &v).map(Raw)
    }
}

/// The correlation id of a request: `X-Request-Id` when usable, else the trace id of a W3C
/// `traceparent`, else `null` (see `jwt_audit::http::correlation_id`).
#[napi]
pub fn correlation_id(x_request_id: Option<String>, traceparent: Option<String>) -> Option<String> {
    http::correlation_id(x_request_id.as_deref(), traceparent.as_deref())
}

/// A fresh, time-ordered correlation id (UUIDv7).
#[napi]
pub fn new_correlation_id() -> String {
    http::new_correlation_id()
}
