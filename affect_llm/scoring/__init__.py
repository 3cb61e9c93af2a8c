"""Open-vocabulary emotion scoring: free-text answers against the OV-MER emotion wheels.

Two modes share one extraction step (free text -> emotion words):

* ``ovmer`` reproduces the published OV-MER / MER-UniBench metric (word-form table, GPT
  synonym table, five emotion wheels, alphabetical-first tie-breaks), quirks included, so
  numbers are comparable with papers;
* ``affect`` (the default) uses the same wheels and levels but fixes the metric's known
  quirks (see ``affect_llm/scoring/README.md``).

Importing this package is cheap: WordNet, MiniLM and matplotlib load only when used.
"""

from __future__ import annotations

# Bump when a change can move any score; it keys the on-disk decision caches and is
# reported in every ``--json`` output so numbers from different versions are never mixed.
SCORER_VERSION = "1.0.0"

MODES = ("affect", "ovmer")
DEFAULT_MODE = "affect"

__all__ = ["DEFAULT_MODE", "MODES", "SCORER_VERSION"]
