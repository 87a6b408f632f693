//! The key cache: memory first, then the SQLite file, then the network.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use lru::LruCache;
use scitokens_format::{Clock, FormatError, KeySet, KeySource, SystemClock, UnixTime, Untrusted};
use serde_json::{Map, Value};

use crate::config::{KeyCacheConfig, MAX_ISSUER_LEN};
use crate::discovery::{Discovery, Urgency};
use crate::error::{KeyCacheError, Result};
use crate::metrics::{Counters, IssuerMetrics};
use crate::row::CachedRow;
use crate::store::Store;

/// Issuer keys from OIDC discovery, kept in a SQLite file shared with other processes (and
/// with scitokens-cpp), served from memory.
///
/// A value the caller owns and shares (`Clone` is cheap: it is a handle). The hot path, a
/// fresh entry, takes a read lock on a map and clones an `Arc`: no SQLite, no network, no
/// lock held across I/O. Policy (`docs/semantics.md` and `docs/keycache.md`):
///
/// - fresh (`now < next_update`): use;
/// - stale (`next_update <= now < expires`): use, and refresh in a background thread; a failed
///   refresh keeps the cached keys and is retried after `failure_retry`;
/// - expired or absent: read the file (another process may have fetched), else fetch; one
///   fetch per issuer at a time, concurrent misses wait for it;
/// - a failed fetch with no usable keys is remembered for `failure_retry` and reported;
/// - an unknown `kid` forces at most one refresh per issuer per `unknown_kid_refresh`;
/// - memory is bounded: at most `max_issuers` issuers' keys and state (least recently used
///   out), issuers longer than [`MAX_ISSUER_LEN`] refused before any state exists, and at most
///   `new_issuer_fetches_per_minute` fetches for issuers never seen before.
#[derive(Clone)]
pub struct KeyCache {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: KeyCacheConfig,
    pub(crate) clock: Arc<dyn Clock>,
    store: Store,
    discovery: Discovery,
    entries: RwLock<HashMap<String, Arc<Entry>>>,
    issuers: Mutex<LruCache<String, Arc<IssuerState>>>,
    new_issuer_fetches: Mutex<Window>,
    background: Mutex<Vec<JoinHandle<()>>>,
}

/// Whether a failed write of the cache file fails the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    /// The caller asked to store keys (`set_jwks`): a failed write is its error.
    Required,
    /// Keys fetched for a token: they serve from memory even if the file cannot be written.
    BestEffort,
}

/// Fetches for never-seen issuers in the current minute.
#[derive(Default)]
struct Window {
    minute: i64,
    count: u32,
}

/// Keys held in memory for one issuer.
pub(crate) struct Entry {
    pub(crate) keys: Arc<KeySet>,
    pub(crate) expires: UnixTime,
    pub(crate) next_update: UnixTime,
}

#[derive(Default)]
pub(crate) struct IssuerState {
    /// Held for the whole of a fetch: one fetch per issuer at a time.
    fetch: Mutex<()>,
    status: Mutex<Status>,
    pub(crate) counters: Counters,
}

#[derive(Default)]
struct Status {
    /// When the last fetch failed, and why; cleared by a success.
    failure: Option<(UnixTime, String)>,
    /// No refresh attempt before this time (back-off after a failure).
    retry_after: UnixTime,
    /// A background refresh is running.
    refreshing: bool,
    /// When an unknown `kid` last forced a refresh.
    last_kid_refresh: Option<UnixTime>,
}

