//! `jwt-audit demo`: the project's main job on an embedded default. No files, no network.
//!
//! It creates keys in memory (an HMAC secret, RSA-2048, EC P-256 and Ed25519), configures a
//! verifier for a made-up `orders-api` exactly as a user would (a JWKS, a PEM, a JWK and a
//! secret), then replays 15 simulated minutes of traffic: mostly valid tokens from four kinds of
//! clients, plus the incidents an on-call engineer meets — expired and not-yet-valid tokens, wrong
//! audience and issuer, a missing scope, a revoked token, a token without `exp`, requests without
//! credentials — and a burst of attacks from one address: `alg: none`, HS256 signed with the RSA
//! public key, a tampered payload, `kid` injection, an oversized token, garbage and a JWE. Every
//! request goes through [`jwt_audit::Verifier::verify_authorization`]; every record is written as
//! JSON Lines, and a summary goes to stderr.
//!
//! The clock is fixed ([`START`]), and the traffic comes from a seeded generator, so the output is
//! the same on every run apart from record ids, durations, and what depends on the fresh keys
//! (signatures, hence fingerprints).

use crate::error::{CliError, Status};
use crate::output::RecordWriter;
use crate::summarize::{Bucket, Detail, Summary, render_text};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use clap::Args;
use jsonwebtoken::{Algorithm as Jws, EncodingKey, Header, encode};
use jwt_audit::{AuthzRequirement, RequestContext, RevocationList, Verifier, VerifierConfig};
use serde_json::{Map, Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// The demo's fixed clock: 2026-01-15T09:00:00Z, the start of the simulated traffic.
pub const START: i64 = 1_768_467_600;
/// Length of the simulated traffic, in seconds.
pub const SPAN_SECONDS: i64 = 900;
/// Requests simulated by default.
pub const DEFAULT_REQUESTS: u32 = 240;
/// The made-up API's issuer and audience.
pub const ISSUER: &str = "https://auth.acme.example";
pub const AUDIENCE: &str = "orders-api";
/// Where the attacks come from (an address from the documentation range).
pub const ATTACKER_IP: &str = "198.51.100.66";
const SEED: u64 = 2026;
const KID_HS: &str = "hs-legacy-1";
const KID_RSA: &str = "rsa-2026-01";
const KID_EC: &str = "ec-partner-1";
const KID_ED: &str = "ed-batch-1";

/// Arguments of `demo`.
#[derive(Args, Debug, Clone)]
pub struct DemoArgs {
    /// Write the records to this file (replaced) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Number of simulated requests (incidents scale with it).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_REQUESTS,
          value_parser = clap::value_parser!(u32).range(100..=1_000_000))]
    pub requests: u32,
    /// Do not print the summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Keys made in memory for the demo. Private keys never leave this struct; the verifier gets the
/// public halves, the way an operator would configure it.
struct Keys {
    hmac_secret: String,
    rsa: EncodingKey,
    rsa_jwk: Value,
    rsa_public_pem: String,
    ec: EncodingKey,
    ec_public_pem: String,
    ed: EncodingKey,
    ed_public_x: String,
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn keygen_error(what: &str) -> CliError {
    CliError::new(format!("could not generate the demo's {what} key"))
}

impl Keys {
    fn generate() -> Result<Self, CliError> {
        let mut secret = [0u8; 32];
        aws_lc_rs::rand::fill(&mut secret).map_err(|_| keygen_error("HMAC"))?;

        let rsa = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| keygen_error("RSA"))?;
        let rsa_pkcs8: Pkcs8V1Der<'_> = rsa.as_der().map_err(|_| keygen_error("RSA"))?;
        let rsa_private =
            EncodingKey::from_rsa_pem(pem("PRIVATE KEY", rsa_pkcs8.as_ref()).as_bytes())
                .map_err(|_| keygen_error("RSA"))?;
        let public = rsa.public_key();
        let rsa_spki: PublicKeyX509Der<'_> = public.as_der().map_err(|_| keygen_error("RSA"))?;
        let rsa_jwk = json!({
            "kty": "RSA", "kid": KID_RSA, "use": "sig", "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
            "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
        });

        let ec = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| keygen_error("EC"))?;
        let ec_pkcs8 = ec.to_pkcs8v1().map_err(|_| keygen_error("EC"))?;
        let ec_spki: PublicKeyX509Der<'_> =
            ec.public_key().as_der().map_err(|_| keygen_error("EC"))?;

