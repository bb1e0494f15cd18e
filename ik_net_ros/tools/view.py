"""
``ik_net_ros view``: drag a target in a browser and watch the arm follow (issue 37).

Without ``--ros`` the solver and a simulated arm run in this process under the ik node's and the
driver's rules (no ROS needed). With ``--ros`` the view is a ROS node (see
:mod:`ik_net_ros.nodes.view_node`): it shows ``joint_states``, ``joint_command`` and each target's
fate, and publishes ``target_pose`` to the ik node only when started with ``--allow-commands``.
The page is served on 127.0.0.1 unless ``--host`` says otherwise.
"""

from __future__ import annotations

import argparse

from ik_net_ros.arm import arm_descriptions, ARM_NAMES
from ik_net_ros.kinematics.collision import MAX_CLEARANCE
from ik_net_ros.tools.common import count_in, number_in

__all__ = ['add_arguments', 'run']


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--host', default='127.0.0.1',
                        help='address the page is served on (default: this machine only; '
                             '0.0.0.0: every network the machine is on)')
    parser.add_argument('--port', type=count_in(0, 65535), default=8080,
                        help='port of the page (0: a free one)')
    parser.add_argument('--model', default='focused',
                        help='analytic | original | improved | focused | checkpoint path '
                             '(in-process; switchable on the page)')
    parser.add_argument('--arm', default='open_manipulator_x',
                        help=f"the arm: {', '.join(ARM_NAMES)} or the path of an arm YAML")
    parser.add_argument('--description', choices=arm_descriptions(), default='humble',
                        help="ROBOTIS's arm description the targets are given in (the "
                             'OpenMANIPULATOR-X has two; an arm with one ignores it)')
    parser.add_argument('--calibration', default='',
                        help='calibration file of the arm (in-process: the solver uses it)')
    parser.add_argument('--table-clearance', type=number_in(0.0, MAX_CLEARANCE), default=0.01,
                        help='m every moving link keeps above the table (in-process)')
    parser.add_argument('--workspace', type=float, nargs=6, default=None,
                        metavar=('X_MIN', 'X_MAX', 'Y_MIN', 'Y_MAX', 'Z_MIN', 'Z_MAX'),
                        help='m, a box every moving link stays inside (in-process; drawn)')
    parser.add_argument('--max-velocity', type=number_in(0.01, 100.0), default=None,
                        help='rad/s of the simulated arm (in-process); never above each '
                             "joint's own limit, the default")
    parser.add_argument('--ros', action='store_true',
                        help='a ROS node: show the running ik node and arm (needs rclpy)')
    parser.add_argument('--namespace', default='/',
                        help='with --ros: the namespace of the ik node and driver')
    parser.add_argument('--allow-commands', action='store_true',
                        help='with --ros: let the page publish target_pose to the ik node '
                             '(which may drive a real arm; its rules apply). Without it the '
                             'page only shows')
    parser.add_argument('--duration', type=number_in(0.0, 86400.0), default=0.0,
                        help='seconds to serve, 0: until Ctrl-C')


def run(args: argparse.Namespace) -> int:
    if args.allow_commands and not args.ros:
        print('note: --allow-commands only matters with --ros (in-process the arm is '
              'simulated)')
    if args.ros:
        from ik_net_ros.nodes.view_node import run_view
        return run_view(host=args.host, port=args.port, namespace=args.namespace,
                        allow_commands=args.allow_commands, description=args.description,
                        arm=args.arm,
                        duration=args.duration)
    from ik_net_ros.view.page import serve, ViewPage
    from ik_net_ros.view.session import InProcessSession
    session = InProcessSession(args.model, args.description, args.calibration or None,
                               args.table_clearance, args.workspace,
                               max_velocity=args.max_velocity, arm=args.arm)
    try:
        page = ViewPage(session, host=args.host, port=args.port)
        try:
            print(f'view: {page.url} (Ctrl-C to stop)', flush=True)
            serve(args.duration)
        finally:
            page.close()
    finally:
        session.close()
    return 0
