//! The pages' session: a cookie holding the person's progress (the user code being approved,
//! who logged in, an upstream login's secrets, the CSRF token), sealed with AES-256-GCM under a
//! key every replica shares (kept in the state database). Nothing is stored server-side, so any
//! replica serves the next page; a cookie expires with its `exp`, and its decisions are one-time
//! in the database.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use scitokens_format::UnixTime;

use crate::login::upstream::PendingLogin;
use crate::login::Person;
use crate::secret::random_bytes;

/// The name of the shared secret the cookie key is kept under.
pub const COOKIE_KEY_NAME: &str = "session-cookie-key";

/// Largest cookie value accepted (a session is well under 1 KiB).
const MAX_COOKIE: usize = 3072;

/// What a session holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    /// When the session ends (seconds since the epoch).
    pub exp: i64,
    /// The user code entered, normalized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_code: Option<String>,
    /// Who logged in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<Person>,
    /// An upstream login under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<PendingLogin>,
}

impl Session {
    /// A new empty session ending `lifetime` after `now`.
    pub fn new(now: UnixTime, lifetime: std::time::Duration) -> crate::Result<Session> {
        Ok(Session {
            csrf: URL_SAFE_NO_PAD.encode(random_bytes::<24>()?),
            exp: now.saturating_add(lifetime).as_secs(),
            user_code: None,
            person: None,
            upstream: None,
        })
    }

    /// Whether `presented` is this session's CSRF token (compared in constant time).
    pub fn csrf_ok(&self, presented: &str) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(
            self.csrf.as_bytes(),
            presented.as_bytes(),
        )
        .is_ok()
    }
}

/// Seals and opens session cookies.
pub struct Sealer {
    key: LessSafeKey,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer")
    }
}

impl Sealer {
    /// A sealer with this 256-bit key.
    pub fn new(key: &[u8; 32]) -> Sealer {
        let key = UnboundKey::new(&AES_256_GCM, key).unwrap_or_else(|_| unreachable!("32 bytes"));
        Sealer {
            key: LessSafeKey::new(key),
        }
    }

    /// The cookie value for `session`: base64url of a random nonce and the sealed JSON, bound
    /// to the cookie's `name`.
    ///
    /// ```
    /// use scitokens_issuer::web::session::{Sealer, Session};
    /// use scitokens_format::UnixTime;
    /// let sealer = Sealer::new(&[7; 32]);
    /// let now = UnixTime::from_secs(1_000);
    /// let session = Session::new(now, std::time::Duration::from_secs(60)).unwrap();
    /// let value = sealer.seal("s", &session).unwrap();
    /// assert_eq!(sealer.open("s", &value, now), Some(session.clone()));
    /// assert_eq!(sealer.open("other", &value, now), None); // bound to its name
    /// assert_eq!(sealer.open("s", &value, UnixTime::from_secs(1_060)), None); // expired
    /// assert_eq!(Sealer::new(&[8; 32]).open("s", &value, now), None); // another key
    /// ```
    pub fn seal(&self, name: &str, session: &Session) -> crate::Result<String> {
        let mut data = serde_json::to_vec(session)
            .map_err(|e| crate::IssuerError::Corrupt(format!("a session: {e}")))?;
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(name.as_bytes()),
                &mut data,
            )
            .map_err(|_| crate::IssuerError::Corrupt("sealing a session failed".into()))?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&data);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    /// The session in a cookie value, if it was sealed by this key under `name` and has not
    /// expired at `now`; `None` for anything else (forged, altered, old, malformed).
    pub fn open(&self, name: &str, value: &str, now: UnixTime) -> Option<Session> {
        if value.len() > MAX_COOKIE {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(value).ok()?;
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut sealed = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(name.as_bytes()), &mut sealed)
            .ok()?;
        let session: Session = serde_json::from_slice(plain).ok()?;
        (session.exp > now.as_secs()).then_some(session)
    }
}
