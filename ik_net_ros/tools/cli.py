"""
The ``ik_net_ros`` command line: one entry point, a subcommand per tool.

Each tool module defines ``add_arguments(parser)`` and ``run(args) -> int``; modules are imported
only when their subcommand runs, so ``ik_net_ros --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

__all__ = ['main', 'COMMANDS']

# subcommand -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    'solve': ('ik_net_ros.tools.solve', 'joints for one pose given on the command line'),
    'dataset': ('ik_net_ros.tools.dataset', 'write a dataset (synthetic, converted, imported)'),
    'train': ('ik_net_ros.tools.train', 'train a network and save it (both files of a model)'),
    'evaluate': ('ik_net_ros.tools.evaluate', 'accuracy of a model on a dataset'),
    'calibrate': ('ik_net_ros.tools.calibrate',
                  "identify a real arm's joint offsets and link lengths from measured poses"),
    'true-arm': ('ik_net_ros.sim.true_arm_recording',
                 'a simulated imperfect arm (and a recording of it) for the sim driver'),
    'calibration-demo': ('ik_net_ros.sim.calibration_demo',
                         'calibration and learned correction of a simulated imperfect arm'),
    'export': ('ik_net_ros.tools.export',
               'write the torch-free weights file (.npz) beside a checkpoint'),
    'info': ('ik_net_ros.tools.info', 'what a checkpoint carries: network, training, metrics'),
    'demo': ('ik_net_ros.sim.demo', 'live IK on a simulated arm over real DDS'),
    'view': ('ik_net_ros.tools.view', 'drag a target in a browser: a live 3D view of the arm'),
}


class _Parser(argparse.ArgumentParser):
    """
    Bad arguments in one line (``ik_net_ros train: error: ...``) and exit 2.

    Like every other refusal of the command; ``--help`` shows the usage.
    """

    def error(self, message: str):
        self.exit(2, f'{self.prog}: error: {message} (see {self.prog} --help)\n')


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """
    Return the parser; only ``command``'s module is imported for its arguments.

    All of them when None. So running one subcommand imports nothing another needs (torch for
    training).
    """
    parser = _Parser(
        prog='ik_net_ros',
        description="Learned inverse kinematics for ROBOTIS's arms (OM-X, OMX-F, OMY).")
    parser.add_argument('-v', '--verbose', action='store_true', help='debug logging')
    sub = parser.add_subparsers(dest='command', metavar='COMMAND', required=True,
                                parser_class=_Parser)
    for name, (module, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.set_defaults(_module=module)
        if command is None or name == command:
            importlib.import_module(module).add_arguments(cmd)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a subcommand; returns the process exit code (errors of the package give 2)."""
    from ik_net_ros.errors import IkNetError
    words = sys.argv[1:] if argv is None else list(argv)
    command = next((w for w in words if not w.startswith('-')), None)
    args = build_parser(command if command in COMMANDS else '').parse_args(words)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format='%(levelname)s %(name)s: %(message)s')
    try:
        return int(importlib.import_module(args._module).run(args) or 0)
    except IkNetError as e:
        print(f'error: {_one_line(e)}', file=sys.stderr)
        return 2
    except OSError as e:  # a file the package does not own: unreadable, disk full...
        print(f'error: {e.filename or ""}: {e.strerror or e}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
        return 130


def _one_line(error: Exception) -> str:
    return ' '.join(str(error).split())


if __name__ == '__main__':
    sys.exit(main())
