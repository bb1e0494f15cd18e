"""The fast inference path gives the reference path's answers (speed lives in `make bench`)."""

import copy

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros import InvalidPoseError, load_solver, UnreachableError
from ik_net_ros.arm import default_arm
from ik_net_ros.engines.numpy_engine import compile_numpy, PAD_COLUMNS
from ik_net_ros.kinematics import (
    as_pose_array,
    forward_kinematics,
    pick_branch,
    planar_chain,
    project_and_solve,
    sample_joints,
)
from ik_net_ros.kinematics.projection_one_pose import project_and_solve_one
from ik_net_ros.kinematics.validation import validate_pose
from ik_net_ros.model import load_model
from ik_net_ros.networks import build_network, IKModel, NETWORKS
from ik_net_ros.solver.network import NetworkSolver
import numpy as np
import pytest
import torch

OMX = default_arm()  # the OM-X, ROBOTIS's humble description


def _random_poses(rng, n):
    poses = forward_kinematics(sample_joints(OMX, n, rng))
    odd = poses.copy()
    odd[:, 3:] = rng.normal(size=(n, 4))  # arbitrary orientations: projection at work
    odd[::3, :3] += rng.normal(0.0, 0.1, (len(odd[::3]), 3))  # some out of reach
    return np.concatenate([poses, odd])


def test_scalar_pipeline_equals_vectorised(rng):
    poses = _random_poses(rng, 1500)
    projected, solutions = project_and_solve(as_pose_array(poses)[0])
    picked = pick_branch(solutions)
    for i, pose in enumerate(poses.tolist()):
        target, one = project_and_solve_one(validate_pose(pose))
        np.testing.assert_allclose(target, projected[i], atol=1e-12)
        assert one.reason == solutions.reason[i]
        assert one.valid == solutions.valid[i].tolist()
        joints = one.pick()
        if joints is None:
            assert not picked.reachable[i]
        else:
            np.testing.assert_allclose(joints, picked.joints[i], atol=1e-12)
        quick = project_and_solve_one(validate_pose(pose), both=False)[1]
        assert quick.reason == one.reason and (quick.pick() is None) == (joints is None)
        if joints is not None:
            np.testing.assert_allclose(quick.pick(), joints, atol=0)


def _model(name, seed=0):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = IKModel(build_network(name), rng.normal(size=7), rng.uniform(0.5, 2, 7),
                    rng.normal(size=4), rng.uniform(0.5, 2, 4))
    for module in model.modules():  # non-trivial BatchNorm statistics to fold
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.5, 0.5)
    return model.eval()


@pytest.mark.parametrize('name', list(NETWORKS))
def test_numpy_twin_equals_torch(name, rng):
    model = _model(name)
    x = forward_kinematics(sample_joints(OMX, 2000, rng)).astype(np.float32)
    twin = compile_numpy(model)
    with torch.no_grad():
        torch32 = model(torch.from_numpy(x)).numpy()
        exact = copy.deepcopy(model).double()(torch.from_numpy(x).double()).numpy()
    out = twin(x)
    # random weights (outputs of several rad, residual blocks amplifying) make float32 rounding
    # visible: the twin must be about as close to the exact result as torch's own float32 is
    # (the BLAS kernel's summation order moves either by a few float32 ulps of ~1 rad)
    assert np.abs(out - exact).max() <= 2 * np.abs(torch32 - exact).max() + 1e-6
    np.testing.assert_allclose(out, torch32, atol=1e-4)
    # one pose, as a (7,) array and as Python floats (the live node's path), gives the same
    np.testing.assert_allclose(twin(x[7]), out[7], atol=2e-5)
    np.testing.assert_allclose(twin.one(x[7].tolist()), out[7], atol=2e-5)


