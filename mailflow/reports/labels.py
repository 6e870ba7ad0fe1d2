"""The words a report prints for the store's vocabularies, in the order it prints them."""

from __future__ import annotations

from collections.abc import Mapping

KINDS: Mapping[str, str] = {
    "complaint": "Complaints",
    "comment": "Comments",
    "compliment": "Compliments",
    "service_request": "Requests for a service",
    "information_request": "Requests for information",
    "foi_request": "Freedom of Information requests",
    "out_of_procedure": "Matters with their own appeal or legal process",
    "third_party": "Matters for another organisation",
    "abusive": "Abusive or unacceptable messages",
    "junk": "Junk",
    "auto_reply": "Automatic replies",
}
CHANNELS: Mapping[str, str] = {
    "email": "Email",
    "web": "Web form",
    "text": "Text message",
    "letter": "Letter",
    "fax": "Fax",
    "phone": "Telephone",
    "in_person": "In person",
}
OUTCOMES: Mapping[str, str] = {
    "upheld": "Upheld",
    "partly_upheld": "Partly upheld",
    "not_upheld": "Not upheld",
    "resolved": "Resolved",
    "unresolved": "Unresolved",
}
AVOIDABLE: Mapping[str, str] = {
    "chasing": "Chasing progress",
    "clarification": "Seeking clarification",
    "service_not_done": "Service not done properly",
}
PURPOSES: Mapping[str, str] = {"acknowledge": "Acknowledgement", "respond": "Full response"}
NO_SERVICE = "(service not known)"
