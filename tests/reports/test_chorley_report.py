"""Chorley's monthly report ("Monitoring and Review") matches figures worked out by hand.

The scenario is ``scenarios.chorley_month``: November 2026 has no bank holiday, so working days
are the weekdays after the day of receipt. Chorley acknowledges e-contact, complaints included,
within 1 working day, and numbers its stages as the Ombudsman's Code does.
"""

from __future__ import annotations

from mailflow.reports.tables import Report
from tests.reports.test_stafford_report import rows


def test_complaints_by_directorate(chorley_report: Report) -> None:
    """ "Number of complaints received (broken down by directorate)", with comments and
    compliments."""
    assert rows(chorley_report, "complaints_by_directorate") == [
        ("Neighbourhoods", 1, 0, 1),
        ("Business Transformation and Improvement", 1, 0, 0),
        ("People", 0, 1, 0),
        ("Partnerships, Planning and Policy", 1, 0, 0),
        ("Governance", 0, 0, 0),
    ]


def test_comments_and_compliments_by_service(chorley_report: Report) -> None:
    """ "Other Feedback": comments and compliments recorded by service."""
    t = chorley_report.table("complaints_by_service")
    by_service = {r[0]: (r[5], r[6]) for r in t.rows}
    assert by_service["Leisure and Culture"] == (1, 0)
    assert by_service["Waste and Streetscene"] == (0, 1)
    assert by_service["All services"] == (1, 1)


def test_avoidable_contact_percentage_by_reason(chorley_report: Report) -> None:
    """NI 14: C1 reports a service not done, C7 chases, C3's reply seeks clarification: 3 of
    10 contacts (8 new, 2 further messages)."""
    assert rows(chorley_report, "avoidable") == [
        ("Chasing progress", 1, 10.0),
        ("Seeking clarification", 1, 10.0),
        ("Service not done properly", 1, 10.0),
        ("All avoidable contact", 3, 30.0),
    ]


def test_avoidable_contact_trend_month_by_month(chorley_report: Report) -> None:
    """ "Trends in types and reason for avoidable contact ... monthly": six months."""
    assert rows(chorley_report, "trend") == [
        ("Jun 2026", 0, 0, 0, 0, 0, None, 0, 0, 0),
        ("Jul 2026", 0, 0, 0, 0, 0, None, 0, 0, 0),
        ("Aug 2026", 0, 0, 0, 0, 0, None, 0, 0, 0),
        ("Sep 2026", 1, 1, 0, 0, 1, 100.0, 0, 0, 1),
        ("Oct 2026", 1, 0, 1, 0, 0, 0.0, 0, 0, 0),
        ("Nov 2026", 10, 3, 1, 1, 3, 30.0, 1, 1, 1),
    ]


def test_complaints_upheld_by_the_ombudsman(chorley_report: Report) -> None:
    """ "Number of complaints upheld by the Local Government Ombudsman": C1."""
    assert rows(chorley_report, "ombudsman") == [
        ("Waste and Streetscene", 1, 1, 1, 0),
        ("All services", 1, 1, 1, 0),
    ]


def test_stages_numbered_as_the_code_numbers_them(chorley_report: Report) -> None:
    """Stage 1 Service Head, stage 2 Chief Executive, stage 3 the Ombudsman."""
    assert rows(chorley_report, "stages") == [
        (1, "Service Head or Senior Manager", 3, 0, 2, 2),  # C3 and September's still open
        (2, "Chief Executive", 1, 1, 1, 0),
        (3, "Local Government and Social Care Ombudsman", 1, None, 1, None),
    ]


def test_timeliness_with_the_one_day_e_contact_acknowledgement(chorley_report: Report) -> None:
    """C2 acknowledged on day 2 (due day 1) is late; its response on day 14 met the extended
    date; C1 took 8 days at each stage."""
    assert rows(chorley_report, "stage_timeliness", "Target") == [
        (1, "Acknowledgement", 3, 2, 66.7, 0, 2, 0),
        (1, "Full response", 2, 2, 100.0, 8, 14, 2),
        (2, "Acknowledgement", 1, 1, 100.0, 0, 0, 0),
        (2, "Full response", 1, 1, 100.0, 8, 8, 0),
    ]
    target = chorley_report.table("stage_timeliness").rows[0][2]
    assert target == (
        "5 working days (Complaints Procedure: acknowledgement within 5 working days); "
        "1 for email, web, text (Electronic contact)"
    )


def test_outcomes_escalation_and_extensions(chorley_report: Report) -> None:
    """C1 not upheld then upheld by the Chief Executive; C2 partly upheld after an extension."""
    assert rows(chorley_report, "outcomes") == [
        (1, 0, 1, 1, 0, 0, 0, 2),
        (2, 1, 0, 0, 0, 0, 0, 1),
    ]
    assert rows(chorley_report, "escalation", "To") == [
        ("Stage 1 to 2", 2, 1, 50.0),
        ("Stage 2 to 3", 1, 1, 100.0),
    ]
    assert rows(chorley_report, "extensions") == [
        ("Stage 1", 2, 1, 1, 1),
        ("Stage 2", 1, 0, 0, 0),
        ("Other contacts", 2, 0, 0, 0),
    ]


def test_e_contact_within_one_and_two_working_days(chorley_report: Report) -> None:
    """C5's thanks went on day 2: late for the acknowledgement, in time for the response."""
    assert rows(chorley_report, "e_contact", "Council's own target") == [
        ("Acknowledgement", "1 working day", 4, 3, 75.0, 3, 75.0),
        ("Full response", "2 working days", 2, 2, 100.0, 2, 100.0),
    ]


def test_open_cases_overdue_and_code_figures(chorley_report: Report) -> None:
    """Open at 30 November: C3 (18), C9 (15), C6 (15), C7 (14) and September's complaint (54)."""
    assert rows(chorley_report, "open_by_age") == [
        ("0 to 5", 0, 0, 0, 0),
        ("6 to 10", 0, 0, 0, 0),
        ("11 to 20", 1, 1, 2, 4),
        ("21 to 40", 0, 0, 0, 0),
        ("over 40", 1, 0, 0, 1),
        ("All open", 2, 1, 2, 5),
    ]
    assert rows(chorley_report, "code_self_assessment", "Code timescale") == [
        ("Complaints acknowledged within 5 working days", 4, 4, 100.0),
        ("Stage 1 responses within 10 working days of acknowledgement", 2, 1, 50.0),
        ("Stage 2 responses within 20 working days of acknowledgement", 1, 1, 100.0),
    ]
    assert rows(chorley_report, "foi", "Target") == [
        ("Acknowledgement", 1, 1, 100.0, 0, 0, 0),
        ("Full response", 0, 0, None, None, None, 0),  # due 7 December
    ]
    summary = {r[0]: r[1] for r in chorley_report.summary.rows}
    assert summary["Deadlines overdue at the end of the period"] == 4
    assert summary["Avoidable contact"] == "3 of 10 (30.0%)"
    assert rows(chorley_report, "actions") == [
        ("2026-11-25", "Waste and Streetscene", 2, "Added a second check of missed-bin reports")
    ]
