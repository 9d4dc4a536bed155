//! What every integration test needs: a server in the test's runtime
//! ([`TestServer`]), the real binary as a child process ([`BinServer`]),
//! and a small fluent HTTP client ([`Http`], [`Req`], [`Resp`]).
//!
//! ```ignore
//! let server = TestServer::start().await;            // users alice and bob
//! server.request("PROPFIND", "/dav/calendars/alice/")
//!     .as_user(ALICE).depth("1").xml(PROPFIND_ALLPROP)
//!     .send().await
//!     .status(207)
//!     .contains("<C:calendar/>");
//! ```

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use slotdav::app::App;
use slotdav::clock::{Clock, SystemClock};
use slotdav::config::Config;
use slotdav::storage::{PgStorage, SledStorage, Storage, User};

pub mod pg;

pub const ALICE: &str = "alice";
pub const ALICE_PW: &str = "alice-secret-pw";
pub const BOB: &str = "bob";
pub const BOB_PW: &str = "bob-secret-pw";

/// `<D:propfind><D:allprop/></D:propfind>`.
pub const PROPFIND_ALLPROP: &str = r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>"#;
/// `<D:propfind><D:propname/></D:propfind>`.
pub const PROPFIND_PROPNAME: &str = r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>"#;

/// A PROPFIND body asking for the given properties, each written with its
/// prefix (`D:` is DAV:, `C:` CalDAV, `CS:` calendarserver).
pub fn propfind_props(props: &[&str]) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/"><D:prop>"#,
    );
    for p in props {
        s.push_str(&format!("<{p}/>"));
    }
    s.push_str("</D:prop></D:propfind>");
    s
}

/// The argon2 hash of a password, computed once per password per test
/// binary (argon2 is deliberately slow).
pub fn password_hash(password: &str) -> String {
    static CACHE: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(h) = cache.lock().unwrap().get(password) {
        return h.clone();
    }
    let h = slotdav::auth::hash_password(password);
    cache.lock().unwrap().insert(password.to_string(), h.clone());
    h
}

/// `Authorization: Basic …` for a user and password.
pub fn basic_auth(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

// ---------------------------------------------------------------------------
// HTTP client
// ---------------------------------------------------------------------------

/// An HTTP/1.1 client for one server (keep-alive connections are pooled
/// and reused), which knows the passwords of the test users.
#[derive(Clone)]
pub struct Http {
    pub base: String,
    client: Client<HttpConnector, Full<Bytes>>,
    passwords: Arc<Mutex<HashMap<String, String>>>,
}

impl Http {
    pub fn new(addr: SocketAddr) -> Self {
        let client = Client::builder(TokioExecutor::new()).build_http();
        Http { base: format!("http://{addr}"), client, passwords: Default::default() }
    }

    /// Remembers a user's password for [`Req::as_user`].
    pub fn set_password(&self, user: &str, password: &str) {
        self.passwords.lock().unwrap().insert(user.to_string(), password.to_string());
    }

    pub fn password(&self, user: &str) -> String {
        self.passwords.lock().unwrap().get(user).cloned().unwrap_or_else(|| panic!("no known password for {user}"))
    }

    /// A request with any method (standard, WebDAV or made up) on a path.
    pub fn request(&self, method: &str, path: &str) -> Req<'_> {
        Req {
            http: self,
            method: Method::from_bytes(method.as_bytes()).expect("valid method token"),
            path: path.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// `MKCOL path` as `user`, expecting 201.
    pub async fn mkcol(&self, user: &str, path: &str) {
        self.request("MKCOL", path).as_user(user).send().await.status(201);
    }

    /// `PUT path` as `user`, expecting 201 or 204; returns the ETag.
    pub async fn put(&self, user: &str, path: &str, body: impl Into<Vec<u8>>) -> String {
        let r = self.request("PUT", path).as_user(user).header("Content-Type", "application/octet-stream").body(body).send().await;
        assert!(r.code() == 201 || r.code() == 204, "PUT {path}: {}", r.describe());
        r.etag()
    }

    /// `GET path` as `user`, expecting 200; returns the body.
    pub async fn get(&self, user: &str, path: &str) -> Bytes {
        self.request("GET", path).as_user(user).send().await.status(200).bytes
    }
}

/// A request being built; see [`Http::request`].
pub struct Req<'a> {
    http: &'a Http,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl<'a> Req<'a> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
    /// Basic credentials.
    pub fn basic(self, user: &str, password: &str) -> Self {
        let value = basic_auth(user, password);
        self.header("Authorization", &value)
    }
    /// Basic credentials of a known test user.
    pub fn as_user(self, user: &str) -> Self {
        let pw = self.http.password(user);
        self.basic(user, &pw)
    }
    pub fn depth(self, depth: &str) -> Self {
        self.header("Depth", depth)
    }
    /// A `Destination` header with an absolute URL on this server.
    pub fn destination(self, path: &str) -> Self {
        let url = format!("{}{}", self.http.base, path);
        self.header("Destination", &url)
    }
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }
    /// An XML body with `Content-Type: application/xml`.
    pub fn xml(self, body: impl Into<Vec<u8>>) -> Self {
        self.header("Content-Type", "application/xml; charset=utf-8").body(body)
    }
    /// Sends the request; panics when there is no answer within 30 s.
    pub async fn send(self) -> Resp {
        let what = format!("{} {}", self.method, self.path);
        match tokio::time::timeout(Duration::from_secs(30), self.send_result()).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => panic!("{what}: {e}"),
            Err(_) => panic!("{what}: no answer in 30 s"),
        }
    }

    /// Sends the request; transport errors (connection refused or reset)
    /// are returned, not panicked on.
    pub async fn send_result(self) -> Result<Resp, String> {
        let uri = format!("{}{}", self.http.base, self.path);
        let mut builder = Request::builder().method(self.method.clone()).uri(&uri);
        for (k, v) in &self.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let req = builder.body(Full::new(Bytes::from(self.body))).map_err(|e| format!("bad request: {e}"))?;
        let resp = self.http.client.request(req).await.map_err(|e| format!("{e:?}"))?;
        let (parts, body) = resp.into_parts();
        let bytes = body.collect().await.map_err(|e| format!("reading the body: {e:?}"))?.to_bytes();
        Ok(Resp { method: self.method, path: self.path, status: parts.status, headers: parts.headers, bytes })
    }
}

