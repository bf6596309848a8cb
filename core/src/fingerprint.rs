//! Token fingerprints and hashed claims: a digest of the whole compact token (never a prefix —
//! every HS256 token starts with the same header bytes), keyed when a `fingerprint_key` is set so
//! that a leaked log cannot confirm a guessed token. Written `<scheme>:<base64url of 128 bits>`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::digest::zeroize::ZeroizeOnDrop;
use hmac::{Mac, digest::KeyInit};
use sha2::{Digest, Sha256};

/// Scheme of an unkeyed fingerprint.
pub const SCHEME_SHA256: &str = "sha256";
/// Scheme of a keyed fingerprint.
pub const SCHEME_HMAC_SHA256: &str = "hmac-sha256";

/// Computes fingerprints and claim digests with one (optional) key.
#[derive(Clone)]
pub struct Fingerprinter {
    /// The key's prepared HMAC state (key-equivalent), wiped on drop (checked below).
    keyed: Option<hmac::Hmac<Sha256>>,
}

/// Compiles only if a prepared `Hmac<D>` is wiped on drop: its key-derived part is two hash states
/// (after the inner and outer padded key blocks) of type `D::Core`, which zeroize themselves on
/// drop with sha2's `zeroize` feature. (hmac 0.13's `Hmac` does not carry the `ZeroizeOnDrop`
/// marker itself, but its drop glue drops those states.)
pub(crate) const fn hmac_key_state_wiped_on_drop<D>()
where
    D: hmac::EagerHash,
    D::Core: ZeroizeOnDrop,
{
}

const _: () = hmac_key_state_wiped_on_drop::<Sha256>();

impl Fingerprinter {
    /// Unkeyed (`sha256:`) when `key` is `None`, else HMAC-SHA256 (`hmac-sha256:`).
    pub fn new(key: Option<&[u8]>) -> Self {
        Self {
            keyed: key.map(|k| {
                <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(k)
                    .expect("HMAC takes any key length")
            }),
        }
    }

    /// `<scheme>:<base64url of the first 128 bits of the digest>`.
    ///
    /// ```
    /// let fp = jwt_audit::Fingerprinter::new(None).fingerprint(b"abc");
    /// assert_eq!(fp, "sha256:ungWv48Bz-pBQUDeXa4iIw");
    /// ```
    pub fn fingerprint(&self, data: &[u8]) -> String {
        match &self.keyed {
            Some(mac) => {
                let mut mac = mac.clone();
                mac.update(data);
                written(SCHEME_HMAC_SHA256, mac.finalize().into_bytes().into())
            }
            None => written(SCHEME_SHA256, Sha256::digest(data).into()),
        }
    }

    /// The fingerprint of `data` and, when unkeyed, the SHA-256 of `data[..split]` from the same
    /// pass over the bytes (a token's signing input: RS256, PS256 and ES256 check its SHA-256).
    pub(crate) fn fingerprint_and_prefix_sha256(
        &self,
        data: &[u8],
        split: usize,
    ) -> (String, Option<[u8; 32]>) {
        match (&self.keyed, data.split_at_checked(split)) {
            (None, Some((prefix, rest))) => {
                let mut sha = Sha256::new();
                sha.update(prefix);
                let prefix_sha256 = sha.clone().finalize().into();
                sha.update(rest);
                (
                    written(SCHEME_SHA256, sha.finalize().into()),
                    Some(prefix_sha256),
                )
            }
            _ => (self.fingerprint(data), None),
        }
    }
}

/// `<scheme>:<base64url of the first 128 bits of digest>`.
fn written(scheme: &str, digest: [u8; 32]) -> String {
    let mut out = String::with_capacity(scheme.len() + 23);
    out.push_str(scheme);
    out.push(':');
    URL_SAFE_NO_PAD.encode_string(&digest[..16], &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_gives_the_fingerprint_and_the_prefix_digest() {
        let data = b"header.payload.signature";
        let unkeyed = Fingerprinter::new(None);
        let (fp, prefix) = unkeyed.fingerprint_and_prefix_sha256(data, 14);
        assert_eq!(fp, unkeyed.fingerprint(data));
        assert_eq!(prefix, Some(Sha256::digest(b"header.payload").into()));
        assert_eq!(unkeyed.fingerprint_and_prefix_sha256(data, 99).1, None);
        let keyed = Fingerprinter::new(Some(b"fingerprint-key!"));
        let (fp, prefix) = keyed.fingerprint_and_prefix_sha256(data, 14);
        assert_eq!((fp, prefix), (keyed.fingerprint(data), None));
    }
}
