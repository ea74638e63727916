//! Many slow requests, results as they complete: 200 requests to a local HTTP
//! server (started here, on 127.0.0.1), each an async task on a 2-thread
//! `AsyncPool`, printed in completion order with `as_completed`. One request goes
//! to a closed port and fails alone, with its error.
//!
//! ```text
//! cargo run --release --example fetch --features full
//! ```
//!
//! The server is `tiny_http` on a concur `ThreadPool` (16 workers, each page
//! takes 10 ms to "compute"). The client is `ureq`, a blocking HTTP client, so
//! each task hands its request to `to_thread` (Python's
//! `asyncio.to_thread(requests.get, url)`) and awaits it. At most 16 requests
//! are in flight: the 200 tasks wait for a permit on an async semaphore, which
//! holds no thread while they wait.

use std::net::{Ipv4Addr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use concur::asyncio::{AsyncPool, to_thread};
use concur::threads::ThreadPool;
use concur::{Future, as_completed};

const REQUESTS: usize = 200;
const SERVER_WORKERS: usize = 16;
const IN_FLIGHT: usize = 16;
const PAGE_TIME: Duration = Duration::from_millis(10);

/// What a task yields: its URL and the page's size, or why it failed.
type Fetched = (String, Result<usize, String>);

/// One server worker: answers requests until the server is unblocked.
fn serve(server: &tiny_http::Server) {
    while let Ok(request) = server.recv() {
        // A slow backend: every page takes a while to produce.
        std::thread::sleep(PAGE_TIME);
        let body = format!("<html><body>page {}</body></html>\n", request.url());
        let _ = request.respond(tiny_http::Response::from_string(body));
    }
}

/// A blocking GET with ureq: the body's length, or the error as text.
fn get(url: &str) -> Result<usize, String> {
    let mut response = ureq::get(url).call().map_err(|e| e.to_string())?;
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    Ok(body.len())
}

/// A port on which nothing listens (bound, then released).
fn closed_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The server, on a thread pool.
    let server =
        Arc::new(tiny_http::Server::http((Ipv4Addr::LOCALHOST, 0)).map_err(|e| e.to_string())?);
    let port = server
        .server_addr()
        .to_ip()
        .ok_or("the server has no IP address")?
        .port();
    let server_pool = ThreadPool::new(SERVER_WORKERS)?;
    let serving: Vec<Future<()>> = (0..SERVER_WORKERS)
        .map(|_| {
            let server = server.clone();
            server_pool.spawn(move || serve(&server))
        })
        .collect();

    // The URLs: 200 pages, and one request to a closed port in the middle.
    let mut urls: Vec<String> = (0..REQUESTS)
        .map(|i| format!("http://127.0.0.1:{port}/page/{i}"))
        .collect();
    urls.insert(
        REQUESTS / 2,
        format!("http://127.0.0.1:{}/nowhere", closed_port()?),
    );

    // The client: one async task per URL.
    let start = Instant::now();
    let pool = AsyncPool::builder().max_workers(2).build()?;
    let permits = Arc::new(smol::lock::Semaphore::new(IN_FLIGHT));
    let futures: Vec<Future<Fetched>> = urls
        .into_iter()
        .map(|url| {
            let permits = permits.clone();
            pool.spawn(async move {
                let _permit = permits.acquire().await;
                let target = url.clone();
                let outcome = match to_thread(move || get(&target)).await {
                    Ok(result) => result,
                    Err(e) => Err(e.to_string()),
                };
                (url, outcome)
            })
        })
        .collect();

    let (mut ok, mut failed) = (0, 0);
    for done in as_completed(&futures, Some(Duration::from_secs(60))) {
        let (url, outcome) = done?.result(None)?;
        match outcome {
            Ok(bytes) => {
                ok += 1;
                println!("{url:<40} {bytes:>4} bytes");
            }
            Err(e) => {
                failed += 1;
                println!("{url:<40} FAILED: {e}");
            }
        }
    }
    println!(
        "\n{ok} pages fetched, {failed} failed, in {:.2} s ({REQUESTS} pages of {} ms each, {IN_FLIGHT} at a time)",
        start.elapsed().as_secs_f64(),
        PAGE_TIME.as_millis()
    );

    // Stop the server: one unblock per worker blocked in `recv`.
    for _ in 0..SERVER_WORKERS {
        server.unblock();
    }
    for f in serving {
        f.result(Some(Duration::from_secs(30)))?;
    }
    Ok(())
}
