//! The signature check, one backend per target: aws-lc-rs natively (keys parsed once at
//! construction), RustCrypto through jsonwebtoken on wasm32 (where the host may answer instead,
//! see [`crate::HostSignature`]).

use crate::algorithm::Algorithm;
use crate::keys::KeyMaterial;

#[cfg(not(target_arch = "wasm32"))]
mod backend {
    use super::*;
    use aws_lc_rs::{digest, hmac, signature};

    /// A key ready to verify one algorithm.
    pub(crate) enum PreparedKey {
        Hmac(Box<hmac::Key>),
        Public(signature::ParsedPublicKey),
    }

    pub(crate) fn prepare(material: &KeyMaterial, alg: Algorithm) -> Result<PreparedKey, String> {
        use Algorithm::*;
        if let KeyMaterial::Hmac(secret) = material {
            let h = match alg {
                HS256 => hmac::HMAC_SHA256,
                HS384 => hmac::HMAC_SHA384,
                HS512 => hmac::HMAC_SHA512,
                _ => return Err(format!("an HMAC secret cannot serve {alg}")),
            };
            return Ok(PreparedKey::Hmac(Box::new(hmac::Key::new(h, secret))));
        }
        let params: &'static dyn signature::VerificationAlgorithm = match alg {
            RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            PS256 => &signature::RSA_PSS_2048_8192_SHA256,
            PS384 => &signature::RSA_PSS_2048_8192_SHA384,
            PS512 => &signature::RSA_PSS_2048_8192_SHA512,
            ES256 => &signature::ECDSA_P256_SHA256_FIXED,
            ES384 => &signature::ECDSA_P384_SHA384_FIXED,
            EdDSA => &signature::ED25519,
            HS256 | HS384 | HS512 => return Err(format!("a public key cannot serve {alg}")),
        };
        let bytes = material.public_key_bytes();
        signature::ParsedPublicKey::new(params, &bytes)
            .map(PreparedKey::Public)
            .map_err(|e| {
                format!("the key is rejected for {alg} ({e}); RSA keys need 2048 to 8192 bits")
            })
    }

    pub(crate) fn verify(
        key: &PreparedKey,
        alg: Algorithm,
        message: &[u8],
        message_sha256: Option<&[u8; 32]>,
        signature: &[u8],
    ) -> bool {
        match (key, message_sha256.filter(|_| takes_sha256(alg))) {
            (PreparedKey::Hmac(k), _) => hmac::verify(k, message, signature).is_ok(),
            (PreparedKey::Public(k), Some(sha256)) => {
                digest::Digest::import_less_safe(sha256, &digest::SHA256)
                    .is_ok_and(|d| k.verify_digest_sig(&d, signature).is_ok())
            }
            (PreparedKey::Public(k), None) => k.verify_sig(message, signature).is_ok(),
        }
    }

    pub(crate) fn takes_sha256(alg: Algorithm) -> bool {
        matches!(alg, Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256)
    }
}

#[cfg(target_arch = "wasm32")]
mod backend {
    use super::*;
    use hmac::Mac;
    use hmac::digest::KeyInit;

    /// A key ready to verify one algorithm.
    pub(crate) enum PreparedKey {
        Hmac(Box<HmacKey>),
        Public(public::Key),
    }

    /// An HMAC key with its schedule computed once: the hash states after the inner and outer
    /// padded key blocks, cloned for each verification (two compression calls fewer per token).
    /// Those states are key-equivalent material: they are wiped on drop (checked below).
    pub(crate) enum HmacKey {
        Hs256(hmac::Hmac<sha2::Sha256>),
        Hs384(hmac::Hmac<sha2::Sha384>),
        Hs512(hmac::Hmac<sha2::Sha512>),
    }

    const _: () = crate::fingerprint::hmac_key_state_wiped_on_drop::<sha2::Sha256>();
    const _: () = crate::fingerprint::hmac_key_state_wiped_on_drop::<sha2::Sha384>();
    const _: () = crate::fingerprint::hmac_key_state_wiped_on_drop::<sha2::Sha512>();

