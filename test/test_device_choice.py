"""The device choice refuses a device that does not exist, on any machine (issue 32, item 11)."""

from hypothesis import given, HealthCheck, settings
from hypothesis import strategies as st
from ik_net_ros.errors import ConfigError
from ik_net_ros.model.device import resolve_device
import pytest


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # patched per example
@given(gpus=st.integers(0, 4), index=st.integers(0, 200))
def test_cuda_n_exists_only_below_the_number_of_gpus(monkeypatch, gpus, index):
    """A machine with ``gpus`` GPUs as torch sees them (patched: no GPU needed here)."""
    import torch
    with monkeypatch.context() as patch:
        patch.setattr(torch.cuda, 'is_available', lambda: gpus > 0)
        patch.setattr(torch.cuda, 'device_count', lambda: gpus)
        name = f'cuda:{index}'
        if index < gpus:
            assert resolve_device(name) == torch.device(name)
        else:
            with pytest.raises(ConfigError, match=name):
                resolve_device(name)


def test_a_name_that_is_no_device_is_refused_before_torch_is_asked():
    for name in ('tpu', 'cuda:', 'cuda:x', '', 'CPU'):
        with pytest.raises(ConfigError, match='unknown device'):
            resolve_device(name)
