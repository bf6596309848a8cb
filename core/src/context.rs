//! The request a token arrived with. Bindings fill it from their framework's request.

use serde::{Deserialize, Serialize};

/// Caller-supplied context attached to every record. All fields are optional; long values are
/// capped when the record is built.
///
/// ```
/// let ctx = jwt_audit::RequestContext::new()
///     .correlation_id("req-42")
///     .client_ip("203.0.113.7")
///     .method("GET")
///     .path("/orders")
///     .user_agent("curl/8.5");
/// assert_eq!(ctx.method.as_deref(), Some("GET"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestContext {
    pub correlation_id: Option<String>,
    pub client_ip: Option<String>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub user_agent: Option<String>,
}

macro_rules! setter {
    ($name:ident) => {
        #[doc = concat!("Sets `", stringify!($name), "`.")]
        pub fn $name(mut self, value: impl Into<String>) -> Self {
            self.$name = Some(value.into());
            self
        }
    };
}

impl RequestContext {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }
    setter!(correlation_id);
    setter!(client_ip);
    setter!(method);
    setter!(path);
    setter!(user_agent);
}
