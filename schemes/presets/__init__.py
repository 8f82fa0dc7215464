"""Preset schemes: the seed's four reference cases, and common shapes, as scheme files."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from schemes.loader import load_scheme
from schemes.model import Scheme

_DIR = Path(str(resources.files(__package__)))


def preset_names() -> list[str]:
    return sorted(p.stem for p in _DIR.glob("*.yaml"))


def preset_path(name: str) -> Path | None:
    path = _DIR / f"{name}.yaml"
    return path if path.is_file() else None


def load_preset(name: str) -> Scheme:
    path = preset_path(name)
    if path is None:
        raise KeyError(name)
    return load_scheme(path, display_name=f"presets/{name}.yaml")
