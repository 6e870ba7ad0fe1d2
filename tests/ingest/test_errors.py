"""Source errors are one line, name the mailbox and step, and never carry the password."""

from mailflow.errors import MailflowError
from mailflow.ingest import LoginRefused, SourceError, SourceRefused
from mailflow.ingest.errors import one_line


def test_a_source_error_is_one_line_naming_mailbox_and_step() -> None:
    """Line breaks and runs of spaces in a server's answer collapse into one line."""
    error = SourceError("complaints", "select", "NO [NONEXISTENT]\r\n  Mailbox\tdoesn't exist")
    assert str(error) == "mailbox complaints: select: NO [NONEXISTENT] Mailbox doesn't exist"
    assert isinstance(error, MailflowError)
    assert issubclass(LoginRefused, SourceError) and issubclass(SourceRefused, SourceError)


def test_the_password_is_blanked_raw_and_as_imap_quotes_it() -> None:
    """A password echoed raw or IMAP-escaped (quotes, backslashes) never reaches the message."""
    secret = 'p"a\\ss word'
    echoed = 'LOGIN "box" "p\\"a\\\\ss word" failed; p"a\\ss word'
    error = SourceError("complaints", "login", echoed, secret=secret)
    assert "ss word" not in str(error)
    assert str(error) == 'mailbox complaints: login: LOGIN "box" "***" failed; ***'


def test_a_long_problem_is_cut_to_a_readable_length() -> None:
    """A very long answer is cut with an ellipsis, so a log line stays a line."""
    assert len(one_line("x" * 5000)) == 300
    assert one_line("x" * 5000).endswith("...")
