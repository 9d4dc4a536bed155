//! The test switch for the PostgreSQL backend: with
//! `SLOTDAV_TEST_DATABASE_URL` set (a URL of a database the tests may
//! create schemas in, e.g. `postgres:///postgres?host=/tmp/pg&user=postgres`),
//! every [`super::TestServer`], [`super::BinEnv`] and the storage
//! contract use a fresh schema of that database instead of sled: each
//! store gets its own `t_…` schema (through the URL's
//! `options=-csearch_path=…`), dropped when the test is done. Unset, the
//! tests use sled as always.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable that switches the tests to PostgreSQL.
pub const SWITCH: &str = "SLOTDAV_TEST_DATABASE_URL";

/// The database URL the tests run against, when the switch is set.
pub fn admin_url() -> Option<String> {
    std::env::var(SWITCH).ok().filter(|u| !u.trim().is_empty())
}

/// Whether the tests run on PostgreSQL.
pub fn enabled() -> bool {
    admin_url().is_some()
}

/// Says why a test that is by nature about sled does not run on
/// PostgreSQL; true when it should return early.
pub fn skip_on_pg(why: &str) -> bool {
    if enabled() {
        eprintln!("skipped on PostgreSQL ({SWITCH} is set): {why}");
        return true;
    }
    false
}

/// Runs `sql` on the admin URL, on a thread of its own (callers may be
/// inside a runtime).
pub fn admin_exec(sql: String) {
    exec(admin_url().expect("the PostgreSQL switch is set"), sql)
}

/// Runs `sql` on `url`, on a thread of its own.
fn exec(url: String, sql: String) {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap_or_else(|e| panic!("connect to {url}: {e}"));
            tokio::spawn(async move {
                let _ = conn.await;
            });
            client.batch_execute(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        })
    })
    .join()
    .expect("admin statement");
}

/// A schema of its own for one store; dropped with this value.
pub struct TestSchema {
    pub name: String,
    /// The URL a store (or the binary's `[storage] url`) uses.
    pub url: String,
    /// Dropped on drop (false once handed over to a restart).
    pub drop_on_drop: bool,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestSchema {
    /// A new empty schema, or `None` without the switch.
    pub fn create() -> Option<TestSchema> {
        let base = admin_url()?;
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let name = format!("t_{}_{}_{}", std::process::id(), n, nanos);
        admin_exec(format!("CREATE SCHEMA {name}"));
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-csearch_path%3D{name}");
        Some(TestSchema { name, url, drop_on_drop: true })
    }

    /// The schema recorded in data directory `dir` (a restart of a server
    /// started on it), or a new one recorded there.
    pub fn for_data_dir(dir: &Path) -> Option<TestSchema> {
        admin_url()?;
        let marker = dir.join(".test-pg-schema");
        if let Ok(text) = std::fs::read_to_string(&marker) {
            let (name, url) = text.split_once('\n')?;
            return Some(TestSchema { name: name.to_string(), url: url.to_string(), drop_on_drop: true });
        }
        let s = TestSchema::create()?;
        let _ = std::fs::write(&marker, format!("{}\n{}", s.name, s.url));
        Some(s)
    }

    /// `[storage]` lines for the binary's config.
    pub fn toml(&self) -> String {
        format!("\n[storage]\nurl = \"{}\"\npool_size = 4\n", self.url)
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        if self.drop_on_drop {
            let name = self.name.clone();
            // Connections of the store may linger a moment: drop anyway.
            let _ = std::panic::catch_unwind(move || admin_exec(format!("DROP SCHEMA IF EXISTS {name} CASCADE")));
        }
    }
}

/// A PostgreSQL cluster of a test's own (initdb into a temporary
/// directory, a unix socket there, no TCP), for tests that stop or
/// restart the database. Run as the `postgres` user when the tests run as
/// root. Stopped on drop.
pub struct PrivateCluster {
    pub dir: tempfile::TempDir,
    bin: std::path::PathBuf,
}

impl PrivateCluster {
    /// The PostgreSQL programs: `SLOTDAV_PG_BIN`, else the newest
    /// `/usr/lib/postgresql/*/bin`.
    fn bin_dir() -> Option<std::path::PathBuf> {
        if let Ok(b) = std::env::var("SLOTDAV_PG_BIN") {
            return Some(b.into());
        }
        let mut found: Vec<_> = std::fs::read_dir("/usr/lib/postgresql").ok()?.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).filter(|p| p.join("initdb").exists()).collect();
        found.sort();
        found.pop()
    }

    fn pg_command(&self, program: &str) -> std::process::Command {
        let path = self.bin.join(program);
        if running_as_root() {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            std::process::Command::new(path)
        }
    }

    fn ctl(&self, args: &[&str]) {
        let data = self.dir.path().join("data");
        let mut c = self.pg_command("pg_ctl");
        c.arg("-D").arg(&data).arg("-l").arg(self.dir.path().join("log")).arg("-w").args(args);
        let out = c.output().expect("pg_ctl");
        assert!(out.status.success(), "pg_ctl {args:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }

    /// initdb and start; `None` (with the reason printed) when PostgreSQL
    /// is not installed.
    pub fn start() -> Option<PrivateCluster> {
        let Some(bin) = Self::bin_dir() else {
            eprintln!("skipped: no PostgreSQL programs (set SLOTDAV_PG_BIN or install postgresql)");
            return None;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        if running_as_root() {
            let ok = std::process::Command::new("chown").arg("postgres").arg(dir.path()).status().map(|s| s.success()).unwrap_or(false);
            assert!(ok, "chown postgres {}", dir.path().display());
        }
        let cluster = PrivateCluster { dir, bin };
        let out = cluster
            .pg_command("initdb")
            .arg("-D")
            .arg(cluster.dir.path().join("data"))
            .args(["-A", "trust", "-U", "slotdav", "--no-sync", "--no-instructions"])
            .output()
            .expect("initdb");
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        cluster.ctl(&["-o", &format!("-c listen_addresses='' -k {}", cluster.dir.path().display()), "start"]);
        Some(cluster)
    }

    /// The URL of database `postgres` as the cluster's superuser.
    pub fn url(&self) -> String {
        format!("postgres:///postgres?host={}&user=slotdav", self.dir.path().display())
    }

    /// Runs `sql` in database `postgres` as the superuser.
    pub fn exec(&self, sql: &str) {
        exec(self.url(), sql.to_string())
    }

    pub fn restart(&self) {
        self.ctl(&["-m", "fast", "-o", &format!("-c listen_addresses='' -k {}", self.dir.path().display()), "restart"]);
    }

    pub fn stop(&self) {
        self.ctl(&["-m", "fast", "stop"]);
    }

    pub fn start_again(&self) {
        self.ctl(&["-o", &format!("-c listen_addresses='' -k {}", self.dir.path().display()), "start"]);
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = self.pg_command("pg_ctl").arg("-D").arg(&data).args(["-m", "immediate", "-w", "stop"]).output();
    }
}

/// Whether the tests run as root (PostgreSQL refuses to run as root).
fn running_as_root() -> bool {
    std::process::Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}
