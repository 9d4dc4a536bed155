//! Identifiers a booking is known by outside the server.
//!
//! Owns unguessable ids ([`new_id`], 128 random bits), short human reference
//! codes ([`new_reference`], e.g. `ABCD-2345`) and signed manage tokens
//! ([`sign`] / [`verify`]): `base64url(id) "." base64url(HMAC-SHA256)`, all
//! URL-safe, so the manage link needs no lookup table and cannot be forged
//! without the server secret. Rotating the secret revokes every link.
//! A guardian's link ([`sign_guardian`] / [`verify_guardian`], issue 11
//! §4) has the same shape under its own MAC context, so the two links of
//! one booking differ and neither can be turned into the other.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::{CryptoRng, Rng, RngCore};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Domain separation: a MAC made for manage links means nothing elsewhere.
const MANAGE_CONTEXT: &[u8] = b"slotdav manage-link v1\0";

/// Domain separation of a guardian's manage link from the student's.
const GUARDIAN_CONTEXT: &[u8] = b"slotdav guardian-link v1\0";

/// Characters of reference codes: no 0/O, 1/I/L or U, so codes survive
/// being read aloud or typed from paper.
pub const REFERENCE_ALPHABET: &[u8; 30] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A fresh id with 128 random bits: 22 URL-safe base64 characters.
pub fn new_id() -> String {
    new_id_with(&mut rand::thread_rng())
}

/// [`new_id`] from a given cryptographic RNG (for deterministic tests).
pub fn new_id_with<R: RngCore + CryptoRng>(rng: &mut R) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh reference code such as `ABCD-2345` (8 characters, ~39 bits).
/// Not a secret: it identifies a booking in conversation, never authorises.
pub fn new_reference() -> String {
    new_reference_with(&mut rand::thread_rng())
}

/// [`new_reference`] from a given RNG.
pub fn new_reference_with<R: Rng>(rng: &mut R) -> String {
    let chars: String =
        (0..8).map(|_| char::from(REFERENCE_ALPHABET[rng.gen_range(0..REFERENCE_ALPHABET.len())])).collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

/// Canonical form of a reference code a human typed: case, spaces and
/// dashes are ignored. `None` if it cannot be a reference code.
pub fn normalize_reference(input: &str) -> Option<String> {
    let chars: String =
        input.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    let valid = chars.len() == 8 && chars.bytes().all(|b| REFERENCE_ALPHABET.contains(&b));
    valid.then(|| format!("{}-{}", &chars[..4], &chars[4..]))
}

/// A manage token for `booking_id`, signed with `secret`.
pub fn sign(booking_id: &str, secret: &[u8]) -> String {
    sign_in(MANAGE_CONTEXT, booking_id, secret)
}

/// The guardian's manage token for `booking_id` (issue 11 §4).
pub fn sign_guardian(booking_id: &str, secret: &[u8]) -> String {
    sign_in(GUARDIAN_CONTEXT, booking_id, secret)
}

/// The booking id inside a guardian's `token`; `None` for a student's
/// token, anything malformed or forged.
pub fn verify_guardian(token: &str, secret: &[u8]) -> Option<String> {
    verify_in(GUARDIAN_CONTEXT, token, secret)
}

fn sign_in(context: &[u8], booking_id: &str, secret: &[u8]) -> String {
    let tag = mac(context, booking_id, secret).finalize().into_bytes();
    format!("{}.{}", URL_SAFE_NO_PAD.encode(booking_id), URL_SAFE_NO_PAD.encode(tag))
}

/// The booking id inside `token` if its signature matches `secret`
/// (compared in constant time); `None` for anything malformed or forged.
pub fn verify(token: &str, secret: &[u8]) -> Option<String> {
    verify_in(MANAGE_CONTEXT, token, secret)
}

fn verify_in(context: &[u8], token: &str, secret: &[u8]) -> Option<String> {
    let (id_part, tag_part) = token.split_once('.')?;
    let id = String::from_utf8(URL_SAFE_NO_PAD.decode(id_part).ok()?).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag_part).ok()?;
    mac(context, &id, secret).verify_slice(&tag).ok()?;
    Some(id)
}

fn mac(context: &[u8], booking_id: &str, secret: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(context);
    mac.update(booking_id.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn ids_are_128_bit_and_url_safe() {
        let id = new_id();
        assert_eq!(URL_SAFE_NO_PAD.decode(&id).unwrap().len(), 16);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_ne!(new_id(), new_id());
    }

    #[test]
    fn references_use_the_alphabet_and_normalize() {
        let r = new_reference();
        assert_eq!(r.len(), 9);
        assert_eq!(&r[4..5], "-");
        assert_eq!(normalize_reference(&r), Some(r.clone()));
        assert_eq!(normalize_reference(&r.to_lowercase().replace('-', " ")), Some(r));
        assert_eq!(normalize_reference("ABCD-0000"), None);
        assert_eq!(normalize_reference("ABCD-234"), None);
        assert_eq!(normalize_reference("abcd2345"), Some("ABCD-2345".into()));
    }

    #[test]
    fn token_round_trips_and_is_url_safe() {
        let id = new_id();
        let token = sign(&id, SECRET);
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "{token}");
        assert_eq!(verify(&token, SECRET), Some(id));
    }

    #[test]
    fn wrong_secret_and_garbage_fail() {
        let token = sign("booking-1", SECRET);
        assert_eq!(verify(&token, b"another secret"), None);
        for bad in ["", ".", "abc", "abc.", ".abc", "!!!.???", "a.b.c"] {
            assert_eq!(verify(bad, SECRET), None, "{bad:?}");
        }
        // Swapping in another id keeps the old signature: rejected.
        let (_, tag) = token.split_once('.').unwrap();
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode("booking-2"));
        assert_eq!(verify(&forged, SECRET), None);
    }

    #[test]
    fn a_guardians_token_is_not_the_students() {
        let id = new_id();
        let student = sign(&id, SECRET);
        let guardian = sign_guardian(&id, SECRET);
        assert_ne!(student, guardian);
        assert_eq!(verify_guardian(&guardian, SECRET), Some(id.clone()));
        assert_eq!(verify(&guardian, SECRET), None);
        assert_eq!(verify_guardian(&student, SECRET), None);
        assert_eq!(verify_guardian(&guardian, b"another secret"), None);
    }

    proptest! {
        #[test]
        fn any_id_round_trips(id in ".{0,64}") {
            prop_assert_eq!(verify(&sign(&id, SECRET), SECRET), Some(id));
        }

        #[test]
        fn tampered_tokens_fail(id in "[A-Za-z0-9_-]{1,32}", pos in any::<prop::sample::Index>(), replacement in "[A-Za-z0-9_.-]") {
            let token = sign(&id, SECRET);
            let i = pos.index(token.len());
            let mut bytes = token.clone().into_bytes();
            bytes[i] = replacement.as_bytes()[0];
            let tampered = String::from_utf8(bytes).unwrap();
            prop_assume!(tampered != token);
            prop_assert_eq!(verify(&tampered, SECRET), None);
        }

        #[test]
        fn generated_references_normalize_to_themselves(seed in any::<u64>()) {
            use rand::SeedableRng;
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let r = new_reference_with(&mut rng);
            prop_assert_eq!(normalize_reference(&r), Some(r));
        }
    }
}
