"""Datasets: synthetic labels, CSV/NPZ round trips, malformed files, IKNet import, splits."""

from ik_net_ros.arm import default_arm
from ik_net_ros.data import (
    csv_columns,
    import_iknet_recording,
    load_dataset,
    make_synthetic,
    Normalization,
    random_split,
    read_csv,
    save_dataset,
    sequential_split,
)
from ik_net_ros.data.recorder import record_columns
from ik_net_ros.errors import DatasetError
from ik_net_ros.kinematics import forward_kinematics, inverse_kinematics, within_limits
import numpy as np
import pytest

OMX = default_arm()  # the OM-X, ROBOTIS's humble description


def test_synthetic_is_seeded_and_labels_follow_the_branch_rule():
    a, b = make_synthetic(2000, seed=3), make_synthetic(2000, seed=3)
    np.testing.assert_array_equal(a.poses, b.poses)
    assert not np.array_equal(a.poses, make_synthetic(2000, seed=4).poses)
    assert within_limits(OMX, a.joints).all()
    np.testing.assert_allclose(forward_kinematics(a.joints)[:, :3], a.poses[:, :3], atol=1e-9)
    np.testing.assert_allclose(inverse_kinematics(a.poses).joints, a.joints, atol=1e-12)


@pytest.mark.parametrize('suffix', ['.csv', '.npz'])
def test_file_round_trip(tmp_path, suffix):
    data = make_synthetic(300, seed=1)
    path = tmp_path / f'set{suffix}'
    save_dataset(data, path)
    back = load_dataset(path)
    np.testing.assert_array_equal(back.poses, data.poses)
    np.testing.assert_array_equal(back.joints, data.joints)


def test_csv_extra_columns_and_order(tmp_path):
    path = tmp_path / 'rec.csv'
    cols = ('stamp',) + tuple(reversed(csv_columns())) + ('note',)
    row = {c: float(i) for i, c in enumerate(csv_columns())}
    line = ','.join(['12.5'] + [str(row[c]) for c in reversed(csv_columns())] + ['7'])
    path.write_text(','.join(cols) + '\n' + line + '\n')
    data = read_csv(path)
    np.testing.assert_array_equal(data.joints[0], [0, 1, 2, 3])
    np.testing.assert_array_equal(data.poses[0], [4, 5, 6, 7, 8, 9, 10])


@pytest.mark.parametrize('cut', [3, -3, -1])
def test_csv_torn_last_line_is_skipped_with_warning(tmp_path, caplog, cut):
    """
    A last line without its newline is torn, even when what is left still parses.

    A row whose qw 0.9096... was cut to 0.9 must not be kept with the wrong value.
    """
    data = make_synthetic(11, seed=1)
    path = tmp_path / 'torn.csv'
    save_dataset(data, path)
    text = path.read_text()
    last = text.rstrip('\n').rsplit('\n', 1)[1]
    path.write_text(text[:len(text) - len(last) - 1] + last[:cut])  # cut inside the row
    back = read_csv(path)
    assert len(back) == 10
    np.testing.assert_array_equal(back.poses, data.poses[:10])
    assert 'no newline' in caplog.text


@pytest.mark.parametrize('content, match', [
    ('', 'empty'),
    ('joint1,joint2,x\n1,2,3\n', 'lacks column'),
    (','.join(csv_columns()) + '\n' + ','.join(['1'] * 11) + '\n' + ','.join(['a'] * 11) + '\n',
     'line 3'),
    (','.join(csv_columns()) + '\n' + ','.join(['1'] * 10) + '\n1\n', 'line 2'),
    (','.join(csv_columns()) + '\n' + ','.join(['nan'] * 11) + '\n', 'NaN'),
])
def test_malformed_csv_names_file_and_line(tmp_path, content, match):
    path = tmp_path / 'bad.csv'
    path.write_text(content)
    with pytest.raises(DatasetError, match=match) as info:
        read_csv(path)
    assert 'bad.csv' in str(info.value)


def test_bad_npz_and_unknown_format(tmp_path):
    bad = tmp_path / 'bad.npz'
    bad.write_bytes(b'not a zip')
    with pytest.raises(DatasetError, match='bad.npz'):
        load_dataset(bad)
    np.savez(tmp_path / 'other.npz', foo=np.zeros(3))
    with pytest.raises(DatasetError, match='missing array'):
        load_dataset(tmp_path / 'other.npz')
    with pytest.raises(DatasetError, match='unknown dataset format'):
        load_dataset(tmp_path / 'x.parquet')
    with pytest.raises(DatasetError, match='no such'):
        load_dataset(tmp_path / 'missing.csv')


