"""`make audit`: known vulnerabilities in the locked packages, with pip-audit.

    python -m oana.audit [requirements/test.txt]

pip-audit reads the hashed lock export (every package pinned, so nothing is resolved or
installed: ``--disable-pip``) and asks PyPI's vulnerability data about each package. This
wrapper decides what its answer means (docs/security.md, "Dependency audit"):

- a known vulnerability that is not accepted: exit 1, each listed with its fixed versions;
- a package the vulnerability service did not answer for (unreachable, a mirror without the
  JSON API): exit 2, saying so. An audit that checked nothing never passes in silence;
  ``OANA_AUDIT_OFFLINE=1`` skips the audit on purpose (a machine without that service),
  with a warning;
- an accepted finding (``.pip-audit-accept.toml``: its id, why it does not apply to us, and
  until when) is passed to pip-audit as ``--ignore-vuln``. An acceptance past its date, or
  missing its reason or date, fails the audit: it must be looked at again.

``PIP_AUDIT`` (a command, split on spaces) replaces ``python -m pip_audit``; the tests use it.
"""

import datetime
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
ACCEPT_FILE = BASE_DIR / ".pip-audit-accept.toml"
REQUIREMENTS = "requirements/test.txt"
# PYSEC-2024-1, GHSA-xxxx-xxxx-xxxx, CVE-2024-12345, OSV's own prefixes...
VULN_ID = re.compile(r"[A-Z][A-Z0-9]*-[A-Za-z0-9-]+")
OFFLINE = "OANA_AUDIT_OFFLINE"


class AuditError(Exception):
    """The audit cannot pass: the message says why and what to do."""


@dataclass(frozen=True)
class Acceptance:
    id: str
    reason: str
    expires: datetime.date


def read_acceptances(text, today):
    """The accepted findings in the TOML ``text``; refuses a malformed or expired entry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise AuditError(f"{ACCEPT_FILE.name}: not valid TOML ({error})") from error
    unknown = set(data) - {"accept"}
    if unknown:
        raise AuditError(f"{ACCEPT_FILE.name}: unknown keys {sorted(unknown)} (only [[accept]])")
    entries = data.get("accept", [])
    if not isinstance(entries, list):
        raise AuditError(f"{ACCEPT_FILE.name}: write each finding as an [[accept]] table")
    accepted = []
    for number, entry in enumerate(entries, start=1):
        where = f"{ACCEPT_FILE.name}, finding {number}"
        if not isinstance(entry, dict) or set(entry) != {"id", "reason", "expires"}:
            raise AuditError(f"{where}: needs exactly id, reason and expires")
        vuln_id, reason, expires = entry["id"], entry["reason"], entry["expires"]
        if not isinstance(vuln_id, str) or not VULN_ID.fullmatch(vuln_id):
            raise AuditError(
                f"{where}: {vuln_id!r} is not a vulnerability id (GHSA-..., PYSEC-...)"
            )
        if not isinstance(reason, str) or not reason.strip():
            raise AuditError(f"{where} ({vuln_id}): say why it does not apply to us")
        if type(expires) is not datetime.date:
            raise AuditError(f"{where} ({vuln_id}): expires must be a date (2027-01-31)")
        if expires < today:
            raise AuditError(
                f"{where} ({vuln_id}): accepted until {expires}, which has passed: "
                "look at it again (upgrade, or renew the acceptance with its reason)"
            )
        accepted.append(Acceptance(vuln_id, reason.strip(), expires))
    return accepted


def pip_audit_command(requirements, accepted):
    command = shlex.split(os.environ.get("PIP_AUDIT", "")) or [sys.executable, "-m", "pip_audit"]
    return [
        *command,
        "--requirement",
        requirements,
        "--require-hashes",
        "--disable-pip",
        "--format",
        "json",
        "--progress-spinner",
        "off",
        *(arg for acceptance in accepted for arg in ("--ignore-vuln", acceptance.id)),
    ]


def judge(report):
    """(exit code, lines to print) for pip-audit's JSON ``report``."""
    found, unchecked = [], []
    for dependency in report.get("dependencies", []):
        name, version = dependency.get("name"), dependency.get("version", "?")
        if dependency.get("skip_reason"):
            unchecked.append(f"  {name}: {dependency['skip_reason']}")
        for vuln in dependency.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
            found.append(f"  {name} {version}: {vuln['id']} (fixed in: {fixed})")
    if found:
        return 1, [
            f"Known vulnerabilities in the locked packages ({len(found)}):",
            *found,
            "Upgrade (make lock LOCK_ARGS='--upgrade-package NAME'), or, if one does not "
            f"apply to us, accept it in {ACCEPT_FILE.name} with the reason and a date.",
        ]
    if unchecked:
        return 2, [
            f"The vulnerability service did not answer for {len(unchecked)} packages: "
            "they were NOT audited.",
            *unchecked,
            f"Run where PyPI's JSON API is reachable, or set {OFFLINE}=1 to skip the audit "
            "on purpose.",
        ]
    count = len(report.get("dependencies", []))
    return 0, [f"No known vulnerabilities in {count} locked packages."]


def main(argv=None, today=None):
    argv = sys.argv[1:] if argv is None else argv
    requirements = argv[0] if argv else REQUIREMENTS
    if os.environ.get(OFFLINE) == "1":
        print(f"WARNING: dependency audit SKIPPED ({OFFLINE}=1): nothing was checked.")
        return 0
    try:
        text = ACCEPT_FILE.read_text() if ACCEPT_FILE.exists() else ""
        accepted = read_acceptances(text, today or datetime.date.today())
    except AuditError as error:
        print(f"Dependency audit failed: {error}", file=sys.stderr)
        return 1
    for acceptance in accepted:
        print(f"Accepted until {acceptance.expires}: {acceptance.id} ({acceptance.reason})")
    result = subprocess.run(
        pip_audit_command(requirements, accepted), capture_output=True, text=True, cwd=BASE_DIR
    )
    try:
        report = json.loads(result.stdout)
    except ValueError:
        # No report at all: pip-audit could not run or reach its service (a traceback).
        print(
            "Dependency audit failed: pip-audit gave no report (is the vulnerability service "
            f"reachable? {OFFLINE}=1 skips the audit on purpose). Its output:",
            result.stderr.strip()[-2000:],
            sep="\n",
            file=sys.stderr,
        )
        return 2
    code, lines = judge(report)
    print("\n".join(lines), file=sys.stderr if code else sys.stdout)
    return code


if __name__ == "__main__":  # pragma: no cover (run by `make audit`; main() is tested)
    sys.exit(main())
