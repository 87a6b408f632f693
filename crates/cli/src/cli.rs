//! The command line, as clap definitions: one source for parsing, `--help`, the man page and
//! the shell completions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const TOKEN_HELP: &str = "The token; `-` reads it from stdin. Omitted: $BEARER_TOKEN, \
     the file in $BEARER_TOKEN_FILE, $XDG_RUNTIME_DIR/bt_u$UID, /tmp/bt_u$UID (WLCG discovery)";

const AFTER_HELP: &str = "\
Exit status: 0 success, valid or allowed; 1 invalid token or denied; 2 usage, I/O or
configuration error. Errors are one line on stderr: `scitoken: <message>`.

Start with `scitoken demo`: it runs the whole round trip with a throwaway local issuer.";

/// Mint, inspect and verify SciTokens; list their ACLs and test requests against them; manage
/// the issuer key cache (shared with scitokens-cpp).
#[derive(Debug, Parser)]
#[command(name = "scitoken", version, after_help = AFTER_HELP, max_term_width = 100)]
pub(crate) struct Cli {
    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// Show the libraries' log messages (-v info, -vv debug, -vvv trace; RUST_LOG overrides).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Generate a signing key: PKCS#8 private key (mode 0600), SPKI public key, JWKS.
    #[command(
        after_help = "Examples:\n  scitoken keygen --private issuer.pem --public issuer.pub --jwks issuer.jwks\n  scitoken keygen --alg RS256 --kid key-2026 --private rsa.pem"
    )]
    Keygen(KeygenArgs),
    /// Print a JWKS (RFC 7517 key set) for a public key.
    #[command(
        after_help = "Example:\n  scitoken jwks --public issuer.pub > .well-known/jwks.json"
    )]
    Jwks(JwksArgs),
    /// Mint and sign a token; prints it and a newline.
    #[command(
        after_help = "Examples:\n  scitoken mint --key issuer.pem --issuer https://issuer.example --aud https://storage.example --scope \"read:/data write:/data/out\"\n  scitoken mint --key issuer.pem --issuer https://issuer.example --profile wlcg --aud https://wlcg.cern.ch/jwt/v1/any --scope storage.read:/ --claim-json wlcg.groups='[\"/cms\"]'"
    )]
    Mint(MintArgs),
    /// Decode a token WITHOUT verifying it: header, claims, and times as dates.
    #[command(
        after_help = "Examples:\n  scitoken inspect eyJhbGciOi...\n  scitoken inspect - < token.jwt\n  BEARER_TOKEN_FILE=token.jwt scitoken inspect"
    )]
    Inspect(InspectArgs),
    /// Verify a token's signature and claims; prints `valid` and a summary.
    #[command(
        after_help = "Examples:\n  scitoken verify --issuer https://issuer.example --aud https://storage.example TOKEN\n  scitoken verify --jwks issuer.jwks TOKEN        # keys from a file only: no cache, no network\n  scitoken verify --offline TOKEN                 # keys from the cache only"
    )]
    Verify(VerifyArgs),
    /// Verify a token, then print its ACLs, one `AUTHZ:RESOURCE` a line.
    #[command(
        after_help = "Examples:\n  scitoken acls --issuer https://issuer.example --aud https://storage.example TOKEN\n  scitoken acls --compat --issuer https://issuer.example TOKEN   # scitokens-cpp's list"
    )]
    Acls(AclsArgs),
    /// Verify a token, then test one request: prints `allowed` or `denied: <reason>`.
    #[command(
        after_help = "Examples:\n  scitoken test --issuer https://issuer.example --aud https://storage.example --op read --path /data/file TOKEN\n  scitoken test --issuer https://issuer.example --op storage.create --path /data/out/new TOKEN"
    )]
    Test(TestArgs),
    /// Administer the issuer key cache (the file scitokens-cpp uses, unless --cache).
    #[command(
        subcommand,
        after_help = "Examples:\n  scitoken keys list\n  scitoken keys add https://issuer.example --jwks issuer.jwks\n  scitoken keys refresh --ca-file site-ca.pem\n  scitoken keys show https://issuer.example --cache cache.sqlite"
    )]
    Keys(KeysCommand),
    /// Get tokens from an OAuth issuer (device flow or client credentials), refresh, attenuate
    /// and revoke them, and run a command that keeps its token fresh.
    #[command(
        after_help = "Examples:\n  scitoken token get --issuer https://issuer.example --client-id cli --scope storage.read:/home/alice\n  scitoken token get --issuer https://issuer.example --client-id svc --client-secret-file svc.secret\n  scitoken token refresh\n  scitoken token exchange --scope storage.read:/home/alice/papers > narrow.jwt\n  scitoken token run -- xrdcp root://storage.example//home/alice/f .\n  scitoken token revoke"
    )]
    Token {
        /// The token command.
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Run the whole round trip with a throwaway local HTTPS issuer, explaining each step.
    #[command(
        after_help = "Example:\n  scitoken demo          # start here\n  scitoken demo --json   # the same, as one JSON document"
    )]
    Demo,
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  scitoken completions bash > /etc/bash_completion.d/scitoken"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(after_help = "Example:\n  scitoken man > /usr/local/share/man/man1/scitoken.1")]
    Man,
}