    pub(crate) fn prepare(material: &KeyMaterial, alg: Algorithm) -> Result<PreparedKey, String> {
        let KeyMaterial::Hmac(secret) = material else {
            return public::prepare(material, alg).map(PreparedKey::Public);
        };
        let err = |e| format!("an HMAC secret cannot serve {alg} ({e})");
        let key = match alg {
            Algorithm::HS256 => HmacKey::Hs256(KeyInit::new_from_slice(secret).map_err(err)?),
            Algorithm::HS384 => HmacKey::Hs384(KeyInit::new_from_slice(secret).map_err(err)?),
            Algorithm::HS512 => HmacKey::Hs512(KeyInit::new_from_slice(secret).map_err(err)?),
            _ => return Err(format!("an HMAC secret cannot serve {alg}")),
        };
        Ok(PreparedKey::Hmac(Box::new(key)))
    }

    /// `message_sha256` is never given here ([`takes_sha256`] is `false`).
    pub(crate) fn verify(
        key: &PreparedKey,
        alg: Algorithm,
        message: &[u8],
        _message_sha256: Option<&[u8; 32]>,
        signature: &[u8],
    ) -> bool {
        match key {
            PreparedKey::Hmac(key) => hmac_verify(key, message, signature),
            PreparedKey::Public(k) => public::verify(k, alg, message, signature),
        }
    }

    pub(crate) fn takes_sha256(_: Algorithm) -> bool {
        false
    }

    /// RS*/PS*/ES*/EdDSA inside the module: RustCrypto through jsonwebtoken.
    #[cfg(feature = "native-asymmetric")]
    mod public {
        use super::super::*;
        use jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
        use jsonwebtoken::{Algorithm as JwtAlg, DecodingKey};

        pub(crate) type Key = DecodingKey;

        fn jwt_alg(alg: Algorithm) -> JwtAlg {
            use Algorithm::*;
            match alg {
                HS256 => JwtAlg::HS256,
                HS384 => JwtAlg::HS384,
                HS512 => JwtAlg::HS512,
                RS256 => JwtAlg::RS256,
                RS384 => JwtAlg::RS384,
                RS512 => JwtAlg::RS512,
                PS256 => JwtAlg::PS256,
                PS384 => JwtAlg::PS384,
                PS512 => JwtAlg::PS512,
                ES256 => JwtAlg::ES256,
                ES384 => JwtAlg::ES384,
                EdDSA => JwtAlg::EdDSA,
            }
        }

        pub(crate) fn prepare(material: &KeyMaterial, alg: Algorithm) -> Result<Key, String> {
            let key = match material {
                KeyMaterial::Hmac(_) => return Err(format!("an HMAC secret cannot serve {alg}")),
                KeyMaterial::Rsa { n, e } => {
                    if rsa_bits(n) < 2048 {
                        return Err("RSA keys need 2048 to 8192 bits".to_string());
                    }
                    DecodingKey::from_rsa_raw_components(n, e)
                }
                KeyMaterial::Ec { .. } => DecodingKey::from_ec_der(&material.public_key_bytes()),
                KeyMaterial::Ed25519 { x } => DecodingKey::from_ed_der(x),
            };
            // Building the verifier once checks that the key parses for this algorithm.
            (DEFAULT_PROVIDER.verifier_factory)(&jwt_alg(alg), &key)
                .map_err(|e| format!("the key is rejected for {alg} ({e})"))?;
            Ok(key)
        }

        pub(crate) fn verify(key: &Key, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
            match (DEFAULT_PROVIDER.verifier_factory)(&jwt_alg(alg), key) {
                Ok(v) => v.verify(message, &signature.to_vec()).is_ok(),
                Err(_) => false,
            }
        }
    }

    /// Without `native-asymmetric` the module holds no RSA/EC/Ed25519 code: public-key signatures
    /// are verified only by the host, through [`crate::Verifier::begin`] (the WASM binding uses
    /// WebCrypto). Keys are checked for shape here; the host's crypto parses them at first use.
    #[cfg(not(feature = "native-asymmetric"))]
    mod public {
        use super::super::*;

