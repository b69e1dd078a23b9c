"""Wiring (below supervision): the parts assembled into a working assistant.

``app.build`` makes the dialogue, the outbox and its senders, the reminders and the
schedule's sync from the settings; ``stages`` and ``model_choice`` add the audio stages
and the model; ``voice_loop`` runs them, fed by ``events``; ``transcribe`` decodes files.
"""
