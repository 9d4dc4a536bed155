//! argon2id hashing and verification.
//!
//! One verification with the default parameters needs 19 MiB of blocks.
//! They are allocated for the check and freed when it ends, so between
//! logins the server holds none of it. For that memory to go back to the
//! system, the binary fixes glibc's mmap threshold at start (`main`): a
//! block this big is then mapped for the check and unmapped after, where
//! glibc's sliding threshold would have kept it in a heap arena for good.
//! [`super::Authenticator`] bounds how many checks run at once.

use argon2::password_hash::{rand_core::OsRng, Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any input")
        .to_string()
}

/// Largest memory cost (KiB) accepted in a stored hash: 1 GiB.
const MAX_M_COST: u32 = 1024 * 1024;

/// Checks a password against a PHC string. Malformed hashes never match.
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else { return false };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else { return false };
    let version = match hash.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&hash) else { return false };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else { return false };
    if params.m_cost() > MAX_M_COST {
        return false;
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else { return false };
    let mut memory = vec![Block::default(); params.block_count()];
    let mut out = vec![0u8; expected.len()];
    if Argon2::new(algorithm, version, params).hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory).is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|o| o == expected)
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
        assert!(!verify_password("correct horsf", &phc));
        assert!(verify_password("correct horse", &phc), "a second check gives the same answer");
    }

    #[test]
    fn other_parameters_and_malformed_hashes() {
        // argon2i, small memory, two lanes: made by the crate itself.
        let params = Params::new(64, 3, 2, Some(16)).unwrap();
        let salt = SaltString::generate(&mut OsRng);
        let phc = Argon2::new(Algorithm::Argon2i, Version::V0x10, params).hash_password(b"pw", &salt).unwrap().to_string();
        assert!(verify_password("pw", &phc));
        assert!(!verify_password("px", &phc));
        for bad in ["", "$argon2id$", "plain", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$"] {
            assert!(!verify_password("pw", bad), "{bad}");
        }
    }
}
