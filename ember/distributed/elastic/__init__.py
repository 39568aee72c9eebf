"""``ember.distributed.elastic``: the parts of ``torch.distributed.elastic`` that training
scripts import (ember's launcher is ``ember.distributed.run``, over MPI)."""
