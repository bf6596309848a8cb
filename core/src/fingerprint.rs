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
        let (scheme, digest): (&str, [u8; 32]) = match &self.keyed {
            Some(mac) => {
                let mut mac = mac.clone();
                mac.update(data);
                (SCHEME_HMAC_SHA256, mac.finalize().into_bytes().into())
            }
            None => (SCHEME_SHA256, Sha256::digest(data).into()),
        };
        let mut out = String::with_capacity(scheme.len() + 23);
        out.push_str(scheme);
        out.push(':');
        URL_SAFE_NO_PAD.encode_string(&digest[..16], &mut out);
        out
    }
}
