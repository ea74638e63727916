# The JoinableQueue program of the article "How to write concurrent programs
# in Python": worker processes fed from a task queue, results on a second
# queue, Ctrl-C (KeyboardInterrupt) stops the waiting. The article prints it
# flattened on one line, in Python 2 (print statements), with the helpers
# _download, get_urls and _parse left out ("some major logic code"); here it
# is with its line breaks and indentation back, the code unchanged. The port
# is ../pipeline.rs.
import multiprocessing


def main():
    tasks = multiprocessing.JoinableQueue()
    results = multiprocessing.Queue()
    cpu_count = multiprocessing.cpu_count()  # Number of processes = number of CPU cores
    create_process(tasks, results, cpu_count)
    add_tasks(tasks)
    parse(tasks, results)


def create_process(tasks, results, cpu_count):
    for _ in range(cpu_count):
        p = multiprocessing.Process(target=_worker, args=(tasks, results))
        p.daemon = True  # all processes end with the main process
        p.start()


def _worker(tasks, results):
    while True:
        try:
            task = tasks.get()  # blocks while there is no task
            result = _download(task)
            results.put(result)
        finally:
            tasks.task_done()


def add_tasks(tasks):
    for url in get_urls():  # get_urls() returns a list of urls
        tasks.put(url)


def parse(tasks, results):
    try:
        tasks.join()
    except KeyboardInterrupt as err:
        print "Tasks has been stopped!"
        print err
    while not results.empty():
        _parse(results)


if __name__ == '__main__':
    main()
