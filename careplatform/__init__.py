"""The care centre's service (issue 17): the platform XiaoAn devices relay to, with the
console where operators, providers and families see and act on what elders ask.

Its own package with its own web stack (``pip install '.[platform]'``) and its own
command, ``xiaoan-platform``; it shares only the HTTP contract (``docs/platform-api.md``)
and the request-signing code (``assistant.relay.signing``) with the device.
"""
