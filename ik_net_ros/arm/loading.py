"""
``load_arm``: an :class:`~ik_net_ros.arm.model.Arm` from a URDF plus a YAML of what it lacks.

The YAML (``descriptions/<name>.yaml`` for a shipped arm) holds: ``name``; ``urdf`` (a path
relative to the YAML) or ``descriptions`` (one entry per ROBOTIS description of the same arm,
each with its ``urdf`` and any top-level key it overrides) with ``default_description``;
``tool_frame``; ``joints`` (name -> lower, upper in rad or m, velocity in rad/s: the real
limits); ``home``; ``table_z``; ``capsules``; ``pairs``; ``servos`` (joint -> id, model,
mode and what the driver writes: ``drive_mode``, ``return_delay``, ``gains`` [P, I, D],
``profile`` [velocity, acceleration], ``current_limit``, ``goal_current``); ``gripper``. Every
value is checked (a servo's settings against its model's control table); a bad file raises
:class:`ArmError` naming it and the key.
"""

from __future__ import annotations

import functools
from pathlib import Path

from ik_net_ros.arm.model import Arm, Capsule, Gripper, Joint, Origin, Servo
from ik_net_ros.arm.servo_models import (
    check_settings,
    CURRENT_POSITION,
    MODE_OF,
    SERVO_MODELS,
    ServoSettings,
)
from ik_net_ros.arm.urdf_chain import ArmError, read_urdf, urdf_chain
from ik_net_ros.bounded_files import check_number, load_yaml

__all__ = ['load_arm', 'default_arm', 'ARM_NAMES', 'DEFAULT_ARM', 'DESCRIPTIONS_DIR']

DESCRIPTIONS_DIR = Path(__file__).resolve().parent / 'descriptions'
ARM_NAMES = ('open_manipulator_x', 'omx_f', 'omy_3m', 'omy_f3m')
DEFAULT_ARM = 'open_manipulator_x'
MAX_ALLOWANCE = 0.03  # m a pair's capsules may overlap: more is no check of the pair
KEYS = {'name', 'urdf', 'descriptions', 'default_description', 'tool_frame', 'joints', 'home',
        'table_z', 'capsules', 'pairs', 'servos', 'gripper'}


def _yaml(path: Path) -> dict:
    data = load_yaml(path, ArmError, 'arm YAML')
    if not isinstance(data, dict):
        raise ArmError(f'{path}: an arm file is a mapping, got {type(data).__name__}')
    unknown = sorted(str(k) for k in set(data) - KEYS)
    if unknown:
        raise ArmError(f'{path}: unknown key(s) {unknown[:5]}')
    return data


def _number(value, what: str, lo: float = -1e3, hi: float = 1e3) -> float:
    return check_number(value, what, lo, hi)


def _mapping(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f'{what} must be a mapping, got {type(value).__name__}')
    return value


