"""Stafford's quarterly report (Framework 9(d)) matches figures worked out by hand, table by table.

The scenario is ``scenarios.stafford_quarter``; the working days in each comment are counted
from the day after receipt, with Monday 31 August 2026 (Summer bank holiday) left out.
"""

from __future__ import annotations

from mailflow.reports.tables import Report


def rows(report: Report, key: str, *drop: str) -> list[tuple[object, ...]]:
    """A table's rows without the columns named in ``drop``."""
    t = report.table(key)
    keep = [i for i, c in enumerate(t.columns) if c not in drop]
    return [tuple(r[i] for i in keep) for r in t.rows]


def test_complaints_per_service_count_number_and_nature(stafford_report: Report) -> None:
    """9(d): complaints per service (two about housing), with comments and compliments."""
    t = stafford_report.table("complaints_by_service")
    by_service = {r[0]: r[2:] for r in t.rows}
    assert by_service["Waste and Recycling"] == (1, 1, 0, 0, 1)
    assert by_service["Council Tax"] == (1, 1, 0, 0, 0)
    assert by_service["Housing and Homelessness"] == (2, 2, 0, 0, 0)
    assert by_service["Planning and Development"] == (1, 1, 0, 0, 0)
    assert by_service["Leisure and Culture"] == (0, 0, 0, 1, 0)
    assert by_service["All services"] == (5, 5, 0, 1, 1)


def test_complaints_roll_up_to_the_directorates_the_rules_name(stafford_report: Report) -> None:
    """Each service's complaints count under its directorate."""
    assert rows(stafford_report, "complaints_by_directorate") == [
        ("Operations", 1, 0, 1),
        ("Finance", 1, 0, 0),
        ("Communities", 2, 1, 0),
        ("Development", 1, 0, 0),
        ("Law and Administration", 0, 0, 0),
        ("Policy and Improvement", 0, 0, 0),
    ]


def test_number_dealt_with_at_each_of_the_four_stages(stafford_report: Report) -> None:
    """9(d): opened, escalated into, responded and still open per stage; stage 4 is the
    Ombudsman (signposted after S5's stage 3 reply; decisions on S2 and S4)."""
    assert rows(stafford_report, "stages", "Name") == [
        (1, 4, 0, 4, 1),  # S1-S4 opened and answered; S0 (June) still open
        (2, 1, 1, 1, 0),  # S1 escalated and answered
        (3, 2, 1, 1, 1),  # S1 escalated, S5 sent straight here (9(e)); S1 still open
        (4, 1, None, 2, None),
    ]


def test_each_stage_is_judged_against_its_own_timescale(stafford_report: Report) -> None:
    """9(d): acknowledged and responded in time, median and 90th percentile working days."""
    assert rows(stafford_report, "stage_timeliness", "Target") == [
        # S1 0, S2 7 (held; due day 5), S3 0, S4 0
        (1, "Acknowledgement", 4, 3, 75.0, 0, 7, 0),
        # S1 8, S2 14 (due day 10), S3 9, S4 9 (over the bank holiday); S0 overdue
        (1, "Full response", 4, 3, 75.0, 9, 14, 1),
        (2, "Acknowledgement", 1, 1, 100.0, 0, 0, 0),
        # S1 day 24, in time: extended from 17 to 24 August
        (2, "Full response", 1, 1, 100.0, 24, 24, 0),
        (3, "Acknowledgement", 2, 2, 100.0, 0, 0, 0),
        # S5 day 14 of 15; S1's stage 3 (due 22 September) overdue
        (3, "Full response", 1, 1, 100.0, 14, 14, 1),
    ]
    targets = stafford_report.table("stage_timeliness").column("Target")
    assert targets[3] == "20 working days (8 Stage 2: a maximum of twenty working days)"


def test_outcome_at_each_stage(stafford_report: Report) -> None:
    """9(d): upheld, partly upheld, not upheld, resolved, unresolved per stage."""
    assert rows(stafford_report, "outcomes") == [
        (1, 2, 0, 1, 1, 0, 0, 4),  # S2, S4 upheld; S1 not upheld; S3 resolved
        (2, 0, 1, 0, 0, 0, 0, 1),  # S1 partly upheld
        (3, 0, 0, 1, 0, 0, 0, 1),  # S5 not upheld
    ]


def test_escalation_rate_between_stages(stafford_report: Report) -> None:
    """Escalations in the quarter over the earlier stage's responses in the quarter."""
    assert rows(stafford_report, "escalation", "To") == [
        ("Stage 1 to 2", 4, 1, 25.0),
        ("Stage 2 to 3", 1, 1, 100.0),
        ("Stage 3 to 4", 1, 1, 100.0),
    ]


def test_extensions_used(stafford_report: Report) -> None:
    """S1's stage 2 date was extended once and met; comments and compliments were answered."""
    assert rows(stafford_report, "extensions") == [
        ("Stage 1", 4, 0, 0, 0),
        ("Stage 2", 1, 1, 1, 1),
        ("Stage 3", 1, 0, 0, 0),
        ("Other contacts", 2, 0, 0, 0),
    ]


def test_long_term_actions_are_listed_without_naming_anyone(stafford_report: Report) -> None:
    """9(d): "#action" entries, with the customer's name, address and telephone blanked."""
    assert rows(stafford_report, "actions") == [
        (
            "2026-08-21",
            "Waste and Recycling",
            2,
            "Rota changed after [name] [name]'s complaint: missed streets revisited the same "
            "day (call [telephone], [address])",
        )
    ]


