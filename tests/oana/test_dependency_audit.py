"""`make audit` (oana/audit.py): the accept file's rules, and what pip-audit's answers mean.

pip-audit itself is replaced by a small script printing a fixed report (``PIP_AUDIT``): the
vulnerability service is not ours to call from the tests."""

import datetime
import json
import sys
import textwrap

import pytest

from oana import audit
from oana.audit import Acceptance, AuditError, judge, read_acceptances

TODAY = datetime.date(2026, 12, 5)


def accept(**fields):
    entry = {"id": "GHSA-aaaa-bbbb-cccc", "reason": "Only our tests use it.", **fields}
    lines = [
        f"{key} = {value if key == 'expires' else json.dumps(value)}"
        for key, value in entry.items()
    ]
    return "[[accept]]\n" + "\n".join(lines) + "\n"


def test_an_empty_or_commented_file_accepts_nothing():
    assert read_acceptances("", TODAY) == []
    assert read_acceptances(audit.ACCEPT_FILE.read_text(), TODAY) == []  # the shipped one


def test_an_acceptance_with_id_reason_and_a_date_to_come_is_read():
    text = accept(expires="2026-12-05") + accept(id="PYSEC-2025-17", expires="2027-03-31")
    assert read_acceptances(text, TODAY) == [
        Acceptance("GHSA-aaaa-bbbb-cccc", "Only our tests use it.", datetime.date(2026, 12, 5)),
        Acceptance("PYSEC-2025-17", "Only our tests use it.", datetime.date(2027, 3, 31)),
    ]


@pytest.mark.parametrize(
    "text, says",
    [
        (accept(expires="2026-12-04"), "accepted until 2026-12-04, which has passed"),
        (accept(reason="  ", expires="2027-01-01"), "say why it does not apply"),
        (accept(expires='"soon"'), "expires must be a date"),
        (accept(expires="2027-01-01T10:00:00"), "expires must be a date"),
        (accept(id="rm -rf /", expires="2027-01-01"), "is not a vulnerability id"),
        (accept(id="--index-url", expires="2027-01-01"), "is not a vulnerability id"),
        ('[[accept]]\nid = "GHSA-1"\nexpires = 2027-01-01\n', "needs exactly id, reason"),
        (accept(expires="2027-01-01", owner='"me"'), "needs exactly id, reason"),
        ("accept = 3\n", "as an [[accept]] table"),
        ('[[ignore]]\nid = "GHSA-1"\n', "unknown keys ['ignore']"),
        ("accept = [1]\n", "needs exactly id, reason"),
        ("[[accept]\n", "not valid TOML"),
    ],
)
def test_a_bad_or_expired_acceptance_fails_the_audit(text, says):
    with pytest.raises(AuditError) as error:
        read_acceptances(text, TODAY)
    assert says in str(error.value)


def test_accepted_ids_reach_pip_audit_as_ignore_vuln(monkeypatch):
    monkeypatch.delenv("PIP_AUDIT", raising=False)
    command = audit.pip_audit_command(
        "requirements/test.txt", read_acceptances(accept(expires="2027-01-01"), TODAY)
    )
    assert command[:3] == [sys.executable, "-m", "pip_audit"]
    assert command[-2:] == ["--ignore-vuln", "GHSA-aaaa-bbbb-cccc"]
    assert {"--require-hashes", "--disable-pip"} <= set(command)


