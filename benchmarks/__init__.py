"""The benchmark harness (``make bench``): beside the package, not installed with it."""
