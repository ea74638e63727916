# The ThreadPoolExecutor example of Python's concurrent.futures docs, as the
# article on threading, multiprocessing and concurrent.futures drawn from
# Corey Schafer's videos shows it (the article "For Python concurrent
# programming, concurrent.futures or multiprocessing?" shows the same
# program). The port is ../fetch.rs.
import concurrent.futures
import urllib.request

URLS = [
    "http://www.foxnews.com/",
    "http://www.cnn.com/",
    "http://europe.wsj.com/",
    "http://www.bbc.co.uk/",
    "http://some-made-up-domain.com/",
]


def load_url(url, timeout):
    with urllib.request.urlopen(url, timeout=timeout) as conn:
        return conn.read()


with concurrent.futures.ThreadPoolExecutor(max_workers=5) as executor:
    futures = {executor.submit(load_url, url, 60): url for url in URLS}
    for future in concurrent.futures.as_completed(futures):
        url = futures[future]
        try:
            data = future.result()
        except Exception as e:
            print(f"{url} generated an exception: {e}")
        else:
            print(f"{url} page is {len(data)} bytes")
