"""Each arm's servo settings: ROBOTIS's values from its YAML, checked against the control table."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.arm import ArmError, load_arm
from ik_net_ros.arm.loading import DESCRIPTIONS_DIR
from ik_net_ros.arm.servo_models import (
    check_settings,
    CURRENT_POSITION,
    EXTENDED,
    POSITION,
    SERVO_MODELS,
    ServoSettings,
)
import pytest
import yaml

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None)
MODELS = sorted(SERVO_MODELS)


def test_the_omx_f_has_robotis_settings_from_its_xacro():
    arm = load_arm('omx_f')
    joint = ServoSettings(drive_mode=4, return_delay=0, gains=(1000, 0, 1000), profile=(50, 25))
    assert all(s.settings == joint for s in arm.servos)
    assert [s.mode for s in arm.servos] == ['extended'] + ['position'] * 4
    assert arm.gripper.settings == ServoSettings(4, 0, (1000, 0, 1000), (50, 25), 600, 600)
    assert arm.gripper.settings.time_based and not load_arm('open_manipulator_x').gripper \
        .settings.time_based


@pytest.mark.parametrize('description', ['humble', 'jazzy'])
def test_the_om_x_keeps_its_velocity_based_settings(description):
    arm = load_arm('open_manipulator_x', description)
    assert all(s.settings == ServoSettings(0, 0, (800, 100, 100), (200, 50)) for s in arm.servos)
    assert arm.gripper.settings == ServoSettings(0, 0, (800, 100, 100), (200, 50), None, 200)


def _arm_file(tmp_path: Path, change) -> Path:
    """Write the OMX-F's YAML with ``change(data)`` applied, its URDF the shipped one."""
    data = yaml.safe_load((DESCRIPTIONS_DIR / 'omx_f.yaml').read_text())
    data['urdf'] = str(DESCRIPTIONS_DIR / data['urdf'])
    change(data)
    path = tmp_path / 'arm.yaml'
    path.write_text(yaml.safe_dump(data))
    return path


register = st.sampled_from(['drive_mode', 'return_delay', 'gains', 'profile', 'current_limit',
                            'goal_current'])
value = st.one_of(st.integers(-70000, 70000), st.floats(allow_nan=True), st.text(max_size=3),
                  st.booleans(), st.none(), st.lists(st.integers(-70000, 70000), max_size=4))


@SETTINGS
@given(servo=st.sampled_from(['joint1', 'joint4', 'gripper']), key=register, new=value)
def test_a_setting_out_of_its_models_range_is_refused_at_load_by_name(tmp_path_factory, servo,
                                                                      key, new):
    def change(data):
        (data['gripper'] if servo == 'gripper' else data['servos'][servo])[key] = new
    path = _arm_file(tmp_path_factory.mktemp('arm'), change)
    item = yaml.safe_load(path.read_text())
    item = item['gripper'] if servo == 'gripper' else item['servos'][servo]
    model = item['model']
    mode = CURRENT_POSITION if servo == 'gripper' else (EXTENDED if servo == 'joint1'
                                                        else POSITION)
    given_value = tuple(new) if isinstance(new, list) else new
    try:
        check_settings(ServoSettings(**{**ServoSettings(4, 0, (1000, 0, 1000), (50, 25), *(
            (600, 600) if servo == 'gripper' else (None, None))).__dict__, key: given_value}),
            model, mode)
        valid = True
    except ValueError:
        valid = False
    if valid:
        arm = load_arm(str(path))
        got = arm.gripper if servo == 'gripper' else arm.servos[arm.joint_index(servo)]
        assert getattr(got.settings, key) == given_value
    else:
        with pytest.raises(ArmError, match=f'{path}.*{servo}'):
            load_arm(str(path))


@pytest.mark.parametrize('key, bad, why', [
    ('gains', [16384, 0, 0], r'Position P Gain 16384 is outside what a XL430-W250-T takes '
                             r'\(0..16383\)'),
    ('profile', [50, 32768], r'Profile Acceleration 32768 .*\(0..32767\)'),
    ('return_delay', 255, r'Return Delay Time 255 .*\(0..254\)'),
    ('drive_mode', 1, r'Drive Mode 1 is not one of \(0, 4\)'),
    ('current_limit', 10, 'XL430-W250-T has no Current Limit'),
])
def test_each_register_is_named_with_its_range(tmp_path, key, bad, why):
    path = _arm_file(tmp_path, lambda data: data['servos']['joint2'].update({key: bad}))
    with pytest.raises(ArmError, match=why):
        load_arm(str(path))


def test_the_grippers_currents_are_the_xl330s():
    assert check_settings(ServoSettings(current_limit=1750, goal_current=1750), 'XL330-M288-T',
                          CURRENT_POSITION) is None
    with pytest.raises(ValueError, match=r'Current Limit 1751 .*XL330-M288-T.*0..1750'):
        check_settings(ServoSettings(current_limit=1751), 'XL330-M288-T', CURRENT_POSITION)
    with pytest.raises(ValueError,
                       match=r'Goal Current 601 .*\(0..600: at most its Current Limit\)'):
        check_settings(ServoSettings(current_limit=600, goal_current=601), 'XL330-M288-T',
                       CURRENT_POSITION)
    with pytest.raises(ValueError, match='XL430-W250-T has no current-based position mode'):
        check_settings(ServoSettings(), 'XL430-W250-T', CURRENT_POSITION)


@pytest.mark.parametrize('name', MODELS)
def test_a_velocity_based_profile_is_at_most_the_models_velocity_limit(name):
    top = SERVO_MODELS[name].velocity_limit[1]
    check_settings(ServoSettings(profile=(top, 0)), name)
    with pytest.raises(ValueError, match=f'Profile Velocity {top + 1} .*velocity-based'):
        check_settings(ServoSettings(profile=(top + 1, 0)), name)
    check_settings(ServoSettings(drive_mode=4, profile=(top + 1, 0)), name)  # ms: any


def test_a_model_without_a_table_takes_no_settings(tmp_path):
    def change(data):
        data['servos']['joint2']['model'] = 'YM070-210'
    with pytest.raises(ArmError, match='YM070-210 has no control table here'):
        load_arm(str(_arm_file(tmp_path, change)))
    assert load_arm('omy_3m').servos[0].settings == ServoSettings()  # none given: nothing to check
