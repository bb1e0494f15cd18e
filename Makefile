# ik_net_ros: one-command setup, tests, demo, benchmarks and model training.
# `make test` from a fresh clone: creates .venv, installs the pinned dependencies, runs pytest.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ik_net_ros-installed
PIP := $(PY) -m pip install --disable-pip-version-check -q
# constraints.txt pins the exact versions tested on CPython 3.11; other Pythons (3.10 on Humble,
# 3.12 on Jazzy) resolve the ranges of the requirements files instead
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
PINS := $(if $(filter 3.11,$(PY_VERSION)),-c constraints.txt,)
# the arm's focused model where one is shipped, else analytic (the exact closed form: the OMY,
# until learned models of it exist); expanded when a recipe runs, after setup
MODEL ?= $(shell $(PY) -c 'from ik_net_ros.solver import default_model; print(default_model("$(ARM)"))')
# the arm: open_manipulator_x (default), omx_f, ... or the path of an arm YAML
ARM ?= open_manipulator_x
DURATION ?= 10
# isolate DDS traffic to this machine
export ROS_AUTOMATIC_DISCOVERY_RANGE ?= LOCALHOST

.PHONY: setup test demo view calibration-demo bench docs models clean

setup: $(STAMP)

# Where rclpy is already importable (a sourced ROS 2 install) the venv sees the system packages
# and the PyPI ROS wheels are not installed over them.
$(STAMP): requirements.txt requirements-ros.txt requirements-dev.txt constraints.txt setup.py
	@if $(PYTHON) -c 'import rclpy' 2>/dev/null; then \
	  echo "rclpy found (sourced ROS 2): using it, not the PyPI ROS wheels"; \
	  test -x $(PY) || $(PYTHON) -m venv --system-site-packages $(VENV); \
	else \
	  test -x $(PY) || $(PYTHON) -m venv $(VENV); \
	  $(PIP) $(PINS) -r requirements-ros.txt; \
	fi
	$(PIP) $(PINS) -r requirements.txt -r requirements-dev.txt
	$(PIP) --no-deps --no-build-isolation -e .
	touch $@

test: $(STAMP)
	$(PY) -m pytest

# VIEW=1: the browser view instead (what `make view` runs)
demo: $(STAMP)
ifeq ($(VIEW),1)
	$(PY) -m ik_net_ros.tools.cli view --model $(MODEL) --arm $(ARM) $(VIEW_ARGS)
else
	$(PY) -m ik_net_ros.tools.cli demo --model $(MODEL) --arm $(ARM) --duration $(DURATION)
endif

# the browser view on http://127.0.0.1:8080: drag the target, the simulated arm follows (no ROS
# needed); VIEW_ARGS passes more flags, e.g. VIEW_ARGS='--ros --allow-commands'
view: $(STAMP)
	$(PY) -m ik_net_ros.tools.cli view --model $(MODEL) --arm $(ARM) $(VIEW_ARGS)

# a simulated imperfect arm: recording, calibration, learned correction, errors before/after
calibration-demo: $(STAMP)
	$(PY) -m ik_net_ros.tools.cli calibration-demo --output calibration_demo

# the benchmark harness lives beside the package (benchmarks/), not in it
bench: $(STAMP)
	$(PY) -m benchmarks.run --output docs

# the parameter tables of docs/ros-interface.md, from the nodes' own tables
docs: $(STAMP)
	$(PY) -m ik_net_ros.nodes.interface_docs docs/ros-interface.md

# every arm's three models (ARM=open_manipulator_x or ARM=omx_f: one arm's)
models: $(STAMP)
	PY=$(PY) ARM=$(or $(ARM),all) bash models/train_all.sh

clean:
	rm -rf $(VENV) build install log .pytest_cache
