"""What the accountability tests share: a ladder of escalation rungs."""

import pytest

from accountability.models import EscalationRule

LADDER = [
    # code, subject, offset, working days, audience
    ("reminder", "commitment", -2, True, "owner"),
    ("due", "commitment", 0, False, "supervisor"),
    ("overdue-7", "commitment", 7, False, "next_supervisor"),
    ("overdue-30", "commitment", 30, False, "inspectors"),
    ("concern-7", "concern", 7, False, "owner"),
    ("concern-14", "concern", 14, False, "supervisor"),
    ("stalled-14", "stalled", 14, False, "owner"),
    ("petition-due", "petition", 0, False, "supervisor"),
]


@pytest.fixture
def ladder(db):
    return {
        code: EscalationRule.objects.create(
            code=code, name=code, subject=subject, offset_days=offset, working_days=working, audience=audience
        )
        for code, subject, offset, working, audience in LADDER
    }