@pytest.mark.parametrize('name', ['analytic', 'original', 'improved', 'focused'])
def test_single_pose_path_equals_batch_path(name, rng):
    solver = load_solver(name)
    poses = forward_kinematics(sample_joints(OMX, 100, rng))
    batch = solver.solve(poses)
    single = np.array([solver.solve(p) for p in poses.tolist()])
    np.testing.assert_allclose(single, batch, atol=0 if name == 'analytic' else 1e-5)
    if name != 'analytic':  # the torch path at large N and the numpy twin agree too
        torch_path = _torch_path(name)
        np.testing.assert_allclose(solver.predict(poses[:10]),
                                   torch_path(poses[:10]),
                                   atol=1e-5)
    refined = solver.solve(poses[0], refine=True)
    np.testing.assert_allclose(refined, solver.solve(poses[:1], refine=True)[0], atol=1e-9)


def test_single_pose_errors_match_batch_errors():
    solver = load_solver('analytic')
    for bad in ([0.2, 0.0, 0.2, 0.0, 0.0, 0.0, 0.0], [0.2, np.nan, 0.2, 0, 0, 0, 1],
                [0.2, 0.0, 0.2, 0.0, 0.0, 1.0]):
        with pytest.raises(InvalidPoseError):
            solver.solve(bad)
        with pytest.raises(InvalidPoseError):
            solver.solve([bad])
    far = [0.9, 0.0, 0.1, 0.0, 0.0, 0.0, 1.0]
    with pytest.raises(UnreachableError) as single:
        solver.solve(far)
    with pytest.raises(UnreachableError) as batch:
        solver.solve([far])
    assert single.value.reasons == batch.value.reasons
    np.testing.assert_allclose(solver.solve(far, on_unreachable='nearest'),
                               solver.solve([far], on_unreachable='nearest')[0])


@pytest.mark.parametrize('activation', ['relu', 'tanh', 'gelu'])
@pytest.mark.parametrize('name', ['improved', 'focused'])
def test_numpy_twin_covers_every_activation(name, activation, rng):
    torch.manual_seed(1)
    net = build_network(name, activation=activation)
    model = IKModel(net, np.zeros(7), np.ones(7), np.zeros(4), np.ones(4)).eval()
    x = forward_kinematics(sample_joints(OMX, 200, rng)).astype(np.float32)
    with torch.no_grad():
        reference = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(compile_numpy(model)(x), reference, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('name', ['original', 'improved', 'focused'])
def test_shipped_models_twin_within_1e5_rad_of_torch(name, rng):
    """
    The torch-free weights file gives the torch checkpoint's answers.

    In the CPU solve and the whole batch path, so the shipped models' accuracy is unchanged.
    """
    solver = load_solver(name)
    assert isinstance(solver, NetworkSolver) and solver.fast is not None
    poses = forward_kinematics(sample_joints(OMX, 3000, rng))
    reference = _torch_path(name)(poses)
    np.testing.assert_allclose(solver.fast(poses), reference, atol=1e-5)
    np.testing.assert_allclose(solver.predict(poses), reference, atol=1e-5)


@pytest.mark.parametrize('kwargs', [{'position': [128], 'orientation': [64, 64]},
                                    {'position': [32, 16], 'orientation': [8],
                                     'merge': [16], 'activation': 'tanh'}])
def test_any_focused_layout_has_a_numpy_twin(kwargs, rng):
    """
    Branches of different layouts cannot be fused into block-diagonal layers.

    They run on their own (this raised TypeError and killed a node swapping to such a model).
    """
    torch.manual_seed(1)
    model = IKModel(build_network('focused', **kwargs), np.zeros(7), np.ones(7), np.zeros(4),
                    np.ones(4)).eval()
    twin = compile_numpy(model)
    assert twin.kind == 'branches'
    x = forward_kinematics(sample_joints(OMX, 500, rng)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(twin(x), expected, atol=1e-5)
    np.testing.assert_allclose(twin.one(x[3].tolist()), expected[3], atol=1e-5)


@pytest.mark.parametrize('name', ['original', 'improved', 'focused'])
def test_twin_layers_are_padded_and_cache_line_aligned(name):
    """
    Every hidden layer is PAD_COLUMNS-wide multiples on a 64-byte boundary.

    OpenBLAS's sgemv is about 28 % faster so (make bench). Its padding units are dead (zero
    weights in and out), and the answer is the unpadded network's (the torch tests above).
    """
    twin = load_solver(name).fast
    chain = [w for w, _ in twin.steps]
    pairs = list(zip(chain, chain[1:]))  # (a layer, the layer it feeds)
    layers = list(chain)
    for first, _, second, _ in getattr(twin, 'blocks', []):
        layers += [first, second]
        pairs.append((first, second))
    layers.append(getattr(twin, 'head', chain[-1]))
    for w in layers:
        assert w.dtype == np.float32 and w.ctypes.data % 64 == 0
        assert w.shape[1] == 4 or w.shape[1] % PAD_COLUMNS == 0
    for w, following in pairs:
        dead = ~np.any(w, axis=0)  # units no input reaches
        assert dead.any() and not np.any(following[dead])  # and they feed nothing


@settings(max_examples=400, deadline=None, derandomize=True)
@given(pose=st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                               st.sampled_from([1e308, -1e308, 1e-320, 0.0, -0.0])),
                     min_size=7, max_size=7))
