"""
The view's latency: a target dragged in the browser -> the simulated arm's joints following.

``python -m benchmarks.view_latency [--model focused] [--moves 40]``: the in-process view
(:class:`~ik_net_ros.view.session.InProcessSession`) and a headless system Chromium. The mouse
holds the gizmo's z arrow and moves by ``STEP_PX`` pixels at a time (real pointer events); each
move waits until the arm is at rest again. Per move: the time from the mouse move to the target
reaching the session (the page and its websocket), and to the first arm cycle that moves the
joints (the arm thread runs at the driver's 100 Hz). Medians and 90th percentiles, in ms.
"""

from __future__ import annotations

import argparse
import time

from benchmarks.browser import Browser, camera_of, project, system_chromium
from ik_net_ros.arm import default_arm
import numpy as np

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

__all__ = ['view_latency']

STEP_PX = 6  # pixels of mouse per target change (about 5 mm here)
POLL_S = 0.0002  # s between looks at the arm


def view_latency(model: str = 'focused', moves: int = 40, dpr: float | None = None) -> dict:
    """
    Measure ``moves`` drags; return the figures of each, in ms.

    mouse_to_target_ms: mouse move -> the target at the session (the browser, the websocket);
    mouse_to_arm_ms: -> the first arm cycle moving the joints; target_to_arm_ms: the
    difference (the solver and the arm's next cycle).

    Raises
    ------
    RuntimeError
        No system Chromium, or the gizmo could not be grabbed.

    """
    from ik_net_ros.view.page import CAMERA_POSITION, GIZMO_SCALE, ViewPage
    from ik_net_ros.view.session import InProcessSession
    if system_chromium() is None:
        raise RuntimeError('no system Chromium (Debian: apt-get install chromium)')
    session = InProcessSession(model)
    page = ViewPage(session, port=0)
    received: list[float] = []
    set_target = session.set_target

    def timed(pose):  # when each target reaches the session
        received.append(time.perf_counter())
        return set_target(pose)

    session.set_target = timed
    browser = Browser(page.url + ('' if dpr is None else f'/?fixedDpr={dpr:g}'))
    try:
        browser.wait_text('no target yet')
        camera = camera_of(page.server, CAMERA_POSITION)
        centre = np.asarray(page.gizmo.position)
        u, v = project(camera, centre + [0, 0, 0.6 * GIZMO_SCALE])
        mouse = browser.page.mouse
        for _ in range(10):  # grab the arrow (the page may still be drawing it)
            mouse.move(u, v)
            mouse.down()
            mouse.move(u, v + STEP_PX)
            if _wait(lambda: received, 2.0):
                break
            mouse.up()
        else:
            raise RuntimeError('the gizmo could not be grabbed')
        to_target, to_arm = [], []
        for k in range(moves):
            _wait(lambda: session.state().fate.fate == 'reached', 5.0)
            rest = session.state().present.copy()
            received.clear()
            # up and down around the start: the target stays in reach
            y = v + STEP_PX * (1 if k % 2 else 2)
            start = time.perf_counter()
            mouse.move(u, y)
            moved = _wait(lambda rest=rest: np.any(session.state().present != rest), 2.0)
            if moved and received:
                to_arm.append((moved - start) * 1000)
                to_target.append((received[0] - start) * 1000)
        mouse.up()
        return {'mouse_to_target_ms': to_target, 'mouse_to_arm_ms': to_arm,
                'target_to_arm_ms': [a - t for a, t in zip(to_arm, to_target)]}
    finally:
        browser.close()
        page.close()
        session.close()


def session_latency(model: str = 'focused', moves: int = 40) -> dict:
    """
    Measure the same moves without a browser: target to the session -> first arm cycle moving.

    Returns {'target_to_arm_ms': [...]}: the solver, the safety checks and the arm's next cycle.
    """
    from ik_net_ros.kinematics import forward_kinematics
    from ik_net_ros.view.session import InProcessSession
    session = InProcessSession(model)
    try:
        start_pose = forward_kinematics(OMX.home, session.solver.planar_arm)
        latencies = []
        for k in range(moves):
            _wait(lambda: session.state().fate.fate in ('reached', ''), 5.0)
            rest = session.state().present.copy()
            pose = start_pose.copy()
            pose[2] -= 0.005 * (1 if k % 2 else 2)
            began = time.perf_counter()
            session.set_target(pose)
            moved = _wait(lambda rest=rest: np.any(session.state().present != rest), 2.0)
            if moved:
                latencies.append((moved - began) * 1000)
        return {'target_to_arm_ms (no browser)': latencies}
    finally:
        session.close()


def _wait(condition, timeout: float) -> float | None:
    """Return the time ``condition()`` became true, None if it did not in ``timeout`` s."""
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        if condition():
            return time.perf_counter()
        time.sleep(POLL_S)
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--model', default='focused')
    parser.add_argument('--moves', type=int, default=40)
    parser.add_argument('--dpr', type=float, default=None,
                        help="the page's fixed pixel ratio (viser's fixedDpr; default adaptive)")
    parser.add_argument('--no-browser', action='store_true',
                        help='only the session: targets given in Python, no page')
    args = parser.parse_args(argv)
    figures = session_latency(args.model, args.moves) if args.no_browser \
        else view_latency(args.model, args.moves, args.dpr)
    for name, values in figures.items():
        values = np.asarray(values)
        print(f'{name}: median {np.median(values):.1f} ms, p90 {np.percentile(values, 90):.1f} '
              f'ms, max {values.max():.1f} ms over {len(values)} moves')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
