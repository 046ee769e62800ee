"""Finding a data file: where to look, checking its SHA-256, downloading it atomically.

A loader names the file it needs as a :class:`RemoteFile` (its name, the
SHA-256 checksums it may have, the public mirrors that host it) and calls
:func:`get_file`, which looks, in order:

1. at ``path=`` when the caller gives one (a file, or a folder holding the file);
2. in the folder named by the ``LAYERKIT_DATA_DIR`` environment variable;
3. in the per-user cache, ``~/.layerkit/datasets`` (``$LAYERKIT_HOME/datasets``);
4. on the mirrors, one after the other, downloading into the cache.

Every file found or downloaded is checked against its checksums before it is
read, so a wrong or damaged file stops here with a message that names it,
instead of failing later inside a parser. A download goes to a temporary file
beside its destination and is renamed into place only once complete and
verified: an interrupted or failed download leaves nothing behind.

This module imports nothing from layerkit.
"""

import contextlib
import hashlib
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

DATA_DIR_VARIABLE = "LAYERKIT_DATA_DIR"
HOME_VARIABLE = "LAYERKIT_HOME"
_CHUNK = 1 << 16
_TIMEOUT_S = 30

# The opener used for downloads; tests replace it with a fake.
urlopen = urllib.request.urlopen


class DataFileNotFoundError(FileNotFoundError):
    """A data file is in none of the places looked at and could not be downloaded.

    Example
    -------
    >>> issubclass(DataFileNotFoundError, FileNotFoundError)
    True
    """


class ChecksumMismatchError(ValueError):
    """A data file's SHA-256 is not one of the checksums it is known by.

    Example
    -------
    >>> issubclass(ChecksumMismatchError, ValueError)
    True
    """


@dataclass(frozen=True)
class RemoteFile:
    """A data file a loader needs: its name, its known checksums and its mirrors.

    Parameters
    ----------
    name : str
        The file's name in a data folder and in the cache.
    sha256 : tuple of str
        The SHA-256 hex digests a good copy may have (the first is the reference).
    urls : tuple of str
        Public mirrors, tried in order.
    description : str
        A few words for error messages ("cat vs non-cat, training split").

    Example
    -------
    >>> f = RemoteFile("a.csv", ("0" * 64,), ("https://example.org/a.csv",), "a table")
    >>> f.name
    'a.csv'
    """

    name: str
    sha256: tuple
    urls: tuple
    description: str = ""


def data_dir():
    """The folder named by ``LAYERKIT_DATA_DIR``, or None when it is unset or empty.

    Example
    -------
    >>> import os
    >>> os.environ.get("LAYERKIT_DATA_DIR") is None or data_dir() is not None
    True
    """
    value = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    return Path(value).expanduser() if value else None


def cache_dir():
    """The download cache: ``$LAYERKIT_HOME/datasets``, ``~/.layerkit/datasets`` by default.

    Example
    -------
    >>> cache_dir().name
    'datasets'
    """
    home = os.environ.get(HOME_VARIABLE, "").strip() or os.path.join("~", ".layerkit")
    return Path(home).expanduser() / "datasets"


