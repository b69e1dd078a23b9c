"""Unit tier (fast): in-process tests of single modules; no subprocess, model or server."""