def _name(value, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 200:
        raise ValueError(f'{what} must be a name, got {value!r}')
    return value


def _point(value, what: str) -> tuple[float, ...]:
    if not isinstance(value, (list, tuple)) or len(value) != 3:
        raise ValueError(f'{what} must be 3 numbers (m), got {value!r}')
    return tuple(_number(v, f'{what}[{i}]', -10, 10) for i, v in enumerate(value))


def _servo_id(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 252:
        raise ValueError(f'{what} must be a servo id in [0, 252], got {value!r}')
    return value


def _select(data: dict, description, path: Path) -> tuple[dict, str]:
    """Return the YAML with the chosen description's keys laid over it, and its name."""
    variants = data.get('descriptions')
    if variants is None:
        if description not in (None, ''):
            raise ArmError(f'{path}: this arm has one description; got description '
                           f'{description!r}')
        return data, ''
    variants = _mapping(variants, 'descriptions')
    name = data.get('default_description') if description in (None, '') else description
    if name not in variants:
        raise ArmError(f'{path}: description must be one of {sorted(map(str, variants))}, '
                       f'got {name!r}')
    chosen = _mapping(variants[name], f'descriptions.{name}')
    unknown = sorted(str(k) for k in set(chosen) - KEYS)
    if unknown:
        raise ArmError(f'{path}: unknown key(s) {unknown[:5]} in descriptions.{name}')
    merged = dict(data)
    merged.update(chosen)
    if isinstance(data.get('gripper'), dict) and isinstance(chosen.get('gripper'), dict):
        merged['gripper'] = {**data['gripper'], **chosen['gripper']}
    return merged, name


def _joints(data: dict, chain) -> list[Joint]:
    limits = _mapping(data.get('joints'), 'joints')
    names = [c[0] for c in chain]
    if list(limits) != names:
        raise ValueError(f'joints must name the chain joints {names} in order, got '
                         f'{list(limits)[:8]}')
    out = []
    for name, kind, axis, origin, _, _, urdf_velocity, child in chain:
        spec = _mapping(limits[name], f'joints.{name}')
        bound = 20.0 if kind == 'revolute' else 5.0
        lower = _number(spec.get('lower'), f'joints.{name}.lower', -bound, bound)
        upper = _number(spec.get('upper'), f'joints.{name}.upper', -bound, bound)
        velocity = _number(spec.get('velocity', urdf_velocity), f'joints.{name}.velocity',
                           1e-6, 100)
        out.append(Joint(name, kind, tuple(axis), Origin.from_matrix(origin), lower, upper,
                         velocity, child))
    return out


def _capsules(data: dict, links: set) -> tuple[tuple[Capsule, ...], tuple]:
    capsules = []
    for i, spec in enumerate(data.get('capsules') or []):
        spec = _mapping(spec, f'capsules[{i}]')
        link = _name(spec.get('link'), f'capsules[{i}].link')
        if link not in links:
            raise ValueError(f'capsules[{i}].link {link!r} is not a link of the chain')
        capsules.append(Capsule(_name(spec.get('name'), f'capsules[{i}].name'), link,
                                _point(spec.get('a'), f'capsules[{i}].a'),
                                _point(spec.get('b'), f'capsules[{i}].b'),
                                _number(spec.get('radius'), f'capsules[{i}].radius', 0, 0.5),
                                bool(spec.get('table', True))))
    names = [c.name for c in capsules]
    pairs, allowances = [], []
    for i, pair in enumerate(data.get('pairs') or []):
        # [a, b] or [a, b, allowance m]: how far the two capsules may overlap (see Arm)
        if not isinstance(pair, (list, tuple)) or len(pair) not in (2, 3) \
                or not all(p in names for p in pair[:2]):
            raise ValueError(f'pairs[{i}] must be two capsule names of {names} (and an '
                             f'allowance, m), got {pair!r}')
        pairs.append((str(pair[0]), str(pair[1])))
        allowances.append(_number(pair[2], f'pairs[{i}][2]', 0, MAX_ALLOWANCE)
                          if len(pair) == 3 else 0.0)
    return tuple(capsules), tuple(pairs), tuple(allowances)


SERVO_KEYS = {'id', 'model', 'mode', 'drive_mode', 'return_delay', 'gains', 'profile',
              'current_limit', 'goal_current'}
GRIPPER_KEYS = {'joint', 'id', 'model', 'lower', 'upper', 'horn', 'drive_mode', 'return_delay',
                'gains', 'profile', 'current_limit', 'goal_current'}


def _settings(item: dict, what: str, model: str, mode: int,
              default: ServoSettings) -> ServoSettings:
    """
    Return the servo settings of one ``servos`` / ``gripper`` entry (``default`` where unsaid).

    Checked against the control table of ``model`` in Operating ``mode`` (a model the package
    has no table of takes no settings: nothing would check them).
    """
    given = {k: item[k] for k in ('drive_mode', 'return_delay', 'gains', 'profile',
                                  'current_limit', 'goal_current') if k in item}
    for key in ('gains', 'profile'):
        if key in given:
            if not isinstance(given[key], list):
                raise ValueError(f'{what}.{key} must be a list of whole numbers, got '
                                 f'{given[key]!r}')
            given[key] = tuple(given[key])
    settings = ServoSettings(**{**default.__dict__, **given})
    if model not in SERVO_MODELS:
        if given:
            raise ValueError(f'{what}: servo model {model} has no control table here to check '
                             f'its settings {sorted(given)} against')
        return settings
    try:
        check_settings(settings, model, mode)
    except ValueError as e:
        raise ValueError(f'{what} ({model}): {e}') from None
    return settings


def _servos(data: dict, joints: list[Joint]) -> tuple[tuple[Servo, ...], Gripper | None]:
    servos = []
    spec = _mapping(data.get('servos', {}), 'servos')
    if spec and list(spec) != [j.name for j in joints]:
        raise ValueError(f'servos must name every joint in order, got {list(spec)[:8]}')
    for name, item in spec.items():
        item = _mapping(item, f'servos.{name}')
        unknown = sorted(str(k) for k in set(item) - SERVO_KEYS)
        if unknown:
            raise ValueError(f'servos.{name}: unknown key(s) {unknown[:5]}')
        model = _name(item.get('model'), f'servos.{name}.model')
        mode = _name(item.get('mode', 'position'), f'servos.{name}.mode')
        if mode not in MODE_OF:
            raise ValueError(f'servos.{name}.mode must be one of {list(MODE_OF)}, got {mode!r}')
        servos.append(Servo(name, _servo_id(item.get('id'), f'servos.{name}.id'), model, mode,
                            _settings(item, f'servos.{name}', model, MODE_OF[mode],
                                      ServoSettings())))
    gripper = data.get('gripper')
    if gripper is not None:
        gripper = _mapping(gripper, 'gripper')
        unknown = sorted(str(k) for k in set(gripper) - GRIPPER_KEYS)
        if unknown:
            raise ValueError(f'gripper: unknown key(s) {unknown[:5]}')
        lower = _number(gripper.get('lower'), 'gripper.lower', -10, 10)
        upper = _number(gripper.get('upper'), 'gripper.upper', -10, 10)
        if not lower < upper:
            raise ValueError(f'gripper: lower {lower} must be below upper {upper}')
        horn = gripper.get('horn')  # two [joint, horn rad] points; absent: horn = joint
        if horn is not None:
            if not (isinstance(horn, list) and len(horn) == 2
                    and all(isinstance(p, list) and len(p) == 2 for p in horn)):
                raise ValueError(f'gripper.horn must be two [joint, rad] points, got {horn!r}')
            horn = tuple((_number(p[0], 'gripper.horn', -10, 10),
                          _number(p[1], 'gripper.horn', -10, 10)) for p in horn)
        model = _name(gripper.get('model'), 'gripper.model')
        gripper = Gripper(_name(gripper.get('joint'), 'gripper.joint'),
                          _servo_id(gripper.get('id'), 'gripper.id'), model, lower, upper, horn,
                          _settings(gripper, 'gripper', model, CURRENT_POSITION,
                                    Gripper.settings))
    ids = [s.id for s in servos] + ([gripper.id] if gripper else [])
    if len(set(ids)) != len(ids):
        raise ValueError(f'servo ids must differ, got {ids}')
    return tuple(servos), gripper


def _build(data: dict, description: str, yaml_path: Path, urdf_path: Path) -> Arm:
    where = f'{urdf_path} ({yaml_path})'
    try:
        tool_frame = _name(data.get('tool_frame'), 'tool_frame')
        urdf = read_urdf(urdf_path)
        base, chain, tool = urdf_chain(urdf, tool_frame, str(urdf_path))
        joints = _joints(data, chain)
        home = data.get('home')
        if not isinstance(home, (list, tuple)) or len(home) != len(joints):
            raise ValueError(f'home must be {len(joints)} joint values, got {home!r}')
        home = tuple(_number(v, f'home[{i}]', j.lower, j.upper)
                     for i, (v, j) in enumerate(zip(home, joints)))
        links = {base} | {j.child for j in joints}
        capsules, pairs, allowances = _capsules(data, links)
        servos, gripper = _servos(data, joints)
        return Arm(name=_name(data.get('name'), 'name'), description=description,
                   base_frame=base, joints=tuple(joints), tool_frame=tool_frame,
                   tool=Origin.from_matrix(tool), home=home, capsules=capsules, pairs=pairs,
                   pair_allowances=allowances,
                   table_z=_number(data.get('table_z', 0.0), 'table_z', -10, 10),
                   servos=servos, gripper=gripper, source=where)
    except ArmError:
        raise
    except (TypeError, ValueError) as e:
        raise ArmError(f'{yaml_path}: {e}') from None


def _stamp(path: Path):
    try:
        info = path.stat()
    except OSError as e:
        raise ArmError(f'{path}: cannot read: {e.strerror or e}') from None
    return info.st_mtime_ns, info.st_size


# (yaml, description, urdf given) -> (yaml stamp, urdf path, urdf stamp, arm): a second load of
# unchanged files costs two stat calls (files a xacro includes are not watched)
_CACHE: dict = {}


def _load_cached(yaml_path: Path, description, urdf_path) -> Arm:
    key = (yaml_path, description, urdf_path)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] == _stamp(yaml_path) and hit[2] == _stamp(hit[1]):
        return hit[3]
    stamp = _stamp(yaml_path)
    data = _yaml(yaml_path)
    try:
        data, chosen = _select(data, description, yaml_path)
        if urdf_path is None:
            urdf = data.get('urdf')
            if not isinstance(urdf, str) or not urdf:
                raise ValueError(f"urdf must be the path of the arm's URDF, got {urdf!r}")
            urdf_path = yaml_path.parent / urdf
    except ArmError:
        raise
    except (TypeError, ValueError) as e:  # a name that is a list, ...
        raise ArmError(f'{yaml_path}: {e}') from None
    urdf_stamp = _stamp(urdf_path)
    arm = _build(data, chosen, yaml_path, urdf_path)
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[key] = (stamp, urdf_path, urdf_stamp, arm)
    return arm


def load_arm(name_or_path: str | Path = DEFAULT_ARM, description: str | None = None) -> Arm:
    """
    Return the arm of a shipped name or of an arm YAML file (which names its URDF).

    Parameters
    ----------
    name_or_path
        One of :data:`ARM_NAMES`, or the path of an arm's .yaml (its ``urdf`` key a .urdf or
        .urdf.xacro, relative to the YAML), or of a .urdf / .urdf.xacro with a .yaml of the
        same stem beside it (the YAML's ``urdf`` key is then not used).
    description
        For an arm with several descriptions (the OM-X: 'humble', joint1 at z = 0.017 m, the
        physical value, the default; 'jazzy', 0.0): which one. None: the YAML's default.

    A .xacro is a program (its ``${...}`` are Python expressions): load only xacros you trust,
    as you would a launch file. Loading a shipped arm costs ~10 ms (its parsed tree, beside its
    URDF); another URDF is parsed with yourdfpy (~1 s more, once per process, to import it). Arms
    are cached per file and modification time: a second load is a few ``stat`` calls.

    Raises
    ------
    ArmError
        Unknown name, missing or malformed file, or a URDF without the chain the YAML needs.

    """
    if isinstance(name_or_path, str) and name_or_path in ARM_NAMES:
        path, urdf = DESCRIPTIONS_DIR / f'{name_or_path}.yaml', None
    elif isinstance(name_or_path, (str, Path)) and str(name_or_path).endswith(
            ('.yaml', '.yml', '.urdf', '.xacro')):
        path, urdf = Path(name_or_path), None
        if not str(path).endswith(('.yaml', '.yml')):  # the URDF given, its YAML beside it
            urdf = path.resolve()
            path = path.with_name(f'{path.name.split(".")[0]}.yaml')
    else:
        raise ArmError(f'arm must be one of {ARM_NAMES} or the path of an arm .yaml/.urdf, '
                       f'got {name_or_path!r}')
    if description is not None and not isinstance(description, str):
        raise ArmError(f'description must be a name, got {description!r}')
    return _load_cached(path.resolve(), description, urdf)


@functools.lru_cache(maxsize=8)
def default_arm(description: str | None = None) -> Arm:
    """
    Return the package's default arm, the OM-X (ROBOTIS's humble description unless told).

    What every function that takes an arm uses when none is given, so that every OM-X command
    of the package works unchanged. Loaded once per process.
    """
    return load_arm(DEFAULT_ARM, description)


def arm_or_default(arm: Arm | None) -> Arm:
    """
    Return ``arm``, or :func:`default_arm` for None: what a function taking ``arm=None`` uses.

    Raises
    ------
    TypeError
        ``arm`` is neither an :class:`~ik_net_ros.arm.Arm` nor None (an old OM-X geometry
        mapping is read by :func:`ik_net_ros.kinematics.legacy_geometry.legacy_arm`).

    """
    if arm is None:
        return default_arm()
    if isinstance(arm, Arm):
        return arm
    raise TypeError(f'expected an Arm (or None: the default arm), got {type(arm).__name__}')


@functools.lru_cache(maxsize=16)
def arm_descriptions(name: str = DEFAULT_ARM) -> tuple[str, ...]:
    """
    Return the names of ROBOTIS's descriptions of shipped arm ``name`` (() if it has one).

    The OM-X: ('humble', 'jazzy'), joint1 at z = 0.017 m and at 0.0.

    Raises
    ------
    ArmError
        ``name`` is not one of :data:`ARM_NAMES`.

    """
    if name not in ARM_NAMES:
        raise ArmError(f'arm must be one of {ARM_NAMES}, got {name!r}')
    variants = _yaml(DESCRIPTIONS_DIR / f'{name}.yaml').get('descriptions') or {}
    return tuple(variants)
