"""Python dataverk under bursty load, as a notebook or an Airflow task uses it.

    python read_sql_worker.py '{"mode": "kept-client", "source": "postgres_database", "sql": "...",
                                "concurrency": 8, "durationMs": 30000, "burstMs": 1500, "quietMs": 1500}'

mode "kept-client": one `Client()` for the whole run (a notebook), shared by the threads;
mode "client-per-query": a new `Client()` for every query (a task per query, or a helper that
makes its client on each call). Thread 0 runs all the time; the others only during the burst part
of each cycle (the shape of the bench's rotation scenario). Prints one JSON line: every query's
start, latency and error, and how often dataverk replaced its credentials after a failed
connection. Never prints credentials (user names in errors are replaced).
"""

import json
import logging
import re
import sys
import threading
import time

IDLE_POLL_S = 0.01
USER_NAME = re.compile(r'"v-[^"]*"|"user"')


class CountWarnings(logging.Handler):
    def __init__(self):
        super().__init__()
        self.credential_updates = 0

    # logging.Handler.handle holds the handler's own lock around emit.
    def emit(self, record):
        if record.getMessage() == "Updating db credentials":
            self.credential_updates += 1


def error_key(error):
    """SQLSTATE when PostgreSQL gave one, else the error's type and first line, user names masked."""
    original = getattr(error, "orig", None)
    code = getattr(original, "pgcode", None)
    if code:
        return code
    line = str(original if original is not None else error).strip().split("\n")[0]
    line = USER_NAME.sub("<user>", line)
    line = re.sub(r'at "[^"]*", port \d+', "at <host>", line)
    return f"{type(error).__name__}: {line[:120]}"


def main():
    config = json.loads(sys.argv[1])
    counter = CountWarnings()
    for name in ("Dataverk", "DataverkContext", "PostgresConnector"):
        logging.getLogger(name).addHandler(counter)
    from dataverk import Client

    kept = Client() if config["mode"] == "kept-client" else None
    samples = []
    samples_lock = threading.Lock()
    cycle = (config["burstMs"] + config["quietMs"]) / 1000
    burst = config["burstMs"] / 1000
    begin = time.monotonic()
    end = begin + config["durationMs"] / 1000

    def one_query():
        started = time.monotonic()
        try:
            client = kept if kept is not None else Client()
            client.read_sql(config["source"], config["sql"])
            error = None
        except Exception as failure:  # every failure is a sample
            error = error_key(failure)
        sample = [round((started - begin) * 1000, 2), round((time.monotonic() - started) * 1000, 2), error]
        with samples_lock:
            samples.append(sample)

    def worker(worker_id):
        while True:
            now = time.monotonic()
            if now >= end:
                return
            if worker_id != 0 and (now - begin) % cycle >= burst:
                time.sleep(IDLE_POLL_S)
                continue
            one_query()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(config["concurrency"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"samples": samples, "credentialUpdates": counter.credential_updates}))


if __name__ == "__main__":
    main()
