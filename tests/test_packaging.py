"""The built wheel holds every subpackage, the prompt templates and the scorer data."""

import subprocess
import sys
import zipfile
from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "affect_llm").rglob("__init__.py")}
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_wheel_ships_prompts_and_data(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(REPO)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("affect_llm-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    prompts = {p.name for p in (REPO / "prompts").iterdir() if p.suffix in (".yaml", ".txt")}
    assert {f"affect_llm/_prompts/{n}" for n in prompts} <= names
    assert any(n.startswith("affect_llm/scoring/data/") for n in names)
    assert "affect_llm/cli/main.py" in names