def test_single_pose_validation_is_the_batch_validation(pose):
    """
    Check validate_pose accepts what as_pose_array accepts, with the same pose.

    validate_pose is the single-pose twin (with its one-test fast path for 7 floats); it refuses
    what as_pose_array refuses.
    """
    try:
        expected = as_pose_array(np.array([pose]))[0][0]
    except InvalidPoseError:
        for given_as in (pose, np.array(pose)):
            with pytest.raises(InvalidPoseError):
                validate_pose(given_as)
        return
    for given_as in (pose, np.array(pose)):
        np.testing.assert_allclose(validate_pose(given_as), expected, rtol=1e-15, atol=1e-300)


_EDGE = st.sampled_from([0.0, -0.0, 1e-320, -1e-320, 1e-12, 0.5, -0.5, 1.0, -1.0])
_POSITION = st.one_of(st.floats(-0.5, 0.5), _EDGE)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(position=st.tuples(_POSITION, _POSITION, _POSITION), on_axis=st.booleans(),
       quat=st.tuples(*[st.one_of(st.floats(-1.0, 1.0), _EDGE)] * 4).filter(
           lambda q: sum(v * v for v in q) > 1e-10))
def test_single_pose_projection_is_the_batch_projection(position, on_axis, quat):
    """
    For any valid pose, on the joint1 axis and with the tool's axes vertical included.

    The single-pose twin projects and solves as the vectorised pipeline does, and every joint is
    wrapped into (-pi, pi].
    """
    x, y, z = position
    if on_axis:  # exactly on the joint1 axis: the yaw comes from the requested y axis
        x, y = planar_chain(OMX).joint1_x, 0.0
    pose = validate_pose([x, y, z, *quat])
    projected, solutions = project_and_solve(np.array([pose]))
    target, one = project_and_solve_one(pose)
    np.testing.assert_allclose(target, projected[0], rtol=0, atol=1e-12)
    assert np.isclose(np.linalg.norm(projected[0, 3:]), 1.0, rtol=0, atol=1e-12)
    assert projected[0, 6] >= 0.0  # canonical
    assert one.reason == solutions.reason[0]
    assert one.valid == solutions.valid[0].tolist() == [bool(v) for v in solutions.valid[0]]
    assert one.strict == solutions.strict[0].tolist()
    assert bool(solutions.reachable[0]) == bool(solutions.valid[0].any())
    reach_target, reach = project_and_solve(np.array([pose]), closed_form=False)
    np.testing.assert_array_equal(reach_target, projected)  # reachability alone: the same
    np.testing.assert_array_equal(reach.valid, solutions.valid)
    np.testing.assert_array_equal(reach.reason, solutions.reason)
    assert reach.joints is None and reach.strict is None
    for k in (0, 1):
        if one.joints[k] is None:
            assert np.isnan(solutions.joints[0, k]).all()
        else:
            np.testing.assert_allclose(one.joints[k], solutions.joints[0, k], rtol=0, atol=1e-12)
            assert all(-np.pi - 1e-12 <= v <= np.pi + 1e-12 for v in one.joints[k])


def _torch_path(name: str):
    """Return the torch module of a model's checkpoint: the reference of every other engine."""
    return NetworkSolver(load_model(name, torch_free=False), engine='torch').batch_engine()
