"""The code passes ruff's checks for mistakes (unused or undefined names, bare excepts, ...)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_no_mistakes():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "hub", "web", "transports", "bench",
                             "tests", "--output-format", "concise"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
