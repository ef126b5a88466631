//! Authentication of CONNECT's `login`/`passcode` and authorization of SEND and SUBSCRIBE per
//! destination.
//!
//! Both are traits so an embedding application can plug its own. The built-in
//! [`StaticAuthenticator`] reads a users file of `name:password` lines (`#` starts a comment);
//! without one, any login is accepted as the user name (Spring without Spring Security).
//! Anonymous CONNECTs (no `login`) are allowed unless switched off; a CONNECT that presents
//! credentials is checked even then: a wrong passcode is an ERROR, never an anonymous session.
//!
//! An [`Authorizer`] that refuses a SEND or SUBSCRIBE makes the session answer with an ERROR
//! (`message:access denied …`) and close, as for any other protocol violation.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Why a CONNECT was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("anonymous connections are not allowed")]
    AnonymousRefused,
    #[error("bad login or passcode")]
    BadCredentials,
}

/// Checks CONNECT credentials.
pub trait Authenticator: Send + Sync + 'static {
    /// The authenticated user name (`None`: anonymous), or why not.
    fn authenticate(
        &self,
        login: Option<&str>,
        passcode: Option<&str>,
    ) -> Result<Option<String>, AuthError>;
}

/// What a session wants to do with a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Send,
    Subscribe,
}

/// Decides per destination whether a user may SEND or SUBSCRIBE.
pub trait Authorizer: Send + Sync + 'static {
    fn authorize(&self, user: Option<&str>, action: Action, destination: &str) -> bool;
}

/// Allows everything (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAll;

impl Authorizer for AllowAll {
    fn authorize(&self, _: Option<&str>, _: Action, _: &str) -> bool {
        true
    }
}

impl<F> Authorizer for F
where
    F: Fn(Option<&str>, Action, &str) -> bool + Send + Sync + 'static,
{
    fn authorize(&self, user: Option<&str>, action: Action, destination: &str) -> bool {
        self(user, action, destination)
    }
}

/// Why a users file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum UsersFileError {
    #[error("cannot read users file: {0}")]
    Io(#[from] std::io::Error),
    #[error("users file line {0}: expected name:password")]
    Syntax(usize),
}

/// The built-in authenticator: an optional fixed user list, and whether anonymous is allowed.
#[derive(Debug, Clone, Default)]
pub struct StaticAuthenticator {
    /// `None`: any login is accepted as is.
    users: Option<Arc<HashMap<String, String>>>,
    allow_anonymous: bool,
}

impl StaticAuthenticator {
    /// Any login accepted; anonymous as told.
    pub fn open(allow_anonymous: bool) -> StaticAuthenticator {
        StaticAuthenticator {
            users: None,
            allow_anonymous,
        }
    }

    /// Logins checked against `users`.
    pub fn with_users(
        users: HashMap<String, String>,
        allow_anonymous: bool,
    ) -> StaticAuthenticator {
        StaticAuthenticator {
            users: Some(Arc::new(users)),
            allow_anonymous,
        }
    }

    /// Reads `name:password` lines.
    pub fn from_file(
        path: &Path,
        allow_anonymous: bool,
    ) -> Result<StaticAuthenticator, UsersFileError> {
        let text = std::fs::read_to_string(path)?;
        Ok(StaticAuthenticator::with_users(
            parse_users(&text)?,
            allow_anonymous,
        ))
    }
}

/// Parses a users file.
pub fn parse_users(text: &str) -> Result<HashMap<String, String>, UsersFileError> {
    let mut users = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, password) = line.split_once(':').ok_or(UsersFileError::Syntax(i + 1))?;
        if name.is_empty() {
            return Err(UsersFileError::Syntax(i + 1));
        }
        users.insert(name.to_owned(), password.to_owned());
    }
    Ok(users)
}

impl Authenticator for StaticAuthenticator {
    fn authenticate(
        &self,
        login: Option<&str>,
        passcode: Option<&str>,
    ) -> Result<Option<String>, AuthError> {
        let Some(login) = login.filter(|l| !l.is_empty()) else {
            // A passcode without a login is a failed login, not a request for anonymity.
            if passcode.is_some_and(|p| !p.is_empty()) && self.users.is_some() {
                return Err(AuthError::BadCredentials);
            }
            return if self.allow_anonymous {
                Ok(None)
            } else {
                Err(AuthError::AnonymousRefused)
            };
        };
        match &self.users {
            None => Ok(Some(login.to_owned())),
            Some(users) => match users.get(login) {
                Some(expected)
                    if constant_time_eq(expected.as_bytes(), passcode.unwrap_or("").as_bytes()) =>
                {
                    Ok(Some(login.to_owned()))
                }
                _ => Err(AuthError::BadCredentials),
            },
        }
    }
}

/// Compares without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_file_logins() {
        let users =
            parse_users("# users\nalice:secret\n\nbob:pw:with:colons\n").unwrap_or_default();
        let auth = StaticAuthenticator::with_users(users, false);
        assert_eq!(
            auth.authenticate(Some("alice"), Some("secret")),
            Ok(Some("alice".into()))
        );
        assert_eq!(
            auth.authenticate(Some("bob"), Some("pw:with:colons")),
            Ok(Some("bob".into()))
        );
        assert_eq!(
            auth.authenticate(Some("alice"), Some("nope")),
            Err(AuthError::BadCredentials)
        );
        assert_eq!(
            auth.authenticate(Some("carol"), Some("x")),
            Err(AuthError::BadCredentials)
        );
        assert_eq!(
            auth.authenticate(None, None),
            Err(AuthError::AnonymousRefused)
        );
        assert!(parse_users("nocolon\n").is_err());
    }

    #[test]
    fn anonymous_allowed_does_not_excuse_a_wrong_passcode() {
        let users = parse_users("alice:secret\n").unwrap_or_default();
        let auth = StaticAuthenticator::with_users(users, true);
        assert_eq!(auth.authenticate(None, None), Ok(None));
        assert_eq!(
            auth.authenticate(Some("alice"), Some("nope")),
            Err(AuthError::BadCredentials)
        );
        assert_eq!(
            auth.authenticate(Some("alice"), None),
            Err(AuthError::BadCredentials)
        );
        assert_eq!(
            auth.authenticate(Some(""), Some("secret")),
            Err(AuthError::BadCredentials)
        );
    }

    #[test]
    fn open_authenticator() {
        let auth = StaticAuthenticator::open(true);
        assert_eq!(auth.authenticate(None, None), Ok(None));
        assert_eq!(auth.authenticate(Some("zed"), None), Ok(Some("zed".into())));
    }
}
