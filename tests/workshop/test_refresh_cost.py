"""What a refresh of the class view costs: the same AWS calls for a class
of three as for a class of thirty-one (thirty participants and a single
learner), counted by the clients themselves."""

from __future__ import annotations

from collections import Counter

from labguide.engine.classroom import SWEEP, ClassView

from .conftest import FIRST, Workshop

PER_RESOURCE = {
    "elbv2.DescribeTargetHealth",
    "elbv2.DescribeListeners",
    "logs.FilterLogEvents",
    "backup.GetBackupPlan",
    "backup.ListBackupSelections",
    "backup.ListRecoveryPointsByBackupVault",
}
"""What AWS answers one resource at a time (remembered between refreshes)."""


def _account_wide(calls: dict[str, int]) -> Counter[str]:
    return Counter({k: v for k, v in calls.items() if k not in PER_RESOURCE})


def test_a_refresh_costs_the_same_for_three_and_for_thirty(
    workshop: Workshop,
) -> None:
    cold3, warm3 = workshop.three
    cold30, warm30 = workshop.thirty
    assert sorted(p.tag for p in warm3.participants) == sorted(FIRST)
    assert len(warm30.participants) == len(workshop.participants) >= 31

    print(
        f"\nthree: cold {cold3.total_calls} calls ({cold3.seconds:.2f} s), "
        f"warm {warm3.total_calls} ({warm3.seconds:.2f} s)"
        f"\nthirty-one: cold {cold30.total_calls} calls ({cold30.seconds:.2f} s), "
        f"warm {warm30.total_calls} ({warm30.seconds:.2f} s)"
        f"\nbuilt in {workshop.build_seconds:.0f} s"
        f"\nwarm refresh: {warm30.calls}"
    )
    assert warm3.total_calls == warm30.total_calls
    # The same account-wide lists, one page each...
    assert _account_wide(warm3.calls) == _account_wide(warm30.calls)
    # ...and only the sweep of the oldest remembered answers besides.
    assert sum(v for k, v in warm30.calls.items() if k in PER_RESOURCE) == SWEEP
    # Nothing the snapshot could not answer went to AWS behind its back.
    assert not warm3.fallbacks and not warm30.fallbacks
    assert not cold3.fallbacks and not cold30.fallbacks


def test_the_first_refresh_reads_each_labs_details_once(workshop: Workshop) -> None:
    cold3, warm3 = workshop.three
    cold30, warm30 = workshop.thirty
    # Per lab: target health, listeners, two log groups' events, the backup
    # plan, its selections and its vault's recovery points.
    per_lab = 7
    assert cold3.total_calls - warm3.total_calls >= per_lab * 3 - SWEEP
    assert cold30.total_calls - warm30.total_calls >= per_lab * 31 - SWEEP
    assert _account_wide(cold30.calls)["ssm.DescribeInstanceInformation"] >= 2


def test_refreshes_stay_flat_as_the_class_works(view: ClassView) -> None:
    totals = [view.refresh().total_calls for _ in range(2)]
    assert totals == [totals[0]] * 2
