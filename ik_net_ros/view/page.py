"""
The browser page (viser): the arm, its target gizmo, the fate of each target, live figures.

Works on any session (:class:`~ik_net_ros.view.session.InProcessSession`, or the ROS node's,
:mod:`ik_net_ros.nodes.view_node`): ``set_target(pose) -> Fate``, ``state() -> ViewState``,
``switch_model(name) -> str``, ``collision``, ``arm_model`` (the :class:`~ik_net_ros.arm.Arm`
drawn, its errors included), ``can_command``, ``mode``.
The solid arm is where the arm is, the ghost where it is sent; the capsules are what the
collision rules check; the gizmo and the page's target fields send targets.
"""

from __future__ import annotations

import signal
import threading

from ik_net_ros.kinematics.chain import chain_forward
from ik_net_ros.view.fate import Fate, ViewState
from ik_net_ros.view.scene import (
    capsules,
    elbow,
    matrix_to_wxyz,
    table_box,
    UrdfArm,
    workspace_box,
    wxyz_to_xyzw,
)
from ik_net_ros.view.session import solver_names
import numpy as np

__all__ = ['ViewPage', 'serve', 'CAMERA_POSITION', 'CAMERA_LOOK_AT', 'GIZMO_SCALE']

CAMERA_POSITION = (0.38, -0.42, 0.3)  # m: the arm from its front right, slightly above
CAMERA_LOOK_AT = (0.12, 0.0, 0.1)
GIZMO_SCALE = 0.12  # m, the gizmo's arrows
REFRESH = 1 / 30  # s between redraws of the arm: smooth, and each frame costs the browser
SOLID, GHOST, CAPSULE = (90, 110, 140), (80, 170, 255), (255, 170, 60)
FATE_COLOURS = {'taken': 'orange', 'refused': 'red', 'reached': 'green'}


