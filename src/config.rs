//! Configuration in two stages: [`RawConfig`] mirrors the TOML file (every
//! key optional, unknown keys refused), [`Config`] holds validated values.
//! With no file at all the embedded defaults apply, so `slotdav` runs as is.
//!
//! `config.example.toml` at the repository root documents every key; a test
//! checks that it parses and that it matches the defaults here.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why a configuration could not be used. The message names the key (and,
/// for TOML syntax and type errors, the line).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The TOML file as written. Every field has a default.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub public_url: Option<String>,
    pub realm: Option<String>,
    pub log: Option<String>,
    pub max_request_body: Option<u64>,
    pub max_resource_size: Option<u64>,
    pub durability: Option<String>,
    pub flush_every_ms: Option<u64>,
}

/// How writes reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Every write is flushed to disk before it is acknowledged.
    Sync,
    /// Writes are flushed by sled every `flush_every_ms`; a crash can lose
    /// the last moments of acknowledged writes.
    Periodic,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// The URL users reach the server at (used in links); defaults to
    /// `http://<listen>`.
    pub public_url: String,
    pub realm: String,
    pub log: String,
    pub max_request_body: u64,
    pub max_resource_size: u64,
    pub durability: Durability,
    pub flush_every_ms: u64,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8008";
pub const DEFAULT_DATA_DIR: &str = "./slotdav-data";

impl Default for Config {
    fn default() -> Self {
        Config::from_raw(RawConfig::default(), Path::new("<defaults>")).expect("embedded defaults are valid")
    }
}

impl Config {
    /// Reads and validates a TOML file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Self::parse(&text, path)
    }

    /// Validates TOML text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Invalid { path: path.to_path_buf(), message: e.to_string() })?;
        Self::from_raw_with_text(raw, path, Some(text))
    }

    fn from_raw(raw: RawConfig, path: &Path) -> Result<Config, ConfigError> {
        Self::from_raw_with_text(raw, path, None)
    }

    fn from_raw_with_text(raw: RawConfig, path: &Path, text: Option<&str>) -> Result<Config, ConfigError> {
        let invalid = |key: &str, message: String| {
            let line = text.and_then(|t| line_of_key(t, key)).map(|n| format!(" (line {n})")).unwrap_or_default();
            ConfigError::Invalid { path: path.to_path_buf(), message: format!("key `{key}`{line}: {message}") }
        };
        let listen_text = raw.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen: SocketAddr = listen_text
            .parse()
            .map_err(|_| invalid("listen", format!("`{listen_text}` is not an address like 127.0.0.1:8008")))?;
        let durability = match raw.durability.as_deref().unwrap_or("sync") {
            "sync" => Durability::Sync,
            "periodic" => Durability::Periodic,
            other => return Err(invalid("durability", format!("`{other}` is neither \"sync\" nor \"periodic\""))),
        };
        let public_url = raw.public_url.unwrap_or_else(|| format!("http://{listen}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(invalid("public_url", format!("`{public_url}` must start with http:// or https://")));
        }
        let max_request_body = raw.max_request_body.unwrap_or(10 * 1024 * 1024);
        let max_resource_size = raw.max_resource_size.unwrap_or(1024 * 1024);
        if max_resource_size == 0 || max_request_body == 0 {
            return Err(invalid("max_resource_size", "sizes must be positive".into()));
        }
        let log = raw.log.unwrap_or_else(|| "info".to_string());
        if tracing_subscriber::EnvFilter::try_new(&log).is_err() {
            return Err(invalid("log", format!("`{log}` is not a log filter like \"info\" or \"slotdav=debug\"")));
        }
        Ok(Config {
            listen,
            data_dir: raw.data_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            public_url: public_url.trim_end_matches('/').to_string(),
            realm: raw.realm.unwrap_or_else(|| "slotdav".to_string()),
            log,
            max_request_body,
            max_resource_size,
            durability,
            flush_every_ms: raw.flush_every_ms.unwrap_or(500),
        })
    }
}

/// The 1-based line where `key` is assigned, for messages about values that
/// parsed as TOML but are not valid settings.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines().position(|l| {
        let l = l.trim_start();
        l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
    })
    .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_parses_and_states_the_defaults() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml")).unwrap();
        let example = Config::parse(&text, Path::new("config.example.toml")).unwrap();
        let defaults = Config::default();
        assert_eq!(example.listen, defaults.listen);
        assert_eq!(example.data_dir, defaults.data_dir);
        assert_eq!(example.max_request_body, defaults.max_request_body);
        assert_eq!(example.max_resource_size, defaults.max_resource_size);
        assert_eq!(example.durability, defaults.durability);
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = Config::parse("listen = \"127.0.0.1:1\"\nlistne = 3\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("listne"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn bad_type_is_named_with_its_line() {
        let err = Config::parse("\nmax_request_body = \"big\"\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("max_request_body"), "{err}");
    }

    #[test]
    fn unparsable_listen_address_is_named_with_its_line() {
        let err = Config::parse("realm = \"x\"\nlisten = \"localhost\"\n", Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("`listen`") && err.contains("line 2"), "{err}");
    }
}
