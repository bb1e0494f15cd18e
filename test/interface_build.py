"""
ROS interface packages the tests need: the installed ones, or generated once and kept.

control_msgs, moveit_msgs (with object_recognition_msgs) and tf2_msgs are not on PyPI: where
one is not installed, its subset in test/interfaces/<package> (byte-identical to the distro's
files, so the type hashes match a real system's) is built with colcon and the rosidl generators
(requirements-ros.txt), a minute or a few. The build is kept in pytest's cache directory under a
key of the interface files and the Python, so later runs take it at once. A session fixture
named ``<package>_env`` (``control_msgs_env``...) builds it: conftest.py times only the test
function of the tests taking one, never the build (bounded by BUILD_TIMEOUT).
"""

import fcntl
import hashlib
import importlib
import os
from pathlib import Path
import shutil
import subprocess
import sys

import pytest

HERE = Path(__file__).resolve().parent
INTERFACES = HERE / 'interfaces'
BUILD_TIMEOUT = 1200  # s: the build's own deadline (a few minutes, more on a busy machine)


def _key(packages: tuple[str, ...]) -> str:
    """Give a digest of the packages' interface files, this Python and its prefix."""
    digest = hashlib.sha256(f'{sys.version}|{sys.prefix}'.encode())
    for package in packages:
        source = INTERFACES / package
        for path in sorted(source.rglob('*')):
            if path.is_file():
                digest.update(str(path.relative_to(INTERFACES)).encode() + b'\0' +
                              path.read_bytes())
    return digest.hexdigest()[:16]


def _build(base: Path, packages: tuple[str, ...]) -> Path:
    """Build ``packages`` under ``base`` unless done already; return the install folder."""
    install = base / 'install'
    done = base / 'built'
    with open(base / 'lock', 'w') as lock:  # one build at a time; the others wait for it
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return install
        colcon = shutil.which('colcon') or str(Path(sys.executable).parent / 'colcon')
        prefix = str(Path(sys.prefix))
        for stale in ('src', 'build', 'install', 'log'):
            shutil.rmtree(base / stale, ignore_errors=True)
        for package in packages:
            shutil.copytree(INTERFACES / package, base / 'src' / package)
        env = dict(os.environ, AMENT_PREFIX_PATH=prefix, CMAKE_PREFIX_PATH=prefix,
                   PATH=f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}')
        result = subprocess.run([colcon, 'build', '--base-paths', 'src'], cwd=base, env=env,
                                capture_output=True, text=True, timeout=BUILD_TIMEOUT)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        done.write_text(_key(packages))
    return install


def interface_environment(request, tmp_path_factory, module: str,
                          packages: tuple[str, ...], needs: tuple[str, ...] = ()) -> dict:
    """
    Return an environment in which ``module`` imports (a session fixture's body).

    The installed one, or ``packages`` generated from test/interfaces (built at most once per
    interface set). Skips the test where neither can be had; ``needs`` are modules the
    generation needs (PyPI wheels of requirements-ros.txt).
    """
    try:
        importlib.import_module(module)
        return dict(os.environ)
    except ImportError:
        pass
    prefix = Path(sys.prefix)
    if not (prefix / 'share' / 'rosidl_default_generators').is_dir() or not \
            (shutil.which('cmake') and (shutil.which('cc') or shutil.which('gcc'))):
        pytest.skip(f'{module} is not installed, and the rosidl generators, cmake or a C '
                    'compiler to generate it are not either')
    for need in needs:
        try:
            importlib.import_module(need)
        except ImportError:
            pytest.skip(f'{need} (requirements-ros.txt) is needed to generate {module}')
    name = '-'.join(packages)
    cache = getattr(request.config, 'cache', None)  # None with -p no:cacheprovider
    base = cache.mkdir(f'{name}-{_key(packages)}') if cache is not None else \
        tmp_path_factory.mktemp(name)
    install = _build(Path(base), packages)
    sites = [str(next((install / p / 'lib').glob('python3*/site-packages'))) for p in packages]
    libs = [str(install / p / 'lib') for p in packages]
    return dict(os.environ,
                PYTHONPATH=os.pathsep.join(sites + [str(HERE), os.environ.get('PYTHONPATH', '')]),
                LD_LIBRARY_PATH=os.pathsep.join(libs + [os.environ.get('LD_LIBRARY_PATH', '')]))


def control_msgs_environment(request, tmp_path_factory) -> dict:
    """Return an environment in which ``control_msgs.action`` imports."""
    return interface_environment(request, tmp_path_factory, 'control_msgs.action',
                                 ('control_msgs',))
