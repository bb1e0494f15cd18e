"""ament_python setup of ik_net_ros: the package, its share/ data and its executables."""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = 'ik_net_ros'
SHARE = f'share/{PACKAGE}'

setup(
    name=PACKAGE,
    version='0.1.0',
    packages=find_packages(exclude=['test', 'test.*', 'benchmarks', 'benchmarks.*']),
    data_files=[
        ('share/ament_index/resource_index/packages', [f'resource/{PACKAGE}']),
        (SHARE, ['package.xml', 'LICENSE']),
        (f'{SHARE}/launch', glob('launch/*.launch.py')),
        (f'{SHARE}/config', glob('config/*.yaml') + glob('config/*.rviz')),
        (f'{SHARE}/config/moveit', glob('config/moveit/*.yaml')),
        (f'{SHARE}/models', glob('models/*.pt') + glob('models/*.npz') + glob('models/*.md')),
        # every other arm's models, models/<arm name>/ (the OM-X's are the ones above)
        *[(f'{SHARE}/{folder.rstrip("/")}', glob(f'{folder}*.pt') + glob(f'{folder}*.npz'))
          for folder in sorted(glob('models/*/'))],
        (f'{SHARE}/urdf', glob('urdf/*.urdf')),
    ],
    # the arms' descriptions (ROBOTIS's URDFs, their parsed trees, their YAMLs) travel with the
    # arm layer
    package_data={f'{PACKAGE}.arm': ['descriptions/*.urdf', 'descriptions/*.urdf.json',
                                     'descriptions/*.yaml']},
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='ik_net_ros maintainers',
    maintainer_email='maintainers@ik-net-ros.invalid',
    description='Live, learned inverse kinematics for the ROBOTIS OpenMANIPULATOR-X',
    license='Apache-2.0',
    # colcon test runs pytest when the test extra names it (setuptools >= 72 dropped
    # tests_require: with it alone, unittest collected 0 tests and reported success)
    extras_require={'test': ['pytest', 'pytest-timeout', 'hypothesis', 'ikpy']},
    entry_points={
        'console_scripts': [
            # the command line (layer 8)
            'ik_net_ros = ik_net_ros.tools.cli:main',
            # ROS 2 nodes (layer 7): `ros2 run ik_net_ros <name>`
            'ik = ik_net_ros.nodes.ik_node:main',
            'driver = ik_net_ros.nodes.driver_node:main',
            'target_sweep = ik_net_ros.nodes.target_sweep_node:main',
            'collect = ik_net_ros.nodes.collect_node:main',
            'target_marker = ik_net_ros.nodes.target_marker_node:main',
            'echo_responder = ik_net_ros.nodes.echo_responder_node:main',
            'tracker = ik_net_ros.nodes.tracker_node:main',
            'view = ik_net_ros.nodes.view_node:main',
        ],
    },
)