/// A response, fully read. Assertion helpers panic with the request, the
/// status and the body, and return `self` so they chain.
#[derive(Debug, Clone)]
pub struct Resp {
    pub method: Method,
    pub path: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Bytes,
}

impl Resp {
    pub fn code(&self) -> u16 {
        self.status.as_u16()
    }
    /// The body as (lossy) UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
    pub fn describe(&self) -> String {
        format!("{} {} -> {}\n{:?}\n{}", self.method, self.path, self.status, self.headers, self.text())
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(HeaderName::from_bytes(name.as_bytes()).unwrap()).and_then(|v: &HeaderValue| v.to_str().ok())
    }
    /// The ETag header; panics when absent.
    #[track_caller]
    pub fn etag(&self) -> String {
        self.header("etag").unwrap_or_else(|| panic!("no ETag: {}", self.describe())).to_string()
    }
    #[track_caller]
    pub fn status(self, expected: u16) -> Self {
        assert_eq!(self.code(), expected, "{}", self.describe());
        self
    }
    #[track_caller]
    pub fn status_in(self, expected: &[u16]) -> Self {
        assert!(expected.contains(&self.code()), "expected one of {expected:?}: {}", self.describe());
        self
    }
    #[track_caller]
    pub fn contains(self, needle: &str) -> Self {
        assert!(self.text().contains(needle), "body lacks {needle:?}: {}", self.describe());
        self
    }
    #[track_caller]
    pub fn lacks(self, needle: &str) -> Self {
        assert!(!self.text().contains(needle), "body contains {needle:?}: {}", self.describe());
        self
    }
    /// The `propstat` status of `prop` (a local name like `getetag` or a
    /// prefixed name as the server writes it) in the response for `href`:
    /// a rough reading that suffices for tests.
    pub fn prop_status(&self, href: &str, local_name: &str) -> Option<u16> {
        let text = self.text();
        for response in split_elements(&text, "response") {
            if !hrefs(&response).iter().any(|h| h == href) {
                continue;
            }
            for propstat in split_elements(&response, "propstat") {
                let has = propstat.contains(&format!(":{local_name}>"))
                    || propstat.contains(&format!(":{local_name}/>"))
                    || propstat.contains(&format!(":{local_name} "))
                    || propstat.contains(&format!("<{local_name}>"))
                    || propstat.contains(&format!("<{local_name}/>"))
                    || propstat.contains(&format!("<{local_name} "));
                if has {
                    let status = split_elements(&propstat, "status").into_iter().next()?;
                    return status.split_whitespace().nth(1).and_then(|c| c.parse().ok());
                }
            }
        }
        None
    }
    /// The `href`s of all `response` elements of a multistatus, in order.
    pub fn hrefs(&self) -> Vec<String> {
        split_elements(&self.text(), "response").iter().filter_map(|r| hrefs(r).into_iter().next()).collect()
    }
}