/// A signing algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Alg {
    /// ECDSA P-256 with SHA-256.
    #[value(name = "ES256")]
    Es256,
    /// RSA PKCS#1 v1.5 with SHA-256.
    #[value(name = "RS256")]
    Rs256,
}

/// A token profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProfileArg {
    /// SciTokens 1.0.
    Scitokens1,
    /// SciTokens 2.0 (`ver: scitoken:2.0`).
    Scitokens2,
    /// WLCG Common JWT Profile 1.0 (`wlcg.ver: 1.0`).
    Wlcg,
    /// RFC 9068 access token (`typ: at+jwt`).
    Atjwt,
}

#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Algorithm.
    #[arg(long, value_enum, default_value = "ES256")]
    pub(crate) alg: Alg,
    /// RSA modulus size: 2048, 3072 or 4096 (RS256 only).
    #[arg(long, default_value_t = 2048)]
    pub(crate) bits: u32,
    /// Key id. Default: the first 4 bytes, hex, of SHA-256 over the public key (SPKI DER).
    #[arg(long)]
    pub(crate) kid: Option<String>,
    /// Where to write the private key (PKCS#8 PEM, mode 0600).
    #[arg(long, value_name = "FILE")]
    pub(crate) private: PathBuf,
    /// Where to write the public key (SPKI PEM).
    #[arg(long, value_name = "FILE")]
    pub(crate) public: Option<PathBuf>,
    /// Where to write the public key as a JWKS.
    #[arg(long, value_name = "FILE")]
    pub(crate) jwks: Option<PathBuf>,
    /// Overwrite existing files.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct JwksArgs {
    /// The public key (SPKI PEM).
    #[arg(long, value_name = "FILE")]
    pub(crate) public: PathBuf,
    /// Key id. Default: the first 4 bytes, hex, of SHA-256 over the public key.
    #[arg(long)]
    pub(crate) kid: Option<String>,
    /// The algorithm the key must fit (default: the key's own).
    #[arg(long, value_enum)]
    pub(crate) alg: Option<Alg>,
}

#[derive(Debug, Args)]
pub(crate) struct MintArgs {
    /// The signing key (PEM: PKCS#8, SEC1 or PKCS#1).
    #[arg(long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// The issuer URL (`iss`).
    #[arg(long, value_name = "ISS")]
    pub(crate) issuer: String,
    /// Key id in the header. Default: the key's default kid.
    #[arg(long)]
    pub(crate) kid: Option<String>,
    /// Space-separated scopes, e.g. "read:/data write:/data/out".
    #[arg(long, value_name = "S ...")]
    pub(crate) scope: Option<String>,
    /// An audience (`aud`); repeat for several.
    #[arg(long, value_name = "AUD")]
    pub(crate) aud: Vec<String>,
    /// The subject (`sub`).
    #[arg(long)]
    pub(crate) sub: Option<String>,
    /// Seconds until `exp`.
    #[arg(long, value_name = "SECS", default_value_t = scitokens_format::DEFAULT_LIFETIME.as_secs())]
    pub(crate) lifetime: u64,
    /// The profile.
    #[arg(long, value_enum, default_value = "scitokens2")]
    pub(crate) profile: ProfileArg,
    /// Another claim with a string value; repeatable.
    #[arg(long, value_name = "NAME=STRING")]
    pub(crate) claim: Vec<String>,
    /// Another claim with a JSON value; repeatable.
    #[arg(long = "claim-json", value_name = "NAME=JSON")]
    pub(crate) claim_json: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    #[arg(help = TOKEN_HELP)]
    pub(crate) token: Option<String>,
}

