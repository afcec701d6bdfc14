# k8sedu: the two commands of the README's quick start, plus the benchmark.
#   make lab    set up .venv and open the course in JupyterLab
#   make test   set up .venv and run every test (model, doctests, notebooks, solutions, exercises)
#   make bench  set up .venv and run the benchmarks
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.k8sedu-installed

.PHONY: lab test bench clean exercises

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[lab,test]"
	touch $(STAMP)

# JupyterLab refuses to run as root unless told; containers and CI machines often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) --notebook-dir=. notebooks/00_start_here.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env --nbval-cell-timeout=300 notebooks solutions

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

exercises: $(STAMP)
	$(BIN)/python tools/make_exercises.py

clean:
	rm -rf $(VENV)
