//! The config loader: TOML text → `RawConfig` (unknown keys refused) →
//! validated `Config` (`Config::parse`). Any text must give a config or a
//! `ConfigError` naming the key, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(config) = slotdav::config::Config::parse(text, Path::new("fuzz.toml")) {
        let _ = config.with_sample_coach(chrono_tz::Tz::Europe__Berlin);
    }
});
