//! The base of absolute links (manage links in events and emails) for the
//! request being handled.
//!
//! Links normally start with the configured `public_url`. When it is not
//! set and a trusted reverse proxy says which scheme and host the client
//! used, the surface that handles the request runs the booking operation
//! inside [`with_base`], so links written during it (the event in the
//! coach's calendar, the emails queued in the same batch) point where the
//! client came from. The base is scoped to the current thread and the
//! call: booking operations run synchronously on one blocking thread, so
//! no signature between the surfaces and the mail hook has to carry it.

use std::cell::RefCell;

thread_local! {
    static BASE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f` with links starting with `base` (`scheme://host`) instead of
/// the configured public URL; `None` leaves the public URL in force.
pub fn with_base<R>(base: Option<String>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<String>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            BASE.with(|b| *b.borrow_mut() = previous);
        }
    }
    let previous = BASE.with(|b| std::mem::replace(&mut *b.borrow_mut(), base));
    let _restore = Restore(previous);
    f()
}

/// The base for links made now: the scoped one, else `public_url`.
pub fn base(public_url: &str) -> String {
    BASE.with(|b| b.borrow().clone()).unwrap_or_else(|| public_url.to_string())
}

/// The per-request base a trusted proxy gave, carried in the request's
/// extensions from the router to the surface.
#[derive(Debug, Clone)]
pub struct LinkBase(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_applies_inside_the_scope_only() {
        assert_eq!(base("http://x"), "http://x");
        let inner = with_base(Some("https://book.example.org".into()), || {
            let nested = with_base(None, || base("http://x"));
            (base("http://x"), nested)
        });
        assert_eq!(inner, ("https://book.example.org".to_string(), "http://x".to_string()));
        assert_eq!(base("http://x"), "http://x");
    }
}
