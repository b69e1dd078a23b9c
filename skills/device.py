"""The speaker itself: say that again, louder, quieter (remembered across restarts)."""

from __future__ import annotations

from assistant.values.volume import VOLUME_MAX, VOLUME_MIN
from skills.base import Handled, Outcome, RepeatLast, Reply, Skill, SkillRequest, VolumeStep


class DeviceSkill(Skill):
    """``repeat``, ``volume_up``, ``volume_down``."""

    intents = ("repeat", "volume_up", "volume_down")
    offline = "all local"

    def handle(self, request: SkillRequest) -> Outcome:
        """Repeat the last reply, or change the volume by one step."""
        if request.intent == "repeat":
            return Handled(Reply("repeat.nothing"), effects=(RepeatLast(),))
        step = 1 if request.intent == "volume_up" else -1
        volume = request.ctx.state.volume()
        if (step > 0 and volume >= VOLUME_MAX) or (step < 0 and volume <= VOLUME_MIN):
            return Handled(Reply("volume.max" if step > 0 else "volume.min"))
        key = "volume.up" if step > 0 else "volume.down"
        return Handled(Reply(key, {"volume": volume + step}), effects=(VolumeStep(step),))
