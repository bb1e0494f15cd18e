"""The control tables of the X-series models and the emulator's servo of each (e-Manual)."""

from hypothesis import given, settings
from hypothesis import strategies as st
from ik_net_ros.arm.servo_models import model_name, servo_model, SERVO_MODELS
from ik_net_ros.hardware.emulator import EmulatedServo
from ik_net_ros.hardware.protocol2 import Error
from ik_net_ros.hardware.xm430 import ADDR
import pytest

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None)
MODELS = sorted(SERVO_MODELS)


def _int(value: int, size: int) -> bytes:
    return int(value).to_bytes(size, 'little', signed=value < 0)


def test_model_numbers_and_what_each_lacks():
    assert {m.name: m.number for m in SERVO_MODELS.values()} == {
        'XM430-W350-T': 1020, 'XL430-W250-T': 1060, 'XL330-M288-T': 1200}
    assert model_name(1060) == 'XL430-W250-T' and model_name(7) == 'model 7'
    assert not servo_model('XL430-W250-T').has_current
    assert 5 not in servo_model('XL430-W250-T').modes
    assert servo_model('XL330-M288-T').current_unit == 1.0
    with pytest.raises(ValueError, match='XL320'):
        servo_model('XL320')


@pytest.mark.parametrize('name', MODELS)
def test_emulated_servo_has_its_models_factory_table(name):
    model = servo_model(name)
    servo = EmulatedServo(1, model=name)
    assert servo._get(ADDR.MODEL_NUMBER, 2) == model.number
    assert servo._get(ADDR.VELOCITY_LIMIT, 4) == model.velocity_limit[0]
    assert servo._get(ADDR.CURRENT_LIMIT, 2) == model.current_limit
    assert len(servo.table) == model.table_size
    assert servo.read(model.table_size - 1, 2)[0] == Error.DATA_RANGE


def test_xl430_has_no_current_registers_nor_current_modes():
    servo = EmulatedServo(1, model='XL430-W250-T')
    assert servo.write(ADDR.GOAL_CURRENT, _int(100, 2)) == Error.ACCESS
    assert servo.write(ADDR.CURRENT_LIMIT, _int(100, 2)) == Error.ACCESS
    for mode in (0, 5, 2, 7):
        assert servo.write(ADDR.OPERATING_MODE, bytes([mode])) == Error.DATA_RANGE
    for mode in (1, 3, 4, 16):
        assert servo.write(ADDR.OPERATING_MODE, bytes([mode])) == Error.NONE


@pytest.mark.parametrize('name', ['XM430-W350-T', 'XL330-M288-T'])
def test_goal_current_within_current_limit_and_that_within_the_models(name):
    model = servo_model(name)
    servo = EmulatedServo(1, model=name)
    assert servo.write(ADDR.CURRENT_LIMIT, _int(model.current_limit + 1, 2)) == Error.DATA_RANGE
    assert servo.write(ADDR.CURRENT_LIMIT, _int(600, 2)) == Error.NONE
    assert servo.write(ADDR.GOAL_CURRENT, _int(601, 2)) == Error.DATA_RANGE
    assert servo.write(ADDR.GOAL_CURRENT, _int(-600, 2)) == Error.NONE


@pytest.mark.parametrize('name', MODELS)
def test_velocity_limit_within_the_models_range(name):
    top = servo_model(name).velocity_limit[1]
    servo = EmulatedServo(1, model=name)
    assert servo.write(ADDR.VELOCITY_LIMIT, _int(top + 1, 4)) == Error.DATA_RANGE
    assert servo.write(ADDR.VELOCITY_LIMIT, _int(top, 4)) == Error.NONE


@SETTINGS
@given(name=st.sampled_from(MODELS), mode=st.sampled_from([3, 4]),
       goal=st.integers(-2_000_000, 2_000_000))
def test_goal_position_range_of_each_mode(name, mode, goal):
    servo = EmulatedServo(1, model=name)
    assert servo.write(ADDR.OPERATING_MODE, bytes([mode])) == Error.NONE
    assert servo.write(ADDR.TORQUE_ENABLE, b'\x01') == Error.NONE
    ok = 0 <= goal <= 4095 if mode == 3 else -1_048_575 <= goal <= 1_048_575
    assert servo.write(ADDR.GOAL_POSITION, _int(goal, 4)) == (Error.NONE if ok
                                                              else Error.DATA_RANGE)


@SETTINGS
@given(name=st.sampled_from(MODELS), wound=st.integers(-1_000_000, 1_000_000))
def test_present_position_is_multi_turn_until_position_mode_torque_or_reboot(name, wound):
    servo = EmulatedServo(1, model=name, operating_mode=4, position=wound)
    assert servo._get(ADDR.PRESENT_POSITION, 4, signed=True) == wound  # kept as found
    assert servo.write(ADDR.TORQUE_ENABLE, b'\x01') == Error.NONE  # extended: stays wound
    assert servo._get(ADDR.PRESENT_POSITION, 4, signed=True) == wound
    servo.reboot()
    assert servo._get(ADDR.PRESENT_POSITION, 4, signed=True) == wound % 4096
    servo.set_present_position(wound)
    assert servo.write(ADDR.OPERATING_MODE, b'\x03') == Error.NONE
    assert servo._get(ADDR.PRESENT_POSITION, 4, signed=True) == wound % 4096
    assert EmulatedServo(1, model=name, position=wound)._get(
        ADDR.PRESENT_POSITION, 4, signed=True) == wound % 4096  # power on in Position mode
