"""
Layer 8: how well a solver does, apart from how it was trained.

Accuracy against target poses (:mod:`.accuracy`) and against a real arm's measured poses, with the
truth where a simulation knows it (:mod:`.real_arm_errors`).
"""
