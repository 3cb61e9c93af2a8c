# Two commands on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
CLIP ?= examples/cheerful.mp4

.PHONY: setup demo test bench lint examples clean-cache

setup:
	@bash scripts/bootstrap.sh

demo: setup
	$(BIN)/affect-llm describe $(CLIP)

test: setup
	$(BIN)/python -m pytest -q tests

# `make bench` writes bench/results/latest.{json,md}; `make bench ARGS=--quick` is the smoke run CI does.
bench: setup
	$(BIN)/python -m bench $(ARGS)

lint: setup
	$(BIN)/ruff check affect_llm tests eval train bench

examples: setup
	$(BIN)/python examples/make_examples.py

# `make devcorpus`: build the synthetic development corpus (cached), run `affect-llm infer` on it and
# write eval/results/devcorpus.{md,json}; ARGS="--languages en --limit 20" runs a subset (eval/README.md).
.PHONY: devcorpus
devcorpus: setup
	$(BIN)/python eval/devcorpus_eval.py --run $(ARGS)

# `make real-speech REAL=/path/to/ravdess`: the voice channel and the decision on labelled *real*
# emotional speech you have (RAVDESS or CREMA-D file names, or ARGS="--labels file.csv"); writes
# eval/results/real_speech.{md,json}. ARGS="--mode pipeline --sample 56" runs the whole perception.
.PHONY: real-speech
real-speech: setup
	@test -n "$(REAL)" || { echo "give REAL=/path/to/labelled/audio (see eval/README.md)"; exit 2; }
	$(BIN)/python eval/real_speech_eval.py "$(REAL)" $(ARGS)

# `make noise-robustness REAL=/path/to/labelled/audio`: the voice channel on the same real speech
# read as recorded and under noise, babble, a phone line, a room (eval/noise_robustness.py; the
# same names or ARGS="--labels file.csv" as real-speech); writes eval/results/noise_robustness.{md,json}.
.PHONY: noise-robustness
noise-robustness: setup
	@test -n "$(REAL)" || { echo "give REAL=/path/to/labelled/audio (see eval/README.md)"; exit 2; }
	$(BIN)/python eval/noise_robustness.py "$(REAL)" $(ARGS)

# `make real-video REAL=/path/to/clips`: the whole product on labelled *real* video you have (a
# folder with labels.csv: path,label[,speaker,language]), channel by channel, with the checker's
# count over every explanation; writes eval/results/real_video.{md,json} (ARGS="--name X --sample 60").
.PHONY: real-video
real-video: setup
	@test -n "$(REAL)" || { echo "give REAL=/path/to/labelled/clips with labels.csv (see eval/README.md)"; exit 2; }
	$(BIN)/python eval/real_video_eval.py "$(REAL)" $(ARGS)
