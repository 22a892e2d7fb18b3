"""`make bench` (bench/run.py): its trivial view lives outside the public URLs, and what it
reads from wrk and prints is right. (The run itself needs PostgreSQL, Redis and wrk, and takes
minutes: `make bench`, not the test suite.)"""

import pytest
from django.urls import Resolver404, resolve

from bench.run import parse_wrk, summarize, table

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:8000/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.20ms    3.10ms  80.00ms   90.00%
    Req/Sec     1.30k   100.00     1.50k    70.00%
  Latency Distribution
     50%  850.00us
     75%    7.00ms
     90%    9.00ms
     99%    1.20s
  13000 requests in 5.00s, 600.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   2600.50
Transfer/sec:    120.00MB
"""


def test_the_trivial_view_is_only_in_the_bench_urls():
    with pytest.raises(Resolver404):
        resolve("/bench/trivial/")
    assert resolve("/bench/trivial/", urlconf="bench.urls").url_name == "bench_trivial"
    # The site's own pages are all there too, as the same settings serve them.
    assert resolve("/treatments/", urlconf="bench.urls").url_name == "catalog"


@pytest.mark.django_db
def test_the_trivial_view_answers_through_the_whole_middleware(client, settings):
    settings.ROOT_URLCONF = "bench.urls"
    response = client.get("/bench/trivial/")
    assert response.status_code == 200 and response.content == b"ok"
    assert "Content-Security-Policy" in response  # the site's middleware ran


def test_wrk_output_is_read_in_milliseconds_with_every_error():
    assert parse_wrk(WRK_OUTPUT) == {"rps": 2600.5, "p50": 0.85, "p99": 1200.0, "errors": 7}
    clean = WRK_OUTPUT.replace("  Socket errors: connect 0, read 2, write 0, timeout 1\n", "")
    assert parse_wrk(clean.replace("  Non-2xx or 3xx responses: 4\n", ""))["errors"] == 0


def test_rounds_are_summarized_and_the_targets_judged():
    runs = [
        {"rps": 900.0, "p50": 5.0, "p99": 40.0, "errors": 0},
        {"rps": 1100.0, "p50": 7.0, "p99": 90.0, "errors": 0},
        {"rps": 1000.0, "p50": 6.0, "p99": 60.0, "errors": 0},
    ]
    assert summarize(runs) == {"rps": 1000.0, "p50": 6.0, "p99": 90.0, "errors": 0}
    ours = {"rps": 1600.0, "p50": 2.0, "p99": 20.0, "errors": 0}
    minimal = {"rps": 4000.0, "p50": 1.0, "p99": 10.0, "errors": 0}
    slow = {"rps": 700.0, "p50": 9.0, "p99": 95.0, "errors": 0}
    lines = table(
        [
            ("fast page", summarize(runs)),
            ("slow page", slow),
            ("our trivial view", ours),
            ("minimal project", minimal),
        ],
        ours,
        minimal,
    ).splitlines()
    assert lines[0].split()[:2] == ["page", "req/s"]
    assert lines[1].split()[-3:] == ["62%", "25%", "met"]
    assert lines[2].split()[-3:] == ["44%", "18%", "MISSED"]
    assert lines[3].split()[-2:] == ["100%", "40%"]
