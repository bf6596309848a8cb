//! The signature check, one backend per target: aws-lc-rs natively (keys parsed once at
//! construction), RustCrypto through jsonwebtoken on wasm32 (where the host may answer instead,
//! see [`crate::HostSignature`]).

use crate::algorithm::Algorithm;
use crate::keys::KeyMaterial;

#[cfg(not(target_arch = "wasm32"))]
mod backend {
    use super::*;
    use aws_lc_rs::{hmac, signature};

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
        _alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        match key {
            PreparedKey::Hmac(k) => hmac::verify(k, message, signature).is_ok(),
            PreparedKey::Public(k) => k.verify_sig(message, signature).is_ok(),
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod backend {
    use super::*;
    use hmac::Mac;
    use jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
    use jsonwebtoken::{Algorithm as JwtAlg, DecodingKey};

    /// A key ready to verify one algorithm.
    pub(crate) enum PreparedKey {
        Hmac(zeroize::Zeroizing<Vec<u8>>),
        Public(DecodingKey),
    }

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

    pub(crate) fn prepare(material: &KeyMaterial, alg: Algorithm) -> Result<PreparedKey, String> {
        let key = match material {
            KeyMaterial::Hmac(secret) => return Ok(PreparedKey::Hmac(secret.clone())),
            KeyMaterial::Rsa { n, e } => {
                if super::rsa_bits(n) < 2048 {
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
        Ok(PreparedKey::Public(key))
    }

    pub(crate) fn verify(
        key: &PreparedKey,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        match key {
            PreparedKey::Hmac(secret) => hmac_verify(secret, alg, message, signature),
            PreparedKey::Public(k) => match (DEFAULT_PROVIDER.verifier_factory)(&jwt_alg(alg), k) {
                Ok(v) => v.verify(message, &signature.to_vec()).is_ok(),
                Err(_) => false,
            },
        }
    }

    fn hmac_verify(secret: &[u8], alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        macro_rules! check {
            ($d:ty) => {
                match hmac::Hmac::<$d>::new_from_slice(secret) {
                    Ok(mut m) => {
                        m.update(message);
                        m.verify_slice(signature).is_ok()
                    }
                    Err(_) => false,
                }
            };
        }
        match alg {
            Algorithm::HS256 => check!(sha2::Sha256),
            Algorithm::HS384 => check!(sha2::Sha384),
            Algorithm::HS512 => check!(sha2::Sha512),
            _ => false,
        }
    }
}

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
