"""Layer 7: training a network (its config, the loop, datasets of a real arm)."""
