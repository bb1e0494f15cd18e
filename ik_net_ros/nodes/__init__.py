"""Layer 10: the ROS 2 nodes, thin rclpy adapters over the core (with sim/, all the rclpy code)."""
