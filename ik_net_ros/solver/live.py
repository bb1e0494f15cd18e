"""
The solver a live target stream uses: loaded, warmed up and walled in by the collision model.

The ik node and the browser view both build theirs here, so a target from either takes the same
safety path (the collision model in the arm's real geometry, the seeded checked solve).
"""

from __future__ import annotations

from pathlib import Path

from ik_net_ros.arm import Arm
from ik_net_ros.errors import ConfigError, UnreachableError
from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.kinematics.collision import CollisionModel
from ik_net_ros.model.device import resolve_device
from ik_net_ros.solver import load_solver
from ik_net_ros.solver.base import Solver

__all__ = ['live_solver']


def live_solver(model: str | Path, device: str = 'cpu', description: str | None = None,
                calibration: str | Path | None = None, refine: bool = False,
                table_clearance: float = 0.01,
                workspace: tuple[float, ...] | None = None, arm: Arm | str | None = None
                ) -> Solver:
    """
    Return the solver of a live target stream, warmed up, with its collision model.

    Parameters
    ----------
    model
        'analytic', 'original', 'improved', 'focused' or a model file.
    device
        'cpu', 'cuda', 'cuda:N' or 'auto'; checked whatever the model (a 'cuda:99' without that
        GPU is refused even for the closed form, which runs on the CPU).
    description
        ROBOTIS's description the targets are given in ('humble' or 'jazzy').
    calibration
        Calibration file of this arm, or None for the nominal arm.
    refine
        Whether targets will be refined (the warm-up takes that path too).
    table_clearance
        m every moving link keeps above the table.
    workspace
        (x_min, x_max, y_min, y_max, z_min, z_max) m every moving link stays in, or None.
    arm
        The arm: a name ('open_manipulator_x', 'omx_f', ...) or an Arm; None: the model's
        (:func:`~ik_net_ros.solver.load_solver`).

    Raises
    ------
    IkNetError
        A bad model, device, calibration, clearance or workspace box (ConfigError for the last
        two).

    """
    if device not in ('cpu', 'auto'):
        resolve_device(device)
    solver = load_solver(model, device=device, arm=arm, description=description,
                         calibration=calibration or None)
    home = chain_forward(solver.planar_arm, solver.arm.home)
    # warm-up: the first call pays for lazy initialisation, not the first target
    solver.solve(home, refine=refine)
    try:  # the first wall, in the arm's real geometry: no command in collision
        solver.collision = CollisionModel(solver.arm, table_clearance, workspace)
    except ValueError as e:
        raise ConfigError(str(e)) from e
    try:  # and the seeded, checked path the targets take
        solver.solve(home, seed=solver.arm.home)
    except UnreachableError:  # a workspace box without the home pose: targets will say
        pass
    return solver
