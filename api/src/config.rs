//! Configuration from the environment, with the embedded defaults `cargo run` relies on.
use std::path::PathBuf;

use rand::RngCore;

/// Where the server listens and what it talks to.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `postgres://…` or `sqlite://…`.
    pub database_url: String,
    /// `host:port`; port 0 picks a free one (tests).
    pub bind: String,
    /// The HS256 signing secret of bearer tokens.
    pub jwt_secret: Secret,
}

/// A secret that never prints.
#[derive(Clone)]
pub struct Secret(pub Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://oms.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("OMS_JWT_SECRET must be set when DATABASE_URL is not SQLite")]
    SecretRequired,
    #[error("OMS_JWT_SECRET must be at least 32 characters")]
    SecretTooShort,
    #[error("could not read or write the signing secret at {path}: {source}")]
    SecretFile { path: PathBuf, source: std::io::Error },
}

impl Settings {
    /// Reads `DATABASE_URL`, `OMS_BIND` and `OMS_JWT_SECRET`. On SQLite without a secret, one
    /// is generated once and kept beside the database file, so tokens survive restarts.
    pub fn from_env() -> Result<Settings, ConfigError> {
        let database_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
        let bind = std::env::var("OMS_BIND").unwrap_or_else(|_| DEFAULT_BIND.to_owned());
        let jwt_secret = match std::env::var("OMS_JWT_SECRET") {
            Ok(s) if s.len() >= 32 => Secret(s.into_bytes()),
            Ok(_) => return Err(ConfigError::SecretTooShort),
            Err(_) if is_sqlite(&database_url) => embedded_secret(&database_url)?,
            Err(_) => return Err(ConfigError::SecretRequired),
        };
        Ok(Settings { database_url, bind, jwt_secret })
    }

    /// Whether this is the embedded default (SQLite): it then prints an admin token at start.
    pub fn is_embedded(&self) -> bool {
        is_sqlite(&self.database_url)
    }
}

pub fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// The database file of a SQLite URL, or `None` for an in-memory database.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| PathBuf::from(path))
}

fn random_secret() -> Vec<u8> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes).into_bytes()
}

fn embedded_secret(url: &str) -> Result<Secret, ConfigError> {
    let Some(db_file) = sqlite_file(url) else {
        return Ok(Secret(random_secret()));
    };
    let path = db_file.with_extension("secret");
    match std::fs::read(&path) {
        Ok(bytes) if bytes.len() >= 32 => return Ok(Secret(bytes)),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(ConfigError::SecretFile { path, source }),
    }
    let secret = random_secret();
    write_private(&path, &secret).map_err(|source| ConfigError::SecretFile { path, source })?;
    Ok(Secret(secret))
}

/// Writes a file only its owner can read.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_file("sqlite://oms.db"), Some(PathBuf::from("oms.db")));
        assert_eq!(sqlite_file("sqlite:///tmp/x.db?mode=rwc"), Some(PathBuf::from("/tmp/x.db")));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert!(!is_sqlite("postgres://localhost/oms"));
    }
}