/// One issuer's row, as listed by [`KeyCache::list`].
#[derive(Debug)]
pub struct IssuerInfo {
    /// The issuer.
    pub issuer: String,
    /// The decoded row, or why it could not be decoded ([`KeyCacheError::UnusableRow`]).
    pub row: Result<CachedRow, KeyCacheError>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The data behind these locks stays consistent even if a holder panicked.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl KeyCache {
    /// Opens the cache the configuration names, with the system clock.
    ///
    /// An unusable location is an error, or an in-memory cache (with a warning) when
    /// `allow_in_memory` is set.
    pub fn open(config: KeyCacheConfig) -> Result<Self> {
        Self::open_with_clock(config, Arc::new(SystemClock))
    }

    /// Like [`open`](Self::open), reading time from `clock`.
    pub fn open_with_clock(config: KeyCacheConfig, clock: Arc<dyn Clock>) -> Result<Self> {
        config.check()?;
        let file = config.cache_file()?;
        let store = match Store::open(file.as_deref()) {
            Ok(store) => store,
            Err(e) if config.allow_in_memory && file.is_some() => {
                log::warn!("{e}; using an in-memory key cache instead");
                Store::open(None)?
            }
            Err(e) => return Err(e),
        };
        let discovery = Discovery::new(&config)?;
        let max_issuers = NonZeroUsize::new(config.max_issuers).unwrap_or(NonZeroUsize::MIN);
        Ok(KeyCache {
            inner: Arc::new(Inner {
                config,
                clock,
                store,
                discovery,
                entries: RwLock::new(HashMap::new()),
                issuers: Mutex::new(LruCache::new(max_issuers)),
                new_issuer_fetches: Mutex::new(Window::default()),
                background: Mutex::new(Vec::new()),
            }),
        })
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }

    /// The cache file, or `None` for an in-memory cache.
    pub fn location(&self) -> Option<&Path> {
        self.inner.store.path()
    }

    /// The configuration in force.
    pub fn config(&self) -> &KeyCacheConfig {
        &self.inner.config
    }

    /// Every row of the cache file, issuers in order. Rows that do not decode are listed with
    /// the reason.
    pub fn list(&self) -> Result<Vec<IssuerInfo>> {
        Ok(self
            .inner
            .store
            .list()?
            .into_iter()
            .map(|(issuer, text)| IssuerInfo {
                issuer,
                row: decode_row(text),
            })
            .collect())
    }

    /// One issuer's row from the cache file, if present.
    pub fn get(&self, issuer: &str) -> Result<Option<Result<CachedRow, KeyCacheError>>> {
        Ok(self.inner.store.get(issuer)?.map(decode_row))
    }

    /// Stores an issuer's keys from a JWKS document, as if just fetched (the admin "add").
    /// The document must hold at least one usable key.
    pub fn set_jwks(&self, issuer: &str, jwks: &[u8]) -> Result<Arc<KeySet>> {
        check_length(issuer)?;
        let map = scitokens_format::parse_json_object(jwks)
            .map_err(|reason| scitokens_format::FormatError::InvalidKeySet { reason })?;
        let keys = usable(issuer, KeySet::from_map(&map)?)?;
        let now = self.inner.clock.now();
        let state = self.inner.state(issuer);
        let _fetch = lock(&state.fetch);
        self.inner.save(issuer, map, keys, now, Write::Required)
    }

    /// Removes an issuer from the file and from memory; `true` if the file had it.
    pub fn delete(&self, issuer: &str) -> Result<bool> {
        let state = self.inner.state(issuer);
        let _fetch = lock(&state.fetch);
        let existed = self.inner.store.delete(issuer)?;
        self.inner
            .entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(issuer);
        *lock(&state.status) = Status::default();
        Ok(existed)
    }

    /// Fetches an issuer's keys now (admin timeout), whatever their state.
    pub fn refresh(&self, issuer: &str) -> Result<Arc<KeySet>> {
        self.inner.refresh(issuer, Urgency::Admin)
    }

    /// Refreshes every issuer in the cache file; one result per issuer.
    pub fn refresh_all(&self) -> Result<Vec<(String, Result<Arc<KeySet>>)>> {
        Ok(self
            .inner
            .store
            .list()?
            .into_iter()
            .map(|(issuer, _)| {
                let result = self.inner.refresh(&issuer, Urgency::Admin);
                (issuer, result)
            })
            .collect())
    }

    /// Per-issuer counters, by issuer, for the issuers the cache holds state for.
    pub fn metrics(&self) -> BTreeMap<String, IssuerMetrics> {
        lock(&self.inner.issuers)
            .iter()
            .map(|(name, state)| (name.clone(), state.counters.snapshot()))
            .collect()
    }

    /// Waits for the background refreshes started so far (for orderly shutdown and tests).
    pub fn join_background(&self) {
        let handles: Vec<_> = lock(&self.inner.background).drain(..).collect();
        for handle in handles {
            let _ = handle.join();
        }
    }
}

impl KeyCache {
    /// The issuer's keys (holding `kid` if given), by the policy above, with the cache's own
    /// error. Through [`KeySource`] the error becomes a [`FormatError`] that keeps its kind
    /// and message and says whether the token or the cache is at fault.
    pub fn keys(&self, issuer: &str, kid: Option<&str>) -> Result<Arc<KeySet>> {
        let now = self.inner.clock.now();
        // Only the keys are shared out of the lock (one reference count, not the entry's too).
        let cached = self
            .inner
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(issuer)
            .map(|entry| (Arc::clone(&entry.keys), entry.next_update, entry.expires));
        match cached {
            Some((keys, next_update, _)) if now < next_update => {
                self.inner.with_kid(issuer, kid, keys, now)
            }
            Some((keys, _, expires)) if now < expires => {
                let state = self.inner.state(issuer);
                Counters::bump(&state.counters.stale_used);
                Inner::refresh_in_background(&self.inner, issuer, &state, now);
                self.inner.with_kid(issuer, kid, keys, now)
            }
            expired => {
                check_length(issuer)?;
                if expired.is_some() {
                    Counters::bump(&self.inner.state(issuer).counters.expired_keys);
                }
                self.inner.load(issuer, kid, now)
            }
        }
    }
}

impl KeyCache {
    /// The issuer's keys if memory can answer: a fresh or stale entry holding `kid` (a stale
    /// one starts its background refresh, as [`keys`](Self::keys) does). `None` when answering
    /// would read the file or fetch: an async server then asks again on a blocking thread.
    pub fn keys_in_memory(&self, issuer: &str, kid: Option<&str>) -> Option<Arc<KeySet>> {
        let now = self.inner.clock.now();
        let entry = self
            .inner
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(issuer)
            .cloned()?;
        if now >= entry.expires || kid.is_some_and(|k| !entry.keys.contains_kid(k)) {
            return None;
        }
        if now >= entry.next_update {
            let state = self.inner.state(issuer);
            Counters::bump(&state.counters.stale_used);
            Inner::refresh_in_background(&self.inner, issuer, &state, now);
        }
        Some(Arc::clone(&entry.keys))
    }

