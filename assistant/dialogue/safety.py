"""The safety net: danger or strong pain that is not a sure emergency, and words that
were not understood twice.

Receives the parser's ``concern`` (an emergency kind) or a second misunderstanding;
emits the question to ask, as a ``Confirm`` built from the skills' own outcomes:

- 您是不是不舒服？要我马上帮您叫人吗？ yes → the emergency skill's call for help; no →
  the health report of what was said (when it names a symptom or a measurement); no
  answer → the call for help all the same, said so, and sent with ``event: unanswered``;
  an answer not understood (slurred speech is a stroke sign) → the same with
  ``event: unclear_answer``, so the centre knows why;
- 我还是没听明白。要我请服务中心给您回个电话吗？ yes → a call-back request.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.values.platform import Outgoing
from skills.base import Confirm, Handled, Outcome, Reply, SkillRequest
from skills.callback import CALLBACK_PRIORITY
from skills.registry import SkillSet

MAX_SAID = 500


def concern_question(
    skills: SkillSet, request: SkillRequest, kind: str, health: SkillRequest | None
) -> Confirm:
    """Ask before calling; ``request`` carries the utterance, ``health`` the health report
    of what was said (None when it names no symptom or measurement: nothing is relayed)."""
    call = skills.for_intent("emergency").handle(
        replace(request, intent="emergency", slots={"kind": kind})
    )
    assert isinstance(call, Handled)
    assert call.relay is not None
    relay = call.relay

    def escalated(event: str) -> Handled:
        fields = {**relay.fields, "event": event}
        return Handled(
            Reply(f"safety.{event}", {"kind": kind}),
            Outgoing("emergency", fields, relay.priority, relay.after),
        )

    report: Outcome = (
        skills.for_intent("health_report").handle(health)
        if health is not None
        else Handled(Reply("health.take_care"))
    )
    return Confirm(
        Reply("safety.ask"),
        on_yes=call,
        on_no=report,
        on_silence=escalated("unanswered"),
        on_unclear=escalated("unclear_answer"),
    )


def callback_offer(text: str) -> Confirm:
    """After two misunderstandings in a row: a person from the centre calls back."""
    fields = {"contact": "service_centre", "reason": "not_understood", "said": text[:MAX_SAID]}
    return Confirm(
        Reply("safety.offer_callback"),
        on_yes=Handled(
            Reply("safety.callback_recorded"), Outgoing("callback", fields, CALLBACK_PRIORITY)
        ),
        on_no=Handled(Reply("safety.say_again")),
    )
