"""`make run` serves where it says, and links in e-mails and letters point there too."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_on_another_port_puts_that_address_in_messages():
    dry = subprocess.run(["make", "-n", "run", "PORT=8201"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    serve = next(line for line in dry.splitlines() if "runserver" in line)
    assert "runserver 127.0.0.1:8201" in serve
    assert 'SITE_URL="${SITE_URL:-http://127.0.0.1:8201}"' in serve

