"""
CPU time of the collision checks, before and after (best of 25 runs of process_time).

CPU time, not wall time: steadier on a busy machine. The OM-X upright and leaning (0.5 deg
tilts, 0.01 rad offsets) with an old revision's collision.py (``git show``, default main) and
with this tree's, interleaved; then the OMX-F.

    python benchmarks/collision_speed.py [revision]
"""

import importlib.util
import subprocess
import sys
import tempfile
import time

from ik_net_ros.arm import ChainErrors, default_arm, load_arm
from ik_net_ros.kinematics.collision import CollisionModel
import numpy as np


def _old_module(revision: str):
    source = subprocess.run(['git', 'show', f'{revision}:ik_net_ros/kinematics/collision.py'],
                            capture_output=True, text=True, check=True).stdout
    with tempfile.NamedTemporaryFile('w', suffix='.py', delete=False) as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location('old_collision', f.name)
    module = importlib.util.module_from_spec(spec)
    sys.modules['old_collision'] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _cpu(call, n: int, repeat: int = 25) -> float:
    """Return the best CPU time per call (us) of ``repeat`` runs of ``n`` calls."""
    best = float('inf')
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(n):
            call()
        best = min(best, (time.process_time() - start) / n)
    return best * 1e6


def _line(label: str, model, one: list[float], batch: np.ndarray) -> str:
    q1 = np.array([one])
    times = (_cpu(lambda: model.check(q1), 300), _cpu(lambda: model.check(batch), 20),
             _cpu(lambda: model.clear_one(one), 3000))
    return (f'{label:32s} check(1) {times[0]:6.1f} us  check(1000) {times[1]:7.1f} us  '
            f'clear_one {times[2]:5.1f} us')


def main() -> None:
    old = _old_module(sys.argv[1] if len(sys.argv) > 1 else 'main')
    rng = np.random.default_rng(0)
    batch, one = rng.uniform(-1.5, 1.5, (1000, 4)), [0.1, -0.5, 0.3, 0.4]
    omx = default_arm()
    leaning = omx.with_errors(ChainErrors((0.01,) * 4, np.zeros((4, 3)),
                                          np.full((4, 2), np.radians(0.5))))
    for label, arm in (('upright', omx), ('leaning', leaning)):
        print(_line(f'OM-X {label} before', old.CollisionModel(arm), one, batch))
        print(_line(f'OM-X {label} after', CollisionModel(arm), one, batch))
    arm = load_arm('omx_f')
    print(_line(f'OMX-F ({len(arm.capsules)} capsules, {len(arm.pairs)} pairs)',
                CollisionModel(arm), list(arm.home),
                rng.uniform(arm.lower, arm.upper, (1000, arm.dof))))


if __name__ == '__main__':
    main()
