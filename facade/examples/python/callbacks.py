# The "callback function" program of the article "Python concurrent
# programming: process pool, thread pool, concurrent.futures": download ->
# parse -> save, chained with add_done_callback. The article prints it
# flattened on one line (and capitalized: "From concurrent.futures Import");
# here it is with its line breaks and indentation back, the code unchanged.
# The port is ../callbacks.rs.
import requests
import time
from concurrent.futures import ThreadPoolExecutor


def get(url):
    print('GET {}'.format(url))
    response = requests.get(url)
    time.sleep(2)
    if response.status_code == 200:  # 200 stands for Status: Download succeeded
        return {'url': url, 'content': response.text}


def parse(res):
    print('%s parse res is %s' % (res['url'], len(res['content'])))
    return '%s parse res is %s' % (res['url'], len(res['content']))


def save(res):
    print('save', res)


def task(res):
    res = res.result()
    par_res = parse(res)
    save(par_res)


if __name__ == '__main__':
    urls = [
        'http://www.cnblogs.com/linhaifeng',
        'https://www.python.org',
        'https://www.openstack.org',
    ]
    pool = ThreadPoolExecutor(2)
    for i in urls:
        pool.submit(get, i).add_done_callback(task)  # the callback gets the future
    pool.shutdown()  # as a process pool's close and join
