"""
The report's ROS part: latency against the floor, the ik node's callback taken apart, verdicts.

Issue 36's goals, ratios within one run: the ik node's p50 within GAP_MS of the floor's, both
ways of alternating, for small steps and far targets alike; its p99 within P99_RATIO of the
floor's; its process CPU per target within CPU_RATIO of the floor's.
"""

from __future__ import annotations

from benchmarks.ros_breakdown import outside_callback, PARTS
from benchmarks.ros_latency import BLOCK_S

__all__ = ['ros_section', 'ros_verdict', 'thread_split', 'GAP_MS', 'P99_RATIO', 'CPU_RATIO']

GAP_MS = 0.3
P99_RATIO = 2.0
CPU_RATIO = 1.5
_WAYS = (('100', f'small steps, in blocks of {BLOCK_S:g} s'),
         ('100/each', 'small steps, target by target'),
         ('100/far', f'far targets, in blocks of {BLOCK_S:g} s'),
         ('100/far/each', 'far targets, target by target'))
_PART_NAMES = {'frames': 'frame transform', 'solve': 'solve() without the check',
               'check': 'collision check (in solve)', 'publish': "the command's publish",
               'feedback': "the target's bookkeeping", 'rest': 'rest of the callback'}


def _label(key: str) -> str:
    rate, *more = key.split('/')
    far, each = ', far' if 'far' in more else '', ', each' if 'each' in more else ''
    return f'{rate} Hz{far}{each}'


def ros_section(ros: dict, breakdown: dict | None, table) -> list[str]:
    """Return the markdown of the ROS part (``table(header, rows)`` renders a table)."""
    md = ['## End-to-end latency through ROS\n',
          'PoseStamped published -> JointState received (stamps matched), sim driver running, '
          'each responder in its own process as `ros2 launch` starts it. Floor: a do-nothing '
          "responder (`echo_responder`) with the ik node's QoS. Both run at once on their own "
          "topics and the targets alternate between them, so changes in the machine's load hit "
          f'both alike: in blocks of {BLOCK_S:g} s, and (rows "each") target by target, where '
          'every answer comes after the same pause. Two streams: small steps (a sweep) and '
          'targets far apart (a pick-and-place program: clear poses at least 0.5 rad apart in '
          f'some joint). Goals at 100 Hz: ik p50 within {GAP_MS:g} ms of the floor, p99 within '
          f"{P99_RATIO:g}x, process CPU per target within {CPU_RATIO:g}x the floor's; at 1 kHz: "
          'no backlog, the newest target answered.\n']
    rows = []
    for key, pair in ros.items():
        for who in ('floor', 'ik'):
            r = pair[who]
            rows.append([_label(key), who, r['sent'], r['answered'], r['p50_ms'], r['p99_ms'],
                         r['first_half_p50_ms'], r['second_half_p50_ms'],
                         'yes' if r['newest_answered'] else 'no', r.get('cpu_ms_per_target')])
    md.append(table(['rate', 'responder', 'sent', 'answered', 'p50 ms', 'p99 ms',
                     'p50 first half', 'p50 second half', 'newest answered',
                     'process CPU ms per target'], rows))
    md.append('\n' + ' '.join(ros_verdict(ros)) + '\n')
    if breakdown:
        md += _breakdown(ros, breakdown, table)
    return md


