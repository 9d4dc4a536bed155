//! Log setup: `tracing` to stderr, filtered by `RUST_LOG` (or the config's
//! `log` directive when `RUST_LOG` is unset).

use tracing_subscriber::EnvFilter;

pub fn init(default_directive: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_directive));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
