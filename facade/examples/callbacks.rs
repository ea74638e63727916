//! Download → parse → save, chained with `add_done_callback`: the callback
//! example of the Python articles (`pool.submit(get, url).add_done_callback(task)`).
//! Its Python original is `python/callbacks.py`.
//!
//! ```text
//! cargo run --release --example callbacks
//! ```
//!
//! As in Python, the download is a task on a 2-worker thread pool, and its
//! done-callback (`task`) parses the page and saves the line, on the worker
//! that finished the download, so a page is parsed as soon as it is
//! downloaded. Dropping the pool is Python's `pool.shutdown()`: it waits for
//! the tasks and their callbacks. It runs offline: [`support::offline`]
//! (`support/mod.rs`, not part of the port) maps each URL to a local server
//! that stands in for the site, each site answering after a delay of its own
//! (instead of Python's `time.sleep(2)`), so the pages finish out of order.

mod support;

use concur::prelude::*;

fn get(url: &'static str) -> Result<(&'static str, String), ureq::Error> {
    println!("GET {url}");
    let response = ureq::get(support::offline(url)).call()?;
    Ok((url, response.into_body().read_to_string()?))
}

fn parse((url, content): &(&str, String)) -> String {
    println!("{url} parse res is {}", content.len());
    format!("{url} parse res is {}", content.len())
}

fn save(res: String) {
    println!("save {res}");
}

/// The done-callback: it gets the future, as in Python.
fn task(res: &concur::Future<Result<(&'static str, String), ureq::Error>>) {
    match res.clone().flatten() {
        Ok(res) => save(parse(&res)),
        Err(e) => println!("download failed: {e}"),
    }
}

fn main() -> Result<(), Error> {
    let pool = ThreadPool::new(2)?;
    for url in [
        "http://www.cnblogs.com/linhaifeng",
        "https://www.python.org",
        "https://www.openstack.org",
    ] {
        pool.spawn(move || get(url)).add_done_callback(task);
    }
    drop(pool); // pool.shutdown(): waits for the tasks and their callbacks
    Ok(())
}
