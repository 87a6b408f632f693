//! The optional background refresher: refreshes entries before they go stale.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use scitokens_format::Untrusted;

use crate::cache::{Inner, KeyCache};
use crate::discovery::Urgency;
use crate::metrics::Counters;

/// How long [`Refresher::stop`] waits for a refresh under way before leaving the thread to
/// finish on its own.
pub const REFRESHER_STOP_WAIT: Duration = Duration::from_millis(500);

/// A running background refresher; [`stop`](Self::stop) it, or drop it, to end the thread.
pub struct Refresher {
    stop: Option<Sender<()>>,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl KeyCache {
    /// Starts a thread that, every `refresh_interval`, refreshes the issuers held in memory
    /// whose `next_update` is within `refresh_threshold` (failed issuers wait out their
    /// back-off).
    pub fn start_refresher(&self) -> std::io::Result<Refresher> {
        let inner = Arc::clone(self.inner());
        let (stop, stopped) = mpsc::channel::<()>();
        let stopping = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stopping);
        let period = inner.config.refresh_interval;
        let thread = std::thread::Builder::new()
            .name("scitokens-key-refresher".into())
            .spawn(move || {
                // Stops on a message or when the Refresher (the sender) is gone.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(period) {
                    refresh_due(&inner, &flag);
                }
            })?;
        Ok(Refresher {
            stop: Some(stop),
            stopping,
            thread: Some(thread),
        })
    }
}

fn refresh_due(inner: &Inner, stopping: &AtomicBool) {
    let now = inner.clock.now();
    // Rounded up to whole seconds, as times are.
    let horizon = now.saturating_add(
        inner
            .config
            .refresh_threshold
            .saturating_add(Duration::from_millis(999)),
    );
    for (issuer, next_update) in inner.snapshot() {
        if stopping.load(Ordering::Relaxed) {
            return;
        }
        if next_update > horizon {
            continue;
        }
        let state = inner.state(&issuer);
        if !inner.may_retry(&state, now) {
            continue;
        }
        Counters::bump(&state.counters.background_refreshes);
        match inner.refresh(&issuer, Urgency::Admin) {
            Ok(_) => Counters::bump(&state.counters.background_ok),
            Err(e) => {
                Counters::bump(&state.counters.background_failed);
                log::warn!("background refresh of {}: {e}", Untrusted::new(&issuer));
            }
        }
    }
}

impl Refresher {
    /// Stops the thread. Returns within [`REFRESHER_STOP_WAIT`]: a refresh under way (an HTTP request
    /// to a slow issuer may take the admin timeout) is left to finish on its own, after which
    /// the thread ends without starting another.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stopping.store(true, Ordering::Relaxed);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let deadline = Instant::now() + REFRESHER_STOP_WAIT;
            while !thread.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if thread.is_finished() {
                let _ = thread.join();
            } else {
                log::info!("key refresh still under way; the refresher thread ends after it");
            }
        }
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        self.shutdown();
    }
}