VULNERABLE = {
    "dependencies": [
        {
            "name": "django",
            "version": "6.1",
            "vulns": [{"id": "PYSEC-1", "fix_versions": ["6.1.1"]}],
        },
        {"name": "nh3", "version": "0.3", "vulns": [{"id": "GHSA-2", "fix_versions": []}]},
        {"name": "redis", "version": "8.1", "vulns": []},
    ]
}
UNCHECKED = {
    "dependencies": [
        {"name": "redis", "version": "8.1", "vulns": []},
        {"name": "stripe", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ]
}


def test_judge_fails_on_a_vulnerability_and_on_an_unanswered_package_and_passes_clean():
    code, lines = judge(VULNERABLE)
    assert code == 1
    assert "  django 6.1: PYSEC-1 (fixed in: 6.1.1)" in lines
    assert "  nh3 0.3: GHSA-2 (fixed in: no fixed release yet)" in lines
    code, lines = judge(UNCHECKED)
    assert code == 2 and "NOT audited" in lines[0] and "stripe" in lines[1]
    assert judge({"dependencies": [{"name": "redis", "version": "8.1", "vulns": []}]}) == (
        0,
        ["No known vulnerabilities in 1 locked packages."],
    )


@pytest.fixture
def fake_pip_audit(tmp_path, monkeypatch):
    """``PIP_AUDIT`` pointed at a script that prints ``report`` (or fails like a network
    error when it is None) and records its arguments."""

    def install(report):
        script = tmp_path / "fake_pip_audit.py"
        script.write_text(
            textwrap.dedent(
                f"""
                import json, pathlib, sys
                pathlib.Path({str(tmp_path / "args.json")!r}).write_text(json.dumps(sys.argv[1:]))
                report = {report!r}
                if report is None:
                    sys.exit("requests.exceptions.ConnectionError: api.osv.dev unreachable")
                print(json.dumps(report))
                sys.exit(1 if report != {{}} else 0)
                """
            )
        )
        monkeypatch.setenv("PIP_AUDIT", f"{sys.executable} {script}")
        return tmp_path / "args.json"

    monkeypatch.delenv(audit.OFFLINE, raising=False)
    return install


@pytest.mark.parametrize(
    "report, code", [(VULNERABLE, 1), (UNCHECKED, 2), (None, 2), ({"dependencies": []}, 0)]
)
def test_main_exits_with_the_verdict(fake_pip_audit, capsys, report, code):
    fake_pip_audit(report)
    assert audit.main(["requirements/test.txt"], today=TODAY) == code
    out, err = capsys.readouterr()
    if report is None:
        assert "pip-audit gave no report" in err and "api.osv.dev unreachable" in err
        assert "OANA_AUDIT_OFFLINE=1" in err


def test_main_passes_the_accepted_ids_and_refuses_an_expired_one(
    fake_pip_audit, tmp_path, monkeypatch, capsys
):
    args = fake_pip_audit({"dependencies": []})
    monkeypatch.setattr(audit, "ACCEPT_FILE", tmp_path / "accept.toml")
    audit.ACCEPT_FILE.write_text(accept(expires="2027-01-01"))
    assert audit.main([], today=TODAY) == 0
    assert json.loads(args.read_text())[-2:] == ["--ignore-vuln", "GHSA-aaaa-bbbb-cccc"]
    assert "requirements/test.txt" in json.loads(args.read_text())  # the default lock export
    assert (
        "Accepted until 2027-01-01: GHSA-aaaa-bbbb-cccc (Only our tests use it.)"
        in capsys.readouterr().out
    )

    args.unlink()
    assert audit.main([], today=datetime.date(2027, 1, 2)) == 1
    assert "which has passed" in capsys.readouterr().err
    assert not args.exists()  # pip-audit was not even run


def test_offline_skips_loudly_without_running_pip_audit(fake_pip_audit, monkeypatch, capsys):
    args = fake_pip_audit(VULNERABLE)
    monkeypatch.setenv(audit.OFFLINE, "1")
    assert audit.main([], today=TODAY) == 0
    assert "dependency audit SKIPPED" in capsys.readouterr().out
    assert not args.exists()


def test_a_missing_accept_file_accepts_nothing(fake_pip_audit, tmp_path, monkeypatch):
    args = fake_pip_audit({"dependencies": []})
    monkeypatch.setattr(audit, "ACCEPT_FILE", tmp_path / "absent.toml")
    assert audit.main([], today=TODAY) == 0
    assert "--ignore-vuln" not in json.loads(args.read_text())
