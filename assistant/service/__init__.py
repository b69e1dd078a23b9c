"""Supervision (below the commands): XiaoAn as a supervised service and in the foreground.

The run modes (``modes``: voice, text; ``loop``: the systemd service), the supervisor with
the watchdog, the heartbeat and the status file, the systemd unit and its installer, the
log files, and the doctor's checks.
"""
