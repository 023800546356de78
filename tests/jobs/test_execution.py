"""What a job's failure says about itself: permanent or not, and whether the vault failed."""

from __future__ import annotations

from datetime import UTC, datetime

from trousseau.errors import BlobCorrupt, CorruptImage, VaultFull
from trousseau.jobs import ClaimedJob, Resources, register
from trousseau.jobs.execution import execute, vault_failure

RAISED = {
    "corrupt-blob": BlobCorrupt("blob abc no longer hashes to its key"),
    "vault-full": VaultFull("the vault is full"),
    "bad-image": CorruptImage("IMG_1.JPG is truncated"),
}


def raising(_ctx, payload) -> None:
    raise RAISED[payload["raise"]]


register("test-raising", f"{__name__}:raising")


def test_vault_failures_are_told_apart_from_the_rest():
    assert vault_failure(BlobCorrupt("x")) == "verify"
    assert vault_failure(VaultFull("x")) == "job"
    assert vault_failure(CorruptImage("x")) is None
    assert vault_failure(RuntimeError("x")) is None


def test_an_outcome_carries_its_vault_failure(settings):
    when = datetime(2026, 6, 13, 15, 0, tzinfo=UTC)
    outcomes = {
        name: execute(
            ClaimedJob(1, "test-raising", {"raise": name}, "standard", when, 1, 3, None),
            Resources(settings),
        )
        for name in RAISED
    }
    assert {name: (o.ok, o.vault, o.permanent) for name, o in outcomes.items()} == {
        "corrupt-blob": (False, "verify", False),
        "vault-full": (False, "job", False),
        "bad-image": (False, None, True),
    }
    assert "no longer hashes" in outcomes["corrupt-blob"].error
