"""
The benchmark report's CPU-inference sections.

The machine's fp32 ceiling, the engines side by side, batched throughput as a share of the ceiling,
where the network's time goes, cost per pose against the batch size, and the ik node's memory and
start-up.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ['batch_sections', 'batch_verdicts', 'TARGET_THROUGHPUT', 'TARGET_NON_NETWORK',
           'TARGET_NODE_RSS_MB', 'TARGET_NODE_READY_S', 'TARGET_SHARE_OF_SGEMM']

TARGET_THROUGHPUT = 1e6  # focused solve() poses/s on 100,000 poses
TARGET_NON_NETWORK = 0.15  # share of solve()'s time that is not the network
TARGET_NODE_RSS_MB = 100.0
TARGET_NODE_READY_S = 1.0
TARGET_SHARE_OF_SGEMM = 0.70  # focused solve() on 100,000 poses against the practical ceiling


def _share(poses_per_s: float | None, flops: int | None, peak: dict | None) -> str:
    """'GFLOP/s (x % of the FMA peak, y % of SGEMM)' of a network rate on all cores."""
    if not poses_per_s or not flops:
        return '-'
    gflops = poses_per_s * flops / 1e9
    if not peak:
        return f'{gflops:.0f}'
    sgemm = (peak.get('sgemm') or {}).get('gflops')
    if gflops > peak['gflops']:  # no share over 100 %: the ceiling was measured low (load)
        return f'{gflops:.0f} (above the FMA peak measured in this run: that one ran under load)'
    return (f'{gflops:.0f} ({100 * gflops / peak["gflops"]:.0f} %'
            + (f', {100 * gflops / sgemm:.0f} % of SGEMM)' if sgemm else ')'))


def _ceiling_text(peak: dict) -> str:
    """Return the paragraph that states the run's two ceilings."""
    text = (f'The machine\'s fp32 ceilings, measured in this run. Peak: **{peak["gflops"]:.0f} '
            f'GFLOP/s** on {peak["cores"]} cores ({peak["per_core_gflops"]:.0f} per core; '
            f'{peak["method"]}; the loop on every core at once measured '
            f'{peak.get("all_cores_measured_gflops", peak["gflops"]):.0f} here, the rest is the '
            "machine's other load).")
    sgemm = peak.get('sgemm')
    if sgemm:
        one = sgemm.get('one_thread_gflops')
        text += (f' Practical: the best SGEMM of numpy\'s BLAS, **{sgemm["gflops"]:.0f} '
                 'GFLOP/s** on all cores'
                 + (f' ({one:.0f} on one thread at {sgemm["one_thread_size"]:,}^2, times the '
                    'cores' if one else ' (')
                 + f'; {sgemm["measured_gflops"]:.0f} measured on all threads at once at '
                 f'{sgemm["size"]:,}^2).')
    return text + (' Network rates below are also given as GFLOP/s and a share of both '
                   '(matmul FLOPs per pose: 2 per weight).\n')


