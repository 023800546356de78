"""Targets: every operation on a directory, on S3 (a real moto server) and in memory."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.backup.conftest import SECRET_KEY, s3_client, s3_url
from tests.conftest import run_mount
from trousseau.backup.targets import (
    TEMP_PREFIX,
    LocalTarget,
    ObjectTarget,
    Target,
    check_path,
    check_prefix,
    open_target,
    redact,
)
from trousseau.errors import (
    FileMissing,
    InvalidValue,
    RepositoryCorrupt,
    SettingsError,
    TargetFull,
    TargetUnavailable,
)
from trousseau.processes import Liveness, identity_token

PACK = os.urandom(100_000)


@pytest.fixture(params=["local", "s3", "memory"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    """Each backend in turn, empty (a local root that does not exist yet)."""
    if request.param == "local":
        return open_target(str(tmp_path / "backups" / "studio"))
    if request.param == "memory":
        return open_target("memory://")
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = request.getfixturevalue("s3_bucket")
    return open_target(s3_url(endpoint, bucket, "studio/repo"))


def now() -> datetime:
    return datetime.now(UTC)


# --- every backend ----------------------------------------------------------------------------


def test_empty_target(target: Target) -> None:
    assert target.list("") == []
    assert target.list("packs/") == []
    assert not target.exists("config")
    target.delete("config")  # missing is fine


def test_put_get_exists(target: Target) -> None:
    target.put("packs/ab/abcdef", PACK)
    assert target.get("packs/ab/abcdef") == PACK
    assert target.exists("packs/ab/abcdef")
    assert not target.exists("packs/ab")  # a directory is not a file
    assert not target.exists("packs/ab/abcdef0")
    target.put("empty", b"")
    assert target.get("empty") == b""
    assert target.exists("empty")


def test_put_replaces(target: Target) -> None:
    target.put("locks/1", b"first version, longer")
    target.put("locks/1", b"second")
    assert target.get("locks/1") == b"second"
    assert target.list("locks/") == [("locks/1", 6)]


def test_put_new_never_replaces(target: Target) -> None:
    assert target.put_new("keys/k1", b"the key") is True
    assert target.put_new("keys/k1", b"another key") is False
    assert target.get("keys/k1") == b"the key"
    assert target.list("keys/") == [("keys/k1", 7)]


def test_get_missing_is_file_missing(target: Target) -> None:
    with pytest.raises(FileMissing) as caught:
        target.get("snapshots/0123")
    assert "snapshots/0123" in str(caught.value)
    assert target.name in str(caught.value)
    assert isinstance(caught.value, RepositoryCorrupt)
    with pytest.raises(FileMissing, match="index/9"):
        target.get_range("index/9", 0, 10)


def test_get_range(target: Target) -> None:
    target.put("packs/00/p", PACK)
    assert target.get_range("packs/00/p", 0, 10) == PACK[:10]
    assert target.get_range("packs/00/p", 50_000, 1234) == PACK[50_000:51_234]
    assert target.get_range("packs/00/p", len(PACK) - 4, 4) == PACK[-4:]
    assert target.get_range("packs/00/p", len(PACK) - 4, 100) == PACK[-4:]  # cut short
    assert target.get_range("packs/00/p", len(PACK), 10) == b""
    assert target.get_range("packs/00/p", len(PACK) + 50, 10) == b""
    assert target.get_range("packs/00/p", 7, 0) == b""
    with pytest.raises(ValueError):
        target.get_range("packs/00/p", -1, 4)


def test_list_is_by_prefix_relative_to_the_root_and_sorted(target: Target) -> None:
    files = {
        "config": 3,
        "keys/b": 2,
        "keys/a": 1,
        "packs/ab/ab01": 5,
        "packs/ab/ab02": 6,
        "packs/ac/ac01": 7,
        "packsx": 1,
        "trees/t1/w1/x": 4,
    }
    for path, size in files.items():
        target.put(path, b"x" * size)
    assert target.list("keys/") == [("keys/a", 1), ("keys/b", 2)]
    assert target.list("packs/") == [
        ("packs/ab/ab01", 5),
        ("packs/ab/ab02", 6),
        ("packs/ac/ac01", 7),
    ]
    assert target.list("packs") == [*target.list("packs/"), ("packsx", 1)]
    assert target.list("packs/ab/ab0") == [("packs/ab/ab01", 5), ("packs/ab/ab02", 6)]
    assert target.list("packs/a") == target.list("packs/")
    assert target.list("trees/t1/") == [("trees/t1/w1/x", 4)]
    assert target.list("snapshots/") == []
    assert target.list("") == sorted(files.items())


def test_delete(target: Target) -> None:
    target.put("locks/a", b"1")
    target.put("locks/b", b"2")
    target.delete("locks/a")
    target.delete("locks/a")
    assert not target.exists("locks/a")
    assert target.list("locks/") == [("locks/b", 1)]
    with pytest.raises(FileMissing):
        target.get("locks/a")


BAD_PATHS = [
    "",
    "/etc/passwd",
    "../outside",
    "packs/../../outside",
    "packs/./x",
    "packs//x",
    "packs/",
    "packs\\x",
    "packs/\x00x",
    "..",
    ".",
    ".tmp-123-abc",
    "packs/.tmp-x/y",
]


@pytest.mark.parametrize("path", BAD_PATHS)
def test_paths_that_leave_the_target_are_refused(target: Target, path: str) -> None:
    operations: list[Callable[[], object]] = [
        lambda: target.put(path, b"x"),
        lambda: target.put_new(path, b"x"),
        lambda: target.get(path),
        lambda: target.get_range(path, 0, 1),
        lambda: target.delete(path),
        lambda: target.exists(path),
    ]
    for operation in operations:
        with pytest.raises(InvalidValue, match="refused"):
            operation()
    assert target.list("") == []


def test_check_path_and_prefix() -> None:
    assert check_path("packs/ab/abcdef") == "packs/ab/abcdef"
    assert check_path("config") == "config"
    assert check_prefix("") == ""
    assert check_prefix("keys/") == "keys/"
    assert check_prefix("packs/a") == "packs/a"
    for prefix in ("/", "/keys/", "../", "keys//", "a/../"):
        with pytest.raises(InvalidValue):
            check_prefix(prefix)
    with pytest.raises(InvalidValue):
        LocalTarget(Path("/tmp")).list("../")


# --- a local directory ------------------------------------------------------------------------


def test_local_layout_and_no_temporaries(tmp_path: Path) -> None:
    target = LocalTarget(tmp_path / "repo")
    target.put("packs/ab/abcdef", PACK)
    assert target.put_new("keys/k", b"key")
    assert not target.put_new("keys/k", b"other")
    assert (tmp_path / "repo" / "packs" / "ab" / "abcdef").read_bytes() == PACK
    every = sorted(str(p.relative_to(tmp_path / "repo")) for p in (tmp_path / "repo").rglob("*"))
    assert every == ["keys", "keys/k", "packs", "packs/ab", "packs/ab/abcdef"]
    assert target.temporaries() == []
    assert target.name == (tmp_path / "repo").as_uri()


def test_crash_leftovers_are_not_listed_and_are_swept(tmp_path: Path) -> None:
    target = LocalTarget(tmp_path)
    target.put("packs/ab/real", b"data")
    dead = subprocess.run(
        [sys.executable, "-c", "from trousseau.processes import identity_token as t; print(t())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    leftovers = {
        "dead": tmp_path / "packs/ab" / f"{TEMP_PREFIX}{dead}-0123abcd",
        "live": tmp_path / "packs" / f"{TEMP_PREFIX}{identity_token()}-4567abcd",
        "unknown": tmp_path / f"{TEMP_PREFIX}unknown-89abcdef",
    }
    for path in leftovers.values():
        path.write_bytes(b"half a pack")
    assert target.list("") == [("packs/ab/real", 4)]
    with pytest.raises(InvalidValue, match="temporary"):
        target.exists(f"packs/ab/{leftovers['dead'].name}")
    by_name = {Path(t.path).name: t.writer for t in target.temporaries()}
    assert by_name == {
        leftovers["dead"].name: Liveness.GONE,
        leftovers["live"].name: Liveness.ALIVE,
        leftovers["unknown"].name: Liveness.UNKNOWN,
    }

    removed = target.sweep(clock=now)
    assert [Path(t.path).name for t in removed] == [leftovers["dead"].name]
    assert leftovers["live"].exists() and leftovers["unknown"].exists()

    later = target.sweep(clock=lambda: now() + timedelta(hours=25))
    assert {Path(t.path).name for t in later} == {
        leftovers["live"].name,
        leftovers["unknown"].name,
    }
    assert target.temporaries() == []
    assert target.get("packs/ab/real") == b"data"


def test_racing_creates_have_one_winner(tmp_path: Path) -> None:
    target = LocalTarget(tmp_path)
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def create(n: int) -> None:
        barrier.wait()
        results.append(target.put_new("locks/the-one", f"writer {n}".encode()))

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    assert target.get("locks/the-one").startswith(b"writer ")
    assert target.temporaries() == []


def test_full_disk_keeps_nothing(tmpfs: Callable[..., Path]) -> None:
    mount = tmpfs("64k")
    target = open_target((mount / "repo").as_uri())
    assert isinstance(target, LocalTarget)
    target.put("config", b"small")

    for write in (target.put, target.put_new):
        with pytest.raises(TargetFull) as caught:
            write("packs/ab/abcdef", PACK)
        message = str(caught.value)
        assert target.name in message
        assert "packs/ab/abcdef" in message
        assert "nothing of it was kept" in message
        assert "free space" in message

    assert target.list("") == [("config", 5)]
    assert target.temporaries() == []
    assert not (mount / "repo" / "packs" / "ab" / "abcdef").exists()
    target.put("packs/ab/small", b"fits")  # the room the failed puts took is back
    assert target.get("packs/ab/small") == b"fits"


def test_read_only_target_is_unavailable(tmpfs: Callable[..., Path]) -> None:
    mount = tmpfs("1m")
    target = open_target(str(mount / "repo"))
    target.put("config", b"c")
    result = run_mount("-o", "remount,ro", str(mount))
    if result.returncode != 0:
        pytest.skip(f"remounting read-only is not permitted here: {result.stderr.strip()}")

    with pytest.raises(TargetUnavailable, match=r"refused to write locks/x.*read-write"):
        target.put("locks/x", b"lock")
    assert target.get("config") == b"c"
    assert target.list("") == [("config", 1)]


def test_root_that_is_a_file_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    target = LocalTarget(blocker / "repo")
    with pytest.raises(TargetUnavailable, match=r"cannot write config to .*a-file/repo"):
        target.put("config", b"c")
    assert not target.exists("config")
    assert target.list("") == []


# --- an object store --------------------------------------------------------------------------


def test_s3_objects_are_under_the_prefix(s3_endpoint: str, s3_bucket: str) -> None:
    target = open_target(s3_url(s3_endpoint, s3_bucket, "studio/repo"))
    target.put("packs/ab/abcdef", PACK)
    assert target.put_new("keys/k", b"key")
    listed = s3_client(s3_endpoint).list_objects_v2(Bucket=s3_bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == ["studio/repo/keys/k", "studio/repo/packs/ab/abcdef"]
    assert target.name == (
        f"s3://{s3_bucket}/studio/repo?endpoint={s3_endpoint}&region=us-east-1&allow_http=true"
    )


def test_s3_missing_bucket_is_unavailable_without_secrets(s3_endpoint: str, s3_bucket: str) -> None:
    target = open_target(s3_url(s3_endpoint, "no-such-bucket-here", "repo"))
    with pytest.raises(TargetUnavailable, match="bucket does not exist") as caught:
        target.put("config", b"c")
    assert "nothing of it was kept" in str(caught.value)
    assert SECRET_KEY not in str(caught.value)
    with pytest.raises(FileMissing):
        target.get("config")


def test_unreachable_store_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    from obstore.store import S3Store

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "unreachable-secret")
    store = S3Store(
        "bucket-x",
        endpoint="http://127.0.0.1:9",  # discard: nothing listens
        region="us-east-1",
        client_options={"allow_http": True, "connect_timeout": "1s"},
        retry_config={"max_retries": 0, "retry_timeout": timedelta(seconds=1)},
    )
    target = ObjectTarget(store, name="s3://bucket-x")
    for operation in (
        lambda: target.put("config", b"c"),
        lambda: target.get("config"),
        lambda: target.list("keys/"),
        lambda: target.delete("config"),
    ):
        with pytest.raises(TargetUnavailable, match="s3://bucket-x") as caught:
            operation()
        assert "unreachable-secret" not in str(caught.value)


# --- URLs -------------------------------------------------------------------------------------


def test_open_target_forms(tmp_path: Path) -> None:
    plain = open_target(str(tmp_path / "a"))
    uri = open_target((tmp_path / "b").as_uri())
    assert isinstance(plain, LocalTarget) and plain.root == tmp_path / "a"
    assert isinstance(uri, LocalTarget) and uri.root == tmp_path / "b"
    assert isinstance(open_target("memory://"), ObjectTarget)
    assert open_target("memory://").name == "memory://"
    one, two = open_target("memory://"), open_target("memory://")
    one.put("config", b"x")
    assert not two.exists("config")


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("backups/studio", "use /absolute/path, file:///absolute/path, s3://"),
        ("ftp://host/backups", "unsupported backup target ftp://host/backups"),
        ("file://host/backups", "three slashes"),
        ("file:///", "absolute directory below /"),
        ("/", "absolute directory below /"),
        ("memory://x", "takes no path"),
        ("s3:///prefix", "names no bucket"),
        ("s3://bucket/p?storage=cold", "unknown option 'storage'"),
        ("s3://bucket/p?region=a&region=b", "gives 'region' twice"),
        ("s3://bucket/p?allow_http=maybe", "allow_http must be true or false"),
        ("s3://AKIA:hunter2@bucket/p", "carries credentials"),
        ("s3://bucket/p?endpoint=http://u:hunter2@h:1", "endpoint must not carry credentials"),
        ("s3://bucket/p?secret=hunter2", "unknown option"),
    ],
)
def test_bad_urls_are_settings_errors_without_secrets(url: str, match: str) -> None:
    with pytest.raises(SettingsError, match=match) as caught:
        open_target(url)
    assert "hunter2" not in str(caught.value)


def test_redact() -> None:
    assert (
        redact("s3://k:s@bucket/p?region=eu&token=abc") == "s3://***@bucket/p?region=eu&token=***"
    )
    shown = redact("s3://bucket/p?endpoint=http://u:hunter2@h:9")
    assert "hunter2" not in shown
    assert shown.startswith("s3://bucket/p?endpoint=http://***")
