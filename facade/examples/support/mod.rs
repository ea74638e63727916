//! A local stand-in for the web, so the examples that fetch pages (`fetch`,
//! `callbacks`) run offline, in CI too. Not part of the ports: each example's
//! own file is what is compared with its Python original.
//!
//! [`offline`] maps a URL of one of the sites the Python examples fetch to
//! the same page on an HTTP server on 127.0.0.1 (`tiny_http`, started on
//! first use, for the life of the program). Each site answers after a delay
//! of its own, so pages finish out of order, with a page of the size the
//! articles printed — or with the status they printed (`europe.wsj.com`
//! refuses with 403). A site that is not in [`SITES`] does not exist: its URL
//! is a port where nothing listens, so the request fails as a made-up domain
//! does.

use std::net::{Ipv4Addr, TcpListener};
use std::sync::OnceLock;
use std::time::Duration;

/// The sites: host, HTTP status, how long the server takes to answer, and
/// the page's size in bytes (as the articles' outputs show them).
const SITES: &[(&str, u16, Duration, usize)] = &[
    ("www.foxnews.com", 200, Duration::from_millis(40), 325_699),
    ("www.cnn.com", 200, Duration::from_millis(80), 1_146_623),
    ("europe.wsj.com", 403, Duration::from_millis(20), 0),
    ("www.bbc.co.uk", 200, Duration::from_millis(60), 313_091),
    ("www.cnblogs.com", 200, Duration::from_millis(300), 17_426),
    ("www.python.org", 200, Duration::from_millis(100), 48_809),
    ("www.openstack.org", 200, Duration::from_millis(200), 60_632),
];

/// The server's port, and a port where nothing listens.
struct Web {
    port: u16,
    closed_port: u16,
}

/// The URL on the local server that stands in for `url`
/// (`http://www.python.org/about` → `http://127.0.0.1:PORT/www.python.org/about`);
/// for a site that does not exist, a URL where nothing listens.
///
/// # Panics
///
/// If the server cannot start (no loopback interface).
pub(crate) fn offline(url: &str) -> String {
    let web = WEB.get_or_init(|| start().expect("the local web server starts"));
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    match site(host) {
        Some(_) => format!("http://127.0.0.1:{}/{host}/{path}", web.port),
        None => format!("http://127.0.0.1:{}/{path}", web.closed_port),
    }
}

static WEB: OnceLock<Web> = OnceLock::new();

fn site(host: &str) -> Option<&'static (&'static str, u16, Duration, usize)> {
    SITES.iter().find(|(name, ..)| *name == host)
}

/// Starts the server on its own thread; each request is answered on a thread
/// of its own after its site's delay.
fn start() -> Result<Web, Box<dyn std::error::Error + Send + Sync>> {
    let server = tiny_http::Server::http((Ipv4Addr::LOCALHOST, 0))?;
    let port = server.server_addr().to_ip().ok_or("no IP address")?.port();
    // Bound, then released: nothing listens there.
    let closed_port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            std::thread::spawn(move || {
                let host = request.url().trim_start_matches('/').split('/').next();
                let (_, status, delay, size) =
                    host.and_then(site)
                        .copied()
                        .unwrap_or(("", 404, Duration::ZERO, 0));
                std::thread::sleep(delay);
                let body = format!("<html>{}</html>", "x".repeat(size.saturating_sub(13)));
                let _ = request
                    .respond(tiny_http::Response::from_string(body).with_status_code(status));
            });
        }
    });
    Ok(Web { port, closed_port })
}
