"""Helpers the tiers share, and the only part of ``tests`` that ``bench/`` may import:
real audio, subprocess commands, the dialogue harness, the stand-in sound hardware, the
reference platform fixture, and the doctor and model cases."""