class ViewPage:
    """
    Serve the view of ``session`` on http://host:port (0: a free port).

    A port that is taken: viser serves on the next free one (:attr:`url` says which).
    """

    def __init__(self, session, host: str = '127.0.0.1', port: int = 8080,
                 urdf: UrdfArm | None = None, models=None):
        import viser
        self.session = session
        self.server = viser.ViserServer(host=host, port=port, label='ik_net_ros view',
                                        verbose=False)
        self.urdf = urdf or UrdfArm(arm=session.arm_model)
        self._lock = threading.Lock()  # one target at a time, from the gizmo or the fields
        self._shown = -1
        self._drawn: dict[str, np.ndarray] = {}  # joints each arm was last drawn at
        self._fate_shown: Fate | None = None
        scene = self.server.scene
        scene.set_up_direction('+z')
        # no shadows: the view must stay light on software-rendered browsers (no GPU)
        scene.configure_default_lights(cast_shadow=False)
        self.server.initial_camera.position = CAMERA_POSITION
        self.server.initial_camera.look_at = CAMERA_LOOK_AT
        self._draw_static(scene)
        state = session.state()
        present = state.present if state.present is not None else \
            np.asarray(session.arm_model.home)
        self.solid = self._draw_arm(scene, '/arm/present', SOLID, None)
        self.ghost = self._draw_arm(scene, '/arm/commanded', GHOST, 0.35)
        self.capsules = [
            (scene.add_cylinder(f'/capsules/{c.name}/body', c.radius, c.length, CAPSULE,
                                opacity=0.25, cast_shadow=False),
             scene.add_icosphere(f'/capsules/{c.name}/start', c.radius, CAPSULE, opacity=0.25,
                                 cast_shadow=False),
             scene.add_icosphere(f'/capsules/{c.name}/end', c.radius, CAPSULE, opacity=0.25,
                                 cast_shadow=False))
            for c in capsules(session.arm_model, present)]
        tool = chain_forward(session.arm_model, present)
        self.gizmo = scene.add_transform_controls(
            '/target', scale=GIZMO_SCALE, depth_test=False, position=tool[:3],
            wxyz=(tool[6], tool[3], tool[4], tool[5]))
        self.gizmo.on_update(lambda _: self._send(self.gizmo.position, self.gizmo.wxyz))
        self._build_gui(tool, models)
        if state.commanded is None:  # the ghost stands in the arm until a command is known
            self._place(self.ghost, present)
        self._redraw(state, force=True)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._refresh, name='view-refresh', daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """Return the page's address."""
        host = self.server.get_host()
        return f'http://{"127.0.0.1" if host in ("0.0.0.0", "") else host}:' \
               f'{self.server.get_port()}'

    # building ----------------------------------------------------------------------------------

    def _draw_static(self, scene) -> None:
        model = self.session.collision
        size, centre = table_box(model)
        scene.add_box('/table', (205, 190, 160), size, position=centre, cast_shadow=False,
                      receive_shadow=False)
        scene.add_grid('/grid', 0.8, 0.8, cell_size=0.05, section_size=0.1,
                       position=(0.0, 0.0, model.table_z + 1e-4), plane='xy')
        box = workspace_box(model)
        if box is not None:
            scene.add_box('/workspace', (60, 160, 60), box[0], position=box[1], wireframe=True)

    def _draw_arm(self, scene, name: str, colour, opacity) -> list:
        handles = []
        for k, v in enumerate(self.urdf.visuals):
            path = f'{name}/{v.link}_{k}'
            if v.shape == 'box':
                handles.append(scene.add_box(path, colour, v.size, opacity=opacity,
                                             cast_shadow=False, receive_shadow=False))
            else:
                handles.append(scene.add_cylinder(path, v.size[0], v.size[1], colour,
                                                  opacity=opacity, cast_shadow=False,
                                                  receive_shadow=False))
        return handles

    def _build_gui(self, tool: np.ndarray, models) -> None:
        gui = self.server.gui
        gui.add_markdown(f'**ik_net_ros view** · {self.session.mode}')
        self.fate_text = gui.add_markdown('fate: no target yet: drag the gizmo')
        self.figures = gui.add_markdown('')
        names = list(models) if models is not None else solver_names(self.session.arm_model)
        model = self.session.state().model
        if model not in names:
            names.append(model)
        self.model_menu = gui.add_dropdown('Solver', names, initial_value=model)
        self.model_menu.on_update(self._on_menu)
        self.notice = gui.add_markdown('')  # what the page refused to do, and why
        # the page's own control: a target typed in (also what keyboards and tests can use)
        self.target_field = gui.add_vector3('Target xyz (m)', tuple(float(v) for v in tool[:3]),
                                            step=0.001)
        self.target_field.on_update(self._on_field)

    # events ------------------------------------------------------------------------------------

    def _send(self, position, wxyz, move_gizmo: bool = False) -> Fate:
        """Send a target (gizmo position m and wxyz quaternion); show its fate."""
        pose = np.concatenate([np.asarray(position, dtype=float), wxyz_to_xyzw(wxyz)])
        with self._lock:
            if move_gizmo:
                self.gizmo.position = pose[:3]
            fate = self.session.set_target(pose)
        self._redraw(self.session.state())
        return fate

    def _on_field(self, event) -> None:
        """Send a target typed into the page (not the view's own update of the field)."""
        if event.client is not None:
            self._send(np.asarray(self.target_field.value), self.gizmo.wxyz, move_gizmo=True)

    def _on_menu(self, event) -> None:
        """Switch the solver the page's menu names; back to the old one if it is refused."""
        if event.client is None:  # the view's own update of the menu
            return
        model = self.model_menu.value
        why = self.session.switch_model(model)
        self.notice.content = f'<span style="color:red">solver {model} refused: {why}</span>' \
            if why else ''
        if why:
            self.model_menu.value = self.session.state().model

    # drawing -----------------------------------------------------------------------------------

    def _refresh(self) -> None:
        while not self._stop.wait(REFRESH):
            self._redraw(self.session.state())

    def _redraw(self, state: ViewState, force: bool = False) -> None:
        with self._lock:
            if state.version == self._shown and not force:
                return
            self._shown = state.version
            with self.server.atomic():  # only what moved: each update is a message
                if self._moved('present', state.present):
                    self._place(self.solid, state.present)
                    for handles, capsule in zip(self.capsules,
                                                capsules(self.session.arm_model, state.present)):
                        body, start, end = handles
                        body.wxyz, body.position = capsule.cylinder_pose()
                        start.position, end.position = capsule.start, capsule.end
                if self._moved('commanded', state.commanded):
                    self._place(self.ghost, state.commanded)
            if self._moved('target', state.target):  # the field says where the gizmo is
                self.target_field.value = tuple(round(float(v), 4) for v in state.target[:3])
            if state.fate != self._fate_shown:
                self._fate_shown = state.fate
                colour = FATE_COLOURS.get(state.fate.fate, 'gray')
                self.fate_text.content = \
                    f'fate: <span style="color:{colour}">**{state.fate.words()}**</span>'
            self.figures.content = self._figures(state)

    def _moved(self, arm: str, joints) -> bool:
        """Return whether ``joints`` differ from what ``arm`` last showed (and note them)."""
        if joints is None or (arm in self._drawn and np.array_equal(self._drawn[arm], joints)):
            return False
        self._drawn[arm] = np.array(joints, dtype=float)
        return True

    def _place(self, handles: list, joints) -> None:
        for handle, pose in zip(handles, self.urdf.visual_poses(joints)):
            handle.position = pose[:3, 3]
            handle.wxyz = matrix_to_wxyz(pose[:3, :3])

    def _figures(self, state: ViewState) -> str:
        lines = [f'solver: **{state.model}**']
        if state.solve_ms is not None:
            lines.append(f'last command: solve time {state.solve_ms:.2f} ms · error '
                         f'{state.error_mm:.2f} mm')
        if state.commanded is not None:
            lines.append(f'branch: {elbow(self.session.arm_model, state.commanded)}')
            lines.append('commanded: ' + ' '.join(f'{v:+.3f}' for v in state.commanded))
        if state.present is not None:
            lines.append('present (rad): ' + ' '.join(f'{v:+.3f}' for v in state.present))
        return '  \n'.join(lines)

    def close(self) -> None:
        """Stop redrawing and serving."""
        self._stop.set()
        self._thread.join(timeout=2.0)
        self.server.stop()


def serve(duration: float) -> None:
    """Wait ``duration`` s (0: forever) or until SIGINT/SIGTERM (the page serves meanwhile)."""
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait(duration or None)
