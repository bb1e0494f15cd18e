"""Layer 11: the ``ik_net_ros`` command line, one module per subcommand."""
