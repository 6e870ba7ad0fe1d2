"""Two councils' mail over a reporting period, replayed through the real workflow.

The comments beside each event give the working days the expectations in the tests were
worked out from by hand (counting days after the day of receipt; 31 August 2026 is England's
Summer bank holiday; every local time is BST in the Stafford quarter and GMT in Chorley's
November).
"""

from __future__ import annotations

from tests.reports.simulation import Simulation

WASTE = (
    "Formal complaint about bin collections",
    "I wish to make a formal complaint. My bin collection has been missed three weeks running "
    "and the crew left rubbish all over the road.",
)
COUNCIL_TAX = (
    "Complaint about council tax",
    "I want to complain about how my council tax account was handled. I was charged twice and "
    "nobody has sorted it out.",
)
PLANNING = (
    "Complaint about planning",
    "I want to make a complaint about the planning department, who ignored my objection to the "
    "planning application.",
)
HOUSING = (
    "Complaint about housing repairs",
    "I am writing to complain about the housing repairs service. The damp in my council flat "
    "has not been fixed.",
)
HEAD_OF_HOUSING = (
    "Complaint about the Head of Housing",
    "I want to complain about the Head of Housing, who was dismissive and rude when I raised my "
    "concerns about my tenancy.",
)
COMMENT = (
    "Suggestion for the leisure centre",
    "Just a comment: it would be nice if the leisure centre opened earlier on Saturdays. A "
    "suggestion only.",
)
COMPLIMENT = (
    "Thank you to the bin crew",
    "I just wanted to say thank you to the bin crew who were very helpful and kind this "
    "morning. Please pass on my thanks.",
)
BULKY_WASTE = (
    "Bulky waste collection",
    "Please can you arrange a bulky waste collection for an old sofa and a fridge?",
)
CHASING = (
    "Still waiting",
    "I reported a missed bin collection two weeks ago and I am chasing progress as nobody has "
    "come back to me.",
)
OPENING_HOURS = (
    "Opening hours",
    "What are the opening hours of the council offices over Christmas?",
)
FOI = (
    "Freedom of Information request",
    "Under the Freedom of Information Act 2000 please provide the amount spent on consultants "
    "in 2025.",
)
JUNK = (
    "Boost your SEO ranking",
    "We can get your website to the first page of Google. Cheap SEO services, reply now for a "
    "quote. Unsubscribe here.",
)
ESCALATE = (
    "I am not satisfied with your response and I want my complaint escalated to the next stage."
)
CHASE_REPLY = "I am chasing progress on my complaint as nobody has come back to me."
CLARIFY_REPLY = "I do not understand your letter. Could you please clarify what it means?"
ACTION_WITH_NAMES = (
    "Rota changed after Jane Smith's complaint: missed streets revisited the same day "
    "(call 01785 619000, jane.smith@customer.example)"
)
COMPLAINT = {"kind": "complaint", "is_case": True}


