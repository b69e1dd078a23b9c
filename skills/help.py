"""What XiaoAn can do, the kind fallback when nothing fitted, and a stray yes or no."""

from __future__ import annotations

from skills.base import Handled, Outcome, Reply, Skill, SkillRequest


class HelpSkill(Skill):
    """``capabilities``, ``unknown``, and ``yes``/``no`` when nothing was asked."""

    intents = ("capabilities", "unknown", "yes", "no")
    offline = "all local"

    def handle(self, request: SkillRequest) -> Outcome:
        """Say what XiaoAn can do, or one thing to try."""
        if request.intent == "capabilities":
            return Handled(Reply("help.capabilities"))
        if request.intent == "unknown":
            return Handled(Reply("help.unknown"))
        return Handled(Reply("help.nothing_asked"))
