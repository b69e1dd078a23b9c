"""Who may do what in the console.

| role | sees | does |
|---|---|---|
| operator | the board, every request, devices | acknowledge, dispatch, note, close; pairing codes |
| admin | as an operator | as an operator (accounts: `xiaoan-platform user add`) |
| provider | its own jobs only | accept (with an ETA), decline, done |
| family | its own elders only | — (reads adherence, check-ins, open requests) |

Every route names the roles it admits; anything else is 403 (a page in the viewer's
language), and a job or elder that is not the viewer's is 404, so its existence does not
leak.
"""

from __future__ import annotations

STAFF = ("operator", "admin")
PROVIDER = ("provider",)
FAMILY = ("family",)
HOME = {"operator": "/board", "admin": "/board", "provider": "/jobs", "family": "/family"}
"""Where each role lands after logging in."""
