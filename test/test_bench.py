"""
The benchmark tool runs end to end on tiny sizes and writes its report.

Figures are printed and compared to targets by `make bench`; tests assert no timing.
"""

import json
from pathlib import Path
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parents[1]
# the benchmark compares with ikpy and runs ONNX Runtime: pip only (no apt package, and rosdep
# has only pip keys, python3-ikpy-pip and python3-onnxruntime-pip, none for onnx)
for _module, _install in (('ikpy', 'pip install ikpy (requirements-dev.txt)'),
                          ('onnx', 'pip install onnx (requirements.txt)'),
                          ('onnxruntime', 'pip install onnxruntime (requirements.txt)')):
    pytest.importorskip(_module, reason=f'the benchmark needs {_module}: {_install}')


def test_bench_writes_report_tables_and_charts(tmp_path):
    proc = subprocess.run(
        [sys.executable, '-m', 'benchmarks.run', '--output', str(tmp_path),
         '--models', 'focused', '--held-out', '300', '--repeats', '50', '--batch', '2000',
         '--ros-duration', '0', '--ikpy-poses', '3', '--cost-max', '300'],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    report = (tmp_path / 'benchmarks.md').read_text()
    for section in ('## Accuracy on held-out poses', '## Inference time', '## Memory',
                    '## Targets', '| focused |', '| analytic |', 'ikpy', 'no GPU',
                    '## Batched inference on the CPU', 'fp32 ceiling', '% of peak',
                    'Engines side by side', '| focused | ONNX Runtime |',
                    '| focused | numpy twin |', '| focused | torch eager (CPU) |',
                    'Cost per pose against the batch size', 'N=256', 'non-network share',
                    "Where the network's time goes", 'matmuls only, poses/s',
                    'of SGEMM', 'A calibrated arm whose axes lean', 'leaning arm: single pose',
                    'of the practical SGEMM ceiling'):
        assert section in report, section
    for chart in ('bench_accuracy.png', 'bench_latency.png', 'bench_memory.png',
                  'bench_cost_per_pose.png', 'bench_network_profile.png'):
        assert (tmp_path / chart).stat().st_size > 5000
    results = json.loads((tmp_path / 'benchmarks.json').read_text())
    focused = results['solvers']['focused']
    assert focused['memory']['parameters'] > 0
    assert 0 < focused['accuracy']['position_mm_median'] < focused['accuracy']['position_mm_max']
    assert results['ikpy']['count'] == 3
    assert results['peak']['gflops'] > 0 and results['peak']['method']
    # the peak is one core's best times the cores: no engine's matmuls on one core beat it
    peak = results['peak']
    assert peak['gflops'] >= peak['per_core_gflops'] * peak['cores'] * (1 - 1e-9)
    assert 0 < peak['sgemm']['gflops'] and peak['all_cores_measured_gflops'] > 0
    assert results['leaning']['leaning']['single_us'] > 0
    assert results['leaning']['nominal']['poses_per_s'] > 0
    assert list(focused['cost_curve']) == ['1', '4', '16', '64', '256']
    assert focused['engines']['flops_per_pose'] == 338176  # the shipped focused network
    assert 0 <= focused['throughput']['non_network_share'] < 1
    profile = focused['network_profile']  # ONNX Runtime's profiler: SiLU, Gather and Concat
    assert {'Gemm', 'QuickGelu', 'Gather', 'Concat'} <= set(profile['ops'])
    assert sum(profile['us'].values()) == pytest.approx(profile['us_per_pose'])
    assert min(profile['us'].values()) > 0 and profile['matmul_gflops'] > 0


@pytest.mark.ros
def test_node_start_measures_ready_time_and_memory_of_a_real_ik_node():
    from benchmarks.ros_latency import node_start
    figures = node_start(['analytic'], starts=1)['analytic']
    assert 0 < figures['ready_s'] < 60 and figures['rss_mb'] > 20


@pytest.mark.ros
def test_ros_latency_interleaves_floor_and_ik_and_matches_every_answer():
    """
    Both ways of alternating: blocks of BLOCK_S.

    And target by target, each run twice with fresh processes (the run of median gap kept, every
    gap listed), for small steps and far targets; the report gives a verdict for each.
    """
    from benchmarks.report import _ros_verdict
    from benchmarks.report_ros import thread_split
    from benchmarks.ros_latency import BLOCK_S, ros_latency
    runs = ros_latency('focused', rates=(100.0,), duration=1.0, repeats=2)
    assert set(runs) == {'100', '100/each', '100/far', '100/far/each'}
    for key, block in (('100', int(100 * BLOCK_S)), ('100/each', 1),
                       ('100/far', int(100 * BLOCK_S)), ('100/far/each', 1)):
        floor, ik = runs[key]['floor'], runs[key]['ik']
        assert floor['sent'] == ik['sent'] == 100  # 2 x 1 s at 100 Hz, alternating
        assert floor['block'] == ik['block'] == block
        gaps = runs[key]['gaps_ms']
        assert len(gaps) == 2 and ik['p50_ms'] - floor['p50_ms'] == min(gaps)  # lower median
        for who in (floor, ik):  # (depth 1: a stalled machine may drop one; the newest never)
            assert who['answered'] >= 0.9 * who['sent'] and who['newest_answered']
            assert 0 < who['p50_ms'] <= who['p99_ms']
            # each responder's own process did work for its targets (none for the other's)
            assert 0 < who['cpu_ms_per_target'] < 1e3 * 1.0 / 50
            # and by thread: the main thread (executor, callbacks) and DDS's, adding up
            threads = who['cpu_ms_by_thread']
            assert threads['main'] > 0 and len(threads) > 1
            assert sum(threads.values()) == pytest.approx(who['cpu_ms_per_target'])
            assert sum(thread_split(who)) == pytest.approx(who['cpu_ms_per_target'])
    verdict = _ros_verdict(runs)
    assert 'in blocks of' in verdict and 'target by target' in verdict
    assert verdict.count('median of 2 runs') == 4 and verdict.count('far targets') == 2


@pytest.mark.ros
def test_the_callback_breakdown_adds_up_and_far_targets_take_the_one_pose_path():
    """Each part of on_target timed, for small steps and far targets; far: the float path."""
    from benchmarks.ros_breakdown import callback_breakdown, PARTS
    figures = callback_breakdown('analytic', count=40)
    assert set(figures) == {'steps', 'far', 'far/vectorised'}
    for parts in figures.values():
        assert parts['targets'] == 40
        assert {f'{p}_us' for p in PARTS} | {'callback_us'} <= set(parts)
        assert parts['solve_us'] > 0 and parts['publish_us'] > 0
        # the sim driver accepts every command: no answer wakes the node (issue 36)
        assert '/joint_command_result' not in parts['wakeups_by_topic'], parts
    assert figures['far']['plain_float_share'] >= 0.8
    assert figures['far/vectorised']['plain_float_share'] == 0


@pytest.mark.parametrize('args, flag', [(['--held-out', '0'], 'held-out'),
                                        (['--batch', '-1'], 'batch'),
                                        (['--ros-duration', 'inf'], 'ros-duration'),
                                        (['--ros-duration', '-1'], 'ros-duration')])
def test_bench_refuses_bad_arguments_in_one_line(args, flag):
    proc = subprocess.run([sys.executable, '-m', 'benchmarks.run', *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and 'Traceback' not in proc.stderr
    assert f'--{flag}' in proc.stderr.strip().splitlines()[-1]


def test_no_throughput_is_shown_above_100_percent_of_the_fma_peak():
    """A rate over the run's measured peak (a loaded loop) is said so, never '127 %'."""
    from benchmarks.report_batch import _one_core_share, _share
    peak = {'gflops': 100.0, 'per_core_gflops': 50.0, 'sgemm': {'gflops': 80.0,
                                                                'one_thread_gflops': 40.0}}
    for poses_per_s in (1e6, 1.27e8, 1.4e8):  # 1,000 flops a pose: 1, 127, 140 GFLOP/s
        shown = _share(poses_per_s, 1000, peak)
        assert 'above the FMA peak' in shown or int(shown.split('(')[1].split(' %')[0]) <= 100
    for rate in (10.0, 63.5, 70.0):
        shown = _one_core_share(rate, peak)
        assert 'above one core' in shown or int(shown.split('(')[1].split(' %')[0]) <= 100
