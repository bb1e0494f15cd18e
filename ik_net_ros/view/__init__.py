"""
The browser view: drag a target, watch the arm follow, read why a target is refused.

:mod:`~ik_net_ros.view.scene` (what is drawn), :mod:`~ik_net_ros.view.fate` (a target's fate),
:mod:`~ik_net_ros.view.session` (the solver and simulated arm in-process, no ROS) and
:mod:`~ik_net_ros.view.page` (the viser page). No rclpy here: the ROS mode is
:mod:`ik_net_ros.nodes.view_node`.
"""
