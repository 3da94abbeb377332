//! Who may act, and how a browser proves it.
//!
//! Two ways in: a bearer token (`Authorization: Bearer …`, for scripts; a
//! browser never sends it by itself, so it needs no CSRF token), or a
//! username and password (or the token) posted to `/api/login`, which opens
//! a server-side session named by an `HttpOnly; SameSite=Strict` cookie.
//! A cookie-authenticated change must carry an `X-CSRF-Token` that the
//! session obtained from `/api/csrf` (or the login answer); each token works
//! once, so a captured or replayed request is refused. Failed logins are
//! limited per client address. Controls are off unless a token or a user is
//! configured; read-only pages and APIs may be public (the default on
//! loopback) or need a login too.
//!
//! Secrets (the token, passwords, session ids, CSRF tokens) are never
//! logged and never shown by `Debug`.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode, header};
use sha2::Sha256;

use crate::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "trade_session";
/// The header a cookie-authenticated change carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Failed logins allowed per client address within [`LOGIN_WINDOW`].
pub const LOGIN_FAILURES_ALLOWED: usize = 5;
/// The window failed logins are counted over.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(300);
/// Unused CSRF tokens one session may hold (older ones are forgotten).
const CSRF_PER_SESSION: usize = 32;
/// PBKDF2 rounds for new password hashes (OWASP's 2023 figure for
/// PBKDF2-HMAC-SHA256).
pub const DEFAULT_PBKDF2_ROUNDS: u32 = 600_000;

/// A secret string: compared in constant time, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// Whether `other` equals the secret, in time independent of where
    /// they differ.
    pub fn matches(&self, other: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), other.as_bytes())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A PBKDF2-HMAC-SHA256 password hash, stored as
/// `pbkdf2-sha256$<rounds>$<salt hex>$<hash hex>` (make one with
/// `trade dashboard hash-password`).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    rounds: u32,
    salt: Vec<u8>,
    hash: [u8; 32],
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PasswordHash(pbkdf2-sha256, {} rounds)", self.rounds)
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `n` random bytes from the operating system.
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // Without an OS random source no session can be made safely; that is
    // not a state a server can run in.
    getrandom::fill(&mut b).expect("the operating system's random source failed");
    b
}

fn derive(password: &str, salt: &[u8], rounds: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, rounds, &mut out);
    out
}

impl PasswordHash {
    /// Hashes `password` with a fresh random salt.
    pub fn create(password: &str, rounds: u32) -> PasswordHash {
        let salt = random_bytes::<16>().to_vec();
        let hash = derive(password, &salt, rounds.max(1));
        PasswordHash {
            rounds: rounds.max(1),
            salt,
            hash,
        }
    }

    /// Parses the stored form.
    ///
    /// # Errors
    /// What part is wrong (never echoes the hash itself).
    pub fn parse(text: &str) -> Result<PasswordHash, String> {
        let parts: Vec<&str> = text.split('$').collect();
        let [scheme, rounds, salt, hash] = parts.as_slice() else {
            return Err("expected pbkdf2-sha256$<rounds>$<salt hex>$<hash hex>".into());
        };
        if *scheme != "pbkdf2-sha256" {
            return Err(format!(
                "scheme {scheme:?} is not supported; expected pbkdf2-sha256"
            ));
        }
        let rounds: u32 = rounds
            .parse()
            .ok()
            .filter(|r| *r > 0)
            .ok_or("rounds must be a positive integer")?;
        let salt = unhex(salt)
            .filter(|s| s.len() >= 8)
            .ok_or("salt must be at least 8 bytes of hex")?;
        let hash: [u8; 32] = unhex(hash)
            .and_then(|h| h.try_into().ok())
            .ok_or("hash must be 32 bytes of hex")?;
        Ok(PasswordHash { rounds, salt, hash })
    }

    /// Whether `password` matches.
    pub fn verify(&self, password: &str) -> bool {
        constant_time_eq(&derive(password, &self.salt, self.rounds), &self.hash)
    }
}

impl fmt::Display for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "pbkdf2-sha256${}${}${}",
            self.rounds,
            hex(&self.salt),
            hex(&self.hash)
        )
    }
}

/// A local user of the dashboard.
#[derive(Debug, Clone)]
pub struct User {
    /// Login name (also who the journal says acted).
    pub name: String,
    /// Password hash.
    pub password: PasswordHash,
}

/// How the server authenticates.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The API token, if any.
    pub token: Option<Secret>,
    /// Local users.
    pub users: Vec<User>,
    /// Whether pages and read APIs are served without a login.
    pub public_read: bool,
    /// How long a login lasts.
    pub session_ttl: Duration,
}