/// Where keys come from.
#[derive(Debug, Args)]
pub(crate) struct KeyOpts {
    /// Keys only from this JWKS file (no cache, no network), for every accepted issuer.
    #[arg(long, value_name = "FILE")]
    pub(crate) jwks: Option<PathBuf>,
    /// The key cache file (default: scitokens-cpp's, `$XDG_CACHE_HOME/scitokens/scitokens_cpp.sqllite`).
    #[arg(long, value_name = "FILE", conflicts_with = "jwks")]
    pub(crate) cache: Option<PathBuf>,
    /// Never fetch keys: use the key cache only.
    #[arg(long, conflicts_with = "jwks")]
    pub(crate) offline: bool,
    /// CA certificates (PEM) that replace the built-in roots for key discovery.
    #[arg(long, value_name = "FILE", conflicts_with = "jwks")]
    pub(crate) ca_file: Option<PathBuf>,
}

/// What a token must satisfy.
#[derive(Debug, Args)]
pub(crate) struct ClaimOpts {
    /// An audience this service answers to; repeatable. None: only tokens without `aud` (or
    /// with their profile's "any" audience) are accepted.
    #[arg(long, value_name = "AUD")]
    pub(crate) aud: Vec<String>,
    /// An accepted profile; repeatable. Default: all four.
    #[arg(long, value_enum, value_name = "P")]
    pub(crate) profile: Vec<ProfileArg>,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    #[arg(help = TOKEN_HELP)]
    pub(crate) token: Option<String>,
    /// A trusted issuer; repeatable. None: the token's own `iss` is trusted (and said so).
    #[arg(long, value_name = "ISS")]
    pub(crate) issuer: Vec<String>,
    #[command(flatten)]
    pub(crate) claims: ClaimOpts,
    #[command(flatten)]
    pub(crate) keys: KeyOpts,
}

#[derive(Debug, Args)]
pub(crate) struct AclsArgs {
    #[arg(help = TOKEN_HELP)]
    pub(crate) token: Option<String>,
    /// A trusted issuer; repeatable.
    #[arg(long, value_name = "ISS", required = true)]
    pub(crate) issuer: Vec<String>,
    /// scitokens-cpp's ACL list (WLCG names translated, semantics.md §8).
    #[arg(long)]
    pub(crate) compat: bool,
    #[command(flatten)]
    pub(crate) claims: ClaimOpts,
    #[command(flatten)]
    pub(crate) keys: KeyOpts,
}

#[derive(Debug, Args)]
pub(crate) struct TestArgs {
    #[arg(help = TOKEN_HELP)]
    pub(crate) token: Option<String>,
    /// A trusted issuer; repeatable.
    #[arg(long, value_name = "ISS", required = true)]
    pub(crate) issuer: Vec<String>,
    /// The operation: read, write, create, modify, stage, poll, storage.read, storage.create,
    /// storage.modify, storage.stage, compute.read, compute.create, compute.modify,
    /// compute.cancel, queue, execute, condor, or another authz name.
    #[arg(long, value_name = "OP")]
    pub(crate) op: String,
    /// The requested path (or URL).
    #[arg(long, value_name = "PATH")]
    pub(crate) path: String,
    #[command(flatten)]
    pub(crate) claims: ClaimOpts,
    #[command(flatten)]
    pub(crate) keys: KeyOpts,
}

/// Where the key cache is.
#[derive(Debug, Args)]
pub(crate) struct CacheOpts {
    /// The key cache file (default: scitokens-cpp's, `$XDG_CACHE_HOME/scitokens/scitokens_cpp.sqllite`).
    #[arg(long, value_name = "FILE")]
    pub(crate) cache: Option<PathBuf>,
    /// CA certificates (PEM) that replace the built-in roots for key discovery.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// List the cached issuers, their key ids and when they are refreshed and expire.
    List(CacheOpts),
    /// Show one issuer's cached key set and times.
    Show {
        /// The issuer.
        issuer: String,
        #[command(flatten)]
        cache: CacheOpts,
    },
    /// Store an issuer's keys from a JWKS file, as if just fetched.
    Add {
        /// The issuer.
        issuer: String,
        /// The key set.
        #[arg(long, value_name = "FILE")]
        jwks: PathBuf,
        #[command(flatten)]
        cache: CacheOpts,
    },
    /// Remove an issuer from the cache.
    Remove {
        /// The issuer.
        issuer: String,
        #[command(flatten)]
        cache: CacheOpts,
    },
    /// Fetch keys now, for one issuer or every cached one.
    Refresh {
        /// The issuer (default: every cached issuer).
        issuer: Option<String>,
        #[command(flatten)]
        cache: CacheOpts,
    },
    /// Print the cache file's path.
    Location(CacheOpts),
}

/// How to talk to the issuer as its client.
#[derive(Debug, Args, Clone)]
pub(crate) struct ClientOpts {
    /// The client id registered at the issuer.
    #[arg(long, env = "SCITOKEN_CLIENT_ID", value_name = "ID")]
    pub(crate) client_id: Option<String>,
    /// A file holding the client secret (a confidential client). Without it: a public client,
    /// which sends its id only.
    #[arg(long, value_name = "FILE")]
    pub(crate) client_secret_file: Option<PathBuf>,
    /// CA certificates (PEM) that replace the built-in roots for talking to the issuer.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_file: Option<PathBuf>,
}

