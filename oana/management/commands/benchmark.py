"""Time the public pages in-process and print figures: a benchmark, not a test.

    python manage.py benchmark            # 50 requests per page against the current database
    python manage.py benchmark -n 200

Run ``python manage.py seed`` first. The numbers measure Django's own work (URL routing,
queries, template rendering) without a network or a web server in front, so they are the
floor a real deployment adds to. Query counts are pinned by the test suite; here they are
printed beside the timings so a regression shows up in one place.
"""

import gzip
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client

PUBLIC_PAGES = [
    "/",
    "/articles/",
    "/articles/?q=magnesium",
    "/articles/magnesium-and-insulin-resistance/",
    "/articles/feed/",
    "/treatments/",
    "/treatments/insulin-sensitizers/",
    "/treatments/unwanted-hair/hairless-hype/",
    "/cart/",
    "/sitemap.xml",
    "/healthz",
]


class QueryCounter:
    """Counts every query the connection executes (works whatever DEBUG says)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class Command(BaseCommand):
    help = "Time each public page (median and 95th percentile) and count its queries."

    def add_arguments(self, parser):
        parser.add_argument("-n", "--requests", type=int, default=50, help="requests per page")

    def handle(self, *args, requests, **options):
        client = Client(SERVER_NAME="localhost")
        header = f"{'page':48} {'status':>6} {'queries':>7} {'median ms':>9} {'p95 ms':>7} {'KiB':>6} {'gzip KiB':>8}"
        self.stdout.write(header)
        for url in PUBLIC_PAGES:
            queries = QueryCounter()
            with connection.execute_wrapper(queries):
                response = client.get(url)
            body = response.content
            timings = []
            for _ in range(requests):
                started = time.perf_counter()
                client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
            self.stdout.write(
                f"{url:48} {response.status_code:>6} {queries.count:>7} "
                f"{statistics.median(timings):>9.1f} {p95:>7.1f} "
                f"{len(body) / 1024:>6.1f} {len(gzip.compress(body)) / 1024:>8.1f}"
            )