impl Default for AuthConfig {
    /// No token, no users (controls off), public reads, 12-hour logins.
    fn default() -> Self {
        AuthConfig {
            token: None,
            users: Vec::new(),
            public_read: true,
            session_ttl: Duration::from_secs(12 * 3600),
        }
    }
}

impl AuthConfig {
    /// Whether anybody can log in at all (and so whether controls exist).
    pub fn controls_enabled(&self) -> bool {
        self.token.is_some() || !self.users.is_empty()
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Who: a user name, or `token`.
    pub name: String,
    /// How they proved it.
    pub via: Via,
}

/// How a caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `Authorization: Bearer`.
    Bearer,
    /// The session cookie.
    Cookie,
}

struct LoginSession {
    user: String,
    expires: Instant,
    csrf: VecDeque<String>,
}

/// Sessions, CSRF tokens and login attempts.
pub struct Auth {
    cfg: AuthConfig,
    sessions: Mutex<HashMap<String, LoginSession>>,
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
    dummy: PasswordHash,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

fn unauthorized(detail: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
}

fn forbidden(code: &str, detail: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, code, detail)
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl Auth {
    /// An authenticator over `cfg`.
    pub fn new(cfg: AuthConfig) -> Auth {
        // Unknown users are checked against this hash so that a wrong name
        // takes as long as a wrong password.
        let rounds = cfg.users.first().map_or(1, |u| u.password.rounds);
        Auth {
            cfg,
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            dummy: PasswordHash::create("", rounds),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.cfg
    }

    /// Who is calling, if anybody: a bearer token (a wrong one is an error,
    /// not anonymity), else a live session cookie.
    ///
    /// # Errors
    /// 401 for a malformed or wrong `Authorization` header.
    pub fn identify(&self, headers: &HeaderMap) -> Result<Option<Principal>, ApiError> {
        if let Some(value) = headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| unauthorized("Authorization must be `Bearer <token>`"))?;
            return match &self.cfg.token {
                Some(t) if t.matches(token.trim()) => Ok(Some(Principal {
                    name: "token".into(),
                    via: Via::Bearer,
                })),
                _ => Err(unauthorized("the bearer token is not valid")),
            };
        }
        let Some(id) = cookie(headers, SESSION_COOKIE) else {
            return Ok(None);
        };
        let mut sessions = lock(&self.sessions);
        let now = Instant::now();
        sessions.retain(|_, s| s.expires > now);
        Ok(sessions.get(id).map(|s| Principal {
            name: s.user.clone(),
            via: Via::Cookie,
        }))
    }

    /// The caller of a read, when reads need a login.
    ///
    /// # Errors
    /// 401 when reads are not public and nobody is logged in.
    pub fn allow_read(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        if self.cfg.public_read {
            return Ok(());
        }
        match self.identify(headers)? {
            Some(_) => Ok(()),
            None => Err(unauthorized(
                "log in first (POST /api/login) or send Authorization: Bearer <token>",
            )),
        }
    }

