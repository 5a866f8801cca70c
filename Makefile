# fastreg developer commands. Everything runs in a local virtual environment
# that the targets create on first use: a fresh clone needs Python >= 3.10
# and a C compiler, nothing else.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.fastreg-installed
PEERS_INSTALLED := $(VENV)/.bench-peers-installed
DOCS_INSTALLED := $(VENV)/.docs-installed
SOURCES := setup.py pyproject.toml $(wildcard fastreg/*.py fastreg/*.pyx fastreg/*.pxd fastreg/distributed/*.py fastreg/reference/*.py)

.PHONY: install lint test test-asan test-floors fuzz bench bench-quick bench-memory wheel wheel-check docs docs-clean docs-screenshots clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Editable install: the compiled kernels are built next to their sources, so
# tests and benchmarks run from the repository root on the built extension.
# The dask and spark extras are installed so that the distributed tests run
# (tests/test_distributed_*.py; Spark's also need Java, else they skip).
$(INSTALLED): $(PY) $(SOURCES)
	$(PY) -m pip install --quiet -e ".[test,bench,dask,spark]"
	touch $(INSTALLED)

# The peer libraries of the benchmark report (celer, skglm, glum), from the
# bench-peers dependency group of pyproject.toml.
$(PEERS_INSTALLED): $(INSTALLED) pyproject.toml
	$(PY) -m pip install --quiet --group bench-peers
	touch $(PEERS_INSTALLED)

# The documentation tools: the docs extra of pyproject.toml, installed next to
# the built package (without building the kernels again).
$(DOCS_INSTALLED): $(INSTALLED) pyproject.toml
	$(PY) -m pip install --quiet $$($(PY) docs/requirements.py)
	touch $(DOCS_INSTALLED)

install: $(INSTALLED)

# The linter, from the lint extra, on everything the repository tracks
# (configuration: [tool.ruff] in pyproject.toml).
LINT_INSTALLED := $(VENV)/.lint-installed
$(LINT_INSTALLED): $(PY) pyproject.toml
	$(PY) -m pip install --quiet $$($(PY) docs/requirements.py lint)
	touch $(LINT_INSTALLED)

lint: $(LINT_INSTALLED)
	$(PY) -m ruff check .

# The tests run on TEST_WORKERS processes (pytest-xdist; one per core by
# default); an idle worker takes tests queued for another (worksteal), so
# that no long file holds the run's end. TEST_WORKERS=0 runs them in one.
TEST_WORKERS ?= auto
XDIST = -n $(TEST_WORKERS) --dist worksteal

test: $(INSTALLED)
	$(PY) -m pytest tests -q $(XDIST)

# The tests on a sanitizer build of the kernels: AddressSanitizer and
# UndefinedBehaviorSanitizer, Cython bounds checks on (FASTREG_SANITIZE=1 in
# setup.py). Everything lives in build/asan/: Cython from PyPI in tools/, the
# C sources, objects and extensions, and a copy of the package in lib/ that
# shadows the in-place build, which stays untouched. Rebuilds only what
# changed; a change to setup.py starts over. .ci/test-asan.sh runs the tests
# and fails on any sanitizer report, IndexError or ignored exception (see
# docs/internals.md, "Sanitizer builds"). PYTEST_ARGS selects tests.
ASAN_DIR := build/asan
# the package's pure-Python subpackages, copied next to the sanitizer build
PY_SUBPACKAGES := distributed reference
ASAN_TOOLS := $(ASAN_DIR)/tools/.installed
ASAN_BUILT := $(ASAN_DIR)/lib/.built

$(ASAN_TOOLS): $(PY)
	rm -rf $(ASAN_DIR)/tools
	$(PY) -m pip install --quiet --target $(ASAN_DIR)/tools "Cython>=3.0" "setuptools>=77"
	touch $@

$(ASAN_BUILT): $(INSTALLED) $(ASAN_TOOLS) $(SOURCES) $(wildcard fastreg/*.h)
	case " $? " in *" setup.py "*|*" $(ASAN_TOOLS) "*) rm -rf $(ASAN_DIR)/cython $(ASAN_DIR)/temp $(ASAN_DIR)/lib;; esac
	rm -rf $(ASAN_DIR)/lib/fastreg/*.py $(addprefix $(ASAN_DIR)/lib/fastreg/,$(PY_SUBPACKAGES))
	FASTREG_SANITIZE=1 PYTHONPATH=$(ASAN_DIR)/tools $(PY) setup.py --quiet build_ext \
		--build-lib $(ASAN_DIR)/lib --build-temp $(ASAN_DIR)/temp
	cp fastreg/*.py $(ASAN_DIR)/lib/fastreg/
	for pkg in $(PY_SUBPACKAGES); do \
		mkdir -p $(ASAN_DIR)/lib/fastreg/$$pkg && cp fastreg/$$pkg/*.py $(ASAN_DIR)/lib/fastreg/$$pkg/; \
	done
	touch $@

test-asan: $(ASAN_BUILT)
	bash .ci/test-asan.sh $(VENV) $(ASAN_DIR) $(PYTEST_ARGS)

# The property-based fuzz suite's deep profile for FUZZ_MINUTES minutes (make
# test runs its small derandomized ci profile); the summary goes to
# benchmarks/results/fuzz-<date>/summary.md. See tests/fuzz/README.md.
FUZZ_MINUTES ?= 30
fuzz: $(INSTALLED)
	$(PY) tests/fuzz/run_deep.py --minutes $(FUZZ_MINUTES) $(FUZZ_ARGS)

bench: $(PEERS_INSTALLED)
	$(PY) -m benchmarks.run $(BENCH_ARGS)

bench-quick: $(PEERS_INSTALLED)
	$(PY) -m benchmarks.run --quick $(BENCH_ARGS)

# Memory: RSS over 10,000 small fits (flat = no leak) and each route's peak
# memory against the size of X (no hidden copy); the report goes to
# benchmarks/results/memory-<date>.md. About 2 minutes on 2 cores.
bench-memory: $(INSTALLED)
	$(PY) -m benchmarks.memory $(BENCH_ARGS)

# sdist + wheel in dist/, built with build isolation as a user's pip would.
wheel: $(PY)
	$(PY) -m pip install --quiet build
	rm -rf dist
	$(PY) -m build --outdir dist .

# Install the wheel into a brand-new environment and check the compiled
# kernels are the ones in use, then fit a model.
wheel-check: wheel
	rm -rf build/wheel-venv
	$(PYTHON) -m venv build/wheel-venv
	build/wheel-venv/bin/python -m pip install --quiet dist/*.whl
	cd build && wheel-venv/bin/python ../tests/wheel_smoke.py

# The wheel (built by `make wheel` if dist/ has none) in a new environment
# holding the oldest runtime dependencies pyproject.toml admits, then the tests
# (those of the benchmark suite, which need its extras, leave themselves out).
test-floors: $(PY)
	ls dist/*.whl >/dev/null 2>&1 || $(MAKE) wheel
	rm -rf build/floors-venv
	$(PYTHON) -m venv build/floors-venv
	build/floors-venv/bin/python -m pip install --quiet --upgrade pip
	build/floors-venv/bin/python -m pip install --quiet pytest pytest-xdist hypothesis \
		$$($(PY) .ci/floors.py)
	build/floors-venv/bin/python -m pip install --quiet --no-deps dist/*.whl
	cd build && floors-venv/bin/python -m pytest ../tests -q -p no:cacheprovider $(XDIST)

# The documentation site in docs/_build/html (open index.html): user guide,
# API reference and the gallery, whose examples under examples/ all run on
# each build. Offline, and any Sphinx warning fails the build.
# FASTREG_DOCS_QUICK=1 shortens the examples' loops (CI sets it).
DOCS_OUT := docs/_build/html
SPHINXOPTS ?=
docs: $(DOCS_INSTALLED)
	rm -rf docs/generated docs/auto_examples
	MPLBACKEND=Agg $(PY) -m sphinx -W --keep-going -b html -q $(SPHINXOPTS) docs $(DOCS_OUT)
	@echo "documentation: $(DOCS_OUT)/index.html"

docs-clean:
	rm -rf docs/_build docs/generated docs/auto_examples docs/sg_execution_times.rst

# Screenshots of the built site in headless Chromium (a developer tool, not
# part of CI: it needs the `chromium` package), into docs/screenshots/.
docs-screenshots: $(DOCS_INSTALLED)
	$(PY) docs/screenshots.py $(DOCS_OUT) docs/screenshots

clean:
	rm -rf build dist docs/_build docs/generated docs/auto_examples *.egg-info fastreg/*.c fastreg/*.so $(VENV)
