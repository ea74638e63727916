//! The `ThreadPoolExecutor` example of Python's `concurrent.futures` docs:
//! load five pages on five threads and print each as it completes — its size,
//! or the exception it raised — with `as_completed`. Its Python original is
//! `python/fetch.py`.
//!
//! ```text
//! cargo run --release --example fetch
//! ```
//!
//! It runs offline: [`support::offline`] (`support/mod.rs`, not part of the
//! port) maps each URL to a local server that stands in for the site.
//! `europe.wsj.com` answers 403 Forbidden and `some-made-up-domain.com` does
//! not exist, so two pages fail, each alone, with ureq's own error (no serde
//! bound: a thread pool runs closures).

mod support;

use concur::prelude::*;

const URLS: [&str; 5] = [
    "http://www.foxnews.com/",
    "http://www.cnn.com/",
    "http://europe.wsj.com/",
    "http://www.bbc.co.uk/",
    "http://some-made-up-domain.com/",
];

fn load_url(url: &str, timeout: u64) -> Result<Vec<u8>, ureq::Error> {
    let t = Some(Duration::from_secs(timeout));
    let request = ureq::get(support::offline(url)).config().timeout_global(t);
    request.build().call()?.body_mut().read_to_vec()
}

fn main() -> Result<(), Error> {
    let executor = ThreadPool::new(5)?;
    // Each task returns its URL with its result (or key a HashMap by future).
    let futures = URLS.map(|url| executor.spawn(move || (url, load_url(url, 60))));
    for future in as_completed(&futures, None) {
        match future?.take(None)? {
            (url, Ok(data)) => println!("{url} page is {} bytes", data.len()),
            (url, Err(e)) => println!("{url} generated an exception: {e}"),
        }
    }
    Ok(())
}