    /// This cache as a [`KeySource`] that never blocks: answers from memory or fails with
    /// [`KeyCacheError::NotInMemory`] (kind [`NOT_IN_MEMORY`](crate::NOT_IN_MEMORY)).
    pub fn in_memory(&self) -> InMemory {
        InMemory(self.clone())
    }
}

/// A [`KeyCache`] that answers only from memory (see [`KeyCache::in_memory`]): for an enforcer
/// called on an async runtime's threads, with a second one over the whole cache for the rare
/// request that must wait for a read or a fetch.
#[derive(Clone)]
pub struct InMemory(KeyCache);

impl std::fmt::Debug for InMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("InMemory").finish_non_exhaustive()
    }
}

impl KeySource for InMemory {
    fn keys(&self, issuer: &str, kid: Option<&str>) -> scitokens_format::Result<Arc<KeySet>> {
        self.0.keys_in_memory(issuer, kid).ok_or_else(|| {
            FormatError::from(KeyCacheError::NotInMemory {
                issuer: Untrusted::new(issuer),
            })
        })
    }
}

impl KeySource for KeyCache {
    fn keys(&self, issuer: &str, kid: Option<&str>) -> scitokens_format::Result<Arc<KeySet>> {
        KeyCache::keys(self, issuer, kid).map_err(FormatError::from)
    }
}

impl From<KeyCacheError> for FormatError {
    /// Keeps format errors as they are and names an unpublished `kid` as such; anything else
    /// is the cache's, with who is at fault: an issuer the cache will not fetch from is the
    /// token's, a failure to get keys is the cache's.
    fn from(e: KeyCacheError) -> Self {
        match e {
            KeyCacheError::Format(inner) => inner,
            KeyCacheError::UnknownKid { kid, issuer } => {
                FormatError::KidNotPublished { kid, issuer }
            }
            other => {
                let fault = other.fault();
                FormatError::KeySource {
                    kind: other.kind(),
                    fault,
                    source: Box::new(other),
                }
            }
        }
    }
}

/// A row's text (or why it could not be read) decoded.
fn decode_row(text: std::result::Result<String, String>) -> Result<CachedRow> {
    text.map_err(|reason| KeyCacheError::UnusableRow { reason })
        .and_then(|t| CachedRow::decode(&t))
}

