"""
Layer 4: a trained model as one object (:class:`ModelFile`), found, loaded and saved in one place.

See :mod:`ik_net_ros.model.model_file`; the two file formats behind it are private to it.
"""

from ik_net_ros.model.model_file import (
    check_model,
    CORRECTIONS,
    load_model,
    MODEL_SUFFIXES,
    ModelFile,
    models_folder,
    resolve_model,
    save_model,
    shipped_models,
)

__all__ = ['ModelFile', 'load_model', 'save_model', 'resolve_model', 'shipped_models',
           'models_folder',
           'check_model', 'CORRECTIONS', 'MODEL_SUFFIXES']
