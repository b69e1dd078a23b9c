"""Delivery by e-mail: one plain-text UTF-8 message per notice, through an SMTP server.

The ``Message-ID`` is derived from the notice id, so every attempt at the same notice
carries the same one and a retry is recognisable.
"""

from __future__ import annotations

import hashlib
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate

from careplatform.notify.masking import mask
from careplatform.notify.notice import Delivered, NotDelivered, Notice, Outcome

_LOGGER = logging.getLogger(__name__)

_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
"""A plain ASCII address (``local@host.tld``), which every SMTP server accepts."""
_MESSAGE_ID_LEFT = re.compile(r"[A-Za-z0-9.+=_-]+")
_FALLBACK_DOMAIN = "xiaoan.invalid"


def is_email_address(address: str) -> bool:
    """Whether ``address`` is a plain ASCII e-mail address of at most 254 characters."""
    return len(address) <= 254 and _ADDRESS.fullmatch(address) is not None


def message_id(notice_id: str, sender: str) -> str:
    """The Message-ID of a notice's e-mail: the same for every attempt at it."""
    left = notice_id.strip(".").replace("..", ".")
    if not _MESSAGE_ID_LEFT.fullmatch(left) or left != notice_id:
        left = hashlib.sha256(notice_id.encode("utf-8")).hexdigest()[:32]
    domain = sender.rpartition("@")[2]
    if not is_email_address(sender):
        domain = _FALLBACK_DOMAIN
    return f"<notice.{left}@{domain}>"


@dataclass(frozen=True)
class EmailChannel:
    """Sends notices through the SMTP server at ``host:port`` as ``sender``.

    With ``starttls`` the connection is upgraded (certificate checked) before anything
    else; with ``username`` the channel logs in. Each notice is one connection.
    """

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    timeout_s: float = 10.0

    def deliver(self, notice: Notice) -> Outcome:
        """Send ``notice`` once; a failure is a :class:`NotDelivered`."""
        _LOGGER.debug("notice %s: mailing to %s", notice.id, mask(notice.address))
        outcome = self._attempt(notice)
        if isinstance(outcome, Delivered):
            _LOGGER.info("notice %s delivered by e-mail (%s)", notice.id, outcome.detail)
        else:
            _LOGGER.warning(
                "notice %s not delivered by e-mail (retry: %s): %s",
                notice.id,
                outcome.retry,
                outcome.reason,
            )
        return outcome

    def message(self, notice: Notice) -> EmailMessage:
        """The e-mail for ``notice``: plain text, UTF-8 subject and body."""
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = notice.address
        msg["Subject"] = " ".join(notice.subject.split())  # no line breaks in a header
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = message_id(notice.id, self.sender)
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies
        # base64: safe through servers without 8BITMIME, and compact for Chinese.
        msg.set_content(notice.text, charset="utf-8", cte="base64")
        return msg

    def _attempt(self, notice: Notice) -> Outcome:
        """One SMTP session, its failures as values."""
        if notice.channel != "email":
            return NotDelivered(notice.id, f"a {notice.channel} notice, not an e-mail", False)
        if not is_email_address(notice.address):
            return NotDelivered(notice.id, "malformed e-mail address", retry=False)
        msg = self.message(notice)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(msg, from_addr=self.sender, to_addrs=[notice.address])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (0, b""))
            return _refused(notice, "recipient refused", code, text)
        except smtplib.SMTPDataError as exc:
            return _refused(notice, "message refused", exc.smtp_code, exc.smtp_error)
        except (
            smtplib.SMTPAuthenticationError,
            smtplib.SMTPSenderRefused,
            smtplib.SMTPConnectError,
            smtplib.SMTPHeloError,
        ) as exc:
            # The channel's configuration or standing, not this notice: it may be fixed
            # before the notice gives up, so it is worth trying again even on a 5xx.
            detail = _server_text(exc.smtp_error, notice.address)
            reason = f"server refused us ({type(exc).__name__}): {exc.smtp_code} {detail}"
            return NotDelivered(notice.id, reason.strip(), retry=True)
        except smtplib.SMTPNotSupportedError:
            return NotDelivered(notice.id, "server lacks STARTTLS or AUTH", retry=True)
        except smtplib.SMTPResponseException as exc:
            return _refused(notice, "server refused", exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPException, OSError) as exc:
            # Timeouts, refused or dropped connections, TLS failures, DNS: all may pass.
            # (smtplib reports a timeout awaiting a reply as SMTPServerDisconnected.)
            if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
                return NotDelivered(notice.id, "timed out", retry=True)
            return NotDelivered(notice.id, f"connection failed ({type(exc).__name__})", True)
        return Delivered(notice.id, f"accepted by {self.host}:{self.port}")


def _refused(notice: Notice, what: str, code: int, text: bytes | str) -> NotDelivered:
    """A refusal by SMTP reply code: 4xx is temporary (retry), anything else permanent."""
    detail = _server_text(text, notice.address)
    reason = f"{what}: {code} {detail}".strip()
    return NotDelivered(notice.id, reason, retry=400 <= code < 500)


def _server_text(text: bytes | str, address: str) -> str:
    """The server's reply text, short, one line, with the recipient's address masked."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = " ".join(text.split())
    if address:
        text = re.sub(re.escape(address), mask(address), text, flags=re.IGNORECASE)
    return text[:200]
