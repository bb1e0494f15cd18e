"""Layer 5: pose/joint datasets (synthetic, CSV/NPZ files, original-IKNet recordings)."""

from ik_net_ros.data.dataset import (
    block_split,
    check_arm_of,
    joint_columns,
    Normalization,
    POSE_COLUMNS,
    PoseJointSet,
    random_split,
    sequential_split,
)
from ik_net_ros.data.files import (
    arm_of_data,
    csv_columns,
    load_dataset,
    read_csv,
    read_npz,
    save_dataset,
    write_csv,
    write_npz,
)
from ik_net_ros.data.iknet_import import import_iknet_recording
from ik_net_ros.data.synthetic import make_synthetic

__all__ = ['PoseJointSet', 'Normalization', 'random_split', 'sequential_split', 'block_split',
           'joint_columns', 'POSE_COLUMNS', 'csv_columns', 'check_arm_of', 'arm_of_data',
           'read_csv', 'write_csv', 'read_npz',
           'write_npz', 'load_dataset', 'save_dataset', 'import_iknet_recording',
           'make_synthetic']
