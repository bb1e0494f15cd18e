"""
Hostile files: calibration and true-arm YAML, weights archives and their plans.

And the .pt/.npz pair. Every file is bounded and checked before use: the answer is a usable object
or a clear DatasetError / CheckpointError naming the file, never another exception.
"""

import json
import os
import zipfile

from hypothesis import given
from hypothesis import strategies as st
from ik_net_ros.arm import default_arm
from ik_net_ros.bounded_files import MAX_YAML_DEPTH
from ik_net_ros.engines.folding import MAX_OPS
from ik_net_ros.errors import CheckpointError, DatasetError
from ik_net_ros.kinematics.calibration_file import load_calibration
from ik_net_ros.kinematics.legacy_geometry import LINK_FIELDS, LINK_TOLERANCE, OFFSET_TOLERANCE
from ik_net_ros.kinematics.planar import planar_chain
from ik_net_ros.kinematics.true_arm import TrueArm
from ik_net_ros.model import load_model
from ik_net_ros.solver.network import NetworkSolver
from model_util import load_weights, model_path, save_weights
import numpy as np
from omx_legacy import OMX_GEOMETRY
from propcheck import fixed_examples
import pytest
import yaml

OMX = default_arm()  # the OM-X, ROBOTIS's humble description

SETTINGS = fixed_examples(80)
CALIBRATION = {'format': 'ik_net_ros.calibration', 'version': 1,
               'geometry': OMX_GEOMETRY}


def _loaders():
    return (('calibration', load_calibration), ('true arm', lambda p: TrueArm.load(p).arm))


def _assert_om_x(arm):
    """Assert ``arm`` is an OM-X within what a file may claim (its closed form's numbers)."""
    chain = planar_chain(arm.upright())
    for name in LINK_FIELDS:
        assert abs(getattr(chain, name) - OMX_GEOMETRY[name]) <= LINK_TOLERANCE
    assert all(abs(v) <= OFFSET_TOLERANCE for v in arm.errors.offsets)


def _geometry_file(tmp_path, name, **changes):
    data = {**CALIBRATION, 'geometry': {**OMX_GEOMETRY, **changes}}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize('what, load', _loaders())
def test_hostile_yaml_files_are_refused_by_name(tmp_path, what, load):
    deep = tmp_path / 'deep.yaml'
    deep.write_text('geometry: ' + '[' * 100_000 + ']' * 100_000 + '\n')
    huge = tmp_path / 'huge_int.yaml'
    huge.write_text(yaml.safe_dump(CALIBRATION).replace('0.124', '1' * 400))
    big = tmp_path / 'big.yaml'
    big.write_text('# ' + 'x' * (2 << 20) + '\n')
    fifo = tmp_path / 'fifo.yaml'
    os.mkfifo(fifo)
    bomb = tmp_path / 'aliases.yaml'
    bomb.write_text('a: &a [1, 2]\nb: [*a, *a, *a]\n')
    cases = {deep: 'nested deeper', huge: 'digits', big: 'limit', fifo: 'not a regular',
             bomb: 'aliases', tmp_path / 'zero.yaml': 'no such'}
    cases[_geometry_file(tmp_path, 'zero_links.yaml',
                         **dict.fromkeys(LINK_FIELDS, 0))] = 'must be a finite number in'
    cases[_geometry_file(tmp_path, 'negative.yaml', forearm=-0.124)] = 'forearm must be'
    cases[_geometry_file(tmp_path, 'far.yaml', shoulder_height=-0.233)] = 'shoulder_height'
    cases[_geometry_file(tmp_path, 'offset.yaml', joint_offsets=[0, 0, 0.7, 0])] = \
        'joint_offsets'
    if os.path.exists('/dev/zero'):
        cases['/dev/zero'] = 'not a regular'
    for path, match in cases.items():
        if what == 'true arm' and match in ('must be a finite number in', 'forearm must be',
                                            'shoulder_height', 'joint_offsets'):
            path.write_text(yaml.safe_dump({'geometry': yaml.safe_load(path.read_text())[
                'geometry'], 'sag': [0.0, 0.0]}))
        with pytest.raises(DatasetError, match=match) as info:
            load(path)
        assert str(path) in str(info.value)


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                     st.text(max_size=8))
_TREES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=8), inner, max_size=5)),
    max_leaves=30)