    /// The caller of a change: authenticated, and for a cookie session
    /// with an unused CSRF token of that session (consumed now) and no
    /// foreign `Origin`.
    ///
    /// # Errors
    /// 403 when controls are off, the CSRF token is missing, unknown or
    /// already used, or the origin is foreign; 401 without credentials.
    pub fn authorize_change(&self, headers: &HeaderMap) -> Result<Principal, ApiError> {
        if !self.cfg.controls_enabled() {
            return Err(forbidden(
                "controls_disabled",
                "controls are off: configure [dashboard] token (or TRADE_DASHBOARD_TOKEN) or users",
            ));
        }
        let who = self.identify(headers)?.ok_or_else(|| {
            unauthorized("controls need a login (POST /api/login) or Authorization: Bearer <token>")
        })?;
        if who.via == Via::Bearer {
            return Ok(who);
        }
        if let (Some(origin), Some(host)) = (
            headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
            headers.get(header::HOST).and_then(|v| v.to_str().ok()),
        ) {
            let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
            if origin_host != host {
                return Err(forbidden(
                    "foreign_origin",
                    "the request comes from another site's page",
                ));
            }
        }
        let token = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                forbidden(
                    "csrf_missing",
                    "a cookie-authenticated change needs an X-CSRF-Token header (GET /api/csrf)",
                )
            })?;
        let id = cookie(headers, SESSION_COOKIE).unwrap_or_default();
        let mut sessions = lock(&self.sessions);
        let used = sessions.get_mut(id).and_then(|s| {
            let at = s
                .csrf
                .iter()
                .position(|t| constant_time_eq(t.as_bytes(), token.as_bytes()))?;
            s.csrf.remove(at)
        });
        match used {
            Some(_) => Ok(who),
            None => Err(forbidden(
                "csrf_invalid",
                "the CSRF token is unknown, of another session or already used; fetch a new one (GET /api/csrf)",
            )),
        }
    }

    /// A new CSRF token for the caller's cookie session.
    ///
    /// # Errors
    /// 401 without a live session.
    pub fn new_csrf(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        let id = cookie(headers, SESSION_COOKIE)
            .ok_or_else(|| unauthorized("no session: log in first"))?;
        let mut sessions = lock(&self.sessions);
        let now = Instant::now();
        let s = sessions
            .get_mut(id)
            .filter(|s| s.expires > now)
            .ok_or_else(|| unauthorized("the session expired or is unknown: log in again"))?;
        Ok(push_csrf(s))
    }

    /// Checks a login; returns the session id to set as the cookie, the
    /// user name and a first CSRF token.
    ///
    /// # Errors
    /// 429 (with the seconds to wait) after too many failures from `ip`;
    /// 401 for wrong credentials (the same answer whatever was wrong); 403
    /// when nobody may log in.
    pub fn login(
        &self,
        ip: Option<IpAddr>,
        user: Option<&str>,
        password: Option<&str>,
        token: Option<&str>,
    ) -> Result<(String, String, String), ApiError> {
        if !self.cfg.controls_enabled() {
            return Err(forbidden(
                "logins_disabled",
                "no token or user is configured, so nobody can log in",
            ));
        }
        let now = Instant::now();
        if let Some(ip) = ip {
            let mut failures = lock(&self.failures);
            let recent = failures.entry(ip).or_default();
            while recent
                .front()
                .is_some_and(|t| now.duration_since(*t) > LOGIN_WINDOW)
            {
                recent.pop_front();
            }
            if recent.len() >= LOGIN_FAILURES_ALLOWED {
                let wait = recent.front().map_or(LOGIN_WINDOW, |t| {
                    LOGIN_WINDOW.saturating_sub(now.duration_since(*t))
                });
                return Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_logins",
                    format!(
                        "too many failed logins from this address; try again in {} s",
                        wait.as_secs().max(1)
                    ),
                )
                .with_retry_after(wait.as_secs().max(1)));
            }
        }
        let name = match (user, password, token) {
            (_, _, Some(t)) => self
                .cfg
                .token
                .as_ref()
                .filter(|s| s.matches(t))
                .map(|_| "token".to_string()),
            (Some(u), Some(p), None) => match self.cfg.users.iter().find(|x| x.name == u) {
                Some(x) => x.password.verify(p).then(|| x.name.clone()),
                None => {
                    let _ = self.dummy.verify(p);
                    None
                }
            },
            _ => {
                return Err(ApiError::bad_request(
                    "send {\"user\": ..., \"password\": ...} or {\"token\": ...}",
                ));
            }
        };
        let Some(name) = name else {
            if let Some(ip) = ip {
                lock(&self.failures).entry(ip).or_default().push_back(now);
            }
            tracing::warn!(client = ?ip, "dashboard login refused");
            return Err(unauthorized("invalid credentials"));
        };
        if let Some(ip) = ip {
            lock(&self.failures).remove(&ip);
        }
        let id = hex(&random_bytes::<32>());
        let mut s = LoginSession {
            user: name.clone(),
            expires: now + self.cfg.session_ttl,
            csrf: VecDeque::new(),
        };
        let csrf = push_csrf(&mut s);
        lock(&self.sessions).insert(id.clone(), s);
        tracing::info!(user = %name, "dashboard login");
        Ok((id, name, csrf))
    }

    /// Ends the caller's cookie session, if any.
    pub fn logout(&self, headers: &HeaderMap) {
        if let Some(id) = cookie(headers, SESSION_COOKIE) {
            lock(&self.sessions).remove(id);
        }
    }

    /// The `Set-Cookie` value for a new session.
    pub fn session_cookie(&self, id: &str) -> String {
        format!(
            "{SESSION_COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
            self.cfg.session_ttl.as_secs()
        )
    }
}

fn push_csrf(s: &mut LoginSession) -> String {
    let t = hex(&random_bytes::<24>());
    if s.csrf.len() >= CSRF_PER_SESSION {
        s.csrf.pop_front();
    }
    s.csrf.push_back(t.clone());
    t
}