/// Refuses an absurdly long issuer before any state is created for it.
fn check_length(issuer: &str) -> Result<()> {
    if issuer.len() > MAX_ISSUER_LEN {
        return Err(KeyCacheError::InvalidIssuer {
            issuer: Untrusted::new(issuer),
            reason: format!(
                "{} bytes long, over the limit of {MAX_ISSUER_LEN}",
                issuer.len()
            ),
        });
    }
    Ok(())
}

impl Inner {
    /// The issuer's state, created if absent; the least recently used issuer's state is
    /// dropped when the table is full (a fetch under way keeps its own `Arc`).
    pub(crate) fn state(&self, issuer: &str) -> Arc<IssuerState> {
        let mut issuers = lock(&self.issuers);
        if let Some(state) = issuers.get(issuer) {
            return Arc::clone(state);
        }
        let state = Arc::new(IssuerState::default());
        issuers.put(issuer.to_owned(), Arc::clone(&state));
        state
    }

    /// Counts a fetch for an issuer never seen before against the per-minute budget.
    fn admit_new_issuer(&self, issuer: &str, state: &IssuerState, now: UnixTime) -> Result<()> {
        if state.counters.attempted() {
            return Ok(());
        }
        let mut window = lock(&self.new_issuer_fetches);
        let minute = now.as_secs().div_euclid(60);
        if window.minute != minute {
            *window = Window { minute, count: 0 };
        }
        let limit = self.config.new_issuer_fetches_per_minute;
        if window.count >= limit {
            return Err(KeyCacheError::FetchRateLimited {
                issuer: Untrusted::new(issuer),
                per_minute: limit,
            });
        }
        window.count += 1;
        Ok(())
    }

    /// Refuses issuers off the fetch allow-list and URLs we never fetch from.
    fn discovery_allowed(&self, issuer: &str) -> Result<()> {
        if self.config.offline {
            return Err(KeyCacheError::Offline {
                issuer: Untrusted::new(issuer),
            });
        }
        if let Some(allowed) = &self.config.fetch_allow_list {
            if !allowed.iter().any(|a| a == issuer) {
                return Err(KeyCacheError::IssuerNotAllowed {
                    issuer: Untrusted::new(issuer),
                });
            }
        }
        self.discovery.split_issuer(issuer).map(|_| ())
    }

    /// Whether the back-off after a failure has ended.
    pub(crate) fn may_retry(&self, state: &IssuerState, now: UnixTime) -> bool {
        now >= lock(&state.status).retry_after
    }