@pytest.mark.parametrize('what, load', _loaders())
def test_any_yaml_structure_or_bytes_gives_an_om_x_or_a_dataset_error(tmp_path_factory, what,
                                                                      load):
    """Any bytes, any YAML tree, and trees grafted into a valid file at any key."""
    folder = tmp_path_factory.mktemp('yaml')
    fields = list(OMX_GEOMETRY) + ['unknown']

    @SETTINGS
    @given(st.one_of(
        st.binary(max_size=300).map(lambda b: ('bytes', b)),
        _TREES.map(lambda t: ('tree', t)),
        st.tuples(st.sampled_from(fields), _TREES).map(lambda kv: ('graft', kv))))
    def check(case):
        kind, value = case
        path = folder / 'f.yaml'
        if kind == 'bytes':
            path.write_bytes(value)
        else:
            data = value if kind == 'tree' else {
                **CALIBRATION, 'sag': [0.001, 0.002],
                'geometry': {**OMX_GEOMETRY, value[0]: value[1]}}
            path.write_text(yaml.safe_dump(data))
        try:
            geometry = load(path)
        except DatasetError:
            return
        _assert_om_x(geometry)

    check()


def test_yaml_nesting_at_the_limit_still_loads(tmp_path):
    """The depth bound refuses hostile files only: a file nested to the limit parses."""
    path = tmp_path / 'c.yaml'
    nested = 'x'
    for _ in range(MAX_YAML_DEPTH - 2):
        nested = [nested]
    path.write_text(yaml.safe_dump({**CALIBRATION, 'extra': nested}))
    assert load_calibration(path) == default_arm()


# ---- weights files -------------------------------------------------------------------------

def _shipped(name='focused'):
    arrays, meta = load_weights(model_path(name).with_suffix('.npz'))
    meta = {k: v for k, v in meta.items() if k not in ('sha256', 'format', 'version')}
    return arrays, meta


def _write(tmp_path, arrays, meta, name='w.npz'):
    """Return a weights file with a valid digest: anyone can recompute one."""
    return save_weights(tmp_path / name, arrays, meta)


def test_hostile_weights_are_refused_before_use(tmp_path):
    arrays, meta = _shipped('focused')
    cases = {}

    def case(label, match, meta_change=None, arrays_change=None):
        m = json.loads(json.dumps(meta))
        a = {k: v.copy() for k, v in arrays.items()}
        if meta_change:
            meta_change(m)
        if arrays_change:
            arrays_change(a)
        cases[_write(tmp_path, a, m, f'{label}.npz')] = match

    case('branch_index', 'pose columns', lambda m: m['plan']['inputs'][0].__setitem__(0, 99))
    case('no_branches', 'branch', lambda m: m['plan'].update(inputs=[], branches=[]))
    case('huge_geometry', 'forearm', lambda m: m['geometry'].update(forearm=10 ** 400))
    case('zero_links', 'not an OM-X', lambda m: m['geometry'].update(forearm=0.0, tool=0.0))
    case('repeat', f'more than {MAX_OPS}',
         lambda m: m['plan'].update(merge=m['plan']['merge'][:1] * 20_000))
    case('std', 'normalisation joint_std',
         arrays_change=lambda a: a.__setitem__('joint_std', a['joint_std'] * 1e30))
    case('tiny_std', 'normalisation pose_std',
         arrays_change=lambda a: a.__setitem__('pose_std', a['pose_std'] * 1e-30))

    def unchained(a):  # a hidden layer one unit short: used to be zero-padded and accepted
        a['network.merge.0.2.weight'] = a['network.merge.0.2.weight'][:-1]
        a['network.merge.0.2.bias'] = a['network.merge.0.2.bias'][:-1]
    case('unchained', 'chain', arrays_change=unchained)

    def bad_batchnorm_eps(m):
        for op in m['plan']['merge']:
            if 'batchnorm' in op:
                op['eps'] = -1.0
    if any('batchnorm' in op for op in meta['plan']['merge']):
        case('eps', 'batchnorm', bad_batchnorm_eps)
    for path, match in cases.items():
        with pytest.raises(CheckpointError, match=match) as info:
            NetworkSolver(load_model(path))
        assert str(path) in str(info.value)


