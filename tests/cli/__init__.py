"""CLI tier (slow): `python -m assistant ...` and other subprocesses, as a technician runs them."""
