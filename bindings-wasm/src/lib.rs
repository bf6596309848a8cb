//! # `@jwt-audit/wasm`
//!
//! The WebAssembly binding of [`jwt_audit`] for Cloudflare Workers, browsers and Node. It converts
//! types, adapts sinks to JavaScript and answers the core's host-signature step with WebCrypto;
//! every decision and every record comes from the core.
//!
//! - [`Verifier`](verifier::Verifier) — `new Verifier(config)`, `verify(token, context?)` (a
//!   Promise; RS*/PS*/ES*/EdDSA signatures are checked by `crypto.subtle.verify` through
//!   [`jwt_audit::Verifier::begin`]), `verifySync` (HS* only), `authenticate` (an `Authorization`
//!   header, for HTTP adapters), `stats()`.
//! - [`correlationId`](http::correlation_id) and [`newCorrelationId`](http::new_correlation_id):
//!   the core's HTTP glue, used by the Workers helper `withJwtAudit` (`js/workers.js`).
//!
//! Built without the core's `native-asymmetric` feature: the RSA/EC/Ed25519 code is not compiled
//! into the module (see README.md, "Size and speed").

// JavaScript values are `!Send`; the sink adapter relies on the module being single-threaded.
#[cfg(target_feature = "atomics")]
compile_error!("jwt-audit-wasm assumes a single-threaded WebAssembly module (no `atomics`)");

#[cfg(feature = "bench")]
mod bench;
mod convert;
mod errors;
mod handoff;
mod http;
mod sink;
mod types;
mod verifier;
mod webcrypto;