def _breakdown(ros: dict, breakdown: dict, table) -> list[str]:
    md = ['### Where the time per target goes\n',
          "The ik node's callback taken apart (`benchmarks/ros_breakdown.py`: the node in the "
          'benchmark process, `on_target` called at 100 Hz, each part timed inside it, p50 us; '
          'the sim driver subscribing to the commands). Outside the callback (wake-up, '
          "executor, DDS): the process's CPU per target in the latency runs above minus the "
          "callback's p50. `far/vectorised`: the far targets with the solver's one-pose path "
          'off (the vectorised rule the node took for them before). Other messages per '
          'target: what else woke the node (its callbacks counted while it is spun between '
          "targets, by topic; each a wake-up of the process): the driver's answers reach it "
          'only when they matter (refusals; acceptances while `target_fate` has a '
          'listener).\n']
    header = ['stream'] + [_PART_NAMES[p] for p in PARTS] + [
        'callback', 'one-pose path', 'other messages per target', 'their callbacks us',
        'outside the callback ms']
    rows = []
    for kind, parts in breakdown.items():
        key = '100/far/each' if kind.startswith('far') else '100/each'
        cpu = ros.get(key, {}).get('ik', {}).get('cpu_ms_per_target')
        share = parts.get('plain_float_share')
        rows.append([kind] + [parts[f'{p}_us'] for p in PARTS] + [
            parts['callback_us'], None if share is None else f'{100 * share:.0f} %',
            _wakeups(parts), parts.get('answers_us'),
            None if kind.endswith('/vectorised') else
            outside_callback(cpu, parts['callback_us'])])
    md.append(table(header, rows))
    floor = ros.get('100/each', {}).get('floor', {}).get('cpu_ms_per_target')
    if floor is not None:
        md.append(f"\nThe floor's process: {floor:.3f} ms CPU per target (target by target), "
                  'nearly all of it outside its callback (it copies a stamp).\n')
    split = [_thread_line(key, ros[key]) for key in ('100/each', '100/far/each') if key in ros]
    if any(split):
        md.append('\nBy thread (ms CPU per target: the main thread runs the executor and the '
                  "callbacks, Fast DDS's threads receive and send): " +
                  '; '.join(line for line in split if line) + '.\n')
    return md


def thread_split(figures: dict) -> tuple[float, float] | None:
    """Return (main thread, every other thread) ms CPU per target of one responder, or None."""
    threads = figures.get('cpu_ms_by_thread')
    if not threads:
        return None
    main = threads.get('main', 0.0)
    return main, sum(threads.values()) - main


def _thread_line(key: str, run: dict) -> str:
    ik, floor = thread_split(run.get('ik', {})), thread_split(run.get('floor', {}))
    if ik is None or floor is None:
        return ''
    return (f'{"far targets" if "far" in key else "small steps"}, target by target: ik main '
            f'{ik[0]:.3f}, DDS {ik[1]:.3f}; floor main {floor[0]:.3f}, DDS {floor[1]:.3f}')


def _wakeups(parts: dict) -> str | None:
    """Return the other messages per target, by topic ('0' when none; None: not measured)."""
    if 'wakeups_per_target' not in parts:
        return None
    topics = parts.get('wakeups_by_topic') or {}
    return f"{parts['wakeups_per_target']:.2f}" + ''.join(
        f' ({topic} {share:.2f})' for topic, share in topics.items())


def ros_verdict(ros: dict) -> list[str]:
    """Return one line per goal of issue 36 the latency runs judge (met / missed, ratios)."""
    lines = []
    for key, how in _WAYS:
        if key not in ros:
            continue
        ik, floor = ros[key]['ik'], ros[key]['floor']
        d50 = ik['p50_ms'] - floor['p50_ms']
        ratio = ik['p99_ms'] / floor['p99_ms']
        gaps = ros[key].get('gaps_ms', [d50])
        runs = (f' (median of {len(gaps)} runs: ' + ', '.join(f'{g:+.2f}' for g in gaps)
                + ' ms)') if len(gaps) > 1 else ''
        line = (f'At 100 Hz, {how}, the ik node adds {d50:+.2f} ms at p50{runs} (goal <= '
                f'{GAP_MS:g} ms: {"met" if d50 <= GAP_MS else "missed"}) and its p99 is '
                f"{ratio:.2f}x the floor's (goal <= {P99_RATIO:g}x: "
                f'{"met" if ratio <= P99_RATIO else "missed"})')
        cpu, floor_cpu = ik.get('cpu_ms_per_target'), floor.get('cpu_ms_per_target')
        if cpu and floor_cpu:
            share = cpu / floor_cpu
            line += (f"; its process CPU per target is {share:.2f}x the floor's ({cpu:.2f} vs "
                     f'{floor_cpu:.2f} ms; goal <= {CPU_RATIO:g}x: '
                     f'{"met" if share <= CPU_RATIO else "missed"})')
        lines.append(line + '.')
    if '1000' in ros:
        ik = ros['1000']['ik']
        growth = (ik['second_half_p50_ms'] or 0) - (ik['first_half_p50_ms'] or 0)
        lines.append(f'At 1 kHz the ik node answered {ik["answered"]} of {ik["sent"]} targets '
                     f'(older ones are dropped by design: newest wins), newest answered: '
                     f'{"yes" if ik["newest_answered"] else "no"}; p50 drift first -> second '
                     f'half {growth:+.2f} ms ({"no backlog" if growth < 1.0 else "backlog"}).')
    return lines
