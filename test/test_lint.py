"""
The code stays lint clean: ruff (rules in pyproject.toml) and the ament linters ROS CI runs.

ament_flake8 and ament_pep257 run with ament's own defaults, at the package's 99 columns (ruff's
line length), over every Python file of the package: what ROBOTIS's CI and ``colcon test`` of a
ROS package with these linters would report.
"""

from pathlib import Path
import subprocess
import sys

import pytest

REPO = Path(__file__).resolve().parents[1]
PATHS = ['ik_net_ros', 'benchmarks', 'test', 'launch', 'setup.py']


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', code, *PATHS], capture_output=True, text=True,
                          cwd=REPO, timeout=300)


def test_ruff_clean():
    pytest.importorskip('ruff', reason='ruff is installed by requirements-dev.txt')
    result = subprocess.run([sys.executable, '-m', 'ruff', 'check', '--no-cache', str(REPO)],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ament_flake8_clean():
    pytest.importorskip('ament_flake8', reason='ros-ament-flake8 is in requirements-dev.txt')
    result = _run('import sys; from ament_flake8.main import main; '
                  "sys.exit(main(['--linelength', '99', *sys.argv[1:]]))")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_ament_pep257_clean():
    pytest.importorskip('ament_pep257', reason='ros-ament-pep257 is in requirements-dev.txt')
    result = _run('import sys; from ament_pep257.main import main; sys.exit(main(sys.argv[1:]))')
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
