"""The installed executables (colcon layout) and the demo script, run as a user would."""

import os
from pathlib import Path
import subprocess
import sys

import pytest
from sensor_msgs.msg import JointState
from test_packaging import colcon_install  # noqa: F401  (session fixture)

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.ros


def _env(install):
    site = next((install / 'lib').glob('python3*/site-packages'))
    return dict(os.environ, PYTHONPATH=f'{site}{os.pathsep}{os.environ.get("PYTHONPATH", "")}',
                AMENT_PREFIX_PATH=os.pathsep.join([str(install),
                                                   os.environ.get('AMENT_PREFIX_PATH', '')]))


@pytest.mark.parametrize('exe', ['ik', 'driver', 'collect', 'target_marker', 'target_sweep'])
def test_node_executables_are_installed_for_ros2_run(colcon_install, exe):  # noqa: F811
    path = colcon_install / 'lib' / 'ik_net_ros' / exe
    assert path.is_file() and os.access(path, os.X_OK)


def test_driver_starts_from_the_install_layout_and_publishes(colcon_install, ros):  # noqa: F811
    exe = colcon_install / 'lib' / 'ik_net_ros' / 'driver'
    config = colcon_install / 'share' / 'ik_net_ros' / 'config' / 'ik.yaml'
    proc = subprocess.Popen([sys.executable, str(exe), '--ros-args', '--params-file',
                             str(config), '-p', 'home:=[0.1, 0.0, 0.0, 0.0]'],
                            env=_env(colcon_install), cwd='/', stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        probe = ros.node('probe')
        states = []
        probe.create_subscription(JointState, 'joint_states', states.append, 10)
        assert ros.spin_until(lambda: states), proc.stdout.read()
        assert abs(states[-1].position[0] - 0.1) < 1e-9
    finally:
        proc.send_signal(2)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()  # never leave a node running behind the test
            proc.wait()
    assert proc.returncode == 0


def test_demo_script_runs_briefly_beside_another_ik_node(tmp_path, ros):
    """
    The demo runs in its own namespace.

    An ik node already on the domain neither answers its targets nor is counted (it once made the
    demo report 196.6 % answered).
    """
    import re
    import time

    from ik_net_ros.nodes.ik_node import IkNode
    from rclpy.parameter import Parameter
    ros.add(IkNode(context=ros.context, parameter_overrides=[
        Parameter('model', value='analytic')]))
    proc = subprocess.Popen([sys.executable, '-m', 'ik_net_ros.tools.cli', 'demo', '--model',
                             'analytic', '--duration', '2', '--output', str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=ROOT)
    end = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < end:
        ros.spin_for(0.1)  # the other ik node is live throughout
    if proc.poll() is None:
        proc.kill()
    out = proc.communicate()[0]
    assert proc.returncode == 0, out
    assert 'answered' in out and 'latency' in out
    share = float(re.search(r'answered \d+ \(([\d.]+) %\)', out).group(1))
    assert 50.0 <= share <= 100.0, out
    assert (tmp_path / 'demo-analytic.png').stat().st_size > 10_000


def test_ik_node_with_a_missing_model_exits_with_a_clear_error(tmp_path):
    proc = subprocess.run([sys.executable, '-m', 'ik_net_ros.nodes.ik_node', '--ros-args', '-p',
                           f'model:={tmp_path / "missing.pt"}'], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert proc.returncode == 2
    assert 'no such checkpoint' in proc.stdout + proc.stderr
    assert 'Traceback' not in proc.stdout + proc.stderr
