"""mammoth-math: the MAmmoTH recipe (hybrid CoT/PoT instruction tuning) as a toolkit.

Layers, bottom up: sandbox, grading, prompts -> benchmarks, backends -> data -> training ->
evaluation -> synthetic -> cli. Lower layers never import higher ones (tests/test_layers.py).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mammoth-math")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
