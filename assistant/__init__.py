"""XiaoAn (小安): configuration, the dialogue loop, storage, the platform relay and the CLI."""

__version__ = "0.1.0"