def test_a_zip_bomb_is_refused_before_it_inflates(tmp_path):
    path = tmp_path / 'bomb.npz'
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as archive:
        with archive.open('pose_std.npy', 'w', force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range(200):  # 200 MB of zeros: about 200 KB compressed
                member.write(chunk)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(CheckpointError, match='over the limits'):
        load_weights(path)


def test_an_npy_header_that_lies_about_its_size_is_refused(tmp_path):
    path = tmp_path / 'lie.npz'
    header = np.lib.format.header_data_from_array_1_0(np.zeros(4, np.float32))
    header['shape'] = (10 ** 10,)  # 40 GB promised, 16 bytes given
    with zipfile.ZipFile(path, 'w') as archive, archive.open('pose_std.npy', 'w') as member:
        np.lib.format.write_array_header_1_0(member, header)
        member.write(bytes(16))
    with pytest.raises(CheckpointError, match='header says'):
        load_weights(path)


def test_any_plan_gives_a_finite_solver_or_a_checkpoint_error(tmp_path_factory):
    """Plans mutated anywhere (a value replaced by any JSON tree), valid digests."""
    arrays, meta = _shipped('improved')
    folder = tmp_path_factory.mktemp('plans')
    json_trees = st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(-10, 10 ** 30), st.text(max_size=30),
                  st.floats(allow_nan=False, allow_infinity=False)),
        lambda inner: st.one_of(st.lists(inner, max_size=4),
                                st.dictionaries(st.text(max_size=10), inner, max_size=4)),
        max_leaves=12)

    def slots(node, path=()):
        yield path
        children = node.items() if isinstance(node, dict) else enumerate(node) \
            if isinstance(node, list) else ()
        for key, child in children:
            yield from slots(child, path + (key,))
    places = list(slots(meta['plan']))[1:]

    @SETTINGS
    @given(st.sampled_from(places), json_trees)
    def check(place, value):
        plan = json.loads(json.dumps(meta['plan']))
        node = plan
        for key in place[:-1]:
            node = node[key]
        node[place[-1]] = value
        path = _write(folder, arrays, {**meta, 'plan': plan})
        try:
            solver = NetworkSolver(load_model(path))
        except CheckpointError:
            return
        out = solver.predict(np.tile([[0.2, 0.0, 0.2, 0.0, 0.0, 0.0, 1.0]], (3, 1)))
        assert out.shape == (3, 4) and np.all(np.isfinite(out))

    check()


# ---- one model, one write ------------------------------------------------------------------

_SAVE_AND_DIE = r"""
import os, sys
sys.path.insert(0, {test_dir!r})
import torch
from model_util import save_checkpoint
import _pair_models
from ik_net_ros.arm import default_arm
calls, die_at = [0], int(sys.argv[1])
real = {{name: getattr(os, name) for name in ('replace', 'fsync', 'write')}}

def counted(name):
    def call(*args, **kwargs):
        calls[0] += 1
        if calls[0] == die_at:
            os._exit(9)  # a kill: no cleanup, no finally
        return real[name](*args, **kwargs)
    return call
for name in real:
    setattr(os, name, counted(name))
save_checkpoint(sys.argv[2], _pair_models.model(2), 'focused', _pair_models.KWARGS,
                default_arm())
sys.stdout.write('done %d' % calls[0])
"""


