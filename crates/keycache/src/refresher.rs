//! The optional background refresher: refreshes entries before they go stale.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use scitokens_format::Untrusted;

use crate::cache::{Inner, KeyCache};
use crate::metrics::Counters;

/// A running background refresher; [`stop`](Self::stop) it, or drop it, to end the thread.
pub struct Refresher {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl KeyCache {
    /// Starts a thread that, every `refresh_interval_ms`, refreshes the issuers held in memory
    /// whose `next_update` is within `refresh_threshold_ms` (failed issuers wait out their
    /// back-off).
    pub fn start_refresher(&self) -> std::io::Result<Refresher> {
        let inner = Arc::clone(self.inner());
        let (stop, stopped) = mpsc::channel::<()>();
        let period = Duration::from_millis(inner.config.refresh_interval_ms);
        let thread = std::thread::Builder::new()
            .name("scitokens-key-refresher".into())
            .spawn(move || {
                // Stops on a message or when the Refresher (the sender) is gone.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(period) {
                    refresh_due(&inner);
                }
            })?;
        Ok(Refresher {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

fn refresh_due(inner: &Inner) {
    let now = inner.clock.now();
    let threshold_s =
        i64::try_from(inner.config.refresh_threshold_ms.div_ceil(1000)).unwrap_or(i64::MAX);
    for (issuer, next_update) in inner.snapshot() {
        if next_update.saturating_sub(now) > threshold_s {
            continue;
        }
        let state = inner.state(&issuer);
        if !inner.may_retry(&state, now) {
            continue;
        }
        Counters::bump(&state.counters.background_refreshes);
        if let Err(e) = inner.refresh(&issuer, true) {
            log::warn!("background refresh of {}: {e}", Untrusted::new(&issuer));
        }
    }
}

impl Refresher {
    /// Stops the thread and waits for it (an ongoing refresh completes first).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        self.shutdown();
    }
}
