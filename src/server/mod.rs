//! The HTTP server: accept loop, HTTP/1.1 with keep-alive, connection
//! timeouts and caps ([`conn`]), the client behind a trusted proxy
//! ([`proxy`]), one log line per request (and its count and latency in
//! `/metrics`), the operator's endpoints ([`ops`]), and graceful shutdown
//! (stop accepting, let in-flight requests finish, flush the store).

pub mod conn;
pub mod ops;
pub mod proxy;
pub mod router;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::app::App;
use crate::http::Body;
use conn::{ConnState, QuietLog, Refusal, Registry, RequestGuard, Watched};

/// The authenticated user of a request, attached to its response so the
/// access log can name them.
#[derive(Clone, Debug)]
pub struct RequestUser(pub String);

/// How long in-flight requests get to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves `listener` until `shutdown` completes, then drains connections
/// and flushes the store.
pub async fn run(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    let registry = Arc::new(Registry::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut accept_log = QuietLog::new();
    let mut refuse_log = QuietLog::new();
    let mut backoff = Duration::from_millis(10);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => {
                        backoff = Duration::from_millis(10);
                        x
                    }
                    Err(e) if conn::is_fd_exhaustion(&e) => {
                        // Make room by closing the oldest idle connection;
                        // if none is idle, wait longer each time.
                        let evicted = registry.evict_one();
                        if let Some(left_out) = accept_log.due() {
                            tracing::warn!(error = %e, open = registry.len(), evicted, left_out, "accept failed: out of file descriptors; closing idle connections (see http.max_connections)");
                        }
                        if evicted {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        } else {
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(Duration::from_secs(1));
                        }
                        continue;
                    }
                    Err(e) => {
                        if let Some(left_out) = accept_log.due() {
                            tracing::warn!(error = %e, left_out, "accept failed");
                        }
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let counts_per_client = !proxy::is_trusted(peer.ip(), &app.config.trusted_proxies);
                let state = match registry.admit(peer.ip(), counts_per_client, &app.config.http) {
                    Ok(state) => state,
                    Err(why) => {
                        if let Some(left_out) = refuse_log.due() {
                            let cap = match why {
                                Refusal::Total => "http.max_connections",
                                Refusal::PerClient => "http.max_connections_per_client",
                            };
                            tracing::warn!(client = %peer.ip(), cap, left_out, "connection refused: every connection at the cap is busy");
                        }
                        tokio::spawn(refuse(stream));
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve_connection(stream, peer, app.clone(), state, registry.clone(), stop_rx.clone()));
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down: waiting for requests in flight");
    let _ = stop_tx.send(true);
    let drained = async {
        loop {
            let removed = registry.removed.notified();
            if registry.is_empty() {
                break;
            }
            removed.await;
        }
    };
    if tokio::time::timeout(SHUTDOWN_GRACE, drained).await.is_err() {
        tracing::warn!("some connections did not finish in time");
    }
    let storage = app.storage.clone();
    match tokio::task::spawn_blocking(move || storage.flush()).await {
        Ok(Ok(())) => tracing::info!("store flushed; bye"),
        Ok(Err(e)) => tracing::error!(error = %e, "flushing the store failed"),
        Err(e) => tracing::error!(error = %e, "flush task failed"),
    }
}

/// A connection over a cap with nothing idle to close: a short 503.
async fn refuse(mut stream: TcpStream) {
    const RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\nretry-after: 5\r\nconnection: close\r\ncontent-length: 38\r\n\r\nToo many connections; try again soon.\n";
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = stream.write_all(RESPONSE).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// Serves one connection until it ends, times out, is evicted or the
/// server shuts down.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Arc<App>,
    state: Arc<ConnState>,
    registry: Arc<Registry>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let io = TokioIo::new(Watched { inner: stream, state: state.clone() });
    let service = {
        let (app, state) = (app.clone(), state.clone());
        service_fn(move |req| serve_one(app.clone(), peer, req, state.begin_request()))
    };
    let conn = hyper::server::conn::http1::Builder::new().keep_alive(true).serve_connection(io, service);
    tokio::pin!(conn);
    let http = &app.config.http;
    let mut stopping = false;
    loop {
        let deadline = state.deadline(http);
        let sleep = async move {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                break;
            }
            _ = state.changed.notified() => {}
            _ = sleep => {
                if state.deadline(http).is_some_and(|d| d <= tokio::time::Instant::now()) {
                    tracing::debug!(client = %peer.ip(), "connection timed out");
                    break;
                }
            }
            _ = state.evict.notified() => {
                if !state.is_busy() {
                    tracing::debug!(client = %peer.ip(), "idle connection closed to make room");
                    break;
                }
                conn.as_mut().graceful_shutdown();
            }
            changed = stop.changed(), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
    registry.remove(&state);
}

async fn serve_one(app: Arc<App>, peer: SocketAddr, req: Request<Incoming>, _busy: RequestGuard) -> Result<Response<Body>, Infallible> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let client = proxy::resolve(peer.ip(), req.headers(), &app.config.trusted_proxies);
    let client_ip = client.ip;
    let metrics = app.metrics.clone();
    let resp = router::route(app, peer, client, req).await;
    let user = resp.extensions().get::<RequestUser>().map(|u| u.0.clone()).unwrap_or_else(|| "-".to_string());
    let seconds = started.elapsed().as_secs_f64();
    metrics.observe_request(method.as_str(), crate::metrics::route_class(&path), resp.status().as_u16(), seconds);
    tracing::info!(
        target: "slotdav::access",
        client = %client_ip,
        %method,
        path = %path,
        status = resp.status().as_u16(),
        ms = format_args!("{:.1}", seconds * 1000.0),
        user = %user,
        "request"
    );
    Ok(resp)
}

/// Resolves when the process gets SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