/// The inner text of every element with local name `local` (any prefix),
/// not nested. Good enough to pick apart a multistatus in a test.
pub fn split_elements(xml: &str, local: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    loop {
        // Find an opening tag `<x:local>` / `<local>` / with attributes.
        let Some(start) = find_open(rest, local) else { break };
        let after_open = &rest[start..];
        let Some(gt) = after_open.find('>') else { break };
        if after_open[..gt].ends_with('/') {
            out.push(String::new());
            rest = &after_open[gt + 1..];
            continue;
        }
        let inner = &after_open[gt + 1..];
        let Some(end) = find_close(inner, local) else { break };
        out.push(inner[..end].to_string());
        rest = &inner[end..];
    }
    out
}

fn find_open(s: &str, local: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s[from..].find('<') {
        let i = from + i;
        let tag = &s[i + 1..];
        let name_end = tag.find(|c: char| c == '>' || c == '/' || c.is_whitespace()).unwrap_or(tag.len());
        let name = &tag[..name_end];
        if !name.starts_with('/') && (name == local || name.ends_with(&format!(":{local}"))) {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

fn find_close(s: &str, local: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s[from..].find("</") {
        let i = from + i;
        let tag = &s[i + 2..];
        let name_end = tag.find('>').unwrap_or(tag.len());
        let name = tag[..name_end].trim();
        if name == local || name.ends_with(&format!(":{local}")) {
            return Some(i);
        }
        from = i + 2;
    }
    None
}

fn hrefs(xml: &str) -> Vec<String> {
    split_elements(xml, "href").into_iter().map(|h| h.trim().to_string()).collect()
}

// ---------------------------------------------------------------------------
// In-process server
// ---------------------------------------------------------------------------

/// A slotdav server on `127.0.0.1:<free port>` in the test's runtime, with
/// its own temporary store. Dropping it stops the server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub http: Http,
    pub app: Arc<App>,
    pub storage: Arc<dyn Storage>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    dir: TempDir,
    /// The store's schema when the tests run on PostgreSQL ([`pg`]).
    pg: Option<pg::TestSchema>,
}

/// The store a test server opens in `dir`: sled there, or with the
/// PostgreSQL switch set ([`pg`]) a schema recorded in it.
pub fn open_test_store(dir: &Path) -> (Arc<dyn Storage>, Option<pg::TestSchema>) {
    match pg::TestSchema::for_data_dir(dir) {
        Some(schema) => (Arc::new(PgStorage::connect(&schema.url, 4).expect("open the PostgreSQL store")), Some(schema)),
        None => (Arc::new(SledStorage::open(dir, true, None).expect("open store")), None),
    }
}

/// Options for [`TestServer`]; see [`TestServer::builder`].
pub struct TestServerBuilder {
    users: Vec<(String, String, Option<String>)>,
    config: Config,
    data_dir: Option<TempDir>,
    wrap_storage: Option<StorageWrapper>,
}

/// What [`TestServerBuilder::wrap_storage`] puts in front of the store.
type StorageWrapper = Box<dyn FnOnce(Arc<dyn Storage>) -> Arc<dyn Storage>>;

impl TestServerBuilder {
    /// Adds a user (the password hash is cached across tests).
    pub fn user(mut self, name: &str, password: &str) -> Self {
        self.users.push((name.to_string(), password.to_string(), None));
        self
    }
    pub fn user_with_email(mut self, name: &str, password: &str, email: &str) -> Self {
        self.users.push((name.to_string(), password.to_string(), Some(email.to_string())));
        self
    }
    /// Changes the configuration (listen and data_dir are set by the harness).
    pub fn config(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(&mut self.config);
        self
    }
    /// Opens an existing data directory (from [`TestServer::stop_keep_data`])
    /// instead of a new one: a restart.
    pub fn data_dir(mut self, dir: TempDir) -> Self {
        self.data_dir = Some(dir);
        self
    }
    /// Serves from `wrap(store)` instead of the sled store itself (a test
    /// backend in front of it, e.g. a slow disk).
    pub fn wrap_storage(mut self, wrap: impl FnOnce(Arc<dyn Storage>) -> Arc<dyn Storage> + 'static) -> Self {
        self.wrap_storage = Some(Box::new(wrap));
        self
    }
    pub async fn start(self) -> TestServer {
        self.start_with_clock(Arc::new(SystemClock)).await
    }
    pub async fn start_with_clock(self, clock: Arc<dyn Clock>) -> TestServer {
        let dir = match self.data_dir {
            Some(d) => d,
            None => tempfile::tempdir().expect("tempdir"),
        };
        let (mut storage, pg) = open_test_store(dir.path());
        if let Some(wrap) = self.wrap_storage {
            storage = wrap(storage);
        }
        for (name, password, email) in &self.users {
            storage
                .put_user(&User {
                    name: name.clone(),
                    password_hash: password_hash(password),
                    email: email.clone(),
                    created: clock.now(),
                })
                .expect("put_user");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let mut config = self.config;
        config.listen = addr;
        config.data_dir = dir.path().to_path_buf();
        if let Some(schema) = &pg {
            config.storage.url = Some(schema.url.clone());
        }
        let app = Arc::new(App::new(storage.clone(), config, clock).expect("app starts"));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(slotdav::server::run(listener, app.clone(), async move {
            let _ = rx.await;
        }));
        let http = Http::new(addr);
        for (name, password, _) in &self.users {
            http.set_password(name, password);
        }
        TestServer { addr, http, app, storage, shutdown: Some(tx), task: Some(task), dir, pg }
    }
}

impl TestServer {
    /// A server with users alice and bob.
    pub async fn start() -> TestServer {
        Self::builder().start().await
    }
    /// A server with users alice and bob, to configure further.
    pub fn builder() -> TestServerBuilder {
        TestServerBuilder { users: vec![], config: Config::default(), data_dir: None, wrap_storage: None }.user(ALICE, ALICE_PW).user(BOB, BOB_PW)
    }
    pub fn request(&self, method: &str, path: &str) -> Req<'_> {
        self.http.request(method, path)
    }
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }
    /// Stops accepting, drains and flushes, and waits for that to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(40), task).await.expect("server stops").expect("server task");
        }
    }
    /// Stops the server and hands back its data directory, for a restart
    /// with [`TestServerBuilder::data_dir`]. Drop every clone of `app` and
    /// `storage` first: the store can be opened again only once closed.
    pub async fn stop_keep_data(mut self) -> TempDir {
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("tempdir"));
        if let Some(schema) = &mut self.pg {
            // The restart opens the same schema (recorded in the directory).
            schema.drop_on_drop = false;
        }
        self.stop().await;
        dir
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