def sha256sum(path):
    """The SHA-256 hex digest of a file, read in chunks.

    Example
    -------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x"); _ = open(p, "wb").write(b"abc")
    >>> sha256sum(p)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path, remote):
    """Check that the file at ``path`` has one of ``remote``'s checksums.

    Raises
    ------
    ChecksumMismatchError
        Naming the file, the checksum found, the one expected, and what to do.
    """
    found = sha256sum(path)
    if found not in remote.sha256:
        raise ChecksumMismatchError(
            f"The data file {os.fspath(path)!r} ({remote.description or remote.name}) is not "
            f"the expected file: its SHA-256 is {found}, expected {remote.sha256[0]}. It may be "
            f"truncated, corrupt or a different version. Replace it with a good copy (from "
            f"{remote.urls[0]}), or delete it if it is in the cache "
            f"({cache_dir()}) to have it downloaded again.")
    return path


def get_file(remotes, path=None):
    """Find, verify (and if need be download) one of ``remotes``; return ``(remote, path)``.

    Parameters
    ----------
    remotes : RemoteFile or sequence of RemoteFile
        The file, or alternatives any of which will do (the first is preferred).
    path : str or os.PathLike, optional
        A file, or a folder holding the file: the only place looked at when given.

    Returns
    -------
    (RemoteFile, pathlib.Path)
        Which file was found, and where.

    Raises
    ------
    DataFileNotFoundError
        When the file is nowhere and cannot be downloaded: the message says which
        file, where it looked, why each download failed, and how to provide it.
    ChecksumMismatchError
        When a file is found but its checksum is wrong.
    """
    remotes = (remotes,) if isinstance(remotes, RemoteFile) else tuple(remotes)
    if path is not None:
        return _from_explicit_path(remotes, Path(path).expanduser())
    looked_in, failures = [], []
    folder = data_dir()
    if folder is not None:
        looked_in.append(f"{folder} (${DATA_DIR_VARIABLE})")
        for remote in remotes:
            if (folder / remote.name).is_file():
                return remote, verify(folder / remote.name, remote)
    cache = cache_dir()
    looked_in.append(f"{cache} (the cache)")
    for remote in remotes:
        cached = cache / remote.name
        if cached.is_file():
            try:
                return remote, verify(cached, remote)
            except ChecksumMismatchError as error:
                failures.append(f"the cached copy is damaged: {error}")
    for remote in remotes:
        for url in remote.urls:
            try:
                return remote, download(url, cache / remote.name, remote)
            except (OSError, ValueError) as error:  # URLError and timeouts are OSErrors
                failures.append(f"{url}: {error}")
    raise DataFileNotFoundError(_not_found_message(remotes, looked_in, failures))


def _from_explicit_path(remotes, path):
    if path.is_dir():
        for remote in remotes:
            if (path / remote.name).is_file():
                return remote, verify(path / remote.name, remote)
        raise DataFileNotFoundError(_not_found_message(remotes, [f"{path} (path=)"], []))
    if not path.is_file():
        raise DataFileNotFoundError(_not_found_message(remotes, [f"{path} (path=)"], []))
    found = sha256sum(path)
    for remote in remotes:
        if found in remote.sha256:
            return remote, path
    return remotes[0], verify(path, remotes[0])  # raises, naming the file


def _not_found_message(remotes, looked_in, failures):
    names = " or ".join(repr(r.name) for r in remotes)
    what = remotes[0].description
    lines = [f"Could not find the data file {names}" + (f" ({what})" if what else "") + ".",
             "Looked in: " + "; ".join(looked_in) + "."]
    if failures:
        lines.append("Download failed: " + " | ".join(failures))
    lines.append(
        f"To provide it: download {remotes[0].urls[0]} (SHA-256 {remotes[0].sha256[0]}), then "
        f"put it in a folder named by the {DATA_DIR_VARIABLE} environment variable, or in "
        f"{cache_dir()}, or pass its location as `path=`.")
    return "\n".join(lines)


def download(url, destination, remote):
    """Download ``url`` to ``destination`` atomically, checking ``remote``'s checksums.

    The bytes go to a temporary file beside ``destination`` (with a tqdm
    progress bar), are hashed on the way, and are renamed onto ``destination``
    only when complete and verified. On any failure, including an interrupt,
    the temporary file is removed and ``destination`` is left as it was.

    Returns
    -------
    pathlib.Path
        ``destination``.

    Raises
    ------
    OSError
        When the download fails (no network, HTTP error, short read).
    ChecksumMismatchError
        When the downloaded bytes are not the expected file.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part",
                               dir=destination.parent)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urlopen(url, timeout=_TIMEOUT_S) as response:
            size = response.headers.get("Content-Length") if hasattr(response, "headers") else None
            total = int(size) if size and size.isdigit() else None
            received = 0
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                      desc=f"Downloading {destination.name}", leave=False) as bar:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            if total is not None and received != total:
                raise OSError(f"the download stopped after {received} of {total} bytes")
            out.flush()
            os.fsync(out.fileno())
        found = digest.hexdigest()
        if found not in remote.sha256:
            raise ChecksumMismatchError(
                f"the downloaded file's SHA-256 is {found}, expected {remote.sha256[0]}")
        os.replace(tmp, destination)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    return destination
