"""Commands (top layer): the ``assistant`` command line, one module per command group.

Each module imports only typer and the standard library at its top and what a command
needs inside the command, so a technician's ``status`` never loads the intent parser or
Vosk. Nothing imports this package but ``assistant.__main__`` and the console script.
"""
