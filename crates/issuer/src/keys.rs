//! The signing-key schedule. Every key is published from the moment it is made; it signs from
//! its activation until the next key's; it stays published until the last token it signed has
//! expired (the next key's activation plus the lifetime cap plus [`RETIRE_LEEWAY`]), then it is
//! pruned. All of this follows from the rows' two times: nothing is updated in place, so
//! replicas reading one database agree (docs/issuer.md, "Key rotation").

use std::time::Duration;

use scitokens_format::{Algorithm, KeySet, SigningKey, UnixTime, VerifyingKey};

use crate::error::{IssuerError, Result};
use crate::store::KeyRow;

/// Extra time a superseded key stays published, for verifiers' clock skew.
pub const RETIRE_LEEWAY: Duration = Duration::from_secs(60);

/// The loaded keys, oldest activation first.
#[derive(Debug, Clone)]
pub struct KeyRing {
    entries: Vec<Entry>,
    max_lifetime: Duration,
}

#[derive(Debug, Clone)]
struct Entry {
    key: SigningKey,
    activate_at: UnixTime,
}

/// A new ES256 key that signs from `activate_at`.
pub fn new_key(now: UnixTime, activate_at: UnixTime) -> Result<KeyRow> {
    let key = SigningKey::generate(Algorithm::Es256)?;
    Ok(KeyRow {
        kid: key.kid().to_owned(),
        private_pem: key.to_pkcs8_pem()?,
        created: now,
        activate_at,
    })
}

impl KeyRing {
    /// Parses the rows; `max_lifetime` is the access-token lifetime cap.
    pub fn from_rows(rows: &[KeyRow], max_lifetime: Duration) -> Result<Self> {
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            let key = SigningKey::from_pem(row.private_pem.as_bytes())
                .map_err(|e| IssuerError::Corrupt(format!("signing key {}: {e}", row.kid)))?
                .with_kid(row.kid.clone());
            entries.push(Entry {
                key,
                activate_at: row.activate_at,
            });
        }
        entries.sort_by_key(|e| e.activate_at);
        Ok(KeyRing {
            entries,
            max_lifetime,
        })
    }

    /// Whether there is no key at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The key that signs at `now`: the latest activated one.
    pub fn signer(&self, now: UnixTime) -> Option<&SigningKey> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.activate_at <= now)
            .map(|e| &e.key)
    }

    /// When entry `i` stops being published: never while it or a later-activated key has not
    /// superseded it.
    fn retires_at(&self, i: usize, now: UnixTime) -> Option<UnixTime> {
        let next = self.entries.get(i + 1)?;
        (next.activate_at <= now).then(|| {
            next.activate_at
                .saturating_add(self.max_lifetime)
                .saturating_add(RETIRE_LEEWAY)
        })
    }

    /// The keys published at `now`: the signing one, those waiting to sign, and those whose
    /// tokens may still be valid.
    pub fn published(&self, now: UnixTime) -> Vec<VerifyingKey> {
        (0..self.entries.len())
            .filter(|&i| self.retires_at(i, now).is_none_or(|t| t > now))
            .map(|i| self.entries[i].key.verifying_key().clone())
            .collect()
    }

    /// The `kid`s of keys no longer published at `now`: safe to delete.
    pub fn retired(&self, now: UnixTime) -> Vec<String> {
        (0..self.entries.len())
            .filter(|&i| self.retires_at(i, now).is_some_and(|t| t <= now))
            .map(|i| self.entries[i].key.kid().to_owned())
            .collect()
    }

    /// The JWKS document at `now`.
    pub fn jwks(&self, now: UnixTime) -> Result<String> {
        Ok(KeySet::new(self.published(now)).to_json()?)
    }

    /// The published keys as a key set, to verify tokens this issuer signed.
    pub fn verifying_set(&self, now: UnixTime) -> KeySet {
        KeySet::new(self.published(now))
    }

    /// The activation time a key made at `now` gets from `keys rotate`: after the
    /// pre-publication period, and after the newest scheduled key; at once when there is no
    /// key at all (no verifier can have met this issuer yet: a new PostgreSQL database).
    pub fn next_activation(&self, now: UnixTime, prepublish: Duration) -> UnixTime {
        let earliest = now.saturating_add(prepublish);
        match self.entries.last() {
            None => now,
            Some(last) if last.activate_at >= earliest => {
                last.activate_at.saturating_add(prepublish)
            }
            Some(_) => earliest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(activations: &[i64]) -> (KeyRing, Vec<String>) {
        let rows: Vec<KeyRow> = activations
            .iter()
            .map(|&a| new_key(UnixTime::from_secs(0), UnixTime::from_secs(a)).unwrap())
            .collect();
        let kids = rows.iter().map(|r| r.kid.clone()).collect();
        (
            KeyRing::from_rows(&rows, Duration::from_secs(600)).unwrap(),
            kids,
        )
    }

    fn kids(keys: &[VerifyingKey]) -> Vec<String> {
        keys.iter().map(|k| k.kid().unwrap().to_owned()).collect()
    }

    #[test]
    fn a_rotation_from_prepublication_to_retirement() {
        let (ring, k) = ring(&[0, 1000]);
        let at = |t| UnixTime::from_secs(t);
        // Before the new key activates: the old one signs, both are published.
        assert_eq!(ring.signer(at(999)).unwrap().kid(), k[0]);
        assert_eq!(kids(&ring.published(at(999))), k);
        // From its activation the new one signs; the old one stays for its tokens.
        assert_eq!(ring.signer(at(1000)).unwrap().kid(), k[1]);
        assert_eq!(kids(&ring.published(at(1000 + 600 + 59))), k);
        assert!(ring.retired(at(1000 + 600 + 59)).is_empty());
        // After the lifetime cap and the leeway it is gone.
        assert_eq!(kids(&ring.published(at(1000 + 660))), [k[1].clone()]);
        assert_eq!(ring.retired(at(1000 + 660)), [k[0].clone()]);
    }

    #[test]
    fn nothing_signs_before_the_first_activation() {
        let (ring, _) = ring(&[100]);
        assert!(ring.signer(UnixTime::from_secs(99)).is_none());
        assert_eq!(ring.published(UnixTime::from_secs(99)).len(), 1);
    }

    #[test]
    fn rotations_queue_after_each_other() {
        let (ring, _) = ring(&[0, 5000]);
        let next = ring.next_activation(UnixTime::from_secs(10), Duration::from_secs(3600));
        assert_eq!(next.as_secs(), 5000 + 3600);
        let (ring, _) = ring_one();
        assert_eq!(
            ring.next_activation(UnixTime::from_secs(10), Duration::from_secs(3600))
                .as_secs(),
            3610
        );
    }

    #[test]
    fn the_first_key_of_an_empty_database_signs_at_once() {
        let empty = KeyRing::from_rows(&[], Duration::from_secs(600)).unwrap();
        let now = UnixTime::from_secs(10);
        assert_eq!(empty.next_activation(now, Duration::from_secs(3600)), now);
    }

    fn ring_one() -> (KeyRing, Vec<String>) {
        ring(&[0])
    }
}
