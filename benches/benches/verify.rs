//! jwt-audit `verify` (full record, no-op sink) against bare `jsonwebtoken::decode` and the
//! aws-lc-rs signature check alone, on the same token in the same run; plus the structure parse,
//! oversized and rejected tokens.
//!
//! `cargo bench -p jwt-audit-benches --bench verify -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, criterion_group, criterion_main};
use jwt_audit::FailureKind;
use jwt_audit_benches::{
    Alg, Fixture, claims, now, parse_header_and_payload, sign, tamper_signature,
};
use std::hint::black_box;

/// `verify_<alg>`: `jwt_audit` vs `jsonwebtoken` vs `signature_only`.
fn verify(c: &mut Criterion) {
    for alg in Alg::ALL {
        let f = Fixture::new(alg);
        let mut g = c.benchmark_group(format!("verify_{}", alg.name().to_ascii_lowercase()));
        g.bench_function("jwt_audit", |b| {
            b.iter(|| black_box(f.verifier.verify(black_box(&f.token), &f.ctx)))
        });
        g.bench_function("jsonwebtoken", |b| b.iter(|| black_box(f.bare_decode())));
        g.bench_function("signature_only", |b| {
            b.iter(|| black_box(f.signature_only()))
        });
        g.finish();
    }
}

/// `parse`: base64url + serde_json of header and payload, nothing else.
fn parse(c: &mut Criterion) {
    let f = Fixture::new(Alg::HS256);
    c.bench_function("parse/header_and_payload", |b| {
        b.iter(|| black_box(parse_header_and_payload(black_box(&f.token))))
    });
}

/// `reject_oversized`: 1 KiB and 1 MiB over the default 8 KiB limit cost the same.
fn oversized(c: &mut Criterion) {
    let f = Fixture::new(Alg::HS256);
    let limit = jwt_audit::config::DEFAULT_MAX_TOKEN_BYTES;
    let mut g = c.benchmark_group("reject_oversized");
    for (name, over) in [("limit_plus_1kib", 1024), ("limit_plus_1mib", 1024 * 1024)] {
        let token = "a".repeat(limit + over);
        assert_eq!(
            f.verifier.verify(&token, &f.ctx).failure_kind(),
            Some(FailureKind::TokenTooLarge)
        );
        g.bench_function(name, |b| {
            b.iter(|| black_box(f.verifier.verify(black_box(&token), &f.ctx)))
        });
    }
    g.finish();
}

/// `reject_hs256`: a bad signature and an expired token, jwt-audit vs bare jsonwebtoken.
fn rejected(c: &mut Criterion) {
    let good = Fixture::new(Alg::HS256);
    let cases = [
        (
            "bad_signature",
            Fixture::with_token(Alg::HS256, tamper_signature(&good.token)),
            FailureKind::BadSignature,
        ),
        (
            "expired",
            Fixture::with_token(Alg::HS256, sign(Alg::HS256, &claims(now() - 600))),
            FailureKind::Expired,
        ),
    ];
    let mut g = c.benchmark_group("reject_hs256");
    for (name, f, kind) in &cases {
        assert_eq!(f.audit().failure_kind(), Some(*kind));
        assert!(f.bare_decode().is_err());
        g.bench_function(format!("{name}/jwt_audit"), |b| {
            b.iter(|| black_box(f.verifier.verify(black_box(&f.token), &f.ctx)))
        });
        g.bench_function(format!("{name}/jsonwebtoken"), |b| {
            b.iter(|| black_box(f.bare_decode()))
        });
    }
    g.finish();
}

criterion_group!(benches, verify, parse, oversized, rejected);
criterion_main!(benches);