def test_binary_bytes_in_a_csv_name_the_line(tmp_path):
    path = tmp_path / 'bin.csv'
    path.write_bytes((','.join(csv_columns()) + '\n' + ','.join(['1'] * 11) + '\n').encode()
                     + b'\xff\xfe,1\n')
    with pytest.raises(DatasetError, match='bin.csv: line 3: not text'):
        read_csv(path)


@pytest.mark.parametrize('suffix', ['.csv', '.npz'])
def test_damaged_dataset_files_give_dataset_errors_only(tmp_path, suffix):
    source = tmp_path / f'set{suffix}'
    save_dataset(make_synthetic(200, seed=2), source)
    original = source.read_bytes()
    rng = np.random.default_rng(3)
    for trial in range(60):
        data = bytearray(original)
        at = int(rng.integers(0, len(data)))
        if trial % 2:
            data[at:at + 16] = bytes(rng.integers(0, 256, 16).tolist())
        else:
            data = data[:at]
        path = tmp_path / f'damaged{trial}{suffix}'
        path.write_bytes(bytes(data))
        try:
            loaded = load_dataset(path)
        except DatasetError:
            continue  # the only error allowed: never zlib.error, BadZipFile, UnicodeDecodeError
        assert np.all(np.isfinite(loaded.poses)) and np.all(np.isfinite(loaded.joints))


def _write_iknet_recording(tmp_path, joints, extra_every=3):
    """Files as `ros2 topic echo --csv` writes them for the original IKNet tooling."""
    poses = forward_kinematics(joints)
    pose_lines, joint_lines = [], []
    for i, (q, p) in enumerate(zip(joints, poses)):
        sec, nsec = 1000 + i // 100, (i % 100) * 10_000_000
        pose_lines.append(f'{sec},{nsec},,' + ','.join(map(str, p.tolist())) + ',0.0,0.0,0.0')
        names = ['joint1', 'joint2', 'joint3', 'joint4', 'gripper']
        if i % extra_every == 0:  # ROBOTIS's driver sometimes adds gripper_sub
            names.append('gripper_sub')
        pos = list(q) + [0.01] * (len(names) - 4)
        joint_lines.append(f'{sec},{nsec + 1000},,' + ','.join(names) + ','
                           + ','.join(map(str, [float(v) for v in pos])) + ','
                           + ','.join(['0.0'] * len(names)))
    (tmp_path / 'kinematics_pose.csv').write_text('\n'.join(pose_lines) + '\n')
    (tmp_path / 'joint_states.csv').write_text('\n'.join(joint_lines) + '\n')
    return tmp_path / 'kinematics_pose.csv', tmp_path / 'joint_states.csv'


@pytest.mark.parametrize('pairing', ['time', 'row'])
def test_iknet_import_round_trip(tmp_path, pairing):
    joints = make_synthetic(50, seed=2).joints
    pose_csv, joint_csv = _write_iknet_recording(tmp_path, joints)
    data = import_iknet_recording(pose_csv, joint_csv, pairing=pairing)
    assert len(data) == 50
    np.testing.assert_allclose(data.joints, joints)
    np.testing.assert_allclose(data.poses, forward_kinematics(joints))


@pytest.mark.parametrize('header', [False, True])
def test_iknet_import_upstream_layout_with_and_without_header(tmp_path, header):
    """
    The original IKNet's files exactly.

    13 kinematics_pose columns, 23 joint_states columns (joint1..4 + gripper), the header line its
    README adds with sed, and quaternions with qw < 0 (as ROBOTIS's FK publishes 5.5 % of them),
    normalised to the package's qw >= 0.
    """
    from ik_net_ros.data.iknet_import import JOINT_HEADER, POSE_HEADER
    joints = make_synthetic(40, seed=8).joints
    poses = forward_kinematics(joints)
    flip = np.arange(len(poses)) % 3 == 0
    sent = poses.copy()
    sent[flip, 3:] *= -1.0  # the same rotation, the other sign
    pose_lines = [','.join(POSE_HEADER)] if header else []
    joint_lines = [','.join(JOINT_HEADER)] if header else []
    for i, (q, p) in enumerate(zip(joints, sent)):
        stamp = f'{1609655043 + i // 100},{(i % 100) * 10_000_000}'
        pose_lines.append(f'{stamp},,' + ','.join(map(repr, p.tolist())) + ',0.0,0.0,0.0')
        joint_lines.append(f'{stamp},,joint1,joint2,joint3,joint4,gripper,'
                           + ','.join(map(repr, q.tolist())) + ',-0.0137' + ',0.0' * 10)
    assert len(pose_lines[-1].split(',')) == 13 and len(joint_lines[-1].split(',')) == 23
    (tmp_path / 'kinematics_pose.csv').write_text('\n'.join(pose_lines) + '\n')
    (tmp_path / 'joint_states.csv').write_text('\n'.join(joint_lines) + '\n')
    data = import_iknet_recording(tmp_path / 'kinematics_pose.csv', tmp_path / 'joint_states.csv')
    assert len(data) == 40 and np.all(data.poses[:, 6] >= 0)
    np.testing.assert_allclose(data.poses, poses, atol=1e-12)
    np.testing.assert_allclose(data.joints, joints)


