"""
control_msgs for the tests: the installed one, or generated once and kept.

control_msgs is not on PyPI: where it is not installed, the subset in test/interfaces/control_msgs
(GripperCommand, FollowJointTrajectory; byte-identical to the distro's) is built with colcon and
the rosidl generators (requirements-ros.txt), a few minutes. The build is kept in pytest's cache
directory under a key of the interface files and the Python, so later runs take it at once.
"""

import fcntl
import hashlib
import os
from pathlib import Path
import shutil
import subprocess
import sys

import pytest

HERE = Path(__file__).resolve().parent
SOURCE = HERE / 'interfaces' / 'control_msgs'


def _key() -> str:
    """Give a digest of the interface files, this Python and its prefix."""
    digest = hashlib.sha256(f'{sys.version}|{sys.prefix}'.encode())
    for path in sorted(SOURCE.rglob('*')):
        if path.is_file():
            digest.update(str(path.relative_to(SOURCE)).encode() + b'\0' + path.read_bytes())
    return digest.hexdigest()[:16]


def _build(base: Path) -> Path:
    """Build control_msgs under ``base`` unless done already; return its install prefix."""
    install = base / 'install' / 'control_msgs'
    done = base / 'built'
    with open(base / 'lock', 'w') as lock:  # one build at a time; the others wait for it
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return install
        colcon = shutil.which('colcon') or str(Path(sys.executable).parent / 'colcon')
        prefix = str(Path(sys.prefix))
        for stale in ('src', 'build', 'install', 'log'):
            shutil.rmtree(base / stale, ignore_errors=True)
        shutil.copytree(SOURCE, base / 'src' / 'control_msgs')
        env = dict(os.environ, AMENT_PREFIX_PATH=prefix, CMAKE_PREFIX_PATH=prefix,
                   PATH=f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}')
        result = subprocess.run([colcon, 'build', '--base-paths', 'src'], cwd=base, env=env,
                                capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        done.write_text(_key())
    return install


def control_msgs_environment(request, tmp_path_factory) -> dict:
    """
    Environment in which ``control_msgs.action`` imports (a session fixture's body).

    The installed one, or the generated one (built at most once per interface set). Skips the
    test where neither can be had.
    """
    try:
        import control_msgs.action  # noqa: F401
        return dict(os.environ)
    except ImportError:
        pass
    prefix = Path(sys.prefix)
    if not (prefix / 'share' / 'rosidl_default_generators').is_dir() or not \
            (shutil.which('cmake') and (shutil.which('cc') or shutil.which('gcc'))):
        pytest.skip('control_msgs is not installed, and the rosidl generators, cmake or a C '
                    'compiler to generate it are not either')
    cache = getattr(request.config, 'cache', None)  # None with -p no:cacheprovider
    base = cache.mkdir(f'control_msgs-{_key()}') if cache is not None else \
        tmp_path_factory.mktemp('control_msgs')
    install = _build(Path(base))
    site = next((install / 'lib').glob('python3*/site-packages'))
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(HERE),
                                                        os.environ.get('PYTHONPATH', '')]),
                LD_LIBRARY_PATH=os.pathsep.join([str(install / 'lib'),
                                                 os.environ.get('LD_LIBRARY_PATH', '')]))
