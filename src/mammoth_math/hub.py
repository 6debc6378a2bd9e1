"""Where a model comes from (a local folder or a Hugging Face hub id), checked before anything heavy loads.

A mistyped folder would otherwise be tried as a hub id and an uncached hub id while offline would be retried
for tens of seconds, both ending in a generic line that names no model. :func:`check_model` says at once which
model cannot load and what to do. It reads only the file system and the environment: no network, no torch.
"""

from __future__ import annotations

import os
from pathlib import Path

from mammoth_math.files import InputError

_TRUE = ("1", "true", "yes", "on")


def looks_like_a_path(model: str) -> bool:
    """A hub id is ``name`` or ``org/name``; anything else, or an ``org/name`` whose ``org`` is a folder here
    (``out/model``), names a local folder."""
    if model.startswith((".", "/", "~")) or model.endswith("/") or model.count("/") > 1 or "\\" in model:
        return True
    return "/" in model and Path(model).parent.is_dir()


def offline() -> bool:
    """The hub is off by the environment: ``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE``."""
    return any(os.environ.get(name, "").strip().lower() in _TRUE for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hub_cache() -> Path:
    """The hub's cache folder as ``huggingface_hub`` resolves it now (``HF_HUB_CACHE``, else ``HF_HOME/hub``)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")) / "huggingface"
    return Path(home).expanduser() / "hub"


def in_hub_cache(repo_id: str) -> bool:
    """Some snapshot of ``repo_id`` (a model repo) was downloaded into the hub cache."""
    snapshots = hub_cache() / f"models--{repo_id.replace('/', '--')}" / "snapshots"
    return snapshots.is_dir() and any(snapshots.iterdir())


def check_model(model: str, flag: str = "--model") -> None:
    """Raise :class:`InputError` naming ``model`` and the fix when it cannot load here: a local folder that does
    not exist, or a hub id not in the cache while the hub is off. Anything else is left to the loader."""
    if Path(model).expanduser().exists():
        return
    if looks_like_a_path(model):
        raise InputError(model, f"no such model folder (given as {flag})")
    if offline() and not in_hub_cache(model):
        raise InputError(model, f"not in the Hugging Face cache ({hub_cache()}) and the hub is off "
                                f"(HF_HUB_OFFLINE=1; given as {flag}): download it where there is a network "
                                f"(`hf download {model}`, with the same HF_HOME), or give a local model folder")
