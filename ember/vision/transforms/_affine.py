"""Random geometric transforms: RandomRotation and RandomAffine (torchvision's)."""
import numbers
from collections.abc import Sequence

from . import _image as I
from . import functional as F
from ._image import InterpolationMode
from .transforms import _Transform, _uniform


def _degrees_range(degrees, name):
    if isinstance(degrees, numbers.Number):
        if degrees < 0:
            raise ValueError(f"If {name} is a single number, it must be positive, got "
                             f"{degrees}")
        return [-float(degrees), float(degrees)]
    if isinstance(degrees, Sequence) and len(degrees) == 2:
        return [float(d) for d in degrees]
    raise ValueError(f"{name} should be a number or a sequence of length 2, got "
                     f"{degrees!r}")


class RandomRotation(_Transform):
    """Rotate by an angle drawn uniformly from ``degrees`` (counter-clockwise).

    Args:
        degrees (number or (min, max)): a number d means (-d, d).
        interpolation (InterpolationMode): NEAREST (default) or BILINEAR.
        expand (bool): enlarge the output to hold the whole rotated image.
        center ((x, y), optional): centre of rotation in pixels.
        fill (number or sequence): value for the area outside the image.
    """

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False,
                 center=None, fill=0):
        self.degrees = _degrees_range(degrees, "degrees")
        self.interpolation = interpolation
        self.expand, self.center, self.fill = expand, center, fill

    @staticmethod
    def get_params(degrees):
        return _uniform(degrees[0], degrees[1])

    def __call__(self, img):
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center,
                        self.fill)

    def _repr_args(self):
        return f"degrees={self.degrees}, interpolation={I.interp_mode(self.interpolation, '')}"


class RandomAffine(_Transform):
    """Random affine map keeping the centre.

    Args:
        degrees (number or (min, max)): rotation range (a number d means (-d, d)).
        translate ((a, b), optional): maximal shifts as fractions of width / height.
        scale ((min, max), optional): scale range.
        shear (number or sequence, optional): x-shear range (-s, s), (min, max), or
            (xmin, xmax, ymin, ymax) in degrees.
        interpolation (InterpolationMode): NEAREST (default) or BILINEAR.
        fill (number or sequence): value for the area outside the image.
        center ((x, y), optional): centre in pixels.
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):
        self.degrees = _degrees_range(degrees, "degrees")
        if translate is not None:
            if len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError("RandomAffine: translate should be a sequence of two "
                                 f"values between 0 and 1, got {translate!r}")
        if scale is not None:
            if len(scale) != 2 or any(s <= 0 for s in scale):
                raise ValueError(f"RandomAffine: scale values should be positive, got "
                                 f"{scale!r}")
        if shear is not None:
            if isinstance(shear, numbers.Number):
                shear = _degrees_range(shear, "shear")
            elif len(shear) not in (2, 4):
                raise ValueError("RandomAffine: shear should be a number or a sequence "
                                 f"of length 2 or 4, got {shear!r}")
            shear = [float(s) for s in shear]
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation, self.fill, self.center = interpolation, fill, center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        angle = _uniform(degrees[0], degrees[1])
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            tx = int(round(_uniform(-max_dx, max_dx)))
            ty = int(round(_uniform(-max_dy, max_dy)))
            translations = (tx, ty)
        else:
            translations = (0, 0)
        scale = 1.0 if scale_ranges is None else _uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img):
        _, h, w = I.get_dimensions(img)
        angle, t, s, sh = self.get_params(self.degrees, self.translate, self.scale,
                                          self.shear, [w, h])
        return F.affine(img, angle, t, s, sh, self.interpolation, self.fill, self.center)
