"""Skills: what XiaoAn does for each intent, one module per capability.

``base`` defines what a skill receives (``SkillRequest``: intent, slots, a read-only
``Context``) and returns (``Handled``, ``Ask``, ``Confirm``: data, never speech or network
calls); ``registry`` finds the skills through the entry-point group ``assistant.skills``
and refuses an intent with no skill or two. The skills: ``emergency``, ``services`` (home
services), ``meals`` (the canteen), ``callback`` (family and companionship), ``health``,
``rating``, ``medicine`` (doses and reminders set by voice), ``clock``, ``device``
(repeat, volume) and ``help``. Every reply text is in ``responses/<lang>.yaml``; the
dialogue (``assistant.dialogue``) runs the skills and says their replies.
"""
