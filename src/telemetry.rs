//! Log setup: `tracing` to stderr, filtered by `RUST_LOG` (or the config's
//! `log` directive when `RUST_LOG` is unset).

use tracing_subscriber::EnvFilter;

pub fn init(default_directive: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_directive));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: log files and journald get plain
        // lines that tools like fail2ban can match.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none())
        .with_target(false)
        .try_init();
}
