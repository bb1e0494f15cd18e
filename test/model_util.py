"""The tests' shorthand for saving and reading models through :mod:`ik_net_ros.model`."""

from types import SimpleNamespace

from ik_net_ros.model import load_model, ModelFile, resolve_model, save_model
from ik_net_ros.model.weights_file import check_pair, read_weights, write_weights


def model_path(name):
    """Return the checkpoint of a shipped model."""
    return resolve_model(name)


def save_checkpoint(path, model, network, network_kwargs, arm, train_config=None,
                    data_summary=None, metrics=None, correction=None):
    """Save a torch IKModel as a model file (both files); return the checkpoint's path."""
    model_file = ModelFile.from_torch(model, network, network_kwargs, arm, correction,
                                      {'train_config': train_config or {},
                                       'data': data_summary or {}, 'metrics': metrics or {}})
    return save_model(model_file, path).path


def load_checkpoint(path, pair=True):
    """Read a checkpoint through load_model: its torch model, network and everything else."""
    model = load_model(path, torch_free=False, pair=pair)
    return SimpleNamespace(model=model.to_torch(), network=model.network, file=model,
                           arm=model.arm,
                           info={'network': model.network, 'network_kwargs': model.network_kwargs,
                                 **model.metadata})


def load_weights(path):
    """Read a weights file's arrays and metadata: its digest, and the checkpoint beside it."""
    arrays, meta = read_weights(path)
    check_pair(path, meta)
    return arrays, meta


def save_weights(path, arrays, meta):
    """Write a weights file (a valid digest over whatever it is given)."""
    return write_weights(path, arrays, meta)
