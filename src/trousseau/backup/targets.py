"""Targets: where a repository's files live (a directory, an S3 bucket prefix, memory).

A target is a flat set of files named by relative POSIX paths (``packs/ab/abcdef…``). It
promises little and keeps each promise on every backend:

- `put` is atomic and durable: once it returns the file survives a crash, and a reader sees
  all of it or none of it (never a half-written pack).
- `put_new` creates only: it never replaces a file, and among racing writers exactly one
  wins. Key files, config and locks rely on it.
- Reading a missing file is `FileMissing` (a kind of `RepositoryCorrupt`: a file the
  repository expects is gone); anything else that goes wrong is `TargetUnavailable` (worth
  retrying) or `TargetFull` (nothing of the file was kept), naming the target and the file.
- Paths never leave the target: absolute paths, ``..``, empty segments are refused.

`name` is the target's URL without secrets, safe for logs and messages.

URLs (`open_target`)::

    /absolute/path  or  file:///absolute/path
    s3://bucket[/prefix][?endpoint=https://host:port&region=eu-west-3&allow_http=true]
    memory://                                        (tests: a fresh, empty store each time)

As for the vault, S3 credentials never travel in the URL: obstore reads the standard
``AWS_*`` environment variables.
"""

from __future__ import annotations

import builtins
import errno
import os
import re
import secrets
import stat
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import obstore
from obstore.exceptions import (
    AlreadyExistsError,
    BaseError,
    PermissionDeniedError,
    PreconditionError,
    UnauthenticatedError,
)
from obstore.store import MemoryStore, S3Store

from trousseau.clock import Clock
from trousseau.errors import (
    FileMissing,
    InvalidValue,
    SettingsError,
    TargetFull,
    TargetUnavailable,
)
from trousseau.processes import Liveness, identity_token, token_liveness

if TYPE_CHECKING:
    from obstore.store import ObjectStore

ACCEPTED = (
    "/absolute/path, file:///absolute/path, "
    "s3://bucket/prefix?endpoint=…&region=…&allow_http=true, or memory://"
)
S3_OPTIONS = ("endpoint", "region", "allow_http")
TEMP_PREFIX = ".tmp-"
"""A local put writes ``.tmp-<writer identity>-<random>`` beside the file, then renames it:
what a crash leaves behind is recognisable (never listed) and `LocalTarget.sweep` removes it."""
TEMP_MAX_AGE = timedelta(hours=24)
"""A temporary file whose writer cannot be told dead is removed after this long: no put
takes a day."""

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_LIST_PAGE = 1000
_FULL = {errno.ENOSPC, errno.EDQUOT}
_REFUSED = {errno.EROFS, errno.EACCES, errno.EPERM}


class Target(Protocol):
    """Where a repository's files live; see the module's docstring for the promises."""

    @property
    def name(self) -> str:
        """The target's URL, without secrets."""
        ...

    def put(self, path: str, data: bytes) -> None:
        """Write `path` whole (replacing it), atomically and durably."""
        ...

    def put_new(self, path: str, data: bytes) -> bool:
        """Create `path` like `put`; False (nothing written) if it already exists."""
        ...

    def get(self, path: str) -> bytes:
        """The whole file; FileMissing if absent."""
        ...

    def get_range(self, path: str, start: int, length: int) -> bytes:
        """`length` bytes from `start`; fewer where the file ends sooner (the caller checks)."""
        ...

    def list(self, prefix: str) -> list[tuple[str, int]]:
        """(path from the target's root, size) of every file whose path starts with `prefix`
        (give a directory with its trailing slash: ``"keys/"``), sorted by path."""
        ...

    def delete(self, path: str) -> None:
        """Remove `path`; a missing file is fine."""
        ...

    def exists(self, path: str) -> bool:
        """Whether a file is at `path`."""
        ...


@runtime_checkable
class FileTimes(Protocol):
    """A target that can tell when its files were written (a local directory, an object
    store): prune spares a pack no index lists yet while it is younger than its grace."""

    def modified(self, prefix: str) -> dict[str, datetime]:
        """Path -> when it was last written, for every file under `prefix`."""
        ...


def modified_times(target: Target, prefix: str) -> dict[str, datetime] | None:
    """When each file under `prefix` was written, or None if `target` cannot tell."""
    return target.modified(prefix) if isinstance(target, FileTimes) else None


# --- paths ------------------------------------------------------------------------------------

_SEGMENT = re.compile(r"[^\x00-\x1f\x7f/\\]+")


