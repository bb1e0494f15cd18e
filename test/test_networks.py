"""The three IKNet variants: shapes, sizes, and the features that define them."""

from ik_net_ros.networks import (
    build_network,
    count_parameters,
    FocusedIKNet,
    ImprovedIKNet,
    NETWORKS,
    ResidualBlock,
)
import pytest
import torch
from torch import nn


@pytest.mark.parametrize('name', list(NETWORKS))
def test_forward_shape(name):
    net = build_network(name).eval()
    assert net(torch.randn(5, 7)).shape == (5, 4)


def test_original_is_exactly_the_published_network():
    net = build_network('original')
    assert count_parameters(net) == 209_054
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (7, 400), (400, 300), (300, 200), (200, 100), (100, 50), (50, 4)]
    drops = [m for m in net.modules() if isinstance(m, nn.Dropout)]
    assert len(drops) == 5 and all(d.p == 0.1 for d in drops)


def test_improved_has_bn_residuals_single_dropout_and_kaiming_init():
    torch.manual_seed(0)
    net = ImprovedIKNet(width=512, blocks=2)
    assert any(isinstance(m, nn.BatchNorm1d) for m in net.modules())
    assert sum(isinstance(m, ResidualBlock) for m in net.modules()) == 2
    drops = [m for m in net.modules() if isinstance(m, nn.Dropout)]
    assert len(drops) == 1 and net.stem[-1] is drops[0]  # right after the input layer
    # Kaiming normal (fan_in, relu gain): std = sqrt(2 / fan_in), not PyTorch's ~1/sqrt(3 fan_in)
    w = net.blocks[0].body[0].weight
    assert abs(w.std().item() - (2.0 / 512) ** 0.5) < 0.005
    assert torch.all(net.blocks[0].body[0].bias == 0)


def test_residual_block_passes_identity():
    block = ResidualBlock(16, activation='relu').eval()
    for p in block.body.parameters():
        nn.init.zeros_(p)  # body outputs BN(0) = bias 0: only the shortcut is left
    h = torch.rand(4, 16)
    torch.testing.assert_close(block(h), torch.relu(h))


def test_focused_branches_see_only_their_inputs():
    net = FocusedIKNet().eval()
    x = torch.randn(8, 7, requires_grad=True)
    pos = net.position(x[:, :3]).sum()
    (grad,) = torch.autograd.grad(pos, x)
    assert grad[:, :3].abs().sum() > 0 and torch.all(grad[:, 3:] == 0)
    x = torch.randn(8, 7, requires_grad=True)
    ori = net.orientation(x[:, 3:]).sum()
    (grad,) = torch.autograd.grad(ori, x)
    assert grad[:, 3:].abs().sum() > 0 and torch.all(grad[:, :3] == 0)
    assert net.position[0].in_features == 3 and net.orientation[0].in_features == 4


def test_registry_rejects_unknown_names():
    with pytest.raises(KeyError, match='unknown network'):
        build_network('transformer')
