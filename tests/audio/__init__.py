"""Audio tier (slow): the real Korean Vosk model, real espeak-ng speech, real Silero VAD."""