def stafford_quarter(sim: Simulation) -> dict[str, str]:
    """Stafford, July to September 2026 (2026-Q3), with a little of the quarters before."""
    s = sim.mail
    ref: dict[str, str] = {}
    s("2025-11-10 10:00", "old.friend@customer.example", *COMMENT, expect={"kind": "comment"})
    sim.deliver("2025-11-10 10:05")
    ref["S0"] = s(
        "2026-06-10 10:00",
        "s0@customer.example",
        *WASTE,
        expect={**COMPLAINT, "service": "waste", "avoidable": "service_not_done"},
    )
    s("2026-06-11 10:00", "fan@customer.example", *COMPLIMENT, expect={"kind": "compliment"})
    sim.deliver("2026-06-11 10:05")
    # Q3. S1: stage 1 in 8 days; escalated; stage 2 extended, answered on day 24 (in time);
    # escalated again to stage 3, which is overdue (due 22 Sep) at the end of the quarter.
    ref["S1"] = s(
        "2026-07-06 10:00",
        "jane.smith@customer.example",
        *WASTE,
        expect={**COMPLAINT, "service": "waste", "avoidable": "service_not_done"},
    )
    sim.deliver("2026-07-06 10:05")
    # S2: acknowledged 7 working days late (held), answered on day 14 (due day 10).
    ref["S2"] = s(
        "2026-07-08 14:00",
        "s2@customer.example",
        *COUNCIL_TAX,
        expect={**COMPLAINT, "service": "council_tax", "avoidable": None},
    )
    sim.deliver("2026-07-08 14:05", hold=(ref["S2"],))
    ref["S6"] = s("2026-07-13 10:00", "s6@customer.example", *FOI, expect={"kind": "foi_request"})
    sim.deliver("2026-07-13 10:05", hold=(ref["S2"],))
    ref["S7"] = s(
        "2026-07-14 10:00",
        "s7@customer.example",
        *COMMENT,
        expect={"kind": "comment", "service": "leisure"},
    )
    sim.deliver("2026-07-14 10:05", hold=(ref["S2"],))
    ref["S8"] = s(
        "2026-07-15 10:00",
        "s8@customer.example",
        *COMPLIMENT,
        expect={"kind": "compliment", "service": "waste"},
    )
    sim.deliver("2026-07-15 10:05", hold=(ref["S2"], ref["S8"]))
    sim.officer("2026-07-16 15:00", ref["S1"], "#outcome not_upheld")
    sim.deliver("2026-07-16 15:05", hold=(ref["S2"], ref["S8"]))
    sim.deliver("2026-07-17 09:00", hold=(ref["S8"],))  # S2's acknowledgement, day 7
    sim.deliver("2026-07-20 09:00")  # S8's thanks, 3 working days after receipt
    sim.reply("2026-07-20 11:00", "jane.smith@customer.example", ref["S1"], ESCALATE)
    sim.deliver("2026-07-20 11:05")
    sim.officer("2026-07-28 12:00", ref["S2"], "#outcome upheld")
    sim.deliver("2026-07-28 12:05")
    ref["S3"] = s(
        "2026-08-03 09:30",
        "s3@customer.example",
        *PLANNING,
        expect={**COMPLAINT, "service": "planning", "avoidable": None},
    )
    sim.deliver("2026-08-03 09:35")
    ref["S9"] = s(
        "2026-08-03 11:00",
        "s9@customer.example",
        *BULKY_WASTE,
        expect={"kind": "service_request", "avoidable": None},
    )
    sim.deliver("2026-08-03 11:05")
    ref["S10"] = s(
        "2026-08-04 10:00",
        "s10@customer.example",
        *CHASING,
        expect={"kind": "service_request", "avoidable": "chasing"},
    )
    sim.deliver("2026-08-04 10:05")
    sim.reply("2026-08-10 10:00", "s3@customer.example", ref["S3"], CHASE_REPLY)
    sim.deliver("2026-08-10 10:05")
    sim.officer("2026-08-12 10:00", ref["S1"], "#extend 2026-08-24 awaiting the crew report")
    sim.deliver("2026-08-12 10:05")
    sim.officer("2026-08-14 16:00", ref["S3"], "#outcome resolved")
    sim.deliver("2026-08-14 16:05")
    sim.officer(
        "2026-08-21 15:00", ref["S1"], "#outcome partly_upheld", f"#action {ACTION_WITH_NAMES}"
    )
    sim.deliver("2026-08-21 15:05")
    # S4: received the Thursday before the bank holiday, answered on day 9.
    ref["S4"] = s(
        "2026-08-27 11:00",
        "s4@customer.example",
        *HOUSING,
        expect={**COMPLAINT, "service": "housing", "avoidable": "service_not_done"},
    )
    sim.deliver("2026-08-27 11:05")
    sim.reply("2026-09-01 10:00", "jane.smith@customer.example", ref["S1"], ESCALATE)
    sim.deliver("2026-09-01 10:05")
    ref["S12"] = s(
        "2026-09-01 14:00",
        "s12@customer.example",
        *OPENING_HOURS,
        expect={"kind": "information_request", "avoidable": None},
    )
    sim.deliver("2026-09-01 14:05")
    s("2026-09-01 15:00", "seo@spam.example", *JUNK, expect={"kind": "junk"})
    sim.deliver("2026-09-01 15:05")
    # S5: about a Head of Service, so straight to the Chief Executive's stage 3 (9(e)).
    ref["S5"] = s(
        "2026-09-07 10:00",
        "s5@customer.example",
        *HEAD_OF_HOUSING,
        expect={**COMPLAINT, "service": "housing", "stage": 3},
    )
    sim.deliver("2026-09-07 10:05")
    sim.officer("2026-09-10 12:00", ref["S4"], "#outcome upheld")
    sim.deliver("2026-09-10 12:05")
    sim.ombudsman("2026-09-15 10:00", ref["S2"], upheld=True)
    sim.officer("2026-09-25 16:00", ref["S5"], "#outcome not_upheld")  # day 14 of 15: final
    sim.deliver("2026-09-25 16:05")
    sim.ombudsman("2026-09-29 10:00", ref["S4"], upheld=False)
    return ref


