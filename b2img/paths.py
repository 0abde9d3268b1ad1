"""Every on-disk location b2img uses, each with an environment override."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "b2img"
CONFIG_ENV = "B2IMG_CONFIG"
DATA_DIR_ENV = "B2IMG_DATA_DIR"
CACHE_DIR_ENV = "B2IMG_CACHE_DIR"


def config_path() -> Path:
    """The config file: ``$B2IMG_CONFIG``, else the platform's config dir."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def data_dir() -> Path:
    """Where b2img keeps its own data: ``$B2IMG_DATA_DIR``, else the platform's data dir."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_data_path(APP_NAME)


def cache_dir() -> Path:
    """What b2img can rebuild at any time (botocore's parsed models): ``$B2IMG_CACHE_DIR``, else
    the platform's cache dir."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_cache_path(APP_NAME)


def display(path: Path) -> str:
    """A path as a user would type it: the home directory shortened to ``~``."""
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)
