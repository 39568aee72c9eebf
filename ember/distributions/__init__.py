"""``ember.distributions``: probability distributions with PyTorch's API
(``torch.distributions``): ``sample``/``rsample``/``log_prob``/``entropy``/``mean``/
``variance``, parameter validation and ``kl_divergence`` with registered closed forms.

Example:
    >>> from ember.distributions import Categorical, Normal, kl_divergence
    >>> pi = Categorical(logits=ember.zeros(4))
    >>> a = pi.sample()
    >>> kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0))
"""
from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical, OneHotCategorical
from .dirichlet import Beta, Dirichlet
from .distribution import Distribution
from .gamma import Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Exponential, Laplace, Normal
from .poisson import Poisson
from .uniform import Uniform

__all__ = ["Distribution", "Bernoulli", "Beta", "Categorical", "Dirichlet", "Exponential", "Gamma",
           "Independent", "Laplace", "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson",
           "Uniform", "kl_divergence", "register_kl", "constraints"]
