//! The cost of refusing each hostile input in `testdata/hostile/` (see `tests/catalogue`).
//! Inputs are built before timing; what is timed is the refusal itself: `authorize`,
//! `KeySet::from_json`, `CachedRow::decode` or `token_from_authorization`.
//!
//! `cargo bench -p scitokens-enforce --bench hostile`; docs/security.md records the slowest.

#![allow(missing_docs)] // criterion_group! generates undocumented items

#[path = "../tests/catalogue/mod.rs"]
mod catalogue;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

fn hostile(c: &mut Criterion) {
    let mut group = c.benchmark_group("hostile");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(50))
        .measurement_time(Duration::from_millis(300));
    for (name, case) in catalogue::cases() {
        let prepared = catalogue::prepare(&name, &case);
        group.bench_function(&name, |b| b.iter(|| (prepared.run)()));
    }
    group.finish();
}

criterion_group!(benches, hostile);
criterion_main!(benches);
