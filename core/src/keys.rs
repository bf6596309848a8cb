//! Turning key sources (JWKS, JWK, PEM, HMAC secret) into verification keys, checked once at
//! construction: a key that cannot serve any allowed algorithm is a configuration error.

use crate::algorithm::{Algorithm, KeyFamily};
use crate::config::KeySource;
use crate::crypto::{self, PreparedKey};
use crate::errors::ConfigError;
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value, json};
use zeroize::Zeroizing;

/// JWK fields are base64url; some publishers pad them, so padding is accepted here (only here:
/// token segments are strict).
const JWK_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Raw public key material (or an HMAC secret), in one canonical form per key type.
#[derive(Clone)]
pub(crate) enum KeyMaterial {
    Hmac(Zeroizing<Vec<u8>>),
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Ec { p384: bool, x: Vec<u8>, y: Vec<u8> },
    Ed25519 { x: Vec<u8> },
}

impl KeyMaterial {
    pub(crate) fn family(&self) -> KeyFamily {
        match self {
            Self::Hmac(_) => KeyFamily::Hmac,
            Self::Rsa { .. } => KeyFamily::Rsa,
            Self::Ec { p384: false, .. } => KeyFamily::EcP256,
            Self::Ec { p384: true, .. } => KeyFamily::EcP384,
            Self::Ed25519 { .. } => KeyFamily::Ed25519,
        }
    }

    // Used by the in-module public-key backends only (not by WebCrypto-only wasm32 builds).
    #[cfg_attr(
        all(target_arch = "wasm32", not(feature = "native-asymmetric")),
        allow(dead_code)
    )]
    /// The public key in the form the native crypto parses: PKCS#1 `RSAPublicKey` DER, SEC1
    /// uncompressed point, or the raw Ed25519 key. Empty for HMAC.
    pub(crate) fn public_key_bytes(&self) -> Vec<u8> {
        match self {
            Self::Hmac(_) => Vec::new(),
            Self::Rsa { n, e } => rsa_public_key_der(n, e),
            Self::Ec { x, y, .. } => {
                let mut p = Vec::with_capacity(1 + x.len() + y.len());
                p.push(4);
                p.extend_from_slice(x);
                p.extend_from_slice(y);
                p
            }
            Self::Ed25519 { x } => x.clone(),
        }
    }

    /// The public key as a JWK (for hosts that verify with WebCrypto). `None` for HMAC secrets,
    /// which never leave the core.
    pub(crate) fn public_jwk(&self) -> Option<Value> {
        let b = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        Some(match self {
            Self::Hmac(_) => return None,
            Self::Rsa { n, e } => {
                json!({"kty": "RSA", "n": b(crypto::strip_leading_zeros(n)), "e": b(e)})
            }
            Self::Ec { p384, x, y } => {
                json!({"kty": "EC", "crv": if *p384 { "P-384" } else { "P-256" }, "x": b(x), "y": b(y)})
            }
            Self::Ed25519 { x } => json!({"kty": "OKP", "crv": "Ed25519", "x": b(x)}),
        })
    }
}

/// A configured key, ready for the algorithms it may serve.
pub(crate) struct VerificationKey {
    pub(crate) kid: Option<String>,
    pub(crate) family: KeyFamily,
    /// (algorithm, prepared key) for each allowed algorithm this key serves.
    pub(crate) prepared: Vec<(Algorithm, PreparedKey)>,
    pub(crate) public_jwk: Option<Value>,
}

impl VerificationKey {
    pub(crate) fn serves(&self, alg: Algorithm) -> Option<&PreparedKey> {
        self.prepared
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, k)| k)
    }
}