def test_avoidable_contact_counts_new_contacts_and_further_messages(
    stafford_report: Report,
) -> None:
    """S1 and S4 report a service not done, S10 and S3's reply chase: 4 of 14 contacts (11 new,
    the junk excepted, and 3 further messages)."""
    assert rows(stafford_report, "avoidable") == [
        ("Chasing progress", 2, 14.3),
        ("Seeking clarification", 0, 0.0),
        ("Service not done properly", 2, 14.3),
        ("All avoidable contact", 4, 28.6),
    ]


def test_trend_over_the_last_four_quarters(stafford_report: Report) -> None:
    """One comment in Q4 2025, nothing in Q1, S0 and a compliment in Q2, then the quarter."""
    assert rows(stafford_report, "trend") == [
        ("Q4 2025", 1, 0, 1, 0, 0, 0.0, 0, 0, 0),
        ("Q1 2026", 0, 0, 0, 0, 0, None, 0, 0, 0),
        ("Q2 2026", 2, 1, 0, 1, 1, 50.0, 0, 0, 1),
        ("Q3 2026", 14, 5, 1, 1, 4, 28.6, 2, 0, 2),
    ]


def test_ombudsman_referrals_and_decisions_by_service(stafford_report: Report) -> None:
    """S5 signposted; the Ombudsman upheld S2 (council tax) and did not uphold S4 (housing)."""
    assert rows(stafford_report, "ombudsman") == [
        ("Council Tax", 0, 1, 1, 0),
        ("Housing and Homelessness", 1, 1, 0, 1),
        ("All services", 1, 2, 1, 1),
    ]


def test_contacts_by_kind_and_channel(stafford_report: Report) -> None:
    """Every new contact by kind, the junk included; all came by email."""
    assert rows(stafford_report, "contacts_by_kind_and_channel") == [
        ("Complaints", 5, 5),
        ("Comments", 1, 1),
        ("Compliments", 1, 1),
        ("Requests for a service", 2, 2),
        ("Requests for information", 1, 1),
        ("Freedom of Information requests", 1, 1),
        ("Junk", 1, 1),
        ("All contacts", 12, 12),
    ]


def test_e_contact_against_one_and_two_days_and_the_councils_five(stafford_report: Report) -> None:
    """S8's thanks went on day 3: outside 1 and 2 working days, inside Stafford's 5."""
    assert rows(stafford_report, "e_contact", "Council's own target") == [
        ("Acknowledgement", "1 working day", 5, 4, 80.0, 5, 100.0),
        ("Full response", "2 working days", 2, 1, 50.0, 2, 100.0),
    ]


def test_foi_request_acknowledged_and_its_response_overdue(stafford_report: Report) -> None:
    """S6 was acknowledged at once; no reply by 11 August (FOI calendar) is overdue."""
    assert rows(stafford_report, "foi", "Target") == [
        ("Acknowledgement", 1, 1, 100.0, 0, 0, 0),
        ("Full response", 0, 0, None, None, None, 1),
    ]


def test_open_cases_by_working_days_since_receipt(stafford_report: Report) -> None:
    """At 30 September: S0 (78) and S1 (61) at a stage, S6 (56), S9 (41), S10 (40), S12 (21)."""
    assert rows(stafford_report, "open_by_age") == [
        ("0 to 5", 0, 0, 0, 0),
        ("6 to 10", 0, 0, 0, 0),
        ("11 to 20", 0, 0, 0, 0),
        ("21 to 40", 0, 0, 2, 2),
        ("over 40", 2, 1, 1, 4),
        ("All open", 2, 1, 3, 6),
    ]


def test_complaint_handling_code_self_assessment(stafford_report: Report) -> None:
    """Acknowledged within 5: all but S2; stage 1 within 10 of the acknowledgement: S2's 7 days
    from its late acknowledgement included; stage 2: S1 took 24."""
    assert rows(stafford_report, "code_self_assessment", "Code timescale") == [
        ("Complaints acknowledged within 5 working days", 7, 6, 85.7),
        ("Stage 1 responses within 10 working days of acknowledgement", 4, 4, 100.0),
        ("Stage 2 responses within 20 working days of acknowledgement", 1, 0, 0.0),
    ]


def test_summary_repeats_the_detail_with_targets(stafford_report: Report) -> None:
    """The one-page summary agrees with the detail tables and names the council's targets."""
    summary = {r[0]: r[1:] for r in stafford_report.summary.rows}
    assert summary["Customer contacts"] == (14, "no target set")
    assert summary["Complaints received"][0] == "5 (5 in the procedure)"
    assert summary["Complaints acknowledged in time"][0] == "6 of 7 (85.7%)"
    stage1 = summary["Stage 1 (At the point of service delivery): responses in time"]
    assert stage1[0] == "3 of 4 (75.0%)" and stage1[1].startswith("10 working days")
    assert summary["Avoidable contact"][0] == "4 of 14 (28.6%)"
    assert summary["Electronic contact acknowledged within 1 working day"] == (
        "4 of 5 (80.0%)",
        "5 working days (6 Dear Customer)",
    )
    assert summary["FOI requests answered within 20 working days"][0] == "none in the period"
    assert summary["Ombudsman decisions upheld"][0] == "1 of 2 (50.0%)"
    assert summary["Deadlines overdue at the end of the period"][0] == 6
    assert summary["Long-term actions recorded"][0] == 1
