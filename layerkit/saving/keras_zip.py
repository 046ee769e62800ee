"""A ``.keras`` zip archive opened for reading, every member checked before it is read.

A ``.keras`` file is a zip archive of ``config.json``, ``metadata.json``,
``model.weights.h5`` (and, for layers with assets, ``assets/``). Nothing is trusted:
the member names (no absolute paths, no ``..``, no duplicates, nothing unexpected),
their declared sizes against the archive's own (a member may not declare more than 100
times the archive plus 1 MiB: a zip bomb is refused before anything is inflated), their
real sizes while they are read, and their checksums. Members are only ever read into
memory or into a temporary file of layerkit's own naming, never extracted by their names.
"""

import contextlib
import io
import json
import os
import shutil
import tempfile
import zipfile

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
_EXPANSION, _SLACK = 100, 1 << 20  # a member may hold at most 100x the archive, plus 1 MiB
_CHUNK = 1 << 20


class ArchiveReader:
    """A ``.keras`` archive opened for reading, its members checked before any is read.

    Example
    -------
    >>> import os, tempfile
    >>> from layerkit import Sequential, layers
    >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
    >>> Sequential([layers.Input((2,)), layers.Dense(1)]).save(path)
    >>> with ArchiveReader(path) as archive:
    ...     sorted(archive.members), archive.json(CONFIG)["class_name"]
    (['config.json', 'metadata.json', 'model.weights.h5'], 'Sequential')

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If it is not a zip archive, or a member is missing, unexpected, duplicated,
        encrypted, named with ``..`` or an absolute path, or declares a size far beyond
        the archive's (a zip bomb).
    """

    def __init__(self, filepath):
        self.filepath = filepath
        if not os.path.isfile(filepath):
            raise FileNotFoundError(f"Cannot load a model: no such file {filepath!r}.")
        self.limit = _EXPANSION * os.path.getsize(filepath) + _SLACK
        try:
            self.archive = zipfile.ZipFile(filepath)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
            raise ValueError(f"Cannot load {filepath!r}: it is not a zip archive, as a `.keras` "
                             f"file must be ({type(error).__name__}: {error}).") from None
        try:
            self.members = self._check_members()
        except BaseException:
            self.archive.close()
            raise

    def _check_members(self):
        members, total = {}, 0
        for info in self.archive.infolist():
            name = info.filename
            parts = name.replace("\\", "/").split("/")
            if name.startswith(("/", "\\")) or ".." in parts or "\\" in name or "\x00" in name or (
                    ":" in parts[0]):
                self.fail(name, "the member's path is absolute or leaves the archive ('..').")
            if name in members:
                self.fail(name, "the archive holds two members of that name.")
            if name not in (CONFIG, METADATA, WEIGHTS) and not name.startswith("assets/"):
                self.fail(name, f"unexpected member; a `.keras` archive holds {CONFIG}, "
                                f"{METADATA}, {WEIGHTS} and assets/.")
            if info.flag_bits & 0x1:
                self.fail(name, "the member is encrypted.")
            total += info.file_size
            if info.file_size > self.limit or total > self.limit:
                self.fail(name, f"declares {info.file_size} bytes, far beyond the archive's "
                                f"{os.path.getsize(self.filepath)}: refused as a zip bomb.")
            members[name] = info
        for name in (CONFIG, WEIGHTS):
            if name not in members:
                self.fail(name, "the archive has no such member (a `.keras` archive holds "
                                f"{CONFIG} and {WEIGHTS}).")
        return members

    def fail(self, member, message):
        raise ValueError(f"Cannot load {self.filepath!r}: {member}: {message}")

    def copy(self, name, target):
        """Copy member ``name`` into the open binary file ``target``, checking its real size."""
        declared, written = self.members[name].file_size, 0
        try:
            with self.archive.open(self.members[name]) as source:
                while chunk := source.read(_CHUNK):
                    written += len(chunk)
                    if written > declared:
                        self.fail(name, f"holds more than the {declared} bytes it declares: "
                                        "refused as a zip bomb.")
                    target.write(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as error:
            if isinstance(error, ValueError) and str(error).startswith("Cannot load"):
                raise
            self.fail(name, f"the member is damaged ({type(error).__name__}: {error}).")
        if written != declared:
            self.fail(name, f"holds {written} bytes, not the {declared} it declares.")

    def json(self, name):
        """Member ``name`` parsed as a JSON object."""
        buffer = io.BytesIO()
        self.copy(name, buffer)
        try:
            value = json.loads(buffer.getvalue().decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            self.fail(name, f"not valid JSON ({type(error).__name__}: {error}).")
        if not isinstance(value, dict):
            self.fail(name, f"expected a JSON object, found {type(value).__name__}.")
        return value

    @contextlib.contextmanager
    def weights_file(self):
        """The weights member extracted to a temporary file (removed afterwards): its path."""
        folder = tempfile.mkdtemp(prefix="layerkit-keras-")
        try:
            path = os.path.join(folder, WEIGHTS)
            with open(path, "wb") as target:
                self.copy(WEIGHTS, target)
            yield path
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.archive.close()
        return False
