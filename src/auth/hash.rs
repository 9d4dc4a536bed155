//! argon2id hashing, and verification with memory from a small pool.
//!
//! One verification with the default parameters needs 19 MiB. Allocated
//! per call, that memory mostly stays with the process: glibc raises its
//! mmap threshold after the first large free, so later blocks come from
//! the heap arenas of whichever thread ran the check and are not given
//! back. Taking the blocks from a pool (one per concurrent check, see
//! [`super::Authenticator`]) keeps the memory for password checks at
//! `concurrent_checks × 19 MiB`, however many wrong passwords arrive.

use std::sync::Mutex;

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

/// Checks a password against a PHC string, with freshly allocated memory.
pub fn verify_password(password: &str, phc: &str) -> bool {
    verify_with(password.as_bytes(), phc, &mut Vec::new())
}

/// Largest memory cost (KiB) accepted in a stored hash: 1 GiB.
const MAX_M_COST: u32 = 1024 * 1024;

/// Checks `password` against `phc`, using (and growing if needed)
/// `memory` for argon2's blocks. Malformed hashes never match.
pub fn verify_with(password: &[u8], phc: &str, memory: &mut Vec<Block>) -> bool {
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
    let need = params.block_count();
    if memory.len() < need {
        *memory = vec![Block::default(); need];
    }
    let mut out = vec![0u8; expected.len()];
    if Argon2::new(algorithm, version, params).hash_password_into_with_memory(password, salt, &mut out, &mut memory[..need]).is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|o| o == expected)
}

/// Memory blocks for verifications, reused across calls.
pub struct MemoryPool {
    free: Mutex<Vec<Vec<Block>>>,
    keep: usize,
}

impl MemoryPool {
    /// A pool that keeps at most `keep` buffers between calls.
    pub fn new(keep: usize) -> Self {
        MemoryPool { free: Mutex::new(Vec::new()), keep }
    }

    /// [`verify_with`] on a pooled buffer.
    pub fn verify(&self, password: &[u8], phc: &str) -> bool {
        let mut memory = self.free.lock().unwrap_or_else(|p| p.into_inner()).pop().unwrap_or_default();
        let ok = verify_with(password, phc, &mut memory);
        let default_blocks = Params::DEFAULT_M_COST as usize;
        if memory.len() <= 4 * default_blocks {
            let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
            if free.len() < self.keep {
                free.push(memory);
            }
        }
        ok
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
        let pool = MemoryPool::new(1);
        assert!(pool.verify(b"correct horse", &phc));
        assert!(!pool.verify(b"correct horsf", &phc));
        assert!(pool.verify(b"correct horse", &phc), "a reused buffer gives the same answer");
    }

    #[test]
    fn other_parameters_and_malformed_hashes() {
        // argon2i, small memory, two lanes: made by the crate itself.
        let params = Params::new(64, 3, 2, Some(16)).unwrap();
        let salt = SaltString::generate(&mut OsRng);
        let phc = Argon2::new(Algorithm::Argon2i, Version::V0x10, params).hash_password(b"pw", &salt).unwrap().to_string();
        let pool = MemoryPool::new(1);
        assert!(pool.verify(b"pw", &phc));
        assert!(!pool.verify(b"px", &phc));
        for bad in ["", "$argon2id$", "plain", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$"] {
            assert!(!pool.verify(b"pw", bad), "{bad}");
        }
    }
}
