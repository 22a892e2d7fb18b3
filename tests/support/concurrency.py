"""Calls released at the same instant from threads of their own (PostgreSQL row locks)."""

import threading

from django.db import connection


def at_once(calls):
    """Run each callable in its own thread, all released together; returns
    [(result, exception)] in the order of ``calls`` (one of the two is None)."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(index, call):
        barrier.wait()
        try:
            outcomes[index] = (call(), None)
        except Exception as error:  # noqa: BLE001 - each caller decides what is expected
            outcomes[index] = (None, error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes
