"""
The view in a real browser: headless system Chromium driven by Playwright.

The gizmo is dragged with real mouse events on the page's canvas (press on its z arrow, move,
release), not through the view's API; the arm's joints are read back from the in-process
simulated arm.
"""

import shutil

from ik_net_ros.kinematics import forward_kinematics
from ik_net_ros.view.page import CAMERA_POSITION, GIZMO_SCALE, ViewPage
from ik_net_ros.view.session import InProcessSession
import numpy as np
import pytest
from viewutil import Browser, camera_of, chromium_path, project, wait_for

pytestmark = pytest.mark.slow  # a browser: about 10 s to start, 20 s to drag on a busy machine
ARROW = 0.6 * GIZMO_SCALE  # m along an axis from the gizmo's centre: on its arrow
DRAG_TRIES = 5


@pytest.fixture(scope='module')
def view():
    chromium_path()  # skips first, with the reason, where there is no browser
    session = InProcessSession('analytic')
    page = ViewPage(session, port=0)
    browser = None
    try:
        browser = Browser(page.url)
        browser.wait_text('no target yet')
        yield session, page, browser
    finally:
        if browser is not None:
            browser.close()
        page.close()
        session.close()


def _drag_z(page, browser, metres: float) -> None:
    """
    Drag the gizmo's z arrow by about ``metres`` (the pixels it spans on screen now).

    Tried again while the gizmo has not moved: the page may not have drawn it yet.
    """
    camera = camera_of(page.server, CAMERA_POSITION)
    centre = np.asarray(page.gizmo.position).copy()
    start = project(camera, centre + [0, 0, ARROW])
    end = project(camera, centre + [0, 0, ARROW + metres])
    for _ in range(DRAG_TRIES):
        browser.drag(start, end)
        if wait_for(lambda: abs(page.gizmo.position[2] - centre[2]) > 1e-3, 2.0):
            return


def test_dragging_the_gizmo_moves_the_arm_and_a_target_under_the_table_is_refused(
        view, tmp_path):
    session, page, browser = view
    before = np.asarray(page.gizmo.position).copy()
    # 3 cm down: the start pose's tool is low enough that 6 cm would put the hand's capsules
    # (fitted to ROBOTIS's meshes, the fingers open or closed) inside the table clearance
    _drag_z(page, browser, -0.03)
    after = np.asarray(page.gizmo.position)
    # the real drag moved the target down (and only down), by about what the mouse moved
    assert -0.05 < after[2] - before[2] < -0.015 and np.allclose(after[:2], before[:2], atol=2e-3)
    assert wait_for(lambda: session.state().fate.fate == 'reached', 10.0), session.state()
    state = session.state()
    tool = forward_kinematics(state.present, session.solver.planar_arm)
    # the simulated arm followed: its tool is at the dragged target, at the OM-X's accuracy
    assert np.linalg.norm(tool[:3] - after) < 1e-3
    browser.wait_text('reached')
    browser.page.screenshot(path=str(tmp_path / 'view.png'))
    assert (tmp_path / 'view.png').stat().st_size > 10_000

    # now under the table: the page says refused, and why (the session's own reason)
    goal = state.commanded.copy()
    _drag_z(page, browser, -(after[2] + 0.05))
    assert np.asarray(page.gizmo.position)[2] < session.collision.table_z
    assert wait_for(lambda: session.state().fate.fate == 'refused', 10.0), session.state()
    fate = session.state().fate
    assert fate.reason
    browser.wait_text('refused')
    assert fate.reason in browser.text()
    # the arm kept the last taken goal: a refused target moves nothing
    assert np.abs(session.state().commanded - goal).max() < 0.5


def test_the_pages_solver_menu_and_target_fields_work(view):
    """The solver menu switches the session's solver; a typed target goes where the gizmo goes."""
    session, page, browser = view
    page_ = browser.page
    # the menu is clicked through the DOM (its Mantine popup animates for long in software)
    page_.wait_for_selector('[role=combobox]', state='attached', timeout=20000)
    page_.evaluate("() => document.querySelector('[role=combobox]').click()")
    page_.wait_for_selector('[role=option][value=improved]', state='attached', timeout=20000)
    page_.evaluate("() => document.querySelector('[role=option][value=improved]').click()")
    assert wait_for(lambda: session.state().model == 'improved', 20.0)
    browser.wait_text('solver: improved')
    target = page_.locator('input[type=text]').nth(-3)  # Target xyz: x, y, z last
    target.fill('0.2')
    target.press('Enter')
    assert wait_for(lambda: abs(page.gizmo.position[0] - 0.2) < 1e-9, 10.0)
    assert wait_for(lambda: session.state().target is not None
                    and abs(session.state().target[0] - 0.2) < 1e-9, 10.0)
    assert session.state().fate.fate in ('taken', 'reached', 'refused')
    # a solver that cannot load: refused on the page, the old one stays, and the menu says so
    session.switch_model = lambda name: f'no model {name} here'
    try:
        page_.evaluate("() => document.querySelector('[role=combobox]').click()")
        page_.wait_for_selector('[role=option][value=original]', state='attached', timeout=20000)
        page_.evaluate("() => document.querySelector('[role=option][value=original]').click()")
        browser.wait_text('solver original refused: no model original here')
        assert wait_for(lambda: page.model_menu.value == 'improved', 10.0)
    finally:
        del session.switch_model
    assert session.state().model == 'improved'


def test_the_browser_tests_use_the_system_chromium():
    """The tests never download a browser: they run the one the system has (CI installs it)."""
    path = chromium_path()
    assert path == (shutil.which('chromium') or shutil.which('chromium-browser'))
