"""
A headless system Chromium on the view's page, driven by Playwright (tests and benchmarks).

And where a 3D point of the scene is on screen, for real mouse drags of the gizmo.
"""

from __future__ import annotations

import shutil
import time

import numpy as np

WIDTH, HEIGHT = 960, 640  # small: software rendering of each frame is the tests' cost
# software WebGL: CI machines and this one have no GPU
CHROMIUM_ARGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader',
                 '--ignore-gpu-blocklist']


def system_chromium() -> str | None:
    """Return the system Chromium's path (Debian's ``chromium``), None if there is none."""
    return shutil.which('chromium') or shutil.which('chromium-browser')


class Browser:
    """A headless Chromium page on ``url``; ``close()`` ends the browser and Playwright."""

    def __init__(self, url: str):
        from playwright.sync_api import sync_playwright
        self._playwright = sync_playwright().start()
        try:
            self.browser = self._playwright.chromium.launch(executable_path=system_chromium(),
                                                            args=CHROMIUM_ARGS)
            self.page = self.browser.new_page(viewport={'width': WIDTH, 'height': HEIGHT})
            self.page.goto(url)
        except BaseException:
            self._playwright.stop()
            raise

    def wait_text(self, text: str, timeout: float = 30.0) -> None:
        """Wait until ``text`` is on the page (its visible text)."""
        self.page.wait_for_function('t => document.body.innerText.includes(t)', arg=text,
                                    timeout=timeout * 1000)

    def text(self) -> str:
        return self.page.evaluate('() => document.body.innerText')

    def drag(self, start, end, steps: int = 4) -> None:
        """Drag the mouse from pixel ``start`` to ``end`` with real pointer events."""
        mouse = self.page.mouse
        mouse.move(*start)
        mouse.down()
        for k in range(1, steps + 1):
            mouse.move(start[0] + (end[0] - start[0]) * k / steps,
                       start[1] + (end[1] - start[1]) * k / steps)
        mouse.up()

    def close(self) -> None:
        try:
            self.browser.close()
        finally:
            self._playwright.stop()


def camera_of(server, position, timeout: float = 30.0):
    """
    Return the camera of the first page connected to the viser ``server``.

    Once the page reports it at ``position`` (m): until then the server has only defaults.
    """
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        clients = list(server.get_clients().values())
        if clients:
            try:
                if np.allclose(clients[0].camera.position, position, atol=1e-3):
                    return clients[0].camera
            except AssertionError:  # nothing reported yet
                pass
        time.sleep(0.05)
    raise AssertionError(f'no page connected to the view with its camera at {position}')


def project(camera, point) -> tuple[float, float]:
    """Return the pixel of a world point (m) in the page's camera (OpenCV: z ahead, y down)."""
    from viser import transforms
    rot = transforms.SO3(np.asarray(camera.wxyz)).as_matrix()
    p = rot.T @ (np.asarray(point, dtype=float) - np.asarray(camera.position))
    focal = (HEIGHT / 2) / np.tan(camera.fov / 2)
    return WIDTH / 2 + focal * p[0] / p[2], HEIGHT / 2 + focal * p[1] / p[2]


def wait_for(condition, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()
