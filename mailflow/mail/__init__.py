"""Pure mail handling: parsing, automatic-mail detection, identifiers, composing.

No network and no database here: bytes in, frozen values out. The public names:

- :func:`parse_message` (``parse.py``) turns raw bytes into a :class:`ParsedMessage`, refusing
  with ``MessageTooLarge`` what is over the :class:`Limits` (``limits.py``);
- :func:`detect_automatic` (``automatic.py``) says why a message must never be answered, and
  :func:`bounce_info` (``bounces.py``) what a bounce reports;
- :func:`clean_header_text` and :func:`parse_address_strict` (``headers.py``) make header text
  safe to reuse and sender addresses safe to trust.
"""

from mailflow.mail.automatic import AutomaticVerdict, detect_automatic
from mailflow.mail.bounces import Bounce, bounce_info
from mailflow.mail.headers import clean_header_text, parse_address_strict
from mailflow.mail.limits import Limits
from mailflow.mail.parse import ParsedMessage, parse_message
from mailflow.mail.parts import Attachment

__all__ = [
    "Attachment",
    "AutomaticVerdict",
    "Bounce",
    "Limits",
    "ParsedMessage",
    "bounce_info",
    "clean_header_text",
    "detect_automatic",
    "parse_address_strict",
    "parse_message",
]