        pub(crate) struct Key;

        pub(crate) fn prepare(material: &KeyMaterial, alg: Algorithm) -> Result<Key, String> {
            match material {
                KeyMaterial::Hmac(_) => Err(format!("an HMAC secret cannot serve {alg}")),
                KeyMaterial::Rsa { n, .. } if !(2048..=8192).contains(&rsa_bits(n)) => {
                    Err("RSA keys need 2048 to 8192 bits".to_string())
                }
                _ => Ok(Key),
            }
        }

        /// The synchronous path cannot check a public-key signature here: it fails closed.
        pub(crate) fn verify(_: &Key, _: Algorithm, _: &[u8], _: &[u8]) -> bool {
            false
        }
    }

    fn hmac_verify(key: &HmacKey, message: &[u8], signature: &[u8]) -> bool {
        fn check<M: Mac + Clone>(prepared: &M, message: &[u8], signature: &[u8]) -> bool {
            let mut mac = prepared.clone();
            mac.update(message);
            mac.verify_slice(signature).is_ok()
        }
        match key {
            HmacKey::Hs256(m) => check(m, message, signature),
            HmacKey::Hs384(m) => check(m, message, signature),
            HmacKey::Hs512(m) => check(m, message, signature),
        }
    }
}

/// `true` when the signature check of `alg` can start from the SHA-256 of the signing input,
/// computed in the same pass as the token's fingerprint (RS256, PS256, ES256 with aws-lc-rs).
pub(crate) use backend::takes_sha256;
pub(crate) use backend::{PreparedKey, prepare, verify};

/// Bits in a big-endian RSA modulus.
#[cfg(target_arch = "wasm32")]
pub(crate) fn rsa_bits(n: &[u8]) -> usize {
    let n = strip_leading_zeros(n);
    match n.first() {
        Some(b) => n.len() * 8 - b.leading_zeros() as usize,
        None => 0,
    }
}

pub(crate) fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

/// The JWK (`kty`, `n`, `e`) of an RSA public key read from PEM.
#[cfg(any(not(target_arch = "wasm32"), feature = "native-asymmetric"))]
pub(crate) fn rsa_pem_jwk(
    key: &jsonwebtoken::DecodingKey,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    let jwk = jsonwebtoken::jwk::Jwk::from_decoding_key(key, None).ok()?;
    serde_json::to_value(&jwk).ok()?.as_object().cloned()
}

/// The JWK (`kty`, `n`, `e`) of an RSA public key read from PEM. jsonwebtoken's own conversion
/// goes through its crypto provider, which would link the RSA/EC code: parse the DER here.
#[cfg(all(target_arch = "wasm32", not(feature = "native-asymmetric")))]
pub(crate) fn rsa_pem_jwk(
    key: &jsonwebtoken::DecodingKey,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine;
    // `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` (RFC 8017, DER).
    fn tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
        let (&t, rest) = input.split_first()?;
        let (&l, mut rest) = rest.split_first()?;
        if t != tag {
            return None;
        }
        let len = if l < 0x80 {
            l as usize
        } else {
            let n = (l & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let (bytes, r) = rest.split_at(n);
            rest = r;
            bytes.iter().fold(0usize, |acc, &b| (acc << 8) | b as usize)
        };
        (rest.len() >= len).then(|| rest.split_at(len))
    }
    let (seq, trailing) = tlv(key.try_get_as_bytes().ok()?, 0x30)?;
    let (n, rest) = tlv(seq, 0x02)?;
    let (e, rest) = tlv(rest, 0x02)?;
    if !trailing.is_empty() || !rest.is_empty() {
        return None;
    }
    let b64 =
        |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(strip_leading_zeros(v));
    let jwk = serde_json::json!({"kty": "RSA", "n": b64(n), "e": b64(e)});
    jwk.as_object().cloned()
}
