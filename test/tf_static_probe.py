"""
Run by test_tf_frames.py in a process that can import the generated tf2_msgs.

An ik node with a calibration naming a tracker frame; a listener that subscribes to /tf_static
only after the node has published (transient local: it still gets it). Prints JSON.
"""

import json
import sys
import time

from ik_net_ros.nodes.ik_node import IkNode
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from tf2_msgs.msg import TFMessage
from waiting import WAIT


def main(calibration: str, prefix: str) -> None:
    rclpy.init()
    ik = IkNode(parameter_overrides=[Parameter('model', value='analytic'),
                                     Parameter('calibration', value=calibration),
                                     Parameter('prefix', value=prefix)])
    listener = rclpy.create_node('tf_listener')
    executor = SingleThreadedExecutor()
    executor.add_node(ik)
    executor.add_node(listener)
    end = time.monotonic() + 0.5
    while time.monotonic() < end:  # the node has published before anyone listens
        executor.spin_once(timeout_sec=0.05)
    got = []
    listener.create_subscription(TFMessage, '/tf_static', got.append, ik.tf.static_pub.qos_profile)
    end = time.monotonic() + WAIT
    while not got and time.monotonic() < end:
        executor.spin_once(timeout_sec=0.05)
    out = [{'parent': t.header.frame_id, 'child': t.child_frame_id,
            'pose': [t.transform.translation.x, t.transform.translation.y,
                     t.transform.translation.z, t.transform.rotation.x, t.transform.rotation.y,
                     t.transform.rotation.z, t.transform.rotation.w]}
           for msg in got for t in msg.transforms]
    print(json.dumps({'transforms': out,
                      'durability': int(ik.tf.static_pub.qos_profile.durability)}))
    executor.shutdown()
    listener.destroy_node()
    ik.destroy_node()
    rclpy.try_shutdown()


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
