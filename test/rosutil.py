"""Helpers for tests over real DDS: a private context per test, spinning until a condition."""

import time

import rclpy
from rclpy.executors import SingleThreadedExecutor
from waiting import poll_until, WAIT


class RosHarness:
    """A context, an executor and the nodes of one test; ``close()`` destroys everything."""

    def __init__(self):
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.nodes = []
        self._clients = {}  # (node, service name) -> client

    def add(self, node):
        self.nodes.append(node)
        self.executor.add_node(node)
        return node

    def node(self, name):
        return self.add(rclpy.create_node(name, context=self.context))

    def spin_until(self, condition, timeout=WAIT):
        """Spin until ``condition()`` is true; returns whether it became true in time."""
        return poll_until(condition, lambda: self.executor.spin_once(timeout_sec=0.02), timeout)

    def call(self, node, service_type, name, request, timeout=WAIT):
        """
        Return the response of service ``name`` to ``request``, called from ``node``.

        Asserts it answers in time.
        """
        # one client per node and service for the whole test: a new client per call must be
        # matched by DDS discovery again each time, which a loaded machine can delay past the
        # timeout; the executor spins while waiting, so the nodes of this process answer
        key = (node, name)  # the node itself: held, so never another node at its address
        if key not in self._clients:
            self._clients[key] = node.create_client(service_type, name)
        client = self._clients[key]
        assert self.spin_until(client.service_is_ready, timeout), f'no service {name}'
        future = client.call_async(request)
        assert self.spin_until(future.done, timeout), f'{name} did not answer'
        return future.result()

    def spin_for(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.executor.spin_once(timeout_sec=0.01)

    def close(self):
        self.executor.shutdown()
        for node in self.nodes:
            node.destroy_node()
        self.context.try_shutdown()
