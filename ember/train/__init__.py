"""ember.train: the training loop shared by ``ember train`` recipes and users.

:func:`fit` trains a model for some epochs with callbacks (checkpoints, logs, progress,
early stopping); :func:`evaluate` measures loss and accuracy; a run resumes from its
checkpoint with ``fit(..., resume=run_dir)`` and ends with the same weights as a run
that never stopped.

Example:
    >>> from ember.train import fit, evaluate, CheckpointCallback, CSVLogger
    >>> fit(model, train_loader, optimizer, nn.CrossEntropyLoss(), epochs=5,
    ...     val_loader=test_loader, callbacks=[CheckpointCallback("runs/a"),
    ...                                        CSVLogger("runs/a/metrics.csv")])
    >>> evaluate(model, test_loader, nn.CrossEntropyLoss())
    {'loss': 0.05, 'accuracy': 0.983, 'samples': 2004}
"""
from .callbacks import Callback, CallbackList, EarlyStopping, LambdaCallback
from .checkpoint import (BEST_NAME, CHECKPOINT_NAME, CheckpointCallback, CheckpointError,
                         load_checkpoint, restore_checkpoint, training_checkpoint)
from .loggers import CSVLogger, JSONLogger, TensorBoardLogger, read_scalars
from .loop import History, TrainState, TrainingDiverged, evaluate, fit
from .metrics import Accuracy, Mean, accuracy, correct
from .plots import CurvePlotter, plot_curves
from .progress import EpochPrinter, ProgressBar, format_record

__all__ = ["fit", "evaluate", "History", "TrainState", "TrainingDiverged", "read_scalars", "Callback", "CallbackList",
           "EarlyStopping", "LambdaCallback", "CheckpointCallback", "CheckpointError",
           "load_checkpoint", "restore_checkpoint", "training_checkpoint",
           "CHECKPOINT_NAME", "BEST_NAME", "CSVLogger", "JSONLogger", "TensorBoardLogger",
           "CurvePlotter", "plot_curves", "ProgressBar", "EpochPrinter", "format_record",
           "accuracy", "correct", "Accuracy", "Mean"]