def batch_sections(results: dict, out: Path, table) -> list[str]:
    """
    Return the Markdown lines of the sections; charts are written into ``out``.

    ``table`` formats rows.
    """
    solvers, peak = results['solvers'], results.get('peak')
    md = ['## Batched inference on the CPU\n']
    if peak:
        md.append(_ceiling_text(peak))
    md.append('`solve()` on 100,000 poses (validation, projection, reachability, the network, '
              'clamping; chunks of up to 4,096 poses on all cores, one chunk prepared while '
              'the other core runs its network) against the network alone as solve() runs it '
              '(the same chunks); the rest is the non-network share. The two timed in '
              "alternation, 7 rounds: medians of the rates and of the rounds' shares. "
              f'Targets (focused): >= {TARGET_THROUGHPUT / 1e6:.0f} M poses/s, non-network '
              f'<= {TARGET_NON_NETWORK:.0%}.\n')
    rows = []
    for name, res in solvers.items():
        thr = res.get('throughput', {})
        flops = res.get('engines', {}).get('flops_per_pose')
        rows.append([name, thr.get('solve_poses_per_s'), thr.get('network_engine', '-'),
                     thr.get('network_poses_per_s'),
                     _share(thr.get('network_poses_per_s'), flops, peak),
                     f'{100 * thr["non_network_share"]:.0f} %'
                     if 'non_network_share' in thr else '-'])
    md.append(table(['solver', 'solve() poses/s', 'engine', 'network poses/s',
                     'network GFLOP/s (% of peak)', 'non-network share'], rows))
    md.append('% of peak: of the FMA peak above, then of the practical SGEMM ceiling.\n')
    md += _profile_section(results, out, table)
    md.append('\n### Engines side by side (network alone)\n')
    md.append('Batch 1 on one thread (p50), and 100,000 poses on all cores (median of 3): torch '
              'eager (its own threads, chunks of 2,048), the numpy twin and ONNX Runtime (chunks '
              'of 4,096 on the worker threads, as solve() drives them), CUDA where present. '
              'The CPU solver runs single poses and batches of up to 64 on the numpy twin, '
              'larger ones on ONNX Runtime.\n')
    rows = []
    for name, res in solvers.items():
        eng = res.get('engines')
        if not eng:
            continue
        for engine, fig in eng['engines'].items():
            rows.append([name, engine, fig.get('batch1_us'), fig.get('poses_per_s'),
                         _share(fig.get('poses_per_s'), eng['flops_per_pose'], peak)])
    md.append(table(['network', 'engine', 'batch-1 us', 'poses/s', 'GFLOP/s (% of peak)'],
                    rows))
    curves = {n: r['cost_curve'] for n, r in solvers.items() if r.get('cost_curve')}
    if curves:
        md.append('\n### Cost per pose against the batch size\n')
        md.append('`solve()` on an (N, 7) array, us per pose (median of repeated calls, at '
                  'least 0.3 s of them per size). Up to 64 poses run one by one through the '
                  'single-pose path (never more per call than N single calls); above, the '
                  'vectorised pipeline in chunks over the cores.\n')
        sizes = list(next(iter(curves.values())))
        md.append(table(['solver'] + [f'N={int(n):,}' for n in sizes],
                        [[n] + [c.get(s) for s in sizes] for n, c in curves.items()]))
        md.append(f'\n![cost per pose]({_cost_chart(curves, out).name})\n')
    start = results.get('node_start')
    if start:
        md.append('\n### The ik node: memory and start-up\n')
        md.append('The running ik node (its own process, sim driver beside it): resident memory '
                  'after answering, and the time from starting its process to its first joint '
                  'command for a target published every 10 ms (DDS discovery of the new node '
                  "included, which varies from start to start), and to its own 'ik ready' "
                  'log line (solver loaded and warmed up). Medians of '
                  f'{next(iter(start.values()))["starts"]} starts per model. Targets: <= '
                  f'{TARGET_NODE_RSS_MB:.0f} MB, ready within {TARGET_NODE_READY_S:.0f} s.\n')
        md.append(table(['model', 'RSS MB', 'first answer s', 'each start s', 'logged ready s'],
                        [[m, f['rss_mb'], f['ready_s'],
                          ', '.join(f'{t:.2f}' for t in f.get('ready_each_s', [])),
                          f.get('logged_ready_s')] for m, f in start.items()]))
        md.append('')  # a blank line before the next section's heading
    return md


def _matmul_bound(profile: dict | None, cores: int) -> float | None:
    """Poses/s of all cores if a network's matmuls, at their measured rate, were all the work."""
    return cores * 1e6 / profile['us']['matmul'] if profile and profile['us']['matmul'] else None


def _one_core_share(rate: float | None, peak: dict | None) -> str:
    """'GFLOP/s (x % of one core's FMA peak, y % of one thread's SGEMM)'."""
    if not peak or not rate:
        return '-'
    one = (peak.get('sgemm') or {}).get('one_thread_gflops')
    if rate > peak['per_core_gflops']:  # as _share: never a share over 100 % of a ceiling
        return f"{rate:.0f} (above one core's FMA peak measured in this run: it ran under load)"
    return (f'{rate:.0f} ({100 * rate / peak["per_core_gflops"]:.0f} %'
            + (f', {100 * rate / one:.0f} %)' if one else ')'))


def _profile_section(results: dict, out: Path, table) -> list[str]:
    """Where the batch engine's time goes per network, against the machine's ceiling."""
    profiles = {n: r['network_profile'] for n, r in results['solvers'].items()
                if r.get('network_profile')}
    if not profiles:
        return []
    peak = results.get('peak')
    cores = peak['cores'] if peak else 1
    md = ["\n### Where the network's time goes\n",
          "ONNX Runtime's own profiler, one thread, runs of 256 poses (as solve() runs them); "
          "each op's median over 400 runs. Matmuls are Gemm (FusedGemm: the Gemm with its ReLU "
          'fused in), activations SiLU (QuickGelu) and the like, other the gathers, '
          'concatenations and residual additions. The last two columns are ceilings of this '
          f'machine: {cores} cores running nothing but the matmuls at their measured rate, and '
          "at the FMA loop's peak; solve() adds validation, projection and clamping to the "
          'network.\n']
    rows = []
    for name, prof in profiles.items():
        us, flops = prof['us'], results['solvers'][name].get('engines', {}).get('flops_per_pose')
        rate = prof.get('matmul_gflops')
        rows.append([name, prof['us_per_pose'], us['matmul'], us['activation'], us['other'],
                     _one_core_share(rate, peak),
                     _matmul_bound(prof, cores),
                     peak['gflops'] * 1e9 / flops if peak and flops else None])
    md.append(table(['network', 'us/pose (1 thread)', 'matmuls us', 'activations us',
                     'other us', "matmul GFLOP/s (% of a core's peak, of SGEMM)",
                     'matmuls only, poses/s', 'at FMA peak, poses/s'], rows))
    md.append(f'\n![network profile]({_profile_chart(profiles, out).name})\n')
    return md


