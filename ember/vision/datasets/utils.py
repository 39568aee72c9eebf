"""Dataset file plumbing: data root, downloads (MD5-checked, atomic), archive
extraction without pickle or path tricks, and the IDX format of (Fashion-)MNIST.

Every file this module writes is first written to a temporary file in the same
folder and then moved into place with ``os.replace``, so an interrupted download
or extraction never leaves a half-written file under its final name.
"""
import gzip
import hashlib
import http.client
import os
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request

import numpy as np

__all__ = ["default_root", "DatasetError", "DownloadError", "ChecksumError",
           "CorruptFileError", "md5sum", "check_md5", "download_url", "atomic_write",
           "extract_tar_members", "read_idx"]

CHUNK = 1 << 20
TIMEOUT = 30.0  # seconds per network operation


class DatasetError(RuntimeError):
    """A dataset could not be found, downloaded or read."""


class DownloadError(DatasetError):
    """A download failed (offline, HTTP error, or every mirror failed).

    Attributes:
        reason (str): why, in a few words (e.g. ``"are you offline?"``).
    """

    def __init__(self, message, reason=None):
        super().__init__(message)
        self.reason = reason or message


class ChecksumError(DownloadError):
    """A downloaded (or existing) file does not have the published checksum."""


class CorruptFileError(DatasetError):
    """A data file is truncated or not in the expected format."""


def default_root():
    """``$EMBER_DATA`` if set, else ``~/.cache/ember/data``."""
    env = os.environ.get("EMBER_DATA")
    if env:
        return os.path.expanduser(env)
    return os.path.join(os.path.expanduser("~"), ".cache", "ember", "data")


def resolve_root(root):
    return default_root() if root is None else os.path.expanduser(os.fspath(root))


def md5sum(path):
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def check_md5(path, md5):
    """True if ``path`` exists and (when ``md5`` is given) has that MD5."""
    if not os.path.isfile(path):
        return False
    return md5 is None or md5sum(path) == md5


class atomic_write:
    """Context manager: yields a binary file object; on success the data appears at
    ``path`` in one ``os.replace``, on error the temporary file is removed.

    Example:
        >>> with atomic_write("/tmp/x.bin") as f:
        ...     f.write(b"data")
    """

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(dir=folder,
                                        prefix="." + os.path.basename(self.path) + ".",
                                        suffix=".part")
        self.f = os.fdopen(fd, "wb")
        return self.f

    def __exit__(self, exc_type, exc, tb):
        try:
            self.f.close()
            if exc_type is None:
                os.replace(self.tmp, self.path)
        finally:
            if os.path.exists(self.tmp):
                os.remove(self.tmp)
        return False


def _progress(total, desc):
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="B", unit_scale=True, desc=desc, leave=False)


def download_url(urls, path, md5=None, timeout=TIMEOUT):
    """Download the first URL of ``urls`` that works to ``path``, atomically.

    Args:
        urls (str or list of str): the URL or mirrors to try in order.
        path (str): destination file.
        md5 (str, optional): expected MD5; a mismatch tries the next mirror and, if
            none matches, raises :class:`ChecksumError`.
        timeout (float): seconds per network operation.

    Raises:
        DownloadError: no URL could be fetched (offline, HTTP error); the message
            lists each URL's error and where to put the file by hand.
        ChecksumError: files were fetched but none had the expected MD5.
    """
    if isinstance(urls, str):
        urls = [urls]
    errors, bad_sum = [], False
    name = os.path.basename(path)
    for url in urls:
        h = hashlib.md5(usedforsecurity=False)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                total = resp.headers.get("Content-Length")
                bar = _progress(int(total) if total else None, name)
                try:
                    with atomic_write(path) as f:
                        for chunk in iter(lambda: resp.read(CHUNK), b""):
                            f.write(chunk)
                            h.update(chunk)
                            if bar is not None:
                                bar.update(len(chunk))
                        if md5 is not None and h.hexdigest() != md5:
                            raise ChecksumError(f"{url}: MD5 {h.hexdigest()} does not "
                                                f"match the published {md5}")
                finally:
                    if bar is not None:
                        bar.close()
            return path
        except ChecksumError as e:
            bad_sum = True
            errors.append(str(e))
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
            reason = getattr(e, "reason", None) or e
            errors.append(f"{url}: {reason}")
    detail = "; ".join(errors)
    if bad_sum:
        raise ChecksumError(f"downloaded {name} but its checksum is wrong, so nothing "
                            f"was saved (a broken mirror or proxy? try again later, or "
                            f"download it by hand to {path}). Errors: {detail}.",
                            reason=f"checksum mismatch: {detail}")
    raise DownloadError(f"could not download {name} (are you offline?). Errors: {detail}. "
                        f"Download it by hand to {path}, or set $EMBER_DATA / root= to a "
                        "folder that has it.", reason=f"are you offline? {detail}")


def extract_tar_members(archive, wanted, dest, strip_prefix=""):
    """Extract the regular files named in ``wanted`` (archive paths) from a tar
    archive into ``dest`` (atomically, each under its base name); other members are
    ignored, so no path in the archive can write outside ``dest``.

    Raises:
        CorruptFileError: the archive is unreadable or lacks a wanted member.
    """
    found = set()
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                if member.name not in wanted or not member.isfile():
                    continue
                src = tar.extractfile(member)
                target = os.path.join(dest, member.name[len(strip_prefix):])
                with atomic_write(target) as f:
                    for chunk in iter(lambda: src.read(CHUNK), b""):
                        f.write(chunk)
                found.add(member.name)
    except (tarfile.TarError, EOFError, OSError) as e:
        raise CorruptFileError(f"cannot read archive {archive}: {e}; delete it and "
                               "download again") from None
    missing = sorted(set(wanted) - found)
    if missing:
        raise CorruptFileError(f"archive {archive} lacks {', '.join(missing)}; delete it "
                               "and download again")


_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path, expected_ndim=None):
    """Read an IDX file (plain or gzip-compressed) into a NumPy array.

    Checks the magic number (two zero bytes, a type code, the number of dims) and
    that the payload has exactly the size the header announces.

    Raises:
        CorruptFileError: wrong magic, wrong number of dims, truncated or too long.
    """
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise CorruptFileError(f"cannot read {path}: {e} (truncated or not gzip?); "
                               "delete it and download again") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise CorruptFileError(f"{path} is not an IDX file (bad magic number "
                               f"{raw[:4].hex() or 'empty'})")
    ndim = raw[3]
    if expected_ndim is not None and ndim != expected_ndim:
        raise CorruptFileError(f"{path}: expected an IDX file with {expected_ndim} "
                               f"dimension(s), the header says {ndim}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise CorruptFileError(f"{path} is truncated (header cut short)")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    need = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    have = len(raw) - header
    if have != need:
        what = "truncated" if have < need else "longer than its header says"
        raise CorruptFileError(f"{path} is {what}: header {dims} needs {need} bytes of "
                               f"data, the file has {have}; delete it and download again")
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=False) if dtype.itemsize > 1 else arr