/// Where the access token goes.
#[derive(Debug, Args, Clone)]
pub(crate) struct TokenFileOpts {
    /// Write the access token here instead of where WLCG bearer-token discovery looks
    /// (`$BEARER_TOKEN_FILE`, else `$XDG_RUNTIME_DIR/bt_u$UID`, else `/tmp/bt_u$UID`).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

/// `scitoken token ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Get a token: the device flow (open the printed link, log in, approve), or client
    /// credentials with --client-secret-file. Writes the access token (mode 0600) where
    /// bearer-token discovery finds it and keeps the refresh token (0600) under
    /// `$XDG_CONFIG_HOME/scitokens/`.
    Get(TokenGetArgs),
    /// Use the kept refresh token for a new access token (and a new refresh token).
    Refresh(TokenRefreshArgs),
    /// Trade the current token for a narrower one (RFC 8693): fewer scopes, other audiences
    /// among its own. Prints the new token; the current one is left as it is.
    Exchange(TokenExchangeArgs),
    /// Revoke the kept refresh token (and with it the grant) and the current access token at
    /// the issuer, then delete both files.
    Revoke(TokenRefreshArgs),
    /// Run a command with `BEARER_TOKEN_FILE` set, refreshing the token before it expires for
    /// as long as the command runs; forwards signals and exits with the command's status.
    Run(TokenRunArgs),
}

/// `scitoken token get`.
#[derive(Debug, Args)]
pub(crate) struct TokenGetArgs {
    /// The issuer URL (its discovery document names the endpoints).
    #[arg(long, value_name = "URL")]
    pub(crate) issuer: String,
    #[command(flatten)]
    pub(crate) client: ClientOpts,
    /// Space-separated scopes to ask for (default: whatever the issuer gives).
    #[arg(long, value_name = "S ...")]
    pub(crate) scope: Option<String>,
    /// An audience to ask for (`audience`, RFC 8693 style); repeatable.
    #[arg(long, value_name = "AUD")]
    pub(crate) aud: Vec<String>,
    /// A resource indicator to ask for (`resource`, RFC 8707); repeatable.
    #[arg(long, value_name = "URI")]
    pub(crate) resource: Vec<String>,
    /// Do not ask for a refresh token (`offline_access`).
    #[arg(long)]
    pub(crate) no_refresh: bool,
    /// Use the device flow even with a client secret.
    #[arg(long)]
    pub(crate) device: bool,
    #[command(flatten)]
    pub(crate) file: TokenFileOpts,
}

/// Which kept grant: the current token's issuer and client, or these.
#[derive(Debug, Args)]
pub(crate) struct TokenRefreshArgs {
    /// The issuer (default: the current token's `iss`, or the only one kept).
    #[arg(long, value_name = "URL")]
    pub(crate) issuer: Option<String>,
    /// The client id (default: the current token's `client_id`, or the kept one).
    #[arg(long, value_name = "ID")]
    pub(crate) client_id: Option<String>,
    /// Narrow the new token's scopes (within what was granted).
    #[arg(long, value_name = "S ...")]
    pub(crate) scope: Option<String>,
    #[command(flatten)]
    pub(crate) file: TokenFileOpts,
}

/// `scitoken token exchange`.
#[derive(Debug, Args)]
pub(crate) struct TokenExchangeArgs {
    /// The token to exchange (default: bearer-token discovery); `-` reads stdin.
    #[arg(long, value_name = "TOKEN")]
    pub(crate) token: Option<String>,
    #[command(flatten)]
    pub(crate) client: ClientOpts,
    /// Space-separated scopes, each within the token's.
    #[arg(long, value_name = "S ...")]
    pub(crate) scope: Option<String>,
    /// An audience for the new token; repeatable.
    #[arg(long, value_name = "AUD")]
    pub(crate) aud: Vec<String>,
    /// Write the new token to this file (mode 0600) instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

/// `scitoken token run`.
#[derive(Debug, Args)]
pub(crate) struct TokenRunArgs {
    #[command(flatten)]
    pub(crate) grant: TokenRefreshArgs,
    /// Refresh when the token has fewer than this many seconds left (default: a third of its
    /// lifetime, at least 30).
    #[arg(long, value_name = "SECS")]
    pub(crate) min_remaining: Option<u64>,
    /// The command and its arguments (after `--`).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub(crate) command: Vec<std::ffi::OsString>,
}