def test_iknet_import_refuses_a_foreign_header(tmp_path):
    pose_csv, joint_csv = _write_iknet_recording(tmp_path, make_synthetic(3, seed=2).joints)
    pose_csv.write_text('time,x,y,z,a,b,c,d,e,f\n' + pose_csv.read_text())
    with pytest.raises(DatasetError, match='line 1: header'):
        import_iknet_recording(pose_csv, joint_csv)


def test_iknet_import_rejects_malformed_rows(tmp_path):
    pose_csv, joint_csv = _write_iknet_recording(tmp_path, make_synthetic(5, seed=2).joints)
    lines = joint_csv.read_text().splitlines()
    lines[2] = lines[2].replace('joint3', 'elbow')
    joint_csv.write_text('\n'.join(lines) + '\n')
    with pytest.raises(DatasetError, match='line 3'):
        import_iknet_recording(pose_csv, joint_csv)


def test_splits_and_normalisation():
    data = make_synthetic(1000, seed=5)
    train, val = random_split(data, 0.2, seed=1)
    assert len(train) == 800 and len(val) == 200
    assert not set(map(tuple, train.poses)) & set(map(tuple, val.poses))
    first, last = sequential_split(data, 0.2)
    np.testing.assert_array_equal(first.poses, data.poses[:800])
    np.testing.assert_array_equal(last.poses, data.poses[800:])
    norm = Normalization.fit(train)
    np.testing.assert_allclose(norm.pose_mean, train.poses.mean(axis=0))
    assert not np.allclose(norm.pose_mean, val.poses.mean(axis=0))
    with pytest.raises(DatasetError):
        random_split(data, 1.5)


def test_a_large_csv_is_read_in_bounded_memory(tmp_path):
    """
    400,000 rows (about 100 MB of CSV, 35 MB of float64).

    The reader's peak is about the array plus one chunk (the whole-file reader it replaced peaked
    near 8x the CSV's size).
    """
    import subprocess
    import sys
    rows = 400_000
    data = make_synthetic(1000, seed=4)
    table = np.concatenate([np.arange(rows)[:, None] * 0.01, np.tile(
        np.concatenate([data.joints, data.poses], axis=1), (rows // 1000, 1))], axis=1)
    path = tmp_path / 'big.csv'
    with open(path, 'w') as f:
        f.write(','.join(record_columns()) + '\n')
        np.savetxt(f, table, delimiter=',', fmt='%.17g')
    script = ('import resource, sys\n'
              'from ik_net_ros.data import load_dataset\n'
              'base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n'
              'data = load_dataset(sys.argv[1])\n'
              'peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n'
              'print(len(data), (peak - base) * 1024)\n')
    out = subprocess.run([sys.executable, '-c', script, str(path)], capture_output=True,
                         text=True, timeout=600, check=True).stdout.split()
    assert int(out[0]) == rows
    floats = rows * 11 * 8
    assert int(out[1]) < 2 * floats + 64e6, f'peak {int(out[1]) / 1e6:.0f} MB'


def test_too_little_memory_for_a_recording_is_a_clear_error(tmp_path, monkeypatch):
    from ik_net_ros.data import files
    path = tmp_path / 'rec.csv'
    save_dataset(make_synthetic(100, seed=1), path)
    monkeypatch.setattr(files, '_available_memory', lambda: 1000)  # bytes
    with pytest.raises(DatasetError, match='100 rows need .* GB of memory is available'):
        load_dataset(path)

    def no_memory(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr(files, '_available_memory', lambda: None)
    monkeypatch.setattr(files.np, 'empty', no_memory)
    with pytest.raises(DatasetError, match='out of memory for 100 rows'):
        load_dataset(path)
