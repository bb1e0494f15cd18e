"""The code stays ruff clean (rules in pyproject.toml): lint is part of the suite."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_ruff_clean():
    pytest.importorskip('ruff', reason='ruff is installed by requirements-dev.txt')
    result = subprocess.run([sys.executable, '-m', 'ruff', 'check', '--no-cache', str(REPO)],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