        let ed = Ed25519KeyPair::generate().map_err(|_| keygen_error("Ed25519"))?;
        let ed_pkcs8 = ed.to_pkcs8().map_err(|_| keygen_error("Ed25519"))?;

        Ok(Self {
            hmac_secret: URL_SAFE_NO_PAD.encode(secret),
            rsa: rsa_private,
            rsa_jwk,
            rsa_public_pem: pem("PUBLIC KEY", rsa_spki.as_ref()),
            ec: EncodingKey::from_ec_der(ec_pkcs8.as_ref()),
            ec_public_pem: pem("PUBLIC KEY", ec_spki.as_ref()),
            ed: EncodingKey::from_ed_der(ed_pkcs8.as_ref()),
            ed_public_x: URL_SAFE_NO_PAD.encode(ed.public_key().as_ref()),
        })
    }

    /// The verifier's configuration, written as a user would write it in a config file.
    fn config(&self) -> Value {
        json!({
            "keys": [
                {"jwks": {"keys": [self.rsa_jwk]}},
                {"pem": self.ec_public_pem, "kid": KID_EC},
                {"jwk": {"kty": "OKP", "crv": "Ed25519", "kid": KID_ED, "x": self.ed_public_x}},
                {"secret": self.hmac_secret, "kid": KID_HS},
            ],
            "algorithms": ["RS256", "ES256", "EdDSA", "HS256"],
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "name": "orders-api",
        })
    }

    /// A compact JWS. Signing in-memory keys with valid claims cannot fail; an empty string
    /// (a missing token) would show up in the records if it ever did.
    fn sign(&self, alg: Jws, kid: &str, claims: &Value) -> String {
        let key = match alg {
            Jws::RS256 => &self.rsa,
            Jws::ES256 => &self.ec,
            Jws::EdDSA => &self.ed,
            _ => return sign_hmac(self.hmac_secret.as_bytes(), kid, claims),
        };
        let mut header = Header::new(alg);
        header.kid = Some(kid.to_string());
        encode(&header, claims, key).unwrap_or_default()
    }
}

fn sign_hmac(secret: &[u8], kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Jws::HS256);
    header.kid = Some(kid.to_string());
    encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap_or_default()
}

/// An unsigned token with this header.
fn unsigned(header: &Value, claims: &Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.", part(header), part(claims))
}

/// The kinds of client calling the API, each with its own key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    Mobile,
    Partner,
    Batch,
    Legacy,
}

impl Client {
    fn alg(self) -> (Jws, &'static str) {
        match self {
            Self::Mobile => (Jws::RS256, KID_RSA),
            Self::Partner => (Jws::ES256, KID_EC),
            Self::Batch => (Jws::EdDSA, KID_ED),
            Self::Legacy => (Jws::HS256, KID_HS),
        }
    }
}

/// A client with a token it reuses for every request (as access tokens are).
struct Session {
    client: Client,
    sub: String,
    ip: String,
    user_agent: &'static str,
    jti: String,
    token: String,
}

/// What happens in one simulated request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Incident {
    Normal,
    StuckExpired,
    Expired,
    NotYetValid,
    WrongAudience,
    WrongIssuer,
    MissingScope,
    Revoked,
    NoExp,
    NoCredentials,
    Basic,
    AlgNone,
    KeyConfusion,
    Tampered,
    KidInjection,
    RotatedKid,
    Oversized,
    Garbage,
    Jwe,
}

/// How often each incident occurs in [`DEFAULT_REQUESTS`] requests, and when (seconds from
/// [`START`]): the attacks come in one burst.
const INCIDENTS: [(Incident, u32, (i64, i64)); 18] = [
    (Incident::StuckExpired, 10, (0, SPAN_SECONDS)),
    (Incident::Expired, 5, (0, SPAN_SECONDS)),
    (Incident::NotYetValid, 3, (120, 300)),
    (Incident::WrongAudience, 5, (0, SPAN_SECONDS)),
    (Incident::WrongIssuer, 3, (600, SPAN_SECONDS)),
    (Incident::MissingScope, 4, (0, SPAN_SECONDS)),
    (Incident::Revoked, 2, (420, 480)),
    (Incident::NoExp, 3, (0, SPAN_SECONDS)),
    (Incident::NoCredentials, 8, (0, SPAN_SECONDS)),
    (Incident::Basic, 2, (0, SPAN_SECONDS)),
    (Incident::AlgNone, 2, (400, 520)),
    (Incident::KeyConfusion, 2, (400, 520)),
    (Incident::Tampered, 3, (400, 520)),
    (Incident::KidInjection, 1, (400, 520)),
    (Incident::RotatedKid, 2, (0, SPAN_SECONDS)),
    (Incident::Oversized, 1, (400, 520)),
    (Incident::Garbage, 4, (400, 520)),
    (Incident::Jwe, 1, (400, 520)),
];

