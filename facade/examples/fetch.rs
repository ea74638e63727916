//! Many slow requests, results as they complete: 200 requests to a local HTTP
//! server (started here, on 127.0.0.1) on a thread pool, printed in completion
//! order — the `ThreadPoolExecutor` URL example of Python's docs. One request
//! goes to a closed port and fails alone, with its error.
//!
//! ```text
//! cargo run --release --example fetch
//! ```
//!
//! The server is `tiny_http` on a concur `ThreadPool` (16 workers, each page
//! takes 10 ms to "compute"). The client is `ureq`, a blocking HTTP client,
//! called from a closure `map` over the URLs on a 16-thread pool, in
//! completion order (`ordered(false)`): its error type, `ureq::Error`, comes
//! back as it is (no serde), and the map's window keeps 16 requests in flight.

use std::net::{Ipv4Addr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use concur::threads::ThreadPool;
use concur::{Future, MapOptions};

const REQUESTS: usize = 200;
const SERVER_WORKERS: usize = 16;
const IN_FLIGHT: usize = 16;
const PAGE_TIME: Duration = Duration::from_millis(10);

/// One server worker: answers requests until the server is unblocked.
fn serve(server: &tiny_http::Server) {
    while let Ok(request) = server.recv() {
        // A slow backend: every page takes a while to produce.
        std::thread::sleep(PAGE_TIME);
        let body = format!("<html><body>page {}</body></html>\n", request.url());
        let _ = request.respond(tiny_http::Response::from_string(body));
    }
}

/// A blocking GET with ureq: the body's length.
fn get(url: &str) -> Result<usize, ureq::Error> {
    Ok(ureq::get(url).call()?.body_mut().read_to_string()?.len())
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

    // The client: `get` over the URLs, in completion order.
    let start = Instant::now();
    let pool = ThreadPool::new(IN_FLIGHT)?;
    let options = MapOptions::new()
        .ordered(false)
        .timeout(Duration::from_secs(60));
    let (mut ok, mut failed) = (0, 0);
    for done in pool.map(|url: String| (get(&url), url), urls, options)? {
        match done? {
            (Ok(bytes), url) => {
                ok += 1;
                println!("{url:<40} {bytes:>4} bytes");
            }
            (Err(e), url) => {
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