    pub(crate) fn snapshot(&self) -> Vec<(String, UnixTime)> {
        self.entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(issuer, entry)| (issuer.clone(), entry.next_update))
            .collect()
    }

    /// Returns `keys` if they publish `kid`; otherwise forces one refresh per interval.
    fn with_kid(
        &self,
        issuer: &str,
        kid: Option<&str>,
        keys: Arc<KeySet>,
        now: UnixTime,
    ) -> Result<Arc<KeySet>> {
        let Some(kid) = kid else { return Ok(keys) };
        if keys.contains_kid(kid) {
            return Ok(keys);
        }
        let state = self.state(issuer);
        let may_refresh = {
            let mut status = lock(&state.status);
            match status.last_kid_refresh {
                Some(at) if now < at.saturating_add(self.config.unknown_kid_refresh) => false,
                _ => {
                    status.last_kid_refresh = Some(now);
                    true
                }
            }
        };
        if may_refresh {
            Counters::bump(&state.counters.unknown_kid_refreshes);
            match self.refresh(issuer, Urgency::Request) {
                Ok(fresh) if fresh.contains_kid(kid) => return Ok(fresh),
                Ok(_) => {}
                Err(e) => log::info!(
                    "refresh of {} for an unknown kid failed: {e}",
                    Untrusted::new(issuer)
                ),
            }
        }
        Err(KeyCacheError::UnknownKid {
            kid: Untrusted::new(kid),
            issuer: Untrusted::new(issuer),
        })
    }

    /// The miss path: memory again (after waiting for a concurrent fetch), the file, the
    /// negative cache, the network.
    fn load(
        self: &Arc<Self>,
        issuer: &str,
        kid: Option<&str>,
        now: UnixTime,
    ) -> Result<Arc<KeySet>> {
        let state = self.state(issuer);
        let fetch = lock(&state.fetch);
        let cached = self
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(issuer)
            .cloned();
        if let Some(entry) = cached.filter(|e| now < e.expires) {
            drop(fetch);
            return self.with_kid(issuer, kid, Arc::clone(&entry.keys), now);
        }
        if let Some((keys, next_update)) = self.load_from_file(issuer, now) {
            Counters::bump(&state.counters.loaded_from_file);
            log::debug!(
                "keys of {} read from the cache file",
                Untrusted::new(issuer)
            );
            drop(fetch);
            if now >= next_update {
                Self::refresh_in_background(self, issuer, &state, now);
            }
            return self.with_kid(issuer, kid, keys, now);
        }
        // An issuer we would never fetch from is its own error, not a failed fetch.
        self.discovery_allowed(issuer)?;
        if let Some((at, reason)) = lock(&state.status).failure.clone() {
            let retry_at = at.saturating_add(self.config.failure_retry);
            if now < retry_at {
                Counters::bump(&state.counters.negative_hits);
                return Err(KeyCacheError::FetchFailed {
                    issuer: Untrusted::new(issuer),
                    ago: now.duration_since(at),
                    reason,
                    retry_in: retry_at.duration_since(now),
                });
            }
        }
        self.admit_new_issuer(issuer, &state, now)?;
        let fetched = self.fetch_and_save(issuer, &state, Urgency::Request, now);
        drop(fetch);
        match fetched {
            Ok(keys) => self.with_kid(issuer, kid, keys, now),
            Err(e) => Err(KeyCacheError::FetchFailed {
                issuer: Untrusted::new(issuer),
                ago: Duration::ZERO,
                reason: e.to_string(),
                retry_in: self.config.failure_retry,
            }),
        }
    }

    /// What a miss in the file leads to, for log messages: an offline cache never fetches.
    fn next_step(&self) -> &'static str {
        if self.config.offline {
            "; not fetched: the key cache is offline"
        } else {
            "; fetching"
        }
    }

    /// Keys from the file if its row decodes and has not expired; installs them in memory.
    fn load_from_file(&self, issuer: &str, now: UnixTime) -> Option<(Arc<KeySet>, UnixTime)> {
        let text = match self.store.get(issuer) {
            Ok(Some(Ok(text))) => text,
            Ok(None) => return None,
            Ok(Some(Err(reason))) => {
                log::warn!(
                    "key cache row for {} unusable ({reason}){}",
                    Untrusted::new(issuer),
                    self.next_step()
                );
                return None;
            }
            Err(e) => {
                log::warn!(
                    "{e}; keys of {}{}",
                    Untrusted::new(issuer),
                    self.next_step()
                );
                return None;
            }
        };
        let parsed = CachedRow::decode(&text)
            .map_err(|e| e.to_string())
            .and_then(|row| {
                let keys = KeySet::from_map(&row.jwks).map_err(|e| e.to_string())?;
                Ok((row, keys))
            });
        match parsed {
            Ok((row, keys)) if now < row.expires && !keys.is_empty() => {
                let keys = Arc::new(keys);
                self.install(issuer, Arc::clone(&keys), row.expires, row.next_update);
                Some((keys, row.next_update))
            }
            Ok(_) => None,
            Err(reason) => {
                log::warn!(
                    "key cache row for {} unusable ({reason}){}",
                    Untrusted::new(issuer),
                    self.next_step()
                );
                None
            }
        }
    }

    /// Puts keys in memory. When `max_issuers` issuers already have keys, the one due for a
    /// refresh soonest makes room (it is read back from the file if asked for again).
    fn install(&self, issuer: &str, keys: Arc<KeySet>, expires: UnixTime, next_update: UnixTime) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.config.max_issuers && !entries.contains_key(issuer) {
            let oldest = entries
                .iter()
                .min_by_key(|(_, entry)| entry.next_update)
                .map(|(name, _)| name.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        entries.insert(
            issuer.to_owned(),
            Arc::new(Entry {
                keys,
                expires,
                next_update,
            }),
        );
    }

    /// Fetches now, holding the issuer's fetch lock.
    pub(crate) fn refresh(&self, issuer: &str, urgency: Urgency) -> Result<Arc<KeySet>> {
        check_length(issuer)?;
        self.discovery_allowed(issuer)?;
        let state = self.state(issuer);
        let _fetch = lock(&state.fetch);
        let now = self.clock.now();
        self.fetch_and_save(issuer, &state, urgency, now)
    }

    /// Network fetch, then file and memory; records success or failure. The caller holds the
    /// issuer's fetch lock.
    fn fetch_and_save(
        &self,
        issuer: &str,
        state: &IssuerState,
        urgency: Urgency,
        now: UnixTime,
    ) -> Result<Arc<KeySet>> {
        let result = self
            .discovery
            .fetch(issuer, urgency)
            .and_then(|fetched| Ok((fetched.jwks, usable(issuer, fetched.keys)?)));
        match result {
            Ok((jwks, keys)) => {
                Counters::bump(&state.counters.fetch_ok);
                log::info!(
                    "fetched {} key(s) of {}",
                    keys.len(),
                    Untrusted::new(issuer)
                );
                self.save(issuer, jwks, keys, now, Write::BestEffort)
            }
            Err(e) => {
                Counters::bump(&state.counters.fetch_failed);
                let mut status = lock(&state.status);
                status.failure = Some((now, e.to_string()));
                status.retry_after = now.saturating_add(self.config.failure_retry);
                Err(e)
            }
        }
    }

    /// Writes the row (an error only if [`Write::Required`]; otherwise logged, memory still updated),
    /// installs the keys, clears the failure state.
    fn save(
        &self,
        issuer: &str,
        jwks: Map<String, Value>,
        keys: KeySet,
        now: UnixTime,
        write: Write,
    ) -> Result<Arc<KeySet>> {
        let row = CachedRow {
            jwks,
            expires: now.saturating_add(self.config.expiration_interval),
            next_update: now.saturating_add(self.config.update_interval),
        };
        if let Err(e) = self.store.put(issuer, &row.encode()) {
            if write == Write::Required {
                return Err(e);
            }
            log::warn!(
                "{e}; keys for {} kept in memory only",
                Untrusted::new(issuer)
            );
        }
        let keys = Arc::new(keys);
        self.install(issuer, Arc::clone(&keys), row.expires, row.next_update);
        let state = self.state(issuer);
        let mut status = lock(&state.status);
        status.failure = None;
        status.retry_after = UnixTime::MIN;
        Ok(keys)
    }

    /// Starts a background refresh unless one is running or the back-off has not ended.
    fn refresh_in_background(
        this: &Arc<Self>,
        issuer: &str,
        state: &Arc<IssuerState>,
        now: UnixTime,
    ) {
        if this.config.offline {
            return;
        }
        {
            let mut status = lock(&state.status);
            if status.refreshing || now < status.retry_after {
                return;
            }
            status.refreshing = true;
        }
        let inner = Arc::clone(this);
        let task_state = Arc::clone(state);
        let issuer = issuer.to_owned();
        let spawned = std::thread::Builder::new()
            .name("scitokens-key-refresh".into())
            .spawn(move || {
                if let Err(e) = inner.refresh(&issuer, Urgency::Admin) {
                    log::warn!(
                        "refreshing keys of {}: {e}; serving cached keys",
                        Untrusted::new(&issuer)
                    );
                }
                lock(&task_state.status).refreshing = false;
            });
        let mut background = lock(&this.background);
        background.retain(|h| !h.is_finished());
        match spawned {
            Ok(handle) => background.push(handle),
            Err(e) => {
                log::warn!("cannot start a key refresh thread: {e}");
                lock(&state.status).refreshing = false;
            }
        }
    }
}

/// Refuses a key set with no usable key, naming what was skipped.
fn usable(issuer: &str, keys: KeySet) -> Result<KeySet> {
    if !keys.is_empty() {
        return Ok(keys);
    }
    let skipped: Vec<String> = keys.skipped().iter().map(|s| s.reason.clone()).collect();
    Err(KeyCacheError::Format(
        scitokens_format::FormatError::InvalidKeySet {
            reason: format!(
                "no usable key for {} (skipped: {})",
                Untrusted::new(issuer),
                if skipped.is_empty() {
                    "none".into()
                } else {
                    skipped.join("; ")
                }
            ),
        },
    ))
}
