//! What the benchmarks share for reporting: percentiles of microsecond samples, milliseconds,
//! and the verdict on a goal (none in an unoptimised build). Included with `#[path]`.

/// The `p`th percentile (0–100) of `values`, nearest rank; 0 for no values.
pub fn percentile(values: &[u64], p: f64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank]
}

/// Microseconds as milliseconds.
pub fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// PASS or FAIL, or no verdict when built without optimisations.
pub fn verdict(ok: bool) -> &'static str {
    if cfg!(debug_assertions) {
        // `cargo test --benches` (CI's smoke run) builds without optimisations.
        "no verdict in an unoptimised build"
    } else if ok {
        "PASS"
    } else {
        "FAIL"
    }
}
