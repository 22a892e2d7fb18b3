"""Running the project's own commands (manage.py, make, python) from tests, one way."""

import subprocess
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def run(args, *, env, cwd=BASE_DIR, timeout=60):
    """Run ``args`` in the project (or ``cwd``) with exactly ``env``; output as text."""
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
