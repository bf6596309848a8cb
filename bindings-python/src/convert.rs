//! Conversions from Python arguments: configuration values (to JSON), request contexts and
//! scope/role requirements. (Rust values to Python: [`crate::pyser`].)

use jwt_audit::{AuthzRequirement, ConfigError, RequestContext};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// A configuration value (from `Verifier(**config)`) as JSON. `path` names the option for the
/// error (`keys[0].pem`), in the same spelling as the core's errors.
pub fn config_value(obj: &Bound<'_, PyAny>, path: &str) -> Result<Value, ConfigError> {
    let err = |message: String| ConfigError {
        option: path.to_string(),
        message,
    };
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        return obj
            .extract::<u64>()
            .map(Value::from)
            .map_err(|_| err("integer out of range".into()));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| err("must be a finite number".into()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| Value::String(s.into_owned()))
            .map_err(|_| err("is not valid Unicode (unpaired surrogate)".into()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, v) in d.iter() {
            let Ok(key) = k.extract::<String>() else {
                return Err(err("dictionary keys must be strings".into()));
            };
            let child = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            map.insert(key, config_value(&v, &child)?);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for (i, item) in obj.try_iter().map_err(|e| err(e.to_string()))?.enumerate() {
            let item = item.map_err(|e| err(e.to_string()))?;
            items.push(config_value(&item, &format!("{path}[{i}]"))?);
        }
        return Ok(Value::Array(items));
    }
    Err(err(format!(
        "unsupported type `{}` (use dict, list, str, int, float, bool or None)",
        type_name(obj)
    )))
}

/// The qualified name of an object's type, for error messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .qualname()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// `context=` of `verify`: `None` or a dict with the `RequestContext` keys, values `str` or `None`.
pub fn context(obj: Option<&Bound<'_, PyAny>>) -> PyResult<RequestContext> {
    let mut ctx = RequestContext::default();
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(ctx);
    };
    let dict = obj.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!(
            "context must be a dict (correlation_id, client_ip, method, path, user_agent) or None, not {}",
            type_name(obj)
        ))
    })?;
    for (k, v) in dict.iter() {
        let key: String = k
            .extract()
            .map_err(|_| PyTypeError::new_err("context keys must be strings"))?;
        let slot = match key.as_str() {
            "correlation_id" => &mut ctx.correlation_id,
            "client_ip" => &mut ctx.client_ip,
            "method" => &mut ctx.method,
            "path" => &mut ctx.path,
            "user_agent" => &mut ctx.user_agent,
            other => {
                return Err(PyTypeError::new_err(format!(
                    "unknown context key '{other}' (expected correlation_id, client_ip, method, path, user_agent)"
                )));
            }
        };
        *slot = if v.is_none() {
            None
        } else {
            let s = v.cast::<PyString>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "context['{key}'] must be str or None, not {}",
                    type_name(&v)
                ))
            })?;
            Some(s.to_string_lossy().into_owned())
        };
    }
    Ok(ctx)
}

/// `scopes=` / `roles=`: `None` or an iterable of `str` (a bare `str` is refused: it would be
/// read as its characters).
pub fn names(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Vec<String>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    let wrong = || {
        PyTypeError::new_err(format!(
            "{what} must be a list of str, not {}",
            type_name(obj)
        ))
    };
    if obj.is_instance_of::<PyString>() {
        return Err(wrong());
    }
    let mut out = Vec::new();
    for item in obj.try_iter().map_err(|_| wrong())? {
        let item = item?;
        let s = item.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "{what} must be a list of str; found {}",
                type_name(&item)
            ))
        })?;
        out.push(s.to_string_lossy().into_owned());
    }
    Ok(out)
}

/// The requirement for `scopes=` / `roles=`, `None` when nothing is required.
pub fn requirement(
    scopes: Option<&Bound<'_, PyAny>>,
    roles: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<AuthzRequirement>> {
    let need = AuthzRequirement::new()
        .scopes(names(scopes, "scopes")?)
        .roles(names(roles, "roles")?);
    Ok((!need.is_empty()).then_some(need))
}
