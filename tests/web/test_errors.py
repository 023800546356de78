"""The HTTP mapping of errors: the most specific class's rule wins, whatever the table's order."""

from __future__ import annotations

import pytest

from trousseau import errors
from trousseau.errors import TrousseauError
from trousseau.web.errors import (
    INTERNAL,
    RULES,
    ChunkChecksumMismatch,
    Conflict,
    Rule,
    UploadLocked,
    rule_for,
)


def instance(kind: type[TrousseauError]) -> TrousseauError:
    """An error of class `kind` without calling its __init__ (some take extra arguments)."""
    return kind.__new__(kind)


def test_every_class_with_a_rule_gets_its_own_in_either_order() -> None:
    backwards = dict(reversed(list(RULES.items())))
    assert list(backwards) != list(RULES)
    for kind, rule in RULES.items():
        assert rule_for(instance(kind)) == rule, kind
        assert rule_for(instance(kind), backwards) == rule, kind


def test_a_subclass_listed_after_its_parent_still_wins() -> None:
    parent_first = {Conflict: Rule(409, "conflict"), UploadLocked: Rule(423, "locked")}
    child_first = {UploadLocked: Rule(423, "locked"), Conflict: Rule(409, "conflict")}
    for rules in (parent_first, child_first):
        assert rule_for(UploadLocked("busy"), rules).status == 423
        assert rule_for(Conflict("taken"), rules).status == 409


def test_a_class_without_a_rule_takes_its_nearest_ancestors() -> None:
    class StillLocked(UploadLocked):
        pass

    class Unmapped(TrousseauError):
        pass

    assert rule_for(StillLocked("busy")).status == 423
    assert rule_for(Unmapped("?")) == INTERNAL
    assert rule_for(Unmapped("?"), {}) == INTERNAL


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.NotFound("no such wedding"), 404, "not_found"),
        (errors.EmptyInput("empty"), 400, "empty_upload"),
        (errors.InputUnreadable("unreadable"), 400, "bad_upload"),
        (errors.UnsupportedFormat("a PDF"), 415, "unsupported_media_type"),
        (errors.ChecksumMismatch("wrong hash"), 422, "checksum_mismatch"),
        (ChunkChecksumMismatch("wrong chunk hash"), 460, "checksum_mismatch"),
        (errors.VaultFull("full"), 507, "vault_full"),
        (errors.VaultReadOnly("read-only"), 503, "vault_unavailable"),
        (errors.BlobCorrupt("rotten"), 500, "blob_corrupt"),
        (errors.BlobMissing("gone"), 500, "blob_missing"),
        (errors.CatalogUnreachable("down"), 503, "catalog_unreachable"),
        (errors.SchemaOutOfDate("old"), 503, "catalog_out_of_date"),
        (errors.CatalogError("broken"), 503, "catalog_unavailable"),
        (errors.SettingsError("bad"), 422, "invalid_request"),
        (errors.CorruptImage("truncated"), 500, "internal"),
    ],
)
def test_status_codes(error: TrousseauError, status: int, code: str) -> None:
    rule = rule_for(error)
    assert (rule.status, rule.code) == (status, code)
    assert (rule.public is not None) == (status >= 500)


def test_a_wrong_checksum_is_the_clients_error_not_a_damaged_store() -> None:
    assert issubclass(ChunkChecksumMismatch, errors.ChecksumMismatch)
    assert not issubclass(errors.ChecksumMismatch, errors.VaultError)
    assert rule_for(errors.ChecksumMismatch("x")).status < 500
