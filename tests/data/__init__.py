"""Data tier (fast): tests driven by YAML data (intent cases, dialogue scripts, times...)."""