/// Builds every key from the sources, against the allow-list.
pub(crate) fn load_keys(
    sources: &[KeySource],
    allowed: &[Algorithm],
) -> Result<Vec<VerificationKey>, ConfigError> {
    if sources.is_empty() {
        return Err(ConfigError::new("keys", "at least one key is required"));
    }
    let mut out = Vec::new();
    for (i, src) in sources.iter().enumerate() {
        let label = format!("keys[{i}]");
        let given = [
            src.jwks.is_some(),
            src.jwk.is_some(),
            src.pem.is_some(),
            src.secret.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(ConfigError::new(
                label,
                "give exactly one of `jwks`, `jwk`, `pem`, `secret`",
            ));
        }
        if let Some(doc) = &src.jwks {
            if src.kid.is_some() {
                return Err(ConfigError::new(
                    format!("{label}.kid"),
                    "a JWKS carries its own `kid`s",
                ));
            }
            load_jwks(doc, &format!("{label}.jwks"), allowed, &mut out)?;
        } else if let Some(jwk) = &src.jwk {
            let jwk = as_object(jwk, &format!("{label}.jwk"))?;
            let parsed = parse_jwk(&jwk, &format!("{label}.jwk"))?;
            if !parsed.usable {
                return Err(ConfigError::new(
                    format!("{label}.jwk"),
                    "its `use`/`key_ops` do not allow verifying signatures",
                ));
            }
            let kid = src.kid.clone().or(parsed.kid.clone());
            out.push(build(
                parsed.material,
                kid,
                parsed.alg,
                allowed,
                &format!("{label}.jwk"),
            )?);
        } else if let Some(pem) = &src.pem {
            let material = parse_pem(pem, &format!("{label}.pem"))?;
            out.push(build(
                material,
                src.kid.clone(),
                None,
                allowed,
                &format!("{label}.pem"),
            )?);
        } else if let Some(secret) = &src.secret {
            let material = KeyMaterial::Hmac(Zeroizing::new(secret.as_bytes().to_vec()));
            out.push(build(
                material,
                src.kid.clone(),
                None,
                allowed,
                &format!("{label}.secret"),
            )?);
        }
    }
    Ok(out)
}

fn as_object(v: &Value, label: &str) -> Result<Map<String, Value>, ConfigError> {
    let v = match v {
        Value::String(text) => serde_json::from_str::<Value>(text)
            .map_err(|_| ConfigError::new(label, "is a string but not JSON text"))?,
        other => other.clone(),
    };
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(ConfigError::new(label, "must be a JSON object")),
    }
}

fn load_jwks(
    doc: &Value,
    label: &str,
    allowed: &[Algorithm],
    out: &mut Vec<VerificationKey>,
) -> Result<(), ConfigError> {
    let doc = as_object(doc, label)?;
    let Some(Value::Array(keys)) = doc.get("keys") else {
        return Err(ConfigError::new(
            format!("{label}.keys"),
            "a JWKS needs a `keys` array",
        ));
    };
    let before = out.len();
    for (j, jwk) in keys.iter().enumerate() {
        let l = format!("{label}.keys[{j}]");
        let jwk = as_object(jwk, &l)?;
        // A published JWKS mixes key types and uses: keys that cannot verify any allowed
        // algorithm are skipped, not fatal. A malformed key of a supported type is still an error.
        match parse_jwk(&jwk, &l) {
            Ok(parsed) => {
                if parsed.usable {
                    if let Ok(k) = build(parsed.material, parsed.kid, parsed.alg, allowed, &l) {
                        out.push(k);
                    }
                }
            }
            Err(e) if e.message.starts_with("unsupported") => {}
            Err(e) => return Err(e),
        }
    }
    if out.len() == before {
        return Err(ConfigError::new(
            label,
            "no key in this JWKS can verify any allowed algorithm",
        ));
    }
    Ok(())
}

struct ParsedJwk {
    material: KeyMaterial,
    kid: Option<String>,
    alg: Option<Algorithm>,
    /// `use`/`key_ops` allow signature verification.
    usable: bool,
}