def _profile_chart(profiles: dict, out: Path) -> Path:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 3.2))
    names = list(profiles)
    left = np.zeros(len(names))
    for kind, colour, label in (
            ('matmul', 'tab:blue', 'matmul (original: its ReLU fused in)'),
            ('activation', 'tab:orange', 'activation'), ('other', 'tab:grey', 'other')):
        widths = np.array([profiles[n]['us'][kind] for n in names])
        ax.barh(names, widths, left=left, color=colour, label=label)
        left += widths
    ax.set_xlabel('us per pose, one thread (ONNX Runtime profiler, runs of 256)')
    ax.set_title("where the network's time goes")
    ax.legend(fontsize=8, loc='lower right')
    fig.tight_layout()
    path = out / 'bench_network_profile.png'
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _cost_chart(curves: dict, out: Path) -> Path:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, curve in curves.items():
        sizes = np.array([int(n) for n in curve])
        ax.plot(sizes, [curve[str(n)] for n in sizes], marker='o', label=name)
    ax.axvline(64.5, color='grey', ls=':', lw=1, label='single-pose path up to 64')
    ax.set_xscale('log')
    ax.set_yscale('log')
    ax.set_xlabel('poses per solve() call (N)')
    ax.set_ylabel('us per pose (median)')
    ax.set_title('cost per pose of solve() on an (N, 7) array')
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / 'bench_cost_per_pose.png'
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def batch_verdicts(results: dict) -> list[str]:
    """Target lines of the sections."""
    out = []
    thr = results['solvers'].get('focused', {}).get('throughput', {})
    if thr.get('solve_poses_per_s'):
        rate = thr['solve_poses_per_s']
        bound = _matmul_bound(results['solvers']['focused'].get('network_profile'),
                              (results.get('peak') or {}).get('cores', 1))
        out.append(f'focused: {rate / 1e6:.2f} M poses/s batched vs target 1 M/s: '
                   + ('met' if rate >= TARGET_THROUGHPUT else
                      f'missed by {1 - rate / TARGET_THROUGHPUT:.0%} (the network alone: '
                      f'{thr.get("network_poses_per_s", 0) / 1e6:.2f} M/s'
                      + (f'; its matmuls alone, at their measured rate on every core, '
                         f'{bound / 1e6:.2f} M/s' if bound else '') + ')'))
    sgemm = ((results.get('peak') or {}).get('sgemm') or {}).get('gflops')
    flops = results['solvers'].get('focused', {}).get('engines', {}).get('flops_per_pose')
    if thr.get('solve_poses_per_s') and sgemm and flops:
        share = thr['solve_poses_per_s'] * flops / 1e9 / sgemm
        out.append(f'focused: solve() on 100,000 poses at {share:.0%} of the practical SGEMM '
                   f'ceiling ({sgemm:.0f} GFLOP/s) vs target >= {TARGET_SHARE_OF_SGEMM:.0%}: '
                   + ('met' if share >= TARGET_SHARE_OF_SGEMM else 'missed'))
    if 'non_network_share' in thr:
        share = thr['non_network_share']
        out.append(f'focused: non-network share of solve() {share:.0%} vs target <= '
                   f'{TARGET_NON_NETWORK:.0%}: ' + ('met' if share <= TARGET_NON_NETWORK
                                                    else 'missed'))
    for name, res in results['solvers'].items():
        curve = res.get('cost_curve')
        if curve:
            costs = list(curve.values())
            # "falls steadily": no size costs more per pose than a smaller one, give or take
            # 15 % of timing noise
            rises = [int(n) for n, c, prev in zip(list(curve)[1:], costs[1:], costs)
                     if c > 1.15 * prev]
            out.append(f'{name}: cost per pose ' + (
                'falls or holds from N = 1 to ' + f'{int(list(curve)[-1]):,}' if not rises
                else f'rises at N = {", ".join(map(str, rises))}'))
    for model, fig in results.get('node_start', {}).items():
        rss_ok = 'met' if fig['rss_mb'] <= TARGET_NODE_RSS_MB else 'missed'
        ready_ok = 'met' if fig['ready_s'] <= TARGET_NODE_READY_S else 'missed'
        out.append(f'ik node ({model}): RSS {fig["rss_mb"]:.0f} MB (<= {TARGET_NODE_RSS_MB:.0f}: '
                   f'{rss_ok}), ready {fig["ready_s"]:.2f} s (<= {TARGET_NODE_READY_S:.0f} s: '
                   f'{ready_ok})')
    return out