/// A poisoned lock only means another request panicked mid-update of a
/// map whose entries stay valid on their own; keep serving.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// RFC 7914 §11 test vector for PBKDF2-HMAC-SHA256 (P="passwd",
    /// S="salt", c=1, dkLen=64): the first 32 bytes.
    #[test]
    fn pbkdf2_matches_the_rfc_7914_vector() {
        let h = derive("passwd", b"salt", 1);
        assert_eq!(
            hex(&h),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }

    #[test]
    fn hashes_round_trip_and_verify_only_their_password() {
        let h = PasswordHash::create("correct horse", 10);
        let parsed = PasswordHash::parse(&h.to_string()).unwrap();
        assert!(parsed.verify("correct horse"));
        assert!(!parsed.verify("correct hors"));
        assert!(!format!("{parsed:?}").contains(&hex(&parsed.hash)));
        for bad in [
            "",
            "md5$1$00$00",
            "pbkdf2-sha256$0$0011223344556677$00",
            "pbkdf2-sha256$10$zz$00",
            "pbkdf2-sha256$10$0011223344556677$0011",
        ] {
            assert!(PasswordHash::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    fn auth() -> Auth {
        Auth::new(AuthConfig {
            token: Some(Secret::new("s3cret-token")),
            users: vec![User {
                name: "ops".into(),
                password: PasswordHash::create("pw", 2),
            }],
            public_read: false,
            session_ttl: Duration::from_secs(60),
        })
    }

    fn with_cookie(id: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {SESSION_COOKIE}={id}")).unwrap(),
        );
        h
    }

    #[test]
    fn csrf_tokens_work_once_and_only_in_their_session() {
        let a = auth();
        let ip = Some(IpAddr::from([127, 0, 0, 1]));
        let (id1, user, csrf1) = a.login(ip, Some("ops"), Some("pw"), None).unwrap();
        assert_eq!(user, "ops");
        let (id2, _, csrf2) = a.login(ip, None, None, Some("s3cret-token")).unwrap();
        let mut h = with_cookie(&id1);
        assert_eq!(
            a.authorize_change(&h).unwrap_err().body().error,
            "csrf_missing"
        );
        h.insert(CSRF_HEADER, HeaderValue::from_str(&csrf2).unwrap());
        assert_eq!(
            a.authorize_change(&h).unwrap_err().body().error,
            "csrf_invalid",
            "another session's token"
        );
        h.insert(CSRF_HEADER, HeaderValue::from_str(&csrf1).unwrap());
        assert_eq!(a.authorize_change(&h).unwrap().name, "ops");
        assert_eq!(
            a.authorize_change(&h).unwrap_err().body().error,
            "csrf_invalid",
            "a replayed token"
        );
        let fresh = a.new_csrf(&h).unwrap();
        h.insert(CSRF_HEADER, HeaderValue::from_str(&fresh).unwrap());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert_eq!(
            a.authorize_change(&h).unwrap_err().body().error,
            "foreign_origin"
        );
        let mut h2 = with_cookie(&id2);
        h2.insert(CSRF_HEADER, HeaderValue::from_str(&csrf2).unwrap());
        assert_eq!(a.authorize_change(&h2).unwrap().name, "token");
        a.logout(&h2);
        assert_eq!(a.identify(&h2).unwrap(), None);
    }

    #[test]
    fn bearer_tokens_need_no_csrf_and_wrong_ones_are_refused() {
        let a = auth();
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer s3cret-token"),
        );
        assert_eq!(a.authorize_change(&h).unwrap().via, Via::Bearer);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer nope"),
        );
        let e = a.authorize_change(&h).unwrap_err();
        assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
        assert!(!e.body().detail.contains("s3cret"));
        assert_eq!(
            a.allow_read(&HeaderMap::new()).unwrap_err().status(),
            StatusCode::UNAUTHORIZED
        );
    }

    #[test]
    fn failed_logins_are_limited_per_address() {
        let a = auth();
        let ip = Some(IpAddr::from([127, 0, 0, 2]));
        for _ in 0..LOGIN_FAILURES_ALLOWED {
            let e = a.login(ip, Some("ops"), Some("wrong"), None).unwrap_err();
            assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
        }
        let e = a.login(ip, Some("ops"), Some("pw"), None).unwrap_err();
        assert_eq!(e.status(), StatusCode::TOO_MANY_REQUESTS);
        // Another address is not punished for it.
        let other = Some(IpAddr::from([127, 0, 0, 3]));
        assert!(a.login(other, Some("ops"), Some("pw"), None).is_ok());
        // Unknown users get the same answer as wrong passwords.
        let e = a
            .login(other, Some("nobody"), Some("pw"), None)
            .unwrap_err();
        assert_eq!(e.body().detail, "invalid credentials");
    }

    #[test]
    fn without_credentials_configured_controls_are_off() {
        let a = Auth::new(AuthConfig::default());
        assert_eq!(
            a.authorize_change(&HeaderMap::new())
                .unwrap_err()
                .body()
                .error,
            "controls_disabled"
        );
        assert!(a.allow_read(&HeaderMap::new()).is_ok());
    }
}