const NAMES: [&str; 8] = [
    "Ana Souza",
    "Jonas Berg",
    "Mei Chen",
    "Omar Haddad",
    "Priya Nair",
    "Lukas Novak",
    "Sofia Rossi",
    "Kwame Mensah",
];
const MOBILE_AGENTS: [&str; 2] = ["AcmeShop-iOS/5.2.1", "AcmeShop-Android/5.2.0"];
const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const ATTACKER_AGENT: &str = "python-requests/2.31.0";

/// One simulated HTTP request.
struct Request {
    authorization: Option<String>,
    context: RequestContext,
    need: Option<AuthzRequirement>,
}

/// The simulated traffic: sessions, incident tokens and a seeded generator.
struct Traffic {
    keys: Keys,
    rng: fastrand::Rng,
    sessions: Vec<Session>,
    stuck_token: String,
    no_exp_token: String,
    stolen: usize,
    seq: u32,
}

impl Traffic {
    fn new(keys: Keys) -> Self {
        let mut t = Self {
            keys,
            rng: fastrand::Rng::with_seed(SEED),
            sessions: Vec::new(),
            stuck_token: String::new(),
            no_exp_token: String::new(),
            stolen: 6,
            seq: 0,
        };
        for i in 0..16 {
            let iat = START - t.rng.i64(60..1800);
            let agent = MOBILE_AGENTS[i % 2];
            let ip = format!("203.0.113.{}", 10 + i * 7);
            t.add_session(Client::Mobile, format!("user-{}", 1001 + i), ip, agent, iat);
        }
        for (sub, ip) in [
            ("partner-logistics", "192.0.2.10"),
            ("partner-payments", "192.0.2.44"),
        ] {
            let iat = START - t.rng.i64(60..1800);
            t.add_session(
                Client::Partner,
                sub.into(),
                ip.into(),
                "partner-sync/2.4",
                iat,
            );
        }
        let iat = START - 600;
        t.add_session(
            Client::Batch,
            "svc-export".into(),
            "10.0.4.21".into(),
            "acme-batch/1.9",
            iat,
        );
        t.add_session(
            Client::Legacy,
            "svc-reports".into(),
            "10.0.7.3".into(),
            "legacy-reports/0.7",
            iat,
        );
        // An app that never refreshed: its token expired 20 minutes before the traffic starts.
        let claims = t.claims(Client::Mobile, "user-1042", START - 4800);
        t.stuck_token = t.keys.sign(Jws::RS256, KID_RSA, &claims);
        // A legacy script whose tokens never expire.
        let mut claims = t.claims(Client::Legacy, "svc-cron", START - 86_400);
        strip(&mut claims, "exp");
        t.no_exp_token = t.keys.sign(Jws::HS256, KID_HS, &claims);
        t
    }

    /// Registered claims, authorisation claims and (for people) personal data that the default
    /// redaction policy drops from records.
    fn claims(&mut self, client: Client, sub: &str, iat: i64) -> Value {
        let jti = format!("{:016x}", self.rng.u64(..));
        let mut c = json!({
            "iss": ISSUER, "sub": sub, "aud": AUDIENCE,
            "iat": iat, "exp": iat + 3600, "jti": jti,
        });
        let extra = match client {
            Client::Mobile => {
                let name = NAMES[self.rng.usize(..NAMES.len())];
                json!({"scope": "orders:read orders:write", "name": name,
                       "email": format!("{sub}@mail.example"), "locale": "en-GB"})
            }
            Client::Partner => json!({"scope": "orders:read shipments:write", "client_id": sub}),
            Client::Batch => json!({"scope": "orders:read orders:export", "roles": ["exporter"]}),
            Client::Legacy => json!({"scope": "orders:read"}),
        };
        if let (Some(c), Value::Object(extra)) = (c.as_object_mut(), extra) {
            c.extend(extra);
        }
        c
    }

    fn add_session(
        &mut self,
        client: Client,
        sub: String,
        ip: String,
        agent: &'static str,
        iat: i64,
    ) {
        let claims = self.claims(client, &sub, iat);
        let (alg, kid) = client.alg();
        self.sessions.push(Session {
            client,
            jti: claims["jti"].as_str().unwrap_or_default().to_string(),
            token: self.keys.sign(alg, kid, &claims),
            sub,
            ip,
            user_agent: agent,
        });
    }