fn parse_jwk(jwk: &Map<String, Value>, label: &str) -> Result<ParsedJwk, ConfigError> {
    let field = |name: &str| -> Result<Vec<u8>, ConfigError> {
        match jwk.get(name) {
            Some(Value::String(s)) => JWK_B64
                .decode(s)
                .map_err(|_| ConfigError::new(format!("{label}.{name}"), "is not base64url")),
            _ => Err(ConfigError::new(
                format!("{label}.{name}"),
                "is required (a base64url string)",
            )),
        }
    };
    let opt_str = |name: &str| -> Result<Option<String>, ConfigError> {
        match jwk.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ConfigError::new(
                format!("{label}.{name}"),
                "must be a string",
            )),
        }
    };
    let kty =
        opt_str("kty")?.ok_or_else(|| ConfigError::new(format!("{label}.kty"), "is required"))?;
    if jwk.contains_key("d") || (kty != "oct" && jwk.contains_key("k")) {
        return Err(ConfigError::new(
            label,
            "holds private key material; configure the public key only",
        ));
    }
    let material = match kty.as_str() {
        "oct" => KeyMaterial::Hmac(Zeroizing::new(field("k")?)),
        "RSA" => KeyMaterial::Rsa {
            n: field("n")?,
            e: field("e")?,
        },
        "EC" => {
            let crv = opt_str("crv")?.unwrap_or_default();
            let (p384, len) = match crv.as_str() {
                "P-256" => (false, 32),
                "P-384" => (true, 48),
                other => {
                    return Err(ConfigError::new(
                        format!("{label}.crv"),
                        format!("unsupported curve `{other}`"),
                    ));
                }
            };
            let (x, y) = (field("x")?, field("y")?);
            if x.len() != len || y.len() != len {
                return Err(ConfigError::new(
                    label,
                    format!("{crv} coordinates must be {len} bytes"),
                ));
            }
            KeyMaterial::Ec { p384, x, y }
        }
        "OKP" => {
            let crv = opt_str("crv")?.unwrap_or_default();
            if crv != "Ed25519" {
                return Err(ConfigError::new(
                    format!("{label}.crv"),
                    format!("unsupported curve `{crv}`"),
                ));
            }
            let x = field("x")?;
            if x.len() != 32 {
                return Err(ConfigError::new(
                    format!("{label}.x"),
                    "an Ed25519 key is 32 bytes",
                ));
            }
            KeyMaterial::Ed25519 { x }
        }
        other => {
            return Err(ConfigError::new(
                format!("{label}.kty"),
                format!("unsupported key type `{other}`"),
            ));
        }
    };
    let alg = match opt_str("alg")? {
        None => None,
        Some(a) => Some(a.parse::<Algorithm>().map_err(|_| {
            ConfigError::new(
                format!("{label}.alg"),
                format!("unsupported algorithm `{a}`"),
            )
        })?),
    };
    let use_ok = matches!(opt_str("use")?.as_deref(), None | Some("sig"));
    let ops_ok = match jwk.get("key_ops") {
        None | Some(Value::Null) => true,
        Some(Value::Array(ops)) => ops.iter().any(|o| o == "verify"),
        Some(_) => {
            return Err(ConfigError::new(
                format!("{label}.key_ops"),
                "must be an array of strings",
            ));
        }
    };
    Ok(ParsedJwk {
        material,
        kid: opt_str("kid")?,
        alg,
        usable: use_ok && ops_ok,
    })
}