// ---------------------------------------------------------------------------
// The real binary
// ---------------------------------------------------------------------------

/// The path of the `slotdav` binary cargo built for these tests.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_slotdav")
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A data directory and config file for running the binary.
pub struct BinEnv {
    pub dir: TempDir,
    pub config: PathBuf,
    pub data_dir: PathBuf,
    pub addr: SocketAddr,
    /// The store's schema when the tests run on PostgreSQL ([`pg`]).
    pub pg: Option<pg::TestSchema>,
}

impl BinEnv {
    /// A config listening on a free port, with `extra` TOML lines appended.
    pub fn new(extra: &str) -> BinEnv {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        // Port 0: the server picks a free port and logs it, so parallel
        // tests never race for one.
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let config = dir.path().join("slotdav.toml");
        let mut text = format!("listen = \"{addr}\"\ndata_dir = \"{}\"\nlog = \"info\"\n{extra}", data_dir.display());
        // A test that names its own store keeps it.
        let pg = if extra.contains("[storage]") { None } else { pg::TestSchema::create() };
        if let Some(schema) = &pg {
            text.push_str(&schema.toml());
        }
        std::fs::write(&config, text).unwrap();
        BinEnv { dir, config, data_dir, addr, pg }
    }

    /// `slotdav --config FILE ARGS…` with `stdin` piped in; waits for it.
    pub fn cli(&self, args: &[&str], stdin: &str) -> CliOutput {
        let mut cmd = Command::new(bin());
        cmd.arg("--config").arg(&self.config).args(args);
        run_with_stdin(cmd, stdin)
    }

    /// Starts `slotdav --config FILE serve` and waits until it answers HTTP.
    pub fn spawn(&self) -> BinServer {
        self.spawn_with_env(&[])
    }

    pub fn spawn_with_env(&self, env: &[(&str, &str)]) -> BinServer {
        self.spawn_wrapped(&[], env)
    }

