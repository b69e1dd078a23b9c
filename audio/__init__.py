"""Audio: the stages between the microphone and the speaker, and the speech models.

The stages pass ``AudioChunk`` values (``chunks``: 16 kHz, 16-bit, mono, converted once at
the edge; WAV files read and written): where audio comes from (``sources``: the
microphone, re-opened when it is lost, or a WAV file playing its part), the wake phrase
(``wake``), end of speech (``speech_end``, Silero VAD), recognition (``recognizer``, on a
Vosk model loaded by ``vosk_model``) and speech out (``speech_out``, espeak-ng).
``devices`` is the one seam to the sound hardware (devices by name or index, the
speaker, a WAV recorder in its place). The speech models: ``models.yaml`` (the manifest),
``model_files`` (checking a model's files), ``model_download`` (download, zip or USB
stick) and ``model_store`` (one installed model per language). The loop that joins the
stages and hands transcripts to the intent engine is ``assistant.wiring``; nothing here
imports ``intents``.
"""
