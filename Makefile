# costlib: `make lab` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The CPU build of torch keeps the test install small here; on a GPU server a plain
# `pip install torch` (or TORCH_SPEC=torch) takes the CUDA build the probe wants.
TORCH_SPEC ?= torch==2.13.0
SCENARIO ?= data/scenarios/default.yaml
# SkyPilot, for the test that its loader reads examples/probe.sky.yaml: a venv of its own, as
# skypilot 0.14 pins click<8.2 and huggingface_hub (diffusers, transformers) needs click>=8.4.2
SKY_VENV  := .venv-sky
SKY_STAMP := $(SKY_VENV)/.installed
SKYPILOT_SPEC ?= skypilot==0.14.1
# nothing reaches the network: no extension manager lookups, no news, no update checks;
# --allow-root because these machines (and many containers) run as root
LAB_OFFLINE := --allow-root --LabApp.extension_manager=readonly --LabApp.news_url= \
	--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate
LAB_SETTINGS := {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", \
	"checkForUpdates": false}}
# `make report`: where the client report goes (build/ is not committed)
REPORT ?= build/reports/$(basename $(notdir $(SCENARIO)))

.PHONY: help venv test quick lint lab app report bench gpu-check clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q "$(TORCH_SPEC)"
	$(BIN)/pip install -q -e ".[probe,lab,dev]"
	mkdir -p $(VENV)/share/jupyter/lab/settings  # JupyterLab: no news, no update checks, no prompt
	echo '$(LAB_SETTINGS)' > $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $(STAMP)

$(SKY_STAMP): Makefile
	test -x $(SKY_VENV)/bin/python || $(PYTHON) -m venv $(SKY_VENV)
	$(SKY_VENV)/bin/pip install -q "$(SKYPILOT_SPEC)"
	touch $(SKY_STAMP)

venv: $(STAMP)  ## create the environment in .venv

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check costlib tests benchmarks

test: $(STAMP) $(SKY_STAMP) lint  ## create the environments and run the whole suite
	SKYPILOT_PYTHON=$(CURDIR)/$(SKY_VENV)/bin/python $(BIN)/python -m pytest

quick: $(STAMP)  ## the fast loop: every test not marked slow
	$(BIN)/python -m pytest -m "not slow"

lab: $(STAMP)  ## create the environment and open JupyterLab on the overview notebook
	$(BIN)/jupyter lab $(LAB_OFFLINE) notebooks/00_overview.ipynb

# Voila starts a kernel for every page visit: one left idle (its page closed) for 2 minutes
# is shut down, checked every 30 s; an open page keeps its kernel.
APP_CULL := --MappingKernelManager.cull_idle_timeout=120 --MappingKernelManager.cull_interval=30 \
	--MappingKernelManager.cull_connected=False
APP_PORT ?= 8866
# Voila sends a page at once and runs its cells after, each output shown as it comes: the
# overview's and step 7's answer (their first cell) is on screen before the charts' cell has run. The
# kernel of notebooks/kernels/python3 (found through JUPYTER_PATH) imports that cell's code
# while the page loads.
APP_RENDER := --progressive_rendering=True

# plotly's widget bundle among the template's static files: each page loads it once
# (costlib.ui.forms.served_bundle), not once a chart over the websocket
APP_BUNDLE := notebooks/voila/templates/costlib/static/plotly-widgetbundle.js

app: $(STAMP)  ## the app: Voila on the notebooks, code hidden, at http://localhost:8866/
	mkdir -p $(dir $(APP_BUNDLE))
	cp "$$($(BIN)/python -c 'from costlib.ui.forms import plotly_bundle; print(plotly_bundle())')" $(APP_BUNDLE)
	JUPYTER_PATH=$(CURDIR)/notebooks $(BIN)/voila --template=costlib --port=$(APP_PORT) \
		$(APP_CULL) $(APP_RENDER) notebooks/

report: $(STAMP)  ## client report: make report SCENARIO=file-or-preset [CLIENT=..] [TITLE=..] [TODAY=YYYY-MM-DD]; writes build/reports/NAME.html and .pdf
	mkdir -p $(dir $(REPORT))
	$(BIN)/costlib report $(SCENARIO) -o $(REPORT).html --pdf $(REPORT).pdf \
		$(if $(CLIENT),--client "$(CLIENT)") $(if $(TITLE),--title "$(TITLE)") \
		$(if $(TODAY),--today $(TODAY))

bench: $(STAMP)  ## run the speed benchmarks (they print figures)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

# On a GPU server, with the CUDA build of torch (TORCH_SPEC=torch on a fresh environment).
gpu-check: $(STAMP)  ## SDXL eager + compiled on this GPU vs public figures (~8 min; 1 line without a GPU)
	$(BIN)/python benchmarks/gpu_check.py $(if $(OUT),--out $(OUT))

clean:  ## remove the environment and caches
	rm -rf $(VENV) $(SKY_VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info