def check_path(path: str) -> str:
    """`path` if it names a file inside a target; InvalidValue saying why not otherwise.

    Relative POSIX segments separated by single slashes; no ``.``, ``..``, backslash or
    control character, so no path ever leaves the target's root; no segment starting with
    `TEMP_PREFIX`, the names of a local put's temporary files.
    """
    segments = path.split("/")
    for segment in segments:
        if (
            segment in ("", ".", "..")
            or segment.startswith(TEMP_PREFIX)
            or not _SEGMENT.fullmatch(segment)
        ):
            raise InvalidValue(
                f"repository path {path[:200]!r} is refused: a path is relative segments "
                "separated by single slashes, without '.', '..', backslashes, control "
                f"characters or names starting with {TEMP_PREFIX!r} (temporary files)"
            )
    return path


def check_prefix(prefix: str) -> str:
    """`prefix` if it is "" or the start of a valid path (a trailing slash allowed)."""
    if prefix:
        check_path(prefix.removesuffix("/") or "/")
    return prefix


def _directory_of(prefix: str) -> str:
    """The directory holding every path that starts with `prefix` ("" for the root)."""
    return prefix.rpartition("/")[0]


# --- a local directory ------------------------------------------------------------------------


@dataclass(frozen=True)
class TempFile:
    """A temporary file a local put left behind (a crash, or a put under way)."""

    path: str
    size: int
    modified: datetime
    writer: Liveness


