"""``ember.hub``: PyTorch's ``torch.hub`` for files already on disk (ember downloads nothing).

``load_state_dict_from_url(url)`` -- how course code fetches pretrained weights -- reads
the file from torch's hub cache (``get_dir()/checkpoints/<file name of the url>``,
``$TORCH_HOME/hub`` or ``~/.cache/torch/hub``), where PyTorch would have downloaded it;
a missing file is an error naming the path to put it at and the URL to fetch it from.
``torch.hub.load`` (running code from GitHub) is not supported.
"""
import os

__all__ = ["get_dir", "set_dir", "load_state_dict_from_url", "load", "list", "help",
           "download_url_to_file"]

_DIR = [None]


def get_dir():
    """The hub folder: ``set_dir``'s, else ``$TORCH_HOME/hub``, else ``~/.cache/torch/hub``."""
    if _DIR[0] is not None:
        return _DIR[0]
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache")), "torch")
    return os.path.join(home, "hub")


def set_dir(d):
    """Use folder ``d`` as the hub folder."""
    _DIR[0] = os.path.expanduser(os.fspath(d))


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True, check_hash=False,
                             file_name=None, weights_only=True):
    """Load the checkpoint ``url`` names from the local hub cache (no download).

    Args:
        url (str): the published URL; only its file name is used.
        model_dir (str, optional): folder to look in (default ``get_dir()/checkpoints``).
        map_location, weights_only: as :func:`ember.load`.
        file_name (str, optional): the file name to use instead of the URL's.

    Raises:
        FileNotFoundError: the file is not there; the message names the path and the URL.
    """
    import ember
    from urllib.parse import urlparse
    folder = model_dir or os.path.join(get_dir(), "checkpoints")
    name = file_name or os.path.basename(urlparse(url).path)
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} not found: ember does not download files; fetch {url} and "
                                "save it there (or load it with ember.load(<path>))")
    return ember.load(path, map_location=map_location, weights_only=weights_only)


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    raise RuntimeError(f"ember.hub does not download: fetch {url} yourself and save it as {dst}")


def load(repo_or_dir, model, *args, **kwargs):
    """Not supported: ``torch.hub.load`` runs code fetched from GitHub. Use the constructors of
    :mod:`ember.vision.models` and ``load_state_dict``."""
    raise NotImplementedError("ember.hub.load (running a GitHub repository's hubconf.py) is not "
                              "supported; build the model with ember.vision.models and load its "
                              "weights from a local file")


def list(github, force_reload=False, skip_validation=False, trust_repo=None):  # noqa: A001
    raise NotImplementedError("ember.hub.list needs GitHub access, which ember does not use")


def help(github, model, force_reload=False, skip_validation=False, trust_repo=None):  # noqa: A001
    raise NotImplementedError("ember.hub.help needs GitHub access, which ember does not use")
