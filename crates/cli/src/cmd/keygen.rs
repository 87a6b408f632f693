//! `scitoken keygen` and `scitoken jwks`: key material for an issuer.

use scitokens_format::{Algorithm, KeySet, SigningKey, VerifyingKey};
use serde_json::json;

use crate::cli::{Alg, JwksArgs, KeygenArgs};
use crate::error::{CliError, Result};
use crate::output::Printer;

impl From<Alg> for Algorithm {
    fn from(alg: Alg) -> Self {
        match alg {
            Alg::Es256 => Algorithm::Es256,
            Alg::Rs256 => Algorithm::Rs256,
        }
    }
}

pub(crate) fn keygen(args: &KeygenArgs, out: &mut Printer) -> Result<()> {
    let outputs = [
        Some(&args.private),
        args.public.as_ref(),
        args.jwks.as_ref(),
    ];
    if !args.force {
        if let Some(existing) = outputs.iter().flatten().find(|p| p.exists()) {
            return Err(CliError::Usage(format!(
                "{} exists; pass --force to overwrite it",
                existing.display()
            )));
        }
    }
    let key = match args.alg {
        Alg::Es256 => SigningKey::generate(Algorithm::Es256),
        Alg::Rs256 => SigningKey::generate_rsa(args.bits),
    }
    .map_err(CliError::input("generating the key"))?;
    let key = match &args.kid {
        Some(kid) => key.with_kid(kid.clone()),
        None => key,
    };
    let private = key
        .to_pkcs8_pem()
        .map_err(CliError::input("encoding the key"))?;
    let public = key
        .verifying_key()
        .to_spki_pem()
        .map_err(CliError::input("encoding the public key"))?;
    let jwks = KeySet::new(vec![key.verifying_key().clone()])
        .to_json()
        .map_err(CliError::input("encoding the key set"))?;

    crate::files::write_file(&args.private, private.as_bytes(), 0o600, args.force)?;
    if let Some(path) = &args.public {
        crate::files::write_file(path, public.as_bytes(), 0o644, args.force)?;
    }
    if let Some(path) = &args.jwks {
        crate::files::write_file(path, format!("{jwks}\n").as_bytes(), 0o644, args.force)?;
    }
    out.line(key.kid())?;
    out.document(&json!({
        "kid": key.kid(),
        "alg": key.alg().as_str(),
        "private": args.private,
        "public": args.public,
        "jwks": args.jwks,
    }))
}

pub(crate) fn jwks(args: &JwksArgs, out: &mut Printer) -> Result<()> {
    let pem = std::fs::read(&args.public).map_err(CliError::file(&args.public))?;
    let what = format!("--public {}", args.public.display());
    let key = VerifyingKey::from_pem(&pem).map_err(CliError::input(what.clone()))?;
    if let Some(alg) = args.alg {
        let alg = Algorithm::from(alg);
        if key.alg() != alg {
            return Err(CliError::Usage(format!(
                "{what}: the key is for {}, not {alg}",
                key.alg()
            )));
        }
    }
    let key = match &args.kid {
        Some(kid) => key.with_kid(kid.clone()),
        None => key.with_default_kid().map_err(CliError::input(what))?,
    };
    let jwks = KeySet::new(vec![key])
        .to_json()
        .map_err(CliError::input("encoding the key set"))?;
    out.block(&jwks)?;
    let value = serde_json::from_str(&jwks)
        .map_err(|e| CliError::Usage(format!("encoding the key set: {e}")))?;
    out.document(&value)
}
