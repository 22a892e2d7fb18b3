"""Permissions-Policy on every response; CSP violations reported to our own endpoint, which
logs them (redacted), refuses what is not a report and is rate limited."""

import json
import logging

import pytest

pytestmark = pytest.mark.django_db

REPORT = {
    "csp-report": {
        "document-uri": "https://oana.example/orders/Xq3v9Lk2-Pz8Rt5Wm1Nb7Yc4Hd6Jf0Ga/",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "blocked-uri": "https://evil.example/x.js",
        "original-policy": "default-src 'self'",
    }
}
REPORTING_API = [
    {
        "type": "csp-violation",
        "url": "https://oana.example/articles/",
        "body": {
            "documentURL": "https://oana.example/articles/?q=pcos",
            "effectiveDirective": "img-src",
            "blockedURL": "https://tracker.example/p.gif",
        },
    },
    {"type": "deprecation", "body": {"id": "x"}},
]


@pytest.mark.parametrize("path", ["/", "/robots.txt", "/no-such-page/", "/admin/login/"])
def test_permissions_policy_turns_off_camera_microphone_geolocation_payment(client, path):
    response = client.get(path)
    assert response["Permissions-Policy"] == (
        "camera=(), microphone=(), geolocation=(), payment=()"
    )
    assert response["Reporting-Endpoints"] == 'csp="/csp-report/"'


def test_the_csp_reports_to_our_endpoint(client):
    csp = client.get("/")["Content-Security-Policy"]
    assert "report-uri /csp-report/" in csp and "report-to csp" in csp


def post(client, body, content_type="application/csp-report", **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/csp-report/", data, content_type=content_type, **extra)


def test_a_report_is_logged_without_order_ids_or_query_strings(client, caplog):
    with caplog.at_level(logging.WARNING, logger="oana.views"):
        assert post(client, REPORT).status_code == 204
        assert post(client, REPORTING_API, "application/reports+json").status_code == 204
    lines = [r.getMessage() for r in caplog.records if r.name == "oana.views"]
    # As written by the log handler (its filter redacts the record itself).
    assert lines == [
        "CSP violation: directive=script-src-elem blocked=https://evil.example/x.js "
        "page=https://oana.example/orders/[order]/",
        "CSP violation: directive=img-src blocked=https://tracker.example/p.gif "
        "page=https://oana.example/articles/?[redacted]",
    ]


def test_a_report_missing_fields_is_still_logged(client, caplog):
    with caplog.at_level(logging.WARNING, logger="oana.views"):
        assert post(client, {"csp-report": {}}).status_code == 204
    assert "CSP violation: directive=- blocked=- page=-" in caplog.text


@pytest.mark.parametrize(
    "body",
    ["{not json", "[]", '{"csp-report": "x"}', '"text"', "[" * 5000 + "]" * 5000, "{}"],
)
def test_what_is_not_a_report_is_a_400(client, body):
    assert post(client, body).status_code == 400


def test_a_report_is_size_capped(client):
    big = {"csp-report": {"blocked-uri": "x" * 20_000}}
    assert post(client, big).status_code == 413
    response = post(client, REPORT, CONTENT_LENGTH="999999")
    assert response.status_code == 413
    assert post(client, REPORT, CONTENT_LENGTH="many").status_code == 400


def test_reports_are_posted_only(client):
    assert client.get("/csp-report/").status_code == 405


def test_reports_are_rate_limited(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "csp_report": "2/h"}
    assert [post(client, REPORT).status_code for _ in range(3)] == [204, 204, 429]
