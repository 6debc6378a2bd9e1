"""Fixtures for the harness tests: the tiny model, the taught tiny model and the real sandbox (``helpers.fixtures``)."""

from helpers.fixtures import (  # noqa: F401  (fixtures)
    sandbox,
    served_tiny_model,
    taught_model,
    taught_model_dir,
    tiny_model,
    tiny_model_dir,
)