    /// Like [`BinEnv::spawn_with_env`], with the binary run by a wrapper
    /// command (e.g. `["prlimit", "--nofile=300:300"]`).
    pub fn spawn_wrapped(&self, wrapper: &[&str], env: &[(&str, &str)]) -> BinServer {
        let mut cmd = match wrapper.split_first() {
            None => Command::new(bin()),
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(bin());
                c
            }
        };
        cmd.arg("--config").arg(&self.config).arg("serve");
        self.spawn_command(cmd, env)
    }

    /// Starts `slotdav --listen 127.0.0.1:0 serve` with no `--config`
    /// (try-it mode), in the environment's folder as working directory, so
    /// the data lands in `dir/slotdav-data`.
    pub fn spawn_without_config(&self, env: &[(&str, &str)]) -> BinServer {
        let mut cmd = Command::new(bin());
        cmd.current_dir(self.dir.path()).args(["--listen", "127.0.0.1:0", "serve"]);
        self.spawn_command(cmd, env)
    }

    /// Starts the server through `sh -c '{prelude}; exec slotdav …'`, e.g.
    /// with `umask 000` to see what a permissive umask does.
    pub fn spawn_in_shell(&self, prelude: &str) -> BinServer {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(format!("{prelude}; exec \"$0\" --config \"$1\" serve")).arg(bin()).arg(&self.config);
        self.spawn_command(cmd, &[])
    }

    fn spawn_command(&self, mut cmd: Command, env: &[(&str, &str)]) -> BinServer {
        let log = self.dir.path().join(format!("server-{}.log", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()));
        let log_file = std::fs::File::create(&log).unwrap();
        cmd.env_remove("RUST_LOG").env_remove("SLOTDAV_ADMIN_PASSWORD").env("NO_COLOR", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log_file);
        let child = cmd.spawn().expect("spawn slotdav");
        let mut server = BinServer { child: Some(child), addr: self.addr, log, http: Http::new(self.addr) };
        server.wait_ready();
        server
    }
}

/// What a finished CLI run printed.
#[derive(Debug)]
pub struct CliOutput {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl CliOutput {
    #[track_caller]
    pub fn success(self) -> Self {
        assert_eq!(self.code, Some(0), "{self:?}");
        self
    }
}

pub fn run_with_stdin(mut cmd: Command, stdin: &str) -> CliOutput {
    use std::io::Write;
    cmd.env("NO_COLOR", "1").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn slotdav");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    
    wait_output(child, Duration::from_secs(60))
}

fn wait_output(mut child: Child, limit: Duration) -> CliOutput {
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).ok();
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).ok();
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("slotdav did not finish in {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    CliOutput { code: status.code(), stdout: t_out.join().unwrap(), stderr: t_err.join().unwrap() }
}

/// The binary serving in a child process. Dropping it kills the process.
pub struct BinServer {
    child: Option<Child>,
    pub addr: SocketAddr,
    /// Where its stderr (the log) goes.
    pub log: PathBuf,
    pub http: Http,
}

impl BinServer {
    pub fn request(&self, method: &str, path: &str) -> Req<'_> {
        self.http.request(method, path)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    fn wait_ready(&mut self) {
        let started = Instant::now();
        loop {
            if self.addr.port() == 0 {
                if let Some(addr) = self.bound_address() {
                    self.addr = addr;
                    self.http = Http::new(addr);
                }
            }
            if self.addr.port() != 0 && TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("slotdav exited early with {status}:\n{}", self.log_text());
            }
            if started.elapsed() > Duration::from_secs(30) {
                panic!("slotdav did not listen on {} within 30 s:\n{}", self.addr, self.log_text());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The address the server logged it listens on.
    fn bound_address(&self) -> Option<SocketAddr> {
        let log = self.log_text();
        let line = log.lines().find(|l| l.contains("slotdav serving CalDAV at http://"))?;
        let rest = &line[line.find("at http://")? + "at http://".len()..];
        rest.split('/').next()?.parse().ok()
    }

    /// Everything the server has logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill9(mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// SIGTERM; returns the exit code once the process has ended.
    pub fn terminate(mut self) -> Option<i32> {
        let mut child = self.child.take().unwrap();
        let ok = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap().success();
        assert!(ok, "kill -TERM failed");
        let started = Instant::now();
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                return st.code();
            }
            if started.elapsed() > Duration::from_secs(40) {
                let _ = child.kill();
                panic!("slotdav ignored SIGTERM for 40 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for BinServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
