"""Appending to a recording: bounded memory whatever its size, and a torn tail kept, not cut."""

import logging
import os
from pathlib import Path
import subprocess
import sys
import tempfile

from hypothesis import given, HealthCheck, settings
from hypothesis import strategies as st
from ik_net_ros.data import load_dataset
from ik_net_ros.data.recorder import CsvRecorder, record_columns
from ik_net_ros.kinematics import forward_kinematics
import numpy as np

HEADER = (','.join(record_columns()) + '\n').encode()
ROW = (','.join(['0.125'] * len(record_columns())) + '\n').encode()

# the child: imports first, then a limit on its address space HEADROOM over what it has mapped,
# then reopens the recording (a quarter of it torn off), appends a row, says how many it found
CHILD = """
import resource, sys
from ik_net_ros.data.recorder import CsvRecorder
import numpy as np
size = [int(line.split()[1]) for line in open('/proc/self/status')
        if line.startswith('VmSize')][0] * 1024
limit = size + int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
recorder = CsvRecorder(sys.argv[1])
recorder.append(1.0, np.zeros(4), np.array([0, 0, 0.3, 0, 0, 0, 1.0]))
recorder.close()
print(recorder.existing_rows)
"""
HEADROOM = 48 << 20  # bytes: what the child may map beyond its imports


def test_appending_to_a_large_recording_takes_bounded_memory():
    """A recording twice the child's headroom is appended to: read whole, it would not fit."""
    rows = (2 * HEADROOM) // len(ROW)
    torn = b'7.5,0.25,' * ((HEADROOM // 4) // 9)  # a torn tail a quarter of the headroom
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / 'big.csv'
        with open(path, 'wb') as f:
            f.write(HEADER)
            for start in range(0, rows, 100_000):
                f.write(ROW * min(100_000, rows - start))
            f.write(torn)
        env = {**os.environ, 'OPENBLAS_NUM_THREADS': '1', 'OMP_NUM_THREADS': '1'}
        done = subprocess.run([sys.executable, '-c', CHILD, str(path), str(HEADROOM)],
                              capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert int(done.stdout.split()[-1]) == rows
        with open(path, 'rb') as f:  # the rows, then the one appended, on a line of its own
            f.seek(len(HEADER) + rows * len(ROW) - len(ROW))
            assert f.readline() == ROW and f.readline().startswith(b'1,0,0,0,0,')
            assert f.read() == b''
        assert Path(f'{path}.torn-1').read_bytes() == torn


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # caplog cleared each time
@given(rows=st.integers(0, 30), torn=st.binary(min_size=1, max_size=64).filter(
    lambda b: b'\n' not in b), repeat=st.integers(1, 40_000), reopen=st.integers(1, 3))
def test_a_torn_tail_of_any_size_is_kept_byte_for_byte(rows, torn, repeat, reopen, caplog):
    """
    Whatever torn off, however long: the recording loads, and every byte is on disk somewhere.

    Torn tails up to 2.5 MB (over the recorder's 1 MB blocks), torn again on each reopening.
    """
    joints = np.random.default_rng(rows).uniform(-1, 1, (rows + reopen, 4))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / 'rec.csv'
        recorder = CsvRecorder(path)
        for q in joints[:rows]:
            recorder.append(0.5, q, forward_kinematics(q))
        recorder.close()
        kept = []
        for k in range(reopen):
            tail = (torn * repeat)[:2_500_000]
            whole = path.read_bytes() + tail
            path.write_bytes(whole)
            caplog.clear()
            with caplog.at_level(logging.WARNING, logger='ik_net_ros.data.recorder'):
                recorder = CsvRecorder(path)
            side = Path(f'{path}.torn-{k + 1}')
            assert f'moved to {side}' in caplog.text
            assert path.read_bytes() + side.read_bytes() == whole
            assert recorder.existing_rows == rows + k
            recorder.append(0.5, joints[rows + k], forward_kinematics(joints[rows + k]))
            recorder.close()
            kept.append(tail)
        back = load_dataset(path)
        np.testing.assert_allclose(back.joints, joints)
        assert [Path(f'{path}.torn-{k + 1}').read_bytes() for k in range(reopen)] == kept
