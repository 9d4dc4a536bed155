//! Who is asking: HTTP Basic credentials checked against argon2id hashes.
//!
//! Verifying an argon2 hash costs tens of milliseconds on purpose, and
//! calendar clients send credentials with every request. A successful check
//! is therefore remembered (as a SHA-256 of the password, tied to the stored
//! hash) until the user's password changes.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::storage::{Storage, StorageError};

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any input")
        .to_string()
}

/// Checks a password against a PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// User name and password from an `Authorization: Basic …` header value.
pub fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

/// Remembers passwords that verified, per user, for as long as the stored
/// hash is unchanged.
#[derive(Default)]
pub struct Authenticator {
    verified: Mutex<HashMap<String, (String, [u8; 32])>>,
}

impl Authenticator {
    /// The user name when the credentials are right. Runs argon2 (slow) only
    /// for credentials not seen before.
    pub fn check(&self, storage: &dyn Storage, user: &str, password: &str) -> Result<Option<String>, StorageError> {
        let Some(record) = storage.user(user)? else { return Ok(None) };
        let digest: [u8; 32] = Sha256::digest(password.as_bytes()).into();
        {
            let cache = self.verified.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((phc, known)) = cache.get(user) {
                if *phc == record.password_hash && *known == digest {
                    return Ok(Some(record.name));
                }
            }
        }
        if verify_password(password, &record.password_hash) {
            self.verified
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(user.to_string(), (record.password_hash.clone(), digest));
            Ok(Some(record.name))
        } else {
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_right_password() {
        let phc = hash_password("correct horse");
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong", &phc));
    }

    #[test]
    fn basic_header_parses() {
        let h = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("alice:pa:ss"));
        assert_eq!(parse_basic(&h), Some(("alice".into(), "pa:ss".into())));
        assert_eq!(parse_basic("Bearer abc"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
    }
}
