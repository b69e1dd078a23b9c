"""Audio stages: capture, wake word, end of speech, recognition and speech out.

Empty until the audio pipeline lands; the intent engine (``intents``) is what the
recogniser's transcripts will be handed to.
"""
