"""``DatasetFolder`` and ``ImageFolder``: one sub-folder per class (torchvision's layout).

    root/dog/xxx.png
    root/dog/xxy.jpg
    root/cat/123.png

Classes are the sub-folder names in sorted order (``class_to_idx``); samples are every
file with an accepted extension below each class folder (symlinks followed), sorted.
"""
import os

from ember.utils.data import Dataset

__all__ = ["DatasetFolder", "ImageFolder", "IMG_EXTENSIONS", "default_loader", "pil_loader",
           "find_classes", "make_dataset", "has_file_allowed_extension"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename, extensions):
    """Whether ``filename`` ends with one of ``extensions`` (case-insensitive)."""
    return filename.lower().endswith(extensions if isinstance(extensions, str) else tuple(extensions))


def find_classes(directory):
    """(sorted class names, {name: index}) from the sub-folders of ``directory``.

    Raises:
        FileNotFoundError: no sub-folder at all.
    """
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory, class_to_idx=None, extensions=None, is_valid_file=None,
                 allow_empty=False):
    """[(path, class_index)] of the accepted files under each class folder.

    Exactly one of ``extensions`` and ``is_valid_file`` must be given.

    Raises:
        FileNotFoundError: a class folder has no valid file (unless ``allow_empty``).
    """
    directory = os.path.expanduser(os.fspath(directory))
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the same time")
    if extensions is not None:
        def is_valid_file(path):
            return has_file_allowed_extension(path, extensions)
    instances, found = [], set()
    for target_class in sorted(class_to_idx):
        class_index = class_to_idx[target_class]
        target_dir = os.path.join(directory, target_class)
        if not os.path.isdir(target_dir):
            continue
        for root, _, fnames in sorted(os.walk(target_dir, followlinks=True)):
            for fname in sorted(fnames):
                path = os.path.join(root, fname)
                if is_valid_file(path):
                    instances.append((path, class_index))
                    found.add(target_class)
    empty = set(class_to_idx) - found
    if empty and not allow_empty:
        msg = f"Found no valid file for the classes {', '.join(sorted(empty))}. "
        if extensions is not None:
            exts = extensions if isinstance(extensions, str) else ", ".join(extensions)
            msg += f"Supported extensions are: {exts}"
        raise FileNotFoundError(msg)
    return instances


def pil_loader(path):
    """Open an image file with Pillow as an RGB ``PIL.Image``."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("ImageFolder needs Pillow to read images: pip install pillow") from None
    with open(path, "rb") as f:
        img = Image.open(f)
        return img.convert("RGB")


def default_loader(path):
    return pil_loader(path)


class DatasetFolder(Dataset):
    """Samples in class sub-folders, read by ``loader`` (torchvision's ``DatasetFolder``).

    Args:
        root (str or PathLike): the folder holding one sub-folder per class.
        loader (callable): reads a sample from its path.
        extensions (tuple of str, optional): accepted file endings.
        transform, target_transform (callable, optional): applied to sample / class index.
        is_valid_file (callable, optional): ``path -> bool`` instead of ``extensions``.
        allow_empty (bool): allow class folders without any valid file.

    Attributes:
        classes (list), class_to_idx (dict), samples / targets (lists).
    """

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None, allow_empty=False):
        self.root = os.fspath(root)
        self.transform, self.target_transform = transform, target_transform
        classes, class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(self.root, class_to_idx, extensions, is_valid_file,
                                         allow_empty=allow_empty)
        self.loader = loader
        self.extensions = extensions
        self.classes, self.class_to_idx = classes, class_to_idx
        self.targets = [s[1] for s in self.samples]

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None,
                     allow_empty=False):
        if class_to_idx is None:
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def find_classes(self, directory):
        return find_classes(directory)

    def __getitem__(self, index):
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self):
        return len(self.samples)

    def __repr__(self):
        lines = [f"Number of datapoints: {len(self)}", f"Root location: {self.root}"]
        if self.transform is not None:
            lines.append(f"StandardTransform\nTransform: {self.transform!r}")
        return f"Dataset {type(self).__name__}" + "".join("\n    " + ln for ln in lines)


class ImageFolder(DatasetFolder):
    """Images in class sub-folders, loaded as RGB ``PIL.Image`` s (torchvision's ``ImageFolder``).

    Example:
        >>> ds = ImageFolder("data/train", transform=transforms.Compose([
        ...     transforms.Resize(64), transforms.ToTensor()]))
        >>> img, label = ds[0]; ds.classes
    """

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader,
                 is_valid_file=None, allow_empty=False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform=transform, target_transform=target_transform,
                         is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples
