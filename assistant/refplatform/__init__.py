"""The reference care platform (apart from the device): a server for development, tests
and demos that implements ``docs/platform-api.md``. It shares only the signing code with
the device (``assistant.relay.signing``) and is started only by its own command.
"""
