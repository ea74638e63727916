//! Download → parse → save, chained with `add_done_callback`: the callback
//! example of the Python articles (`pool.submit(get, url).add_done_callback(task)`),
//! against a local HTTP server started here.
//!
//! ```text
//! cargo run --release --example callbacks
//! ```
//!
//! As in Python, the download is a task on a 2-worker thread pool, and its
//! done-callback (Python's `task`) parses the page and saves the line, on the
//! worker that finished the download — so a page is parsed as soon as it is
//! downloaded, whatever the other pages are doing — then reports the saved
//! file on a channel. The server (`tiny_http`, on its own thread) answers each
//! page after a delay that differs per page, so the pages finish out of order.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use concur::prelude::*;

/// The pages "downloaded": a path and how long the server takes to answer it.
const PAGES: [(&str, u64); 3] = [("/linhaifeng", 300), ("/python", 100), ("/openstack", 200)];

/// A downloaded page.
#[derive(Clone, Debug)]
struct Page {
    url: String,
    content: String,
}

/// Stage 1: GET the page (a blocking request, on a pool thread).
fn get(url: &str) -> Result<Page, ureq::Error> {
    println!("GET {url}");
    let content = ureq::get(url).call()?.body_mut().read_to_string()?;
    Ok(Page {
        url: url.to_owned(),
        content,
    })
}

/// Stage 2: what Python's `parse` computes: a line about the page.
fn parse(page: &Page) -> String {
    let line = format!("{} parse res is {}", page.url, page.content.len());
    println!("{line}");
    line
}

/// Stage 3: append the line to a file in the output directory; the file's path.
fn save(dir: &std::path::Path, line: &str) -> std::io::Result<PathBuf> {
    use std::io::Write;
    let path = dir.join("parsed.txt");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    writeln!(file, "{line}")?;
    println!("save {line}");
    Ok(path)
}

/// A local server: each path answers after its delay, with a body whose size
/// depends on the path.
fn serve(server: &tiny_http::Server) {
    while let Ok(request) = server.recv() {
        let delay = PAGES
            .iter()
            .find(|(path, _)| *path == request.url())
            .map_or(0, |(_, ms)| *ms);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(delay));
            let body = format!("<html>{}</html>", "x".repeat(delay as usize * 10));
            let _ = request.respond(tiny_http::Response::from_string(body));
        });
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server =
        Arc::new(tiny_http::Server::http((Ipv4Addr::LOCALHOST, 0)).map_err(|e| e.to_string())?);
    let port = server
        .server_addr()
        .to_ip()
        .ok_or("the server has no IP address")?
        .port();
    let serving = {
        let server = server.clone();
        std::thread::spawn(move || serve(&server))
    };
    let out_dir = std::env::temp_dir().join(format!("concur-callbacks-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir)?;

    let pool = ThreadPool::new(2)?;
    let (saved_tx, saved) = mpsc::channel::<Result<PathBuf, String>>();
    for (path, _) in PAGES {
        let url = format!("http://127.0.0.1:{port}{path}");
        let (out_dir, saved_tx) = (out_dir.clone(), saved_tx.clone());
        // Download on the pool; parse and save in the done-callback.
        pool.spawn(move || get(&url))
            .add_done_callback(move |downloaded| {
                let outcome = match downloaded.take(None) {
                    Ok(Ok(page)) => save(&out_dir, &parse(&page)).map_err(|e| e.to_string()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                let _ = saved_tx.send(outcome);
            });
    }
    drop(saved_tx);

    // Every callback sends once; the channel closes with the last of them.
    let files = saved.iter().collect::<Result<Vec<_>, _>>()?;
    pool.shutdown_with(Shutdown::wait());
    let text = std::fs::read_to_string(&files[0])?;
    println!(
        "\n{} lines saved in {}:\n{text}",
        text.lines().count(),
        files[0].display()
    );
    std::fs::remove_dir_all(&out_dir)?;

    server.unblock();
    serving.join().map_err(|_| "the server thread panicked")?;
    Ok(())
}