def chorley_month(sim: Simulation) -> dict[str, str]:
    """Chorley, November 2026, with one contact in each of September and October."""
    s = sim.mail
    ref: dict[str, str] = {}
    ref["SEP"] = s(
        "2026-09-15 10:00",
        "sep@customer.example",
        *HOUSING,
        expect={**COMPLAINT, "service": "housing", "avoidable": "service_not_done"},
    )
    sim.deliver("2026-09-15 10:05")
    s("2026-10-14 10:00", "oct@customer.example", *COMMENT, expect={"kind": "comment"})
    sim.deliver("2026-10-14 10:05")
    # C1: stage 1 answered on day 8, escalated, the Chief Executive answers on day 8: final.
    ref["C1"] = s(
        "2026-11-02 10:00",
        "jane.smith@customer.example",
        *WASTE,
        expect={**COMPLAINT, "service": "waste", "avoidable": "service_not_done"},
    )
    sim.deliver("2026-11-02 10:05")
    # C2: acknowledged on day 2 (due day 1), extended, answered on day 14 by the new date.
    ref["C2"] = s(
        "2026-11-03 15:00",
        "c2@customer.example",
        *COUNCIL_TAX,
        expect={**COMPLAINT, "service": "council_tax"},
    )
    sim.deliver("2026-11-03 15:05", hold=(ref["C2"],))
    ref["C3"] = s(
        "2026-11-04 11:00",
        "c3@customer.example",
        *PLANNING,
        expect={**COMPLAINT, "service": "planning"},
    )
    sim.deliver("2026-11-04 11:05", hold=(ref["C2"],))
    sim.deliver("2026-11-05 09:00")
    ref["C4"] = s(
        "2026-11-05 10:00",
        "c4@customer.example",
        *COMMENT,
        expect={"kind": "comment", "service": "leisure"},
    )
    sim.deliver("2026-11-05 10:05")
    ref["C5"] = s(
        "2026-11-06 16:00",
        "c5@customer.example",
        *COMPLIMENT,
        expect={"kind": "compliment", "service": "waste"},
    )
    sim.deliver("2026-11-06 16:05", hold=(ref["C5"],))
    ref["C6"] = s(
        "2026-11-09 10:00", "c6@customer.example", *BULKY_WASTE, expect={"kind": "service_request"}
    )
    sim.deliver("2026-11-09 10:05", hold=(ref["C5"],))
    ref["C9"] = s("2026-11-09 11:00", "c9@customer.example", *FOI, expect={"kind": "foi_request"})
    sim.deliver("2026-11-09 11:05", hold=(ref["C5"],))
    sim.deliver("2026-11-10 09:00")  # C5's thanks on day 2
    ref["C7"] = s(
        "2026-11-10 10:00",
        "c7@customer.example",
        *CHASING,
        expect={"kind": "service_request", "avoidable": "chasing"},
    )
    sim.deliver("2026-11-10 10:05")
    sim.officer("2026-11-12 15:00", ref["C1"], "#outcome not_upheld")
    sim.deliver("2026-11-12 15:05")
    sim.reply("2026-11-13 10:00", "jane.smith@customer.example", ref["C1"], ESCALATE)
    sim.deliver("2026-11-13 10:05")
    sim.reply("2026-11-16 10:00", "c3@customer.example", ref["C3"], CLARIFY_REPLY)
    sim.deliver("2026-11-16 10:05")
    sim.officer("2026-11-16 12:00", ref["C2"], "#extend 2026-11-24 waiting for the bank's records")
    sim.deliver("2026-11-16 12:05")
    sim.officer("2026-11-23 14:00", ref["C2"], "#outcome partly_upheld")
    sim.deliver("2026-11-23 14:05")
    sim.officer(
        "2026-11-25 15:00",
        ref["C1"],
        "#outcome upheld",
        "#action Added a second check of missed-bin reports",
    )
    sim.deliver("2026-11-25 15:05")
    sim.ombudsman("2026-11-30 10:00", ref["C1"], upheld=True)
    return ref
