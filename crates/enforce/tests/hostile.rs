//! The hostile-input catalogue (`testdata/hostile/`, described in `catalogue/mod.rs` and
//! `docs/security.md`): every case is refused with its expected error kind (or denied), none
//! panics, and error messages stay short: untrusted text is echoed cut and escaped.

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

mod catalogue;

use std::time::{Duration, Instant};

/// A generous bound that only an algorithmic blow-up would cross, even in a debug build on a
/// loaded machine. The real cost of each case is measured by the `hostile` bench and recorded
/// in docs/security.md; tests assert no timings.
const RUNAWAY: Duration = Duration::from_secs(2);

/// Refusals that must come before any key lookup (the cheap checks run first: size, shape,
/// algorithm, header, issuer).
const BEFORE_KEY_WORK: [&str; 10] = [
    "too_long",
    "segment_count",
    "empty_segment",
    "base64",
    "json",
    "alg_not_allowed",
    "missing_alg",
    "header",
    "untrusted_issuer",
    "token_with_key",
];

#[test]
fn every_hostile_case_is_refused_as_expected() {
    let cases = catalogue::cases();
    assert!(cases.len() >= 60, "the catalogue has {} cases", cases.len());
    let mut failures = Vec::new();
    for (name, case) in &cases {
        assert!(
            case.get("description")
                .and_then(|d| d.as_str())
                .is_some_and(|d| !d.is_empty()),
            "{name}: every case says what it is"
        );
        let prepared = catalogue::prepare(name, case);
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (prepared.run)()));
        let elapsed = started.elapsed();
        let Ok((got, message)) = outcome else {
            failures.push(format!("{name}: PANICKED"));
            continue;
        };
        if got != prepared.expect {
            failures.push(format!(
                "{name}: expected {}, got {got}: {message}",
                prepared.expect
            ));
        }
        if message.len() > 2048 {
            failures.push(format!(
                "{name}: message of {} bytes echoes too much",
                message.len()
            ));
        }
        if message.chars().any(|c| c.is_control() && c != '\n') {
            failures.push(format!(
                "{name}: message has a raw control character: {message:?}"
            ));
        }
        let lookups = prepared
            .keys
            .as_ref()
            .map(|k| k.lookups.load(std::sync::atomic::Ordering::SeqCst));
        if BEFORE_KEY_WORK.contains(&got.as_str()) && lookups.is_some_and(|n| n > 0) {
            failures.push(format!("{name}: refused as {got} only after a key lookup"));
        }
        if elapsed > RUNAWAY {
            failures.push(format!("{name}: took {elapsed:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_catalogue_covers_what_the_issue_names() {
    let names: Vec<String> = catalogue::cases().into_iter().map(|(n, _)| n).collect();
    for prefix in [
        "alg-",
        "kid-",
        "header-",
        "json-",
        "exp-",
        "aud-",
        "scope-",
        "traversal-",
        "sibling-",
        "unicode-",
        "signature-",
        "size-",
        "jwks-",
        "cache-row-",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(prefix)),
            "no {prefix}* case"
        );
    }
}
