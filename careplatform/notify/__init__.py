"""The care platform's notifier: delivers notices to families by webhook or e-mail.

It receives a :class:`Notice` (id, channel, address, subject, text, data) kept by the
platform, and emits, per attempt, one HTTP POST (:class:`WebhookChannel`) or one e-mail
(:class:`EmailChannel`); it returns :class:`Delivered` or :class:`NotDelivered` (never
raising for a delivery failure), whose ``retry`` says whether to try again.
:class:`RetryPolicy` says when, or that it is time to give up. Storing notices and
scheduling attempts is the platform's job, not this package's.

Notices hold health and medicine information, personal data under China's PIPL: the
modules log at INFO only notice ids and outcomes, never a subject, text, data or
address; DEBUG names the address masked (:func:`mask`).
"""

from careplatform.notify.mail import EmailChannel
from careplatform.notify.masking import mask
from careplatform.notify.notice import (
    Channel,
    ChannelName,
    Delivered,
    NotDelivered,
    Notice,
    Outcome,
)
from careplatform.notify.retry import RetryPolicy
from careplatform.notify.webhook import WebhookChannel

__all__ = [
    "Channel",
    "ChannelName",
    "Delivered",
    "EmailChannel",
    "NotDelivered",
    "Notice",
    "Outcome",
    "RetryPolicy",
    "WebhookChannel",
    "mask",
]
