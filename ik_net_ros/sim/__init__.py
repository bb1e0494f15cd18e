"""
Simulation and demo aids, in one place: what stands in for the room when there is no arm.

The simulated tracker (a camera or mocap in its own frame, with latency, noise and outliers:
:mod:`.tracker`), the recording of a simulated imperfect arm (:mod:`.true_arm_recording`), the
calibration demo (:mod:`.calibration_demo`) and the live demo over real DDS (:mod:`.demo`,
:mod:`.demo_nodes`). Besides ``nodes/``, the only place that imports rclpy.
"""
