"""The dialogue (above the skills): one utterance in, what to say out.

The state machine (``machine``), the timed turns (``timed``: alarms nobody acknowledged;
``reminding``: the reminder schedule's policy), the replies' words (``replies``) and the
device's state as skills read it (``state``).
"""
