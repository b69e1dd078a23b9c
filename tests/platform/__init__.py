"""Platform tier (slow): the reference care platform served on 127.0.0.1, and the relay."""