    fn context(&mut self, ip: &str, agent: &str, method: &str, path: &str) -> RequestContext {
        self.seq += 1;
        RequestContext::new()
            .correlation_id(format!("req-{:06}", self.seq))
            .client_ip(ip)
            .method(method)
            .path(path)
            .user_agent(agent)
    }

    fn order(&mut self) -> String {
        format!("ord-{}", self.rng.u32(4000..9999))
    }

    /// A route a client of this kind calls.
    fn route(&mut self, client: Client) -> (&'static str, String) {
        let order = self.order();
        match (client, self.rng.u8(..4)) {
            (Client::Mobile, 0) => ("POST", "/orders".into()),
            (Client::Mobile, 1) => ("GET", format!("/orders/{order}/items")),
            (Client::Mobile, 2) => ("GET", format!("/orders/{order}")),
            (Client::Mobile, _) => ("GET", "/orders".into()),
            (Client::Partner, n) if n < 2 => ("PUT", format!("/orders/{order}/shipment")),
            (Client::Partner, _) => ("GET", "/orders?status=open".into()),
            (Client::Batch, _) => ("GET", "/orders/export?since=2026-01-14".into()),
            (Client::Legacy, _) => ("GET", "/orders/summary".into()),
        }
    }

    fn mobile_session(&mut self) -> usize {
        self.rng.usize(..16)
    }

    /// A request from session `s` presenting `token` on one of its usual routes.
    fn by_session(&mut self, s: usize, token: String) -> Request {
        let client = self.sessions[s].client;
        let (method, path) = self.route(client);
        let (ip, agent) = (self.sessions[s].ip.clone(), self.sessions[s].user_agent);
        Request {
            authorization: Some(format!("Bearer {token}")),
            context: self.context(&ip, agent, method, &path),
            need: None,
        }
    }

    fn by_attacker(&mut self, authorization: String) -> Request {
        let order = self.order();
        Request {
            authorization: Some(authorization),
            context: self.context(
                ATTACKER_IP,
                ATTACKER_AGENT,
                "GET",
                &format!("/admin/orders/{order}"),
            ),
            need: None,
        }
    }

    /// Mints a token for session `s`'s client with `change` applied to the claims.
    fn mint_for(&mut self, s: usize, now: i64, change: impl FnOnce(&mut Value)) -> String {
        let client = self.sessions[s].client;
        let sub = self.sessions[s].sub.clone();
        let mut claims = self.claims(client, &sub, now - 60);
        change(&mut claims);
        let (alg, kid) = client.alg();
        self.keys.sign(alg, kid, &claims)
    }

