"""Benchmarks (not timed tests): `python -m bench.<name>`; results land in bench/results/."""
