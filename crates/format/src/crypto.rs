//! Which cryptographic module does the work: aws-lc, for signatures, hashes and (through
//! rustls) TLS; its FIPS 140-3 build with the `fips` feature (docs/security.md).

/// Whether signatures and hashes run in aws-lc's FIPS 140-3 module, in FIPS mode: true in a
/// build with the `fips` feature, false otherwise.
///
/// ```
/// assert_eq!(scitokens_format::fips_mode(), cfg!(feature = "fips"));
/// ```
pub fn fips_mode() -> bool {
    aws_lc_rs::try_fips_mode().is_ok()
}

/// Initialises aws-lc once per process: CPU feature detection, which picks its assembly for
/// the machine. Until it runs, aws-lc uses its generic code: measured here, an ES256
/// verification took 45% longer and RS256 20% longer (docs/performance.md). Every
/// cryptographic entry point of this crate calls it (a `Once`: one atomic load after the
/// first call); call it before using aws-lc through another crate, as the key cache does
/// before building its rustls configuration.
///
/// ```
/// scitokens_format::init_crypto();
/// scitokens_format::init_crypto(); // any number of times
/// ```
pub fn init_crypto() {
    aws_lc_rs::init();
}
