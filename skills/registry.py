"""Skills discovered through the entry-point group ``assistant.skills``.

Each entry point names a ``Skill`` subclass (``emergency = "skills.emergency:EmergencySkill"``
in ``pyproject.toml``); a third party adds a skill by declaring one in its own package.
Every intent must have exactly one skill: a clash or a gap is refused at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import entry_points

from assistant.errors import AssistantError
from skills.base import Skill

GROUP = "assistant.skills"


class SkillError(AssistantError):
    """The installed skills do not cover the intents, or two claim one."""

    exit_code = 3


class SkillSet:
    """Intent name → the skill that handles it."""

    def __init__(self, skills: Iterable[Skill]) -> None:
        self._by_intent: dict[str, Skill] = {}
        for skill in skills:
            for intent in skill.intents:
                other = self._by_intent.get(intent)
                if other is not None:
                    raise SkillError(
                        f"intent `{intent}` is claimed by {type(other).__name__} and "
                        f"{type(skill).__name__}: remove one of the two entry points"
                    )
                self._by_intent[intent] = skill

    @classmethod
    def discover(cls) -> SkillSet:
        """Load every skill of the ``assistant.skills`` entry-point group."""
        found = []
        for point in entry_points(group=GROUP):
            try:
                skill_class = point.load()
            except Exception as err:  # a broken third-party skill must not stop XiaoAn
                raise SkillError(
                    f"skill entry point `{point.name}` cannot be loaded: {err}"
                ) from err
            found.append(skill_class())
        return cls(found)

    def require(self, intents: Iterable[str]) -> SkillSet:
        """Refuse a set that leaves an intent without a skill."""
        missing = sorted(set(intents) - set(self._by_intent))
        if missing:
            raise SkillError(
                f"no skill handles {', '.join(missing)}: reinstall XiaoAn (`pip install -e .`)"
            )
        return self

    def for_intent(self, intent: str) -> Skill:
        """The skill of ``intent`` (the ``unknown`` skill when none is installed for it)."""
        return self._by_intent.get(intent) or self._by_intent["unknown"]

    @property
    def intents(self) -> frozenset[str]:
        """Every intent some skill handles."""
        return frozenset(self._by_intent)
