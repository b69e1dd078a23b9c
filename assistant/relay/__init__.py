"""The relay (above the base): what goes to the care platform, and what comes back.

The outbox (``outbox``), request bodies (``requests``), the senders (``sender``), the
signed HTTP client (``platform``, ``signing``), cached reads (``lookups``) and the thread
that calls the platform periodically (``periodic``).
"""
