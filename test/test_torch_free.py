"""
CPU inference without torch.

The weights file beside every checkpoint, read with numpy alone, damage refused like a
checkpoint's, and no torch in the process (issue 13.1).
"""

from pathlib import Path
import subprocess
import sys

from ik_net_ros.errors import CheckpointError
from ik_net_ros.model import load_model
from ik_net_ros.solver.network import NetworkSolver
from model_util import load_weights, model_path, save_weights
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NO_TORCH = """
import sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name == 'torch' or name.startswith('torch.'):
            raise ImportError('torch is not allowed here')
sys.meta_path.insert(0, Refuse())
"""


def _run(code: str):
    return subprocess.run([sys.executable, '-c', NO_TORCH + code], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


@pytest.mark.parametrize('name', ['original', 'improved', 'focused'])
def test_shipped_models_solve_without_torch(name):
    proc = _run(f"""
from ik_net_ros import load_solver
from ik_net_ros.kinematics import forward_kinematics
s = load_solver({name!r})
pose = forward_kinematics([0.3, 0.2, 0.1, 0.4])
one = s.solve(pose)
many = s.solve(forward_kinematics([[0.3, 0.2, 0.1, 0.4]] * 3000))
assert abs(many[0] - one).max() < 1e-5, (many[0], one)
print(type(s).__name__)
""")
    assert proc.returncode == 0, proc.stderr
    assert 'NetworkSolver' in proc.stdout


def test_cli_and_ik_node_run_without_torch():
    proc = _run("""
from ik_net_ros.tools import cli
assert cli.main(['solve', '0.2', '0', '0.1', '0', '0', '0', '1', '--model', 'focused']) == 0
assert cli.main(['evaluate', '--model', 'focused', '--data', 'synthetic:500']) == 0
import rclpy
from rclpy.parameter import Parameter
from ik_net_ros.nodes.ik_node import IkNode
ctx = rclpy.Context(); rclpy.init(context=ctx)
node = IkNode(context=ctx, parameter_overrides=[Parameter('model', value='focused')])
node.destroy_node(); ctx.try_shutdown()
print('ok')
""")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith('ok')


def test_damaged_or_degenerate_weights_files_are_refused(tmp_path):
    blob = model_path('focused').with_suffix('.npz').read_bytes()
    rng = np.random.default_rng(0)
    for i in range(60):  # byte flips anywhere, and truncations
        damaged = bytearray(blob)
        if i % 3 == 0:
            damaged = damaged[:int(rng.integers(0, len(blob)))]
        else:
            at = int(rng.integers(0, len(blob)))
            damaged[at] ^= int(rng.integers(1, 256))
        path = tmp_path / f'd{i}.npz'
        path.write_bytes(bytes(damaged))
        try:
            load_weights(path)
        except CheckpointError:
            continue
        # a flip the zip container itself discards (padding) may load: then it is unchanged
        arrays, _ = load_weights(path)
        good, _ = load_weights(model_path('focused').with_suffix('.npz'))
        assert all(np.array_equal(arrays[k], good[k]) for k in good)
    arrays, meta = load_weights(model_path('focused').with_suffix('.npz'))
    meta = {k: v for k, v in meta.items() if k not in ('sha256', 'format', 'version')}
    for key, value in (('pose_std', 0.0), ('network.merge.1.weight', np.nan)):
        bad = {k: v.copy() for k, v in arrays.items()}
        bad[key].flat[0] = value
        save_weights(tmp_path / 'bad.npz', bad, meta)  # a valid digest over bad content
        with pytest.raises(CheckpointError):
            NetworkSolver(load_model(tmp_path / 'bad.npz'))
    (tmp_path / 'foreign.npz').write_bytes(b'PK\x03\x04 not really')
    with pytest.raises(CheckpointError):
        load_weights(tmp_path / 'foreign.npz')
