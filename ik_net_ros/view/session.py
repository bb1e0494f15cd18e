"""
The view without ROS: the solver and the simulated arm in this process, under the same rules.

A target takes the path of the ``ik`` node (:meth:`IkNode.on_target
<ik_net_ros.nodes.ik_node.IkNode.on_target>`): solved from where the arm is sent (its last
command, else where it is: nothing moves this arm by hand), by :func:`~ik_net_ros.load_solver`'s
solver with a :class:`~ik_net_ros.kinematics.collision.CollisionModel`, the answer checked again
against the joint limits and the collision model; then it goes to the simulated arm of the
driver (:func:`~ik_net_ros.hardware.factory.make_backend`), which refuses a goal or path in
collision and moves no joint faster than ``max_velocity``. The arm is cycled by a thread at
``rate`` Hz, as the driver's timer does.
"""

from __future__ import annotations

from dataclasses import replace
import threading
import time

from ik_net_ros.arm import Arm, ArmError
from ik_net_ros.errors import (
    ConfigError,
    IkNetError,
    InvalidPoseError,
    UnreachableError,
    UnsafeGoalError,
)
from ik_net_ros.hardware.dynamixel_config import DynamixelConfig
from ik_net_ros.hardware.factory import BackendSettings, make_backend
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.kinematics.limits import within_limits_one
from ik_net_ros.resources import named_arm
from ik_net_ros.solver import learned_models
from ik_net_ros.solver.live import live_solver
from ik_net_ros.view.fate import Fate, ViewState
import numpy as np

__all__ = ['InProcessSession', 'solver_names', 'REACHED']

REACHED = 1e-3  # rad: the arm is at its goal when every joint is this near it


def solver_names(arm: Arm | None = None) -> list[str]:
    """Return the solvers the page offers: the closed form and ``arm``'s shipped models."""
    return ['analytic', *learned_models(arm)]


def make_solver(model: str, arm: Arm, calibration: str | None, table_clearance: float,
                workspace):
    """
    Return a solver of ``arm`` set up as the ik node sets its own up (one builder: live_solver).

    Raises
    ------
    IkNetError
        Unknown model, a bad calibration file, a bad clearance or workspace box, or an arm a
        layer below does not take yet (ConfigError).

    """
    try:
        return live_solver(model, description=arm.description or None, calibration=calibration,
                           table_clearance=table_clearance, workspace=workspace, arm=arm)
    except ValueError as e:  # a layer below that does not take this arm yet (issue 33)
        raise ConfigError(f'arm {arm.name}: {e}') from e


def session_arm(name: str, description: str = '') -> Arm:
    """
    Return the arm a view shows: a shipped name or an arm YAML; ``description`` where it has two.

    Raises
    ------
    ConfigError
        An unknown arm, or an arm file that does not load.

    """
    try:
        arm = named_arm(name, description)
    except (ArmError, OSError, ValueError) as e:
        raise ConfigError(f'arm {name!r}: {e}') from e
    return arm


