"""
Run by test_ik_services.py in a process that can import the generated moveit_msgs.

An ik node with its default parameters, and a client calling ``/ik/solve_ik`` exactly as MoveIt's
srv_kinematics_plugin does (avoid_collisions true, group 'arm', the seed as
robot_state.joint_state, the pose in the base frame, ik_link_name the tool frame), then
``/ik/solve_fk``. Prints JSON.
"""

import json
import sys
import time

from ik_net_ros.arm import default_arm
from ik_net_ros.kinematics import forward_kinematics, sample_joints
from ik_net_ros.kinematics.rotations import quat_angle
from ik_net_ros.nodes.conversions import array_to_pose
from ik_net_ros.nodes.ik_node import IkNode
from moveit_msgs.msg import JointConstraint, MoveItErrorCodes
from moveit_msgs.srv import GetPositionFK, GetPositionIK
import numpy as np
import rclpy
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import JointState
from waiting import WAIT

OMX = default_arm()  # the OM-X, ROBOTIS's humble description


def main(count: int) -> None:
    rclpy.init()
    node = IkNode()
    client_node = rclpy.create_node('move_group_like')
    ik = client_node.create_client(GetPositionIK, '/ik/solve_ik')
    fk = client_node.create_client(GetPositionFK, '/ik/solve_fk')
    commands = []
    client_node.create_subscription(JointState, '/joint_command', commands.append, 10)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    executor.add_node(client_node)
    out = {'codes': {name: getattr(MoveItErrorCodes, name) for name in (
        'SUCCESS', 'TIMED_OUT', 'INVALID_GROUP_NAME', 'INVALID_GOAL_CONSTRAINTS',
        'INVALID_ROBOT_STATE', 'INVALID_LINK_NAME', 'FRAME_TRANSFORM_FAILURE',
        'NO_IK_SOLUTION')}}

    def call(client, request):
        future = client.call_async(request)
        end = time.monotonic() + WAIT
        while not future.done() and time.monotonic() < end:
            executor.spin_once(timeout_sec=0.05)
        assert future.done(), 'service not answered'
        return future.result()

    def plugin(pose, seed, **kw):
        """Return srv_kinematics_plugin's request (moveit2 main, searchPositionIK)."""
        request = GetPositionIK.Request()
        r = request.ik_request
        r.avoid_collisions = True
        r.group_name = kw.get('group', 'arm')
        state = r.robot_state.joint_state
        state.name = list(OMX.joint_names) + ['gripper_left_joint', 'gripper_right_joint']
        state.position = [float(v) for v in seed] + [0.01, 0.01]
        r.pose_stamped = array_to_pose(pose, kw.get('frame', 'world'),
                                       client_node.get_clock().now().to_msg())
        r.ik_link_name = kw.get('link', 'end_effector_link')
        return request

    assert ik.wait_for_service(timeout_sec=WAIT) and fk.wait_for_service(timeout_sec=WAIT)
    geometry = node.solver.planar_arm
    seed_before = node.last_command
    rng = np.random.default_rng(35)
    exact = nearest = tried = 0
    failures = []
    for q in sample_joints(OMX, count, rng):
        if not node.solver.collision.clear_one(q.tolist()):
            continue
        tried += 1
        pose = forward_kinematics(q, geometry)
        seed = q + rng.uniform(-0.05, 0.05, len(q))
        response = call(ik, plugin(pose, seed))
        state = response.solution.joint_state
        if response.error_code.val != MoveItErrorCodes.SUCCESS:
            failures.append([response.error_code.val, response.error_code.message])
            continue
        answer = np.array(state.position[:len(OMX.joint_names)])
        got = forward_kinematics(answer, geometry)
        on_target = np.linalg.norm(got[:3] - pose[:3]) <= 1e-6 and \
            quat_angle(got[None, 3:], pose[None, 3:])[0] <= 1e-5
        others = ['gripper_left_joint', 'gripper_right_joint']
        exact += bool(on_target and list(state.name) == list(OMX.joint_names) + others)
        nearest += bool(np.linalg.norm(answer - seed) <= np.linalg.norm(q - seed) + 1e-6)
        if tried <= 20:  # FK round-trips IK
            fk_request = GetPositionFK.Request()
            fk_request.header.frame_id = 'world'
            fk_request.fk_link_names = ['link5', 'end_effector_link']
            fk_request.robot_state.joint_state = state
            fk_response = call(fk, fk_request)
            p = fk_response.pose_stamped[1].pose.position
            out.setdefault('fk_errors', []).append(
                [fk_response.error_code.val,
                 float(np.linalg.norm(np.array([p.x, p.y, p.z]) - pose[:3]))])
    out.update(tried=tried, exact=exact, nearest=nearest, failures=failures[:5])
    home = forward_kinematics(np.zeros(len(OMX.joint_names)), geometry)
    zero = np.zeros(len(OMX.joint_names))
    far = home.copy()
    far[0] = 2.0
    timed = plugin(home, zero)
    timed.ik_request.timeout.nanosec = 1  # no solve takes 1 ns
    impossible = plugin(home, zero)
    impossible.ik_request.constraints.joint_constraints = [JointConstraint(
        joint_name=OMX.joint_names[1], position=3.0, tolerance_above=0.01, tolerance_below=0.01)]
    cases = {'unreachable': plugin(far, zero), 'group': plugin(home, zero, group='gripper'),
             'link': plugin(home, zero, link='link3'),
             'frame': plugin(home, zero, frame='camera'), 'timeout': timed,
             'constraints': impossible, 'no_timeout': plugin(home, zero),
             'nan_pose': plugin(np.full(7, np.nan), zero),
             'nan_seed': plugin(home, np.full(len(OMX.joint_names), np.nan))}
    out['cases'] = {k: call(ik, r).error_code.val for k, r in cases.items()}
    bad_fk = GetPositionFK.Request()
    bad_fk.fk_link_names = ['link9']
    bad_fk.robot_state.joint_state.name = list(OMX.joint_names)
    bad_fk.robot_state.joint_state.position = [0.0] * len(OMX.joint_names)
    out['cases']['fk_link'] = call(fk, bad_fk).error_code.val
    executor.spin_once(timeout_sec=0.2)
    group = node.ik_services.group  # its own group, never the node's default one
    out['own_group'] = isinstance(group, MutuallyExclusiveCallbackGroup) and \
        group is not node.default_callback_group and \
        node.ik_services.ik.callback_group is group is node.ik_services.fk.callback_group
    out['commands'] = len(commands)
    out['seed_kept'] = node.last_command == seed_before
    print(json.dumps(out))
    executor.shutdown()
    client_node.destroy_node()
    node.destroy_node()
    rclpy.try_shutdown()


if __name__ == '__main__':
    main(int(sys.argv[1]))