def test_a_save_killed_at_any_step_never_loads_a_mix(tmp_path):
    """
    A subprocess saves a new model over an old one and is killed.

    It is killed (os._exit) at its k-th write, fsync or rename, for every k: loading the .pt
    (torch) and the .npz (CPU) then gives the old model in both, the new one in both, or a refusal
    naming both files.
    """
    import subprocess
    import sys

    from _pair_models import KWARGS, model
    from model_util import save_checkpoint
    import torch
    script = tmp_path / 'save_and_die.py'
    script.write_text(_SAVE_AND_DIE.format(test_dir=os.path.dirname(__file__)))
    probe = np.array([[0.2, 0.0, 0.2, 0.0, 0.0, 0.0, 1.0]])
    answers = {}
    for seed in (1, 2):
        with torch.no_grad():
            out = model(seed).eval()(torch.as_tensor(probe, dtype=torch.float32))
        answers[seed] = out.numpy()
    outcomes, k = set(), 1
    while True:
        path = tmp_path / f'k{k}' / 'm.pt'
        save_checkpoint(path, model(1), 'focused', KWARGS, OMX)
        proc = subprocess.run([sys.executable, str(script), str(k), str(path)],
                              capture_output=True, text=True, timeout=300)
        results = []
        for load in (_torch_network, _raw_network):
            try:
                results.append(load(path, probe))
            except CheckpointError as e:
                assert str(path) in str(e) and str(path.with_suffix('.npz')) in str(e), e
                results.append(None)
        seeds = [next((s for s, a in answers.items() if r is not None and np.allclose(
            r, a, atol=1e-4)), None) for r in results]
        if all(r is None for r in results):
            outcome = 'refused'
        else:
            assert all(r is not None for r in results) and seeds[0] == seeds[1] is not None, \
                (k, seeds)
            outcome = f'model {seeds[0]}'
        outcomes.add(outcome)
        if proc.returncode == 0:
            assert proc.stdout.startswith('done') and outcome == 'model 2'
            break
        assert proc.returncode == 9, proc.stderr
        k += 1
    assert outcomes >= {'model 1', 'model 2', 'refused'}, outcomes


def _torch_network(path, probe):
    """Return the checkpoint's network output for ``probe`` (the torch path)."""
    from model_util import load_checkpoint
    import torch
    with torch.no_grad():
        model = load_checkpoint(path).model.eval()
        return model(torch.as_tensor(probe, dtype=torch.float32)).numpy()


def _raw_network(path, probe):
    """Return the weights file's network output for ``probe`` (the torch-free path)."""
    return NetworkSolver(load_model(path.with_suffix('.npz'))).predict(probe)


@SETTINGS
@given(st.binary(max_size=4000), st.integers(0, 3))
def test_any_bytes_as_a_weights_file_are_a_checkpoint_error(tmp_path_factory, blob, kind):
    """
    Any bytes, also behind a zip's signature or inside a real archive's member.

    A CheckpointError, never another exception.
    """
    import io
    path = tmp_path_factory.mktemp('npz', numbered=True) / 'w.npz'
    if kind == 1:
        blob = b'PK\x03\x04' + blob
    elif kind >= 2:  # a well-formed archive whose member holds the bytes
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED if kind == 3 else
                             zipfile.ZIP_STORED) as archive:
            archive.writestr('pose_std.npy', blob)
            archive.writestr('__meta__.npy', blob[::-1])
        blob = buffer.getvalue()
    path.write_bytes(blob)
    with pytest.raises(CheckpointError):
        load_weights(path)


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
              st.floats(allow_nan=True, allow_infinity=True)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=20), inner, max_size=3)),
    max_leaves=8)


def test_notes_a_checksum_does_not_cover_never_crash_the_tools(tmp_path_factory, capsys):
    """
    A checkpoint's training notes (config, data, metrics) of any type.

    The checksum covers what decides the answers, not these: ``info`` still prints, the model
    still loads and solves, and a notes field of another type is dropped.
    """
    from _pair_models import KWARGS, model
    from ik_net_ros.tools import cli
    from model_util import save_checkpoint
    import torch
    folder = tmp_path_factory.mktemp('notes')
    good = save_checkpoint(folder / 'good.pt', model(1), 'focused', KWARGS, OMX)
    payload = torch.load(good, weights_only=True)

    @fixed_examples(30)
    @given(st.sampled_from(['train_config', 'data', 'metrics', 'created']), JSON_VALUES)
    def check(key, value):
        path = folder / 'notes.pt'  # alone: no weights file beside it
        torch.save({**payload, key: value}, path)
        assert cli.main(['info', str(path)]) == 0
        assert 'Traceback' not in capsys.readouterr().err
        loaded = load_model(path)
        kind = str if key == 'created' else dict
        assert isinstance(loaded.metadata.get(key, kind()), kind)
        assert np.all(np.isfinite(NetworkSolver(loaded).solve([0.2, 0.0, 0.2, 0, 0, 0, 1.0])))

    check()


def test_network_arguments_that_are_no_mapping_are_refused(tmp_path):
    arrays, meta = _shipped('focused')
    path = _write(tmp_path, arrays, {**meta, 'network_kwargs': [1, 2]})
    with pytest.raises(CheckpointError, match='not a mapping'):
        load_model(path)
