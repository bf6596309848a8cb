//! A token as JavaScript passes it — a string or a `Uint8Array` (`Buffer`) — as bytes.

use crate::to_js::check;
use napi::bindgen_prelude::{FromNapiValue, TypeName, ValidateNapiValue, ValueType};
use napi::{Error, Result, Status, sys};
use std::cell::Cell;
use std::ptr;

thread_local! {
    /// A buffer reused across calls (taken while a token holds it, so nested calls get their own).
    static BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Room for the usual token in one N-API call (a longer one takes a second call to size it).
const USUAL_TOKEN_BYTES: usize = 4096;

/// The token's bytes: a string's UTF-8, or a copy of the array's bytes (a sink could detach the
/// array during the verification).
pub struct Token(Vec<u8>);

impl Token {
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, owned (for `verifyAsync`).
    pub fn into_vec(mut self) -> Vec<u8> {
        std::mem::take(&mut self.0)
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.0);
        if buf.capacity() <= 4 * USUAL_TOKEN_BYTES {
            buf.clear();
            BUFFER.set(buf);
        }
    }
}

// SAFETY (every `unsafe` block below): `env` and `value` are live for the current call and the
// out-pointers and buffer pointers are valid for the sizes passed.
impl FromNapiValue for Token {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        let mut buf = BUFFER.take();
        buf.clear();
        buf.reserve(USUAL_TOKEN_BYTES);
        let mut len = 0;
        // Copies at most capacity - 1 bytes, whole characters only: when fewer than 4 bytes
        // (the longest character) are left unused, the string may be longer.
        let status = unsafe {
            sys::napi_get_value_string_utf8(
                env,
                value,
                buf.as_mut_ptr().cast(),
                buf.capacity(),
                &mut len,
            )
        };
        if status == sys::Status::napi_string_expected {
            return unsafe { bytes_of_array(env, value, buf) };
        }
        check(status)?;
        if len + 4 >= buf.capacity() {
            check(unsafe {
                sys::napi_get_value_string_utf8(env, value, ptr::null_mut(), 0, &mut len)
            })?;
            buf.reserve(len + 1);
            check(unsafe {
                sys::napi_get_value_string_utf8(
                    env,
                    value,
                    buf.as_mut_ptr().cast(),
                    len + 1,
                    &mut len,
                )
            })?;
        }
        // SAFETY: napi wrote `len` bytes of UTF-8 (plus a NUL) into the buffer.
        unsafe { buf.set_len(len) };
        Ok(Token(buf))
    }
}

/// The bytes of a `Uint8Array` (a `Buffer` is one).
unsafe fn bytes_of_array(
    env: sys::napi_env,
    value: sys::napi_value,
    mut buf: Vec<u8>,
) -> Result<Token> {
    let mut is_typed = false;
    check(unsafe { sys::napi_is_typedarray(env, value, &mut is_typed) })?;
    let (mut kind, mut len, mut data) = (0, 0, ptr::null_mut());
    if is_typed {
        check(unsafe {
            sys::napi_get_typedarray_info(
                env,
                value,
                &mut kind,
                &mut len,
                &mut data,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        })?;
    }
    if !is_typed || kind != sys::TypedarrayType::uint8_array {
        return Err(Error::new(
            Status::InvalidArg,
            "the token must be a string or a Uint8Array",
        ));
    }
    if len > 0 {
        // SAFETY: napi reported `len` bytes at `data`, live during this call.
        buf.extend_from_slice(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) });
    }
    Ok(Token(buf))
}

impl TypeName for Token {
    fn type_name() -> &'static str {
        "string | Uint8Array"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for Token {}
