"""
docs/view.png: the view after a target too near the table, dragged with the mouse.

``python -m benchmarks.view_screenshot [docs/view.png]``: the in-process view with the focused
model in a headless system Chromium; the gizmo is dragged forward, then down until the target is
refused, and the page is photographed.
"""

from __future__ import annotations

import sys
import time

from benchmarks.browser import Browser, camera_of, project, wait_for
import numpy as np


def screenshot(path: str) -> str:
    """Write the screenshot to ``path``; return the fate the page shows."""
    from ik_net_ros.view.page import CAMERA_POSITION, GIZMO_SCALE, ViewPage
    from ik_net_ros.view.session import InProcessSession
    session = InProcessSession('focused')
    page = ViewPage(session, port=0)
    browser = Browser(page.url)
    try:
        browser.wait_text('no target yet')
        camera = camera_of(page.server, CAMERA_POSITION)

        def drag(axis: int, metres: float) -> None:
            centre = np.asarray(page.gizmo.position).copy()
            arrow = np.eye(3)[axis]
            start = project(camera, centre + arrow * 0.6 * GIZMO_SCALE)
            end = project(camera, centre + arrow * (0.6 * GIZMO_SCALE + metres))
            for _ in range(5):  # again while the page has not drawn the gizmo yet
                browser.drag(start, end)
                if wait_for(lambda: abs(page.gizmo.position[axis] - centre[axis]) > 1e-3, 2.0):
                    return

        drag(0, 0.07)
        wait_for(lambda: session.state().fate.fate == 'reached', 5.0)
        drag(2, -0.1)
        time.sleep(0.5)
        drag(2, -0.08)
        # the software-rendering notice off, the mouse off the gizmo
        browser.page.evaluate("() => document.querySelectorAll('.mantine-Notification-"
                              "closeButton, .mantine-CloseButton-root').forEach(b => b.click())")
        browser.page.mouse.move(10, 600)
        time.sleep(1.5)
        browser.page.screenshot(path=path)
        return session.state().fate.words()
    finally:
        browser.close()
        page.close()
        session.close()


if __name__ == '__main__':
    print(screenshot(sys.argv[1] if len(sys.argv) > 1 else 'docs/view.png'))
