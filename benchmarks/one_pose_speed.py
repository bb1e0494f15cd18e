"""
CPU time of the live path's single-pose steps and of the chain's batch FK.

``PYTHONPATH=<checkout> python benchmarks/one_pose_speed.py [refine|omxf|solve|fk]`` prints the
median CPU time (``time.process_time``: the machine may be shared) of repeated runs:

- ``refine``: ``refine_joints`` of one OM-X row 0.01 rad off its target, us;
- ``omxf``: ``project_and_solve_one`` of an OMX-F pose the arm cannot take as given (a reachable
  pose's quaternion nudged), us per pose, over 20 poses;
- ``solve``: ``AnalyticSolver.solve`` of one pose with a seed 0.01 rad off, OM-X and OMX-F, us;
- ``fk``: ``chain_forward`` of 100,000 OM-X poses, ms.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np


def _median(call, runs: int, inner: int = 1) -> float:
    """Return the median CPU seconds of ``call`` over ``runs`` runs of ``inner`` calls."""
    times = []
    for _ in range(runs):
        start = time.process_time()
        for _ in range(inner):
            call()
        times.append((time.process_time() - start) / inner)
    return statistics.median(times)


def _nudged(arm, n: int, rng) -> list[list[float]]:
    """Return ``n`` reachable poses of ``arm`` with their quaternions nudged (unit again)."""
    from ik_net_ros.kinematics.chain import chain_forward
    from ik_net_ros.kinematics.limits import sample_joints
    p = chain_forward(arm, sample_joints(arm, n, rng))
    p[:, 3:] += rng.normal(0.0, 0.05, (n, 4))
    p[:, 3:] /= np.linalg.norm(p[:, 3:], axis=1)[:, None]
    return p.tolist()


def main(argv: list[str] | None = None) -> int:
    """Print the figures asked for (all by default); returns the exit code."""
    from ik_net_ros.arm import default_arm, load_arm
    from ik_net_ros.kinematics.chain import chain_forward
    what = (argv if argv is not None else sys.argv[1:]) or ['refine', 'omxf', 'solve', 'fk']
    rng = np.random.default_rng(0)
    omx, omx_f = default_arm(), load_arm('omx_f')
    if 'refine' in what:
        from ik_net_ros.solver.refine import refine_joints
        q = np.array([0.3, -0.4, 0.5, 0.2])
        target, guess = chain_forward(omx, q)[None], (q + 0.01)[None]
        seconds = _median(lambda: refine_joints(target, guess, omx), 200, 10)
        print(f'refine one OM-X row            {seconds * 1e6:9.1f} us')
    if 'omxf' in what:
        from ik_net_ros.kinematics.projection_one_pose import project_and_solve_one
        poses = _nudged(omx_f, 20, rng)
        seconds = _median(lambda: [project_and_solve_one(p, omx_f) for p in poses], 20) / 20
        print(f'project_and_solve_one OMX-F    {seconds * 1e6:9.1f} us per nudged pose')
    if 'solve' in what:
        from ik_net_ros.solver import AnalyticSolver
        q = [0.3, -0.4, 0.5, 0.2, 0.3]
        for arm, nudge in ((omx, 0.0), (omx_f, 0.0), (omx_f, 0.05)):
            solver = AnalyticSolver(arm)
            pose = np.array(chain_forward(arm, q[:arm.dof]))
            pose[3:] += nudge * np.array([1.0, -1.0, 0.5, 0.0])  # one the OMX-F cannot take
            pose[3:] /= np.linalg.norm(pose[3:])
            seed = (solver.solve(pose) + 0.01).tolist()
            seconds = _median(lambda s=solver, p=pose.tolist(), e=seed: s.solve(p, seed=e),
                              50, 5)
            print(f'solve one seeded pose {arm.name:18s} nudged {nudge:4.2f} '
                  f'{seconds * 1e6:9.1f} us')
    if 'fk' in what:
        q = rng.uniform(-1.0, 1.0, (100_000, omx.dof))
        seconds = _median(lambda: chain_forward(omx, q), 15)
        print(f'chain_forward 100,000 OM-X     {seconds * 1e3:9.1f} ms')
    return 0


if __name__ == '__main__':
    sys.exit(main())
