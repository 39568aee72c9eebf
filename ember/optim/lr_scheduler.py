"""Learning-rate schedules, as ``torch.optim.lr_scheduler``.

A scheduler wraps an optimizer and rewrites ``group["lr"]`` of each parameter group
when ``scheduler.step()`` is called (once per epoch or per batch, after
``optimizer.step()``). The recursive ("chainable") formulas are PyTorch's, so the
learning rates agree with PyTorch's float for float, and schedulers can be combined
(``ChainedScheduler``, ``SequentialLR``). ``state_dict()`` holds every attribute except
the optimizer, so a run resumes exactly after ``load_state_dict``.

Example:
    >>> opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> sched = ember.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    >>> for epoch in range(100):
    ...     train_one_epoch(model, opt)
    ...     sched.step()
"""
from ._lr_base import EPOCH_DEPRECATION_WARNING, LRScheduler, _LRScheduler
from ._lr_policies import ChainedScheduler, CyclicLR, OneCycleLR, ReduceLROnPlateau, SequentialLR
from ._lr_schedules import (ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR,
                            LambdaLR, LinearLR, MultiplicativeLR, MultiStepLR, PolynomialLR,
                            StepLR)

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR",
           "ConstantLR", "LinearLR", "ExponentialLR", "SequentialLR", "CosineAnnealingLR",
           "ChainedScheduler", "ReduceLROnPlateau", "CyclicLR",
           "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR"]

# the classes live in private modules; present them (repr, pickle) under this public path
for _name in __all__ + ["_LRScheduler"]:
    globals()[_name].__module__ = __name__
del _name