    fn request(&mut self, incident: Incident, now: i64) -> Request {
        match incident {
            Incident::Normal => {
                // The stolen token's owner logged in again after the revocation.
                let s = loop {
                    let s = self.rng.usize(..self.sessions.len());
                    if s != self.stolen {
                        break s;
                    }
                };
                let token = self.sessions[s].token.clone();
                self.by_session(s, token)
            }
            Incident::StuckExpired => {
                let token = self.stuck_token.clone();
                let order = self.order();
                Request {
                    authorization: Some(format!("Bearer {token}")),
                    context: self.context(
                        "203.0.113.77",
                        "AcmeShop-Android/4.9.3",
                        "GET",
                        &format!("/orders/{order}"),
                    ),
                    need: None,
                }
            }
            Incident::Expired => {
                let s = self.mobile_session();
                let ago = self.rng.i64(60..7200);
                let token = self.mint_for(s, now, |c| {
                    c["iat"] = json!(now - ago - 3600);
                    c["exp"] = json!(now - ago);
                });
                self.by_session(s, token)
            }
            Incident::NotYetValid => {
                // The partner's token service runs five minutes fast.
                let s = 16;
                let token = self.mint_for(s, now, |c| {
                    c["iat"] = json!(now + 300);
                    c["nbf"] = json!(now + 300);
                    c["exp"] = json!(now + 3900);
                });
                self.by_session(s, token)
            }
            Incident::WrongAudience => {
                // A beta build still configured for staging.
                let s = self.mobile_session();
                let token = self.mint_for(s, now, |c| c["aud"] = json!("orders-api-staging"));
                let mut r = self.by_session(s, token);
                r.context.user_agent = Some("AcmeShop-iOS/5.3.0-beta.2".into());
                r
            }
            Incident::WrongIssuer => {
                let s = 18;
                let token = self.mint_for(s, now, |c| {
                    c["iss"] = json!("https://auth.staging.acme.example")
                });
                self.by_session(s, token)
            }
            Incident::MissingScope => {
                let s = self.mobile_session();
                let token = self.sessions[s].token.clone();
                let order = self.order();
                let mut r = self.by_session(s, token);
                r.context.method = Some("DELETE".into());
                r.context.path = Some(format!("/admin/orders/{order}"));
                r.need = Some(AuthzRequirement::new().scopes(["orders:admin"]));
                r
            }
            Incident::Revoked => {
                let token = self.sessions[self.stolen].token.clone();
                Request {
                    authorization: Some(format!("Bearer {token}")),
                    context: self.context("198.51.100.23", "curl/8.5.0", "GET", "/orders"),
                    need: None,
                }
            }
            Incident::NoExp => {
                let token = self.no_exp_token.clone();
                Request {
                    authorization: Some(format!("Bearer {token}")),
                    context: self.context("10.0.7.9", "cron-export.sh", "GET", "/orders/summary"),
                    need: None,
                }
            }
            Incident::NoCredentials => {
                let ip = format!("203.0.113.{}", self.rng.u8(150..250));
                Request {
                    authorization: None,
                    context: self.context(&ip, BROWSER, "GET", "/orders"),
                    need: None,
                }
            }
            Incident::Basic => Request {
                authorization: Some("Basic b3BzOmh1bnRlcjI=".into()),
                context: self.context("10.0.9.5", "curl/7.88.1", "GET", "/orders/export"),
                need: None,
            },
            Incident::AlgNone => {
                let mut claims = self.claims(Client::Mobile, "admin", now);
                claims["scope"] = json!("orders:admin");
                let token = unsigned(&json!({"alg": "none", "typ": "JWT"}), &claims);
                self.by_attacker(format!("Bearer {token}"))
            }
            Incident::KeyConfusion => {
                // HS256 "signed" with the RSA public key, which the attacker downloaded.
                let mut claims = self.claims(Client::Mobile, "admin", now);
                claims["scope"] = json!("orders:admin");
                let token = sign_hmac(self.keys.rsa_public_pem.as_bytes(), KID_RSA, &claims);
                self.by_attacker(format!("Bearer {token}"))
            }
            Incident::Tampered => {
                // A captured valid token with an extra scope pasted into the payload.
                let s = self.mobile_session();
                let token = tamper(&self.sessions[s].token);
                self.by_attacker(format!("Bearer {token}"))
            }
            Incident::KidInjection => {
                let claims = self.claims(Client::Mobile, "admin", now);
                let token = sign_hmac(b"\0", "../../../../dev/null", &claims);
                self.by_attacker(format!("Bearer {token}"))
            }
            Incident::RotatedKid => {
                // An old app build holding a token from the key rotated out last year.
                let s = self.mobile_session();
                let sub = self.sessions[s].sub.clone();
                let claims = self.claims(Client::Mobile, &sub, now - 120);
                let token = self.keys.sign(Jws::RS256, "rsa-2025-07", &claims);
                self.by_session(s, token)
            }
            Incident::Oversized => {
                let mut claims = self.claims(Client::Mobile, "admin", now);
                claims["permissions"] = json!(vec!["orders:admin"; 1000]);
                let token = sign_hmac(b"guess", KID_HS, &claims);
                self.by_attacker(format!("Bearer {token}"))
            }
            Incident::Garbage => {
                const GARBAGE: [&str; 4] = [
                    "Bearer undefined",
                    "Bearer null",
                    "Bearer eyJhbGciOiJIUzI1NiJ9",
                    "Bearer ' OR '1'='1",
                ];
                let g = GARBAGE[self.seq as usize % GARBAGE.len()];
                self.by_attacker(g.to_string())
            }
            Incident::Jwe => {
                let part = |n: usize| URL_SAFE_NO_PAD.encode(vec![0x5a; n]);
                let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RSA-OAEP-256","enc":"A256GCM"}"#);
                let token = format!(
                    "{header}.{}.{}.{}.{}",
                    part(256),
                    part(12),
                    part(64),
                    part(16)
                );
                self.by_attacker(format!("Bearer {token}"))
            }
        }
    }
}

fn strip(claims: &mut Value, name: &str) {
    if let Some(c) = claims.as_object_mut() {
        c.remove(name);
    }
}