fn parse_pem(pem: &str, label: &str) -> Result<KeyMaterial, ConfigError> {
    use jsonwebtoken::DecodingKey;
    let first = pem.trim_start().lines().next().unwrap_or("");
    if !first.starts_with("-----BEGIN ") {
        return Err(ConfigError::new(label, "is not PEM text"));
    }
    if first.contains("PRIVATE") {
        return Err(ConfigError::new(
            label,
            "holds a private key; configure the public key only",
        ));
    }
    let bytes = pem.as_bytes();
    if let Ok(k) = DecodingKey::from_rsa_pem(bytes) {
        let jwk = crypto::rsa_pem_jwk(&k)
            .ok_or_else(|| ConfigError::new(label, "is not a valid RSA public key"))?;
        return parse_jwk(&jwk, label).map(|p| p.material);
    }
    if let Ok(k) = DecodingKey::from_ec_pem(bytes) {
        let point = k
            .try_get_as_bytes()
            .map_err(|_| ConfigError::new(label, "is not a valid EC public key"))?;
        return match (point.first(), point.len()) {
            (Some(4), 65) => Ok(KeyMaterial::Ec {
                p384: false,
                x: point[1..33].to_vec(),
                y: point[33..].to_vec(),
            }),
            (Some(4), 97) => Ok(KeyMaterial::Ec {
                p384: true,
                x: point[1..49].to_vec(),
                y: point[49..].to_vec(),
            }),
            _ => Err(ConfigError::new(
                label,
                "is an EC key on an unsupported curve (P-256 and P-384 are supported)",
            )),
        };
    }
    if let Ok(k) = DecodingKey::from_ed_pem(bytes) {
        let x = k
            .try_get_as_bytes()
            .map_err(|_| ConfigError::new(label, "is not a valid Ed25519 public key"))?;
        if x.len() == 32 {
            return Ok(KeyMaterial::Ed25519 { x: x.to_vec() });
        }
    }
    Err(ConfigError::new(
        label,
        "is not a supported public key (RSA SPKI/PKCS#1, EC P-256/P-384 or Ed25519 SPKI)",
    ))
}

fn build(
    material: KeyMaterial,
    kid: Option<String>,
    jwk_alg: Option<Algorithm>,
    allowed: &[Algorithm],
    label: &str,
) -> Result<VerificationKey, ConfigError> {
    let family = material.family();
    let mut prepared = Vec::new();
    for &alg in allowed {
        if alg.family() != family || jwk_alg.is_some_and(|a| a != alg) {
            continue;
        }
        if let KeyMaterial::Hmac(secret) = &material {
            if secret.len() < alg.hash_len() {
                return Err(ConfigError::new(
                    label,
                    format!(
                        "HMAC secret is {} bytes; {alg} needs at least {} (RFC 7518 §3.2)",
                        secret.len(),
                        alg.hash_len()
                    ),
                ));
            }
        }
        let key = crypto::prepare(&material, alg).map_err(|m| ConfigError::new(label, m))?;
        prepared.push((alg, key));
    }
    if prepared.is_empty() {
        let allowed: Vec<_> = allowed.iter().map(|a| a.as_str()).collect();
        return Err(ConfigError::new(
            label,
            format!(
                "a {} key cannot serve any allowed algorithm ({})",
                family.as_str(),
                allowed.join(", ")
            ),
        ));
    }
    Ok(VerificationKey {
        kid,
        family,
        public_jwk: material.public_jwk(),
        prepared,
    })
}

#[cfg_attr(
    all(target_arch = "wasm32", not(feature = "native-asymmetric")),
    allow(dead_code)
)]
/// DER `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` (RFC 8017).
fn rsa_public_key_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    fn len(out: &mut Vec<u8>, l: usize) {
        if l < 0x80 {
            out.push(l as u8);
        } else {
            let bytes = l.to_be_bytes();
            let skip = bytes
                .iter()
                .position(|&b| b != 0)
                .unwrap_or(bytes.len() - 1);
            out.push(0x80 | (bytes.len() - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
    }
    fn integer(out: &mut Vec<u8>, v: &[u8]) {
        let v = crypto::strip_leading_zeros(v);
        let pad = v.first().is_none_or(|b| b & 0x80 != 0);
        out.push(0x02);
        len(out, v.len() + pad as usize);
        if pad {
            out.push(0);
        }
        out.extend_from_slice(v);
    }
    let mut body = Vec::with_capacity(n.len() + e.len() + 16);
    integer(&mut body, n);
    integer(&mut body, e);
    let mut out = Vec::with_capacity(body.len() + 4);
    out.push(0x30);
    len(&mut out, body.len());
    out.extend_from_slice(&body);
    out
}