class InProcessSession:
    """
    A solver and a simulated arm behind the view's session interface.

    Parameters
    ----------
    model
        'analytic', 'original', 'improved', 'focused' or a model path.
    description
        'humble' or 'jazzy' (the OM-X's two descriptions; an arm with one ignores it).
    calibration
        A calibration file of the arm (its geometry), or None.
    table_clearance
        m every moving link keeps above the table.
    workspace
        (x_min, x_max, y_min, y_max, z_min, z_max) m, or None.
    max_velocity
        rad/s the simulated arm moves a joint at most (None: each joint's own limit).
    rate
        Hz the simulated arm is cycled at (the driver's rate).
    arm
        The arm: a shipped name ('open_manipulator_x', 'omx_f', ...) or an arm YAML.

    Raises
    ------
    IkNetError
        A model, calibration, clearance, box, speed or arm refused.

    """

    can_command = True  # only this simulated arm: nothing real is ever moved
    mode = 'in-process simulated arm'

    def __init__(self, model: str = 'focused', description: str = 'humble',
                 calibration: str | None = None, table_clearance: float = 0.01,
                 workspace=None, max_velocity: float | None = None, rate: float = 100.0,
                 arm: str = 'open_manipulator_x'):
        nominal = session_arm(arm, description)
        self.description = nominal.description
        self._settings = (nominal, calibration, table_clearance, workspace)
        self.solver = make_solver(model, *self._settings)
        self.collision: CollisionModel = self.solver.collision
        self.arm_model = self.solver.arm  # what the page draws: the arm, errors included
        self.arm = make_backend(BackendSettings(  # the simulated arm: as described
            backend='sim', max_velocity=max_velocity, table_clearance=table_clearance,
            workspace=workspace, arm=nominal,
            dynamixel=DynamixelConfig(description=nominal.description or description)))
        self.arm.open(torque=True)
        self.period = 1.0 / rate
        self._lock = threading.Lock()
        self._state = ViewState(present=self.arm.positions.copy(), model=str(model))
        self._goal: np.ndarray | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name='view-sim-arm', daemon=True)
        self._thread.start()

    # the session interface -------------------------------------------------------------------

    def state(self) -> ViewState:
        """Return a copy of what the page shows now."""
        with self._lock:
            return replace(self._state)  # a copy: the page reads it outside the lock

    def set_target(self, pose) -> Fate:
        """
        Send the arm to a target pose (7,) [x y z qx qy qz qw], m, base frame.

        Returns the fate: taken, or refused with why (the arm then keeps its last goal).
        """
        pose = np.asarray(pose, dtype=float)
        with self._lock:
            seed = self._goal if self._goal is not None else self.arm.positions.copy()
            start = time.perf_counter()
            fate, joints = self._solve(pose, seed)
            seconds = time.perf_counter() - start
            if joints is not None:
                try:
                    self._goal = self.arm.set_goal(joints)
                except (UnsafeGoalError, IkNetError) as e:  # the driver's wall
                    fate, joints = Fate('refused', str(e), 'driver'), None
            s = self._state
            s.target, s.fate, s.version = pose, fate, s.version + 1
            if joints is not None:
                s.commanded, s.solve_ms = self._goal.copy(), seconds * 1000
                tool = chain_forward(self.solver.planar_arm, self._goal)
                s.error_mm = float(np.linalg.norm(tool[:3] - pose[:3]) * 1000)
            return fate

    def _solve(self, pose: np.ndarray, seed) -> tuple[Fate, np.ndarray | None]:
        """Solve as the ik node does; return (fate, joints), joints None when refused."""
        try:
            joints = self.solver.solve(pose, seed=seed)
        except InvalidPoseError as e:
            return Fate('refused', str(e), 'invalid'), None
        except UnreachableError as e:
            return Fate('refused', str(e.reasons[0] if e.reasons else e), 'unreachable'), None
        # the solver guarantees these (NaN included); never trust, always check
        if not within_limits_one(self.solver.arm, joints.tolist()):
            return Fate('refused', f'solver returned joints outside the limits {joints}',
                        'limits'), None
        if not self.solver.collision.check(joints).clear[0]:
            return Fate('refused', f'solver returned joints in collision {joints}',
                        'collision'), None
        return Fate('taken'), joints

    def switch_model(self, model: str) -> str:
        """
        Swap the solver; return '' when done, else why not (the old solver stays).

        The arm keeps its goal.
        """
        try:
            solver = make_solver(model, *self._settings)
        except (IkNetError, OSError) as e:
            return str(e)
        with self._lock:
            self.solver = solver
            self._state.model = str(model)
            self._state.version += 1
        return ''

    def close(self) -> None:
        """Stop the arm's thread."""
        self._stop.set()
        self._thread.join(timeout=2.0)

    # the arm ---------------------------------------------------------------------------------

    def _run(self) -> None:
        """Cycle the simulated arm every ``period`` s on its real time, as the driver does."""
        last = time.perf_counter()
        while not self._stop.wait(max(0.0, last + self.period - time.perf_counter())):
            now = time.perf_counter()
            with self._lock:
                reading = self.arm.cycle(now - last)
                s = self._state
                s.present = reading.positions
                if s.fate.fate == 'taken' and self._goal is not None \
                        and np.max(np.abs(reading.positions - self._goal)) <= REACHED:
                    s.fate = Fate('reached', s.fate.reason)
                s.version += 1
            last = now
