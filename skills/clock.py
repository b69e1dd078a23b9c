"""The time and the date (Mandarin: also the weekday and the 农历 date). All local."""

from __future__ import annotations

from lunar_python import Solar

from skills.base import Handled, Outcome, Reply, Skill, SkillRequest


class ClockSkill(Skill):
    """``ask_time`` and ``ask_date``."""

    intents = ("ask_time", "ask_date")
    offline = "all local"

    def handle(self, request: SkillRequest) -> Outcome:
        """Say the time, or the date with its weekday (and lunar date in Mandarin)."""
        now = request.ctx.now
        if request.intent == "ask_time":
            return Handled(Reply("time.now", {"time": now.isoformat(timespec="minutes")}))
        values: dict[str, object] = {"fulldate": now.date().isoformat(), "weekday": now.weekday()}
        if request.ctx.lang == "zh":
            lunar = Solar.fromYmd(now.year, now.month, now.day).getLunar()
            values["lunar"] = f"{lunar.getMonthInChinese()}月{lunar.getDayInChinese()}"
        return Handled(Reply("date.today", values))