/// The token with `orders:admin` added to its `scope`, header and signature kept.
fn tamper(token: &str) -> String {
    let mut parts = token.splitn(3, '.');
    let (h, p, s) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let mut claims: Map<String, Value> = URL_SAFE_NO_PAD
        .decode(p)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    claims.insert(
        "scope".into(),
        json!("orders:read orders:write orders:admin"),
    );
    let payload = URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string());
    format!("{h}.{payload}.{s}")
}

/// The simulated schedule: (seconds from START, incident), in time order.
fn schedule(rng: &mut fastrand::Rng, requests: u32) -> Vec<(i64, Incident)> {
    let mut events = Vec::with_capacity(requests as usize);
    for (incident, base, (from, to)) in INCIDENTS {
        let n = (u64::from(base) * u64::from(requests)).div_ceil(u64::from(DEFAULT_REQUESTS));
        for _ in 0..n {
            events.push((rng.i64(from..to), incident));
        }
    }
    while events.len() < requests as usize {
        events.push((rng.i64(0..SPAN_SECONDS), Incident::Normal));
    }
    events.sort_by_key(|e| e.0);
    events
}

/// Runs the demo: records to stdout (or `--out`), the summary to stderr.
pub fn run(args: &DemoArgs) -> Result<Status, CliError> {
    let started = Instant::now();
    let keys = Keys::generate()?;
    let mut config_json = keys.config();
    let mut traffic = Traffic::new(keys);
    let revoked = Arc::new(RevocationList::new());
    let stolen = &traffic.sessions[traffic.stolen];
    revoked.revoke(ISSUER, &stolen.jti);

    let mut out = match &args.out {
        Some(path) => RecordWriter::create("--out", path)?,
        None => RecordWriter::stdout(false),
    };
    let mut summary = Summary::new(Bucket::Minute);
    let destination = args
        .out
        .as_ref()
        .map_or("stdout".to_string(), |p| p.display().to_string());
    summary.inputs.push(format!("the demo ({destination})"));

    let mut rng = fastrand::Rng::with_seed(SEED ^ 0x5eed);
    let mut current: Option<(i64, Verifier)> = None;
    for (n, (offset, incident)) in schedule(&mut rng, args.requests).into_iter().enumerate() {
        let now = START + offset;
        // One verifier per simulated second: the clock is part of the configuration.
        let verifier = match &current {
            Some((t, v)) if *t == now => v.clone(),
            _ => {
                config_json["now"] = json!(now);
                let config = VerifierConfig::from_json_value(config_json.clone())
                    .map_err(|e| CliError::new(format!("demo configuration: {e}")))?;
                let v = Verifier::builder()
                    .config(config)
                    .shared_lifecycle(revoked.clone())
                    .build()
                    .map_err(|e| CliError::new(format!("demo configuration: {e}")))?;
                current = Some((now, v.clone()));
                v
            }
        };
        let req = traffic.request(incident, now);
        let v = verifier.verify_authorization(
            req.authorization.as_deref(),
            &req.context,
            req.need.as_ref(),
        );
        let line = out.write(v.record())?;
        summary.add_line("demo", n as u64 + 1, line);
    }
    out.flush()?;
    if !args.quiet {
        eprint!("{}", intro(args, started.elapsed().as_secs_f64()));
        eprint!("{}", render_text(&summary, 5, Detail::Brief));
        eprintln!("\n{}", outro(args));
    }
    Ok(Status::Success)
}

fn intro(args: &DemoArgs, seconds: f64) -> String {
    format!(
        "jwt-audit demo: {} requests to `{AUDIENCE}` over {} simulated minutes, verified in {seconds:.2} s.\n\
         Keys made in memory: RS256 (served as a JWKS), ES256 (PEM), EdDSA (JWK), HS256 (secret).\n\
         Every request produced one audit record (JSON Lines, {}).\n\n",
        args.requests,
        SPAN_SECONDS / 60,
        args.out
            .as_ref()
            .map_or("on stdout".to_string(), |p| format!("in {}", p.display())),
    )
}

fn outro(args: &DemoArgs) -> String {
    let file = args
        .out
        .as_ref()
        .map_or("demo.jsonl".to_string(), |p| p.display().to_string());
    format!(
        "Next: jwt-audit demo --out {file}; jwt-audit summarize --bucket 1m {file}\n      \
         jwt-audit inspect <token>   (decodes without trusting, redacted like a record)"
    )
}