class LocalTarget:
    """A repository in a local directory (a disk, a NAS mount); safe between processes.

    Every write goes to a temporary file in the destination's directory, is fsync'd, then
    published: `put` renames it over the destination, `put_new` hard-links it to the
    destination, which fails if the destination exists, so a create never replaces (the
    directory's filesystem must support hard links: every Linux one, NFS and SMB 3 with
    Unix extensions do). The directory is fsync'd after, so the name survives a crash too.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.absolute()
        self._name = self.root.as_uri()

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"LocalTarget({self._name!r})"

    def put(self, path: str, data: bytes) -> None:
        self._write(path, data, replace=True)

    def put_new(self, path: str, data: bytes) -> bool:
        return self._write(path, data, replace=False)

    def get(self, path: str) -> bytes:
        file = self.root / check_path(path)
        try:
            return file.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise _missing(self._name, path) from None
        except OSError as exc:
            raise _read_error(self._name, path, _os_reason(exc)) from exc

    def get_range(self, path: str, start: int, length: int) -> bytes:
        _check_range(start, length)
        file = self.root / check_path(path)
        try:
            fd = os.open(file, os.O_RDONLY | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise _missing(self._name, path) from None
        except OSError as exc:
            raise _read_error(self._name, path, _os_reason(exc)) from exc
        try:
            parts: list[bytes] = []
            wanted = length
            while wanted:
                part = os.pread(fd, wanted, start + length - wanted)
                if not part:
                    break
                parts.append(part)
                wanted -= len(part)
            return b"".join(parts)
        except OSError as exc:
            raise _read_error(self._name, path, _os_reason(exc)) from exc
        finally:
            os.close(fd)

    def list(self, prefix: str) -> list[tuple[str, int]]:
        check_prefix(prefix)
        directory = _directory_of(prefix)
        found: list[tuple[str, int]] = []
        try:
            for relative, entry in self._walk(directory):
                if entry.name.startswith(TEMP_PREFIX) or not relative.startswith(prefix):
                    continue
                with suppress(FileNotFoundError):  # removed since the directory was read
                    found.append((relative, entry.stat().st_size))
        except OSError as exc:
            raise TargetUnavailable(
                f"cannot list {prefix or 'the files'} in {self._name}: {_os_reason(exc)}"
            ) from exc
        return sorted(found)

    def delete(self, path: str) -> None:
        file = self.root / check_path(path)
        try:
            file.unlink()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise TargetUnavailable(
                f"cannot remove {path} from {self._name}: {_os_reason(exc)}"
            ) from exc
        with suppress(OSError):  # the removal is done; its durability is best effort
            _fsync_directory(file.parent)

    def exists(self, path: str) -> bool:
        file = self.root / check_path(path)
        try:
            return stat.S_ISREG(file.stat().st_mode)
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as exc:
            raise _read_error(self._name, path, _os_reason(exc)) from exc

    def modified(self, prefix: str) -> dict[str, datetime]:
        """When each file under `prefix` was last written (see `FileTimes`)."""
        check_prefix(prefix)
        found: dict[str, datetime] = {}
        for relative, entry in self._walk(_directory_of(prefix)):
            if entry.name.startswith(TEMP_PREFIX) or not relative.startswith(prefix):
                continue
            with suppress(FileNotFoundError):
                found[relative] = datetime.fromtimestamp(entry.stat().st_mtime, UTC)
        return found

    def temporaries(self) -> builtins.list[TempFile]:
        """Every temporary file under the root: crash leftovers, or puts under way."""
        found = []
        try:
            for relative, entry in self._walk(""):
                if entry.name.startswith(TEMP_PREFIX):
                    try:
                        info = entry.stat()
                    except FileNotFoundError:  # its put just finished
                        continue
                    writer = entry.name.removeprefix(TEMP_PREFIX).rpartition("-")[0]
                    found.append(
                        TempFile(
                            path=relative,
                            size=info.st_size,
                            modified=datetime.fromtimestamp(info.st_mtime, UTC),
                            writer=token_liveness(writer),
                        )
                    )
        except OSError as exc:
            raise TargetUnavailable(
                f"cannot list temporary files in {self._name}: {_os_reason(exc)}"
            ) from exc
        return sorted(found, key=lambda temp: temp.path)

    def sweep(
        self, *, clock: Clock, older_than: timedelta = TEMP_MAX_AGE
    ) -> builtins.list[TempFile]:
        """Remove the temporary files of writers known dead on this host, and those older
        than `older_than` whatever their writer; return what was removed. A live writer's
        recent file is its put under way and is kept."""
        now = clock()
        removed = []
        for temp in self.temporaries():
            if temp.writer is Liveness.GONE or now - temp.modified > older_than:
                with suppress(FileNotFoundError):  # its put finished meanwhile
                    (self.root / temp.path).unlink()
                    removed.append(temp)
        return removed

    def _walk(self, directory: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
        """(path from the root, entry) of every file below `directory`; nothing if absent."""
        base = self.root / directory if directory else self.root
        stack = [(base, f"{directory}/" if directory else "")]
        while stack:
            current, relative = stack.pop()
            try:
                entries = list(os.scandir(current))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((Path(entry.path), f"{relative}{entry.name}/"))
                elif entry.is_file():
                    yield f"{relative}{entry.name}", entry

    def _write(self, path: str, data: bytes, *, replace: bool) -> bool:
        file = self.root / check_path(path)
        temp: Path | None = None
        try:
            self._make_directories(file.parent)
            writer = identity_token() or "unknown"
            temp = file.parent / f"{TEMP_PREFIX}{writer}-{secrets.token_hex(8)}"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            if replace:
                temp.replace(file)
                temp = None
            else:
                try:
                    os.link(temp, file)
                except FileExistsError:
                    return False
                temp.unlink()
                temp = None
            _fsync_directory(file.parent)
            return True
        except OSError as exc:
            raise self._write_error(path, len(data), exc) from exc
        finally:
            if temp is not None:
                with suppress(OSError):
                    temp.unlink()

    def _make_directories(self, directory: Path) -> None:
        """Create `directory` and its missing parents, each made durable in its parent."""
        missing = []
        while not directory.is_dir():
            missing.append(directory)
            if directory.parent == directory:
                break
            directory = directory.parent
        for new in reversed(missing):
            with suppress(FileExistsError):
                new.mkdir()
            _fsync_directory(new.parent)

    def _write_error(self, path: str, size: int, exc: OSError) -> Exception:
        if exc.errno in _FULL:
            return TargetFull(
                f"{self._name} is full: {path} ({size} bytes) could not be written and nothing "
                "of it was kept; free space on the target (or grow it), then run the backup "
                "again"
            )
        if exc.errno in _REFUSED:
            return TargetUnavailable(
                f"{self._name} refused to write {path} ({_os_reason(exc)}): mount it "
                "read-write and give trousseau's user write access; nothing of it was kept"
            )
        return TargetUnavailable(
            f"cannot write {path} to {self._name}: {_os_reason(exc)}; nothing of it was kept"
        )


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


# --- an object store --------------------------------------------------------------------------


class ObjectTarget:
    """A repository in an object store (S3-compatible, or obstore's memory store).

    One PUT publishes a whole object atomically, and S3 acknowledges it only once stored
    durably. Uploads are single requests (no multipart) so that `put_new` can be a
    conditional create (``If-None-Match: *``) arbitrated by the store itself; a single PUT
    carries up to 5 GiB, far above a pack.
    """

    def __init__(self, store: ObjectStore, *, name: str) -> None:
        """Wrap `store`; `name` is how messages show the target and must carry no secret."""
        self.store = store
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"ObjectTarget({self._name!r})"

    def put(self, path: str, data: bytes) -> None:
        check_path(path)
        try:
            obstore.put(self.store, path, data, mode="overwrite", use_multipart=False)
        except (BaseError, OSError) as exc:
            raise self._write_error(path, exc) from exc

    def put_new(self, path: str, data: bytes) -> bool:
        check_path(path)
        try:
            obstore.put(self.store, path, data, mode="create", use_multipart=False)
        except AlreadyExistsError:
            return False
        except PreconditionError as exc:
            # A conditional write racing another (S3's 409): the other one decides.
            if self.exists(path):
                return False
            raise self._write_error(path, exc) from exc
        except (BaseError, OSError) as exc:
            raise self._write_error(path, exc) from exc
        return True

    def get(self, path: str) -> bytes:
        check_path(path)
        try:
            return bytes(obstore.get(self.store, path).bytes())
        except (BaseError, OSError) as exc:
            raise self._read_error(path, exc) from exc

    def get_range(self, path: str, start: int, length: int) -> bytes:
        _check_range(start, length)
        check_path(path)
        if length == 0:
            return b""
        try:
            return bytes(obstore.get_range(self.store, path, start=start, length=length))
        except FileNotFoundError as exc:
            raise self._read_error(path, exc) from exc
        except (BaseError, OSError) as exc:
            # A range starting at or past the end is an error to S3 (416), an empty read here.
            if self._size(path) <= start:
                return b""
            raise self._read_error(path, exc) from exc

    def list(self, prefix: str) -> list[tuple[str, int]]:
        check_prefix(prefix)
        directory = _directory_of(prefix)
        found: list[tuple[str, int]] = []
        try:
            pages = obstore.list(self.store, prefix=directory or None, chunk_size=_LIST_PAGE)
            for page in pages:
                for meta in page:
                    if meta["path"].startswith(prefix):
                        found.append((meta["path"], meta["size"]))
        except (BaseError, OSError) as exc:
            raise TargetUnavailable(
                f"cannot list {prefix or 'the files'} in {self._name}: {_summary(exc)}"
            ) from exc
        return sorted(found)

    def delete(self, path: str) -> None:
        check_path(path)
        try:
            obstore.delete(self.store, path)
        except FileNotFoundError:
            return
        except (BaseError, OSError) as exc:
            raise TargetUnavailable(
                f"cannot remove {path} from {self._name}: {_summary(exc)}"
            ) from exc

    def exists(self, path: str) -> bool:
        check_path(path)
        try:
            self._size(path)
        except FileMissing:
            return False
        return True

    def modified(self, prefix: str) -> dict[str, datetime]:
        """When each object under `prefix` was last written (see `FileTimes`)."""
        check_prefix(prefix)
        directory = _directory_of(prefix)
        found: dict[str, datetime] = {}
        try:
            for page in obstore.list(self.store, prefix=directory or None, chunk_size=_LIST_PAGE):
                for meta in page:
                    if meta["path"].startswith(prefix):
                        found[meta["path"]] = meta["last_modified"]
        except (BaseError, OSError) as exc:
            raise TargetUnavailable(
                f"cannot list {prefix or 'the files'} in {self._name}: {_summary(exc)}"
            ) from exc
        return found

    def _size(self, path: str) -> int:
        try:
            return int(obstore.head(self.store, path)["size"])
        except (BaseError, OSError) as exc:
            raise self._read_error(path, exc) from exc

    def _read_error(self, path: str, exc: BaseException) -> Exception:
        if isinstance(exc, FileNotFoundError):
            return _missing(self._name, path)
        return _read_error(self._name, path, _object_reason(exc, "s3:GetObject, s3:ListBucket"))

    def _write_error(self, path: str, exc: BaseException) -> Exception:
        if isinstance(exc, FileNotFoundError):
            reason = "the bucket does not exist: create it or fix the target URL"
        else:
            reason = _object_reason(exc, "s3:PutObject, s3:GetObject, s3:ListBucket")
        return TargetUnavailable(
            f"cannot write {path} to {self._name}: {reason}; nothing of it was kept"
        )


def _object_reason(exc: BaseException, grants: str) -> str:
    if isinstance(exc, UnauthenticatedError):
        return (
            "the store rejected the credentials: check AWS_ACCESS_KEY_ID, "
            "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN"
        )
    if isinstance(exc, PermissionDeniedError):
        return f"permission denied: grant these credentials {grants} on the target's prefix"
    return _summary(exc)


_SECRET_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID")


def _summary(exc: BaseException) -> str:
    """The first line of an obstore error (the rest is a debug dump of the same facts), with
    any credential from the environment masked, should a store echo one back."""
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else type(exc).__name__
    for variable in _SECRET_VARIABLES:
        secret = os.environ.get(variable, "")
        if len(secret) >= 4:
            first = first.replace(secret, "***")
    return first if len(first) <= 400 else first[:400] + "…"


# --- shared -----------------------------------------------------------------------------------


def _check_range(start: int, length: int) -> None:
    if start < 0 or length < 0:
        raise ValueError(f"a range starts and runs at 0 or more bytes, got {start}+{length}")


def _missing(name: str, path: str) -> FileMissing:
    return FileMissing(
        f"repository file {path} is not on {name}: it was removed or never written; "
        "`trousseau backup verify` tells what depends on it, and a replica target may hold it"
    )


def _read_error(name: str, path: str, reason: str) -> TargetUnavailable:
    return TargetUnavailable(f"cannot read {path} from {name}: {reason}")


# --- URLs -------------------------------------------------------------------------------------


def open_target(url: str) -> Target:
    """The target named by `url`; SettingsError (showing the URL without secrets) if none is."""
    if url.startswith("/"):
        return LocalTarget(_local_root(url, Path(url)))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
            raise SettingsError(
                f"backup target {redact(url)} must be file:///absolute/path (three slashes, "
                "no host, no query)"
            )
        return LocalTarget(_local_root(url, Path(unquote(parts.path))))
    if scheme == "memory":
        if parts.netloc or parts.path or parts.query:
            raise SettingsError(
                f"backup target {redact(url)}: a memory target takes no path; use memory://"
            )
        return ObjectTarget(MemoryStore(), name="memory://")
    if scheme == "s3":
        return _open_s3(url)
    raise SettingsError(f"unsupported backup target {redact(url)}: use {ACCEPTED}")


def redact(url: str) -> str:
    """`url` with any user info and any query value other than the S3 options masked."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = "***@" + netloc.rpartition("@")[2]
        query = [
            (key, redact(value) if key == "endpoint" else value if key in S3_OPTIONS else "***")
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
        ]
        return urlunsplit(
            (parts.scheme, netloc, parts.path, urlencode(query, safe="/:*"), parts.fragment)
        )
    except ValueError:
        return "<unparseable URL>"


def _local_root(url: str, root: Path) -> Path:
    if not root.is_absolute() or not str(root).strip("/"):
        raise SettingsError(f"backup target {redact(url)} must name an absolute directory below /")
    return root


def _open_s3(url: str) -> ObjectTarget:
    parts = urlsplit(url)
    shown = redact(url)
    if "@" in parts.netloc:
        raise SettingsError(
            f"backup target {shown} carries credentials: remove them and set "
            "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment instead"
        )
    bucket = parts.netloc
    if not bucket:
        raise SettingsError(f"backup target {shown} names no bucket: use s3://bucket/prefix")
    options: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key not in S3_OPTIONS:
            raise SettingsError(
                f"backup target {shown} has an unknown option {key!r}: only "
                f"{', '.join(S3_OPTIONS)} are accepted (credentials belong in AWS_* "
                "environment variables)"
            )
        if key in options:
            raise SettingsError(f"backup target {shown} gives {key!r} twice")
        options[key] = value
    config: dict[str, Any] = {"checksum_algorithm": "sha256"}
    if options.get("endpoint"):
        if "@" in urlsplit(options["endpoint"]).netloc:
            raise SettingsError(f"backup target {shown}: the endpoint must not carry credentials")
        config["endpoint"] = options["endpoint"]
    if options.get("region"):
        config["region"] = options["region"]
    allow_http = options.get("allow_http", "false").lower()
    if allow_http not in _TRUE | _FALSE:
        raise SettingsError(f"backup target {shown}: allow_http must be true or false")
    prefix = unquote(parts.path).strip("/") or None
    try:
        store = S3Store(
            bucket,
            prefix=prefix,
            client_options={"allow_http": allow_http in _TRUE},
            **config,
        )
    except (BaseError, ValueError) as exc:
        raise SettingsError(f"cannot configure backup target {shown}: {_summary(exc)}") from exc
    return ObjectTarget(store, name=shown)
