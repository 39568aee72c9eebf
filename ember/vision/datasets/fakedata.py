"""``FakeData``: random images, the same ones torchvision's ``FakeData`` makes."""
import ember
from ember.utils.data import Dataset

__all__ = ["FakeData"]


class FakeData(Dataset):
    """A dataset of random images (torchvision's ``FakeData``), for testing pipelines.

    Item ``i`` is drawn from a generator seeded with ``i + random_offset``: an image of
    ``image_size`` standard-normal values turned into a ``PIL.Image`` as torchvision's
    ``ToPILImage`` does (``uint8(x * 255)``), and a class in ``[0, num_classes)``. ember's
    generator follows PyTorch's stream, so the items equal torchvision's.

    Args:
        size (int): number of items. image_size (tuple): ``(C, H, W)``, C in 1, 3, 4.
        num_classes (int). transform, target_transform (callable, optional).
        random_offset (int): added to the index before seeding.
    """

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        self.size, self.image_size = size, tuple(image_size)
        if len(self.image_size) != 3 or self.image_size[0] not in (1, 3, 4):
            raise ValueError(f"FakeData: image_size must be (C, H, W) with C in 1, 3, 4; got "
                             f"{image_size}")
        self.num_classes, self.random_offset = num_classes, random_offset
        self.transform, self.target_transform = transform, target_transform

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        from PIL import Image
        g = ember.Generator().manual_seed(index + self.random_offset)
        img = ember.randn(self.image_size, generator=g)
        target = int(ember.randint(0, self.num_classes, (1,), generator=g)[0])
        # ToPILImage: float -> uint8 by a C cast of x * 255 (wraps modulo 256, like torch's .byte())
        raw = (img * 255).numpy().astype("int64").astype("uint8").transpose(1, 2, 0)
        # (H, W) -> mode "L", (H, W, 3) -> "RGB", (H, W, 4) -> "RGBA", as ToPILImage picks
        pil = Image.fromarray(raw[:, :, 0] if raw.shape[2] == 1 else raw)
        if self.transform is not None:
            pil = self.transform(pil)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return pil, target

    def __len__(self):
        return self.size
