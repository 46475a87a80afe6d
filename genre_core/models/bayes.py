"""Bayesian genre classifiers in Pyro: the five models of "Music Genre Classification using
Model-Based Machine Learning", fitted by SVI or NUTS, and their posterior predictions.

Models (``BayesConfig.model``):

``logreg``
    Model 1: α ~ N(0, 5), β ~ N(0, 5), genre ~ Categorical(softmax(α + xβ)).
``hier-t``
    Model 2: μβ ~ StudentT(ν), σβ ~ HalfCauchy(τ), β ~ N(μβ, σβ).
``hier-normal``
    Model 3: as Model 2 with μβ ~ N(0, λ).
``ard``
    Model 4: as Model 2 with one σβ per feature (automatic relevance determination).
``bnn``
    Model 5: a feed-forward network (one tanh layer), every weight ~ N(0, 1).

μβ is one per feature: the coefficient a feature shares across genres, which the softmax
ignores. So σβ measures how much a feature's coefficients *differ between genres*, which is
what ARD reads as the feature's relevance. β is parameterised as μβ + σβ·z with z ~ N(0, 1)
(non-centred), which NUTS samples far better than the centred form.

Work runs in the caller's thread; progress goes to an optional ``progress`` callable as event
dicts and an optional cancel flag (a ``threading.Event``) is checked at every SVI step and MCMC
iteration.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyro
import pyro.distributions as dist
import pyro.poutine as poutine
import torch
from pyro.infer import MCMC, NUTS, Predictive, Trace_ELBO
from pyro.infer.autoguide import AutoNormal, init_to_feasible, init_to_sample
from pyro.ops.stats import effective_sample_size, split_gelman_rubin

from genre_core.errors import DataError
from genre_core.metrics.evaluation import scores
from genre_core.models.bayes_config import (
    BAYES_PARAMS,
    INFERENCE_TITLES,
    INFERENCES,
    MODEL_TITLES,
    ROW_PARAMS,
    USED_BY,
    BayesConfig,
)
from genre_core.models.bayes_data import REPORT_PREP, Prepared, prepare, prepare_rows
from genre_core.runs.progress import CancelFlag, Progress, check_cancel, emit

# Guide parameters live in the guide, not in Pyro's global parameter store, so two fits in two
# threads (two browser sessions) never share or overwrite each other's parameters.
pyro.settings.set(module_local_params=True)

JIT, FULL = True, True
THREADS = 1  # these matrices are small: on two shared cores, two torch threads run ~10x slower


@contextmanager
def torch_threads(n: int = THREADS) -> Iterator[None]:
    """Run torch on ``n`` threads inside the block (a process-wide setting), then restore it."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# ---- models ----------------------------------------------------------------------------------


def logits(model: str, sites: dict[str, torch.Tensor], X: torch.Tensor) -> torch.Tensor:
    """Genre logits from the latent sites; any leading draw dimensions broadcast.

    ``X`` is (rows, features); a site with a leading draw dimension S gives (S, rows, genres).
    """
    if model == "bnn":
        hidden = torch.tanh(X @ sites["w1"] + sites["b1"].unsqueeze(-2))
        return hidden @ sites["w2"] + sites["b2"].unsqueeze(-2)
    return X @ coefficients(model, sites) + sites["alpha"].unsqueeze(-2)


def coefficients(model: str, sites: dict) -> torch.Tensor:
    """β (features × genres, after any leading draw dimensions) of a linear model."""
    if model == "logreg":
        return sites["beta"]
    sigma = sites["sigma_beta"]
    sigma = sigma.unsqueeze(-1) if model == "ard" else sigma[..., None, None]
    return sites["mu_beta"].unsqueeze(-1) + sigma * sites["z_beta"]


def make_model(config: BayesConfig, n_features: int, n_classes: int) -> Callable:
    """The Pyro model ``model(X, y=None)`` of ``config``: priors, then genre ~ Categorical."""
    d, c, h = n_features, n_classes, config.hidden

    def normal(scale: float, *shape: int):
        return dist.Normal(0.0, scale).expand(list(shape)).to_event(len(shape))

    def model(X: torch.Tensor, y: torch.Tensor | None = None):
        if config.model == "bnn":
            sites = {
                "w1": pyro.sample("w1", normal(1.0, d, h)),
                "b1": pyro.sample("b1", normal(1.0, h)),
                "w2": pyro.sample("w2", normal(1.0, h, c)),
                "b2": pyro.sample("b2", normal(1.0, c)),
            }
        else:
            sites = {"alpha": pyro.sample("alpha", normal(config.weight_scale, c))}
            if config.model == "logreg":
                sites["beta"] = pyro.sample("beta", normal(config.weight_scale, d, c))
            else:
                if config.model == "hier-normal":
                    mu = dist.Normal(0.0, config.lam)
                else:
                    mu = dist.StudentT(config.nu, 0.0, 1.0)
                sites["mu_beta"] = pyro.sample("mu_beta", mu.expand([d]).to_event(1))
                sigma = dist.HalfCauchy(config.tau)
                if config.model == "ard":
                    sigma = sigma.expand([d]).to_event(1)
                sites["sigma_beta"] = pyro.sample("sigma_beta", sigma)
                sites["z_beta"] = pyro.sample("z_beta", normal(1.0, d, c))
        with pyro.plate("rows", X.shape[0]):
            return pyro.sample("y", dist.Categorical(logits=logits(config.model, sites, X)), obs=y)

    return model


def latent_sites(config: BayesConfig) -> tuple[str, ...]:
    """The names of the model's latent sample sites."""
    if config.model == "bnn":
        return ("w1", "b1", "w2", "b2")
    if config.model == "logreg":
        return ("alpha", "beta")
    return ("alpha", "mu_beta", "sigma_beta", "z_beta")


# ---- inference -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BayesFit:
    """A fitted posterior: draws of every latent site, and how they were obtained.

    ``draws`` maps a site to an array with a leading draw dimension (``beta`` is added for the
    linear models); ``elbo`` is the SVI loss (−ELBO) per training row at each step;
    ``diagnostics`` the NUTS R-hat and effective sample size per site.
    """

    config: BayesConfig
    classes: tuple[str, ...]
    features: tuple[str, ...]
    draws: dict[str, np.ndarray]
    seconds: float
    n_train: int
    elbo: np.ndarray = field(default_factory=lambda: np.array([]))
    converged: bool | None = None
    diagnostics: pd.DataFrame | None = None

    @property
    def linear(self) -> bool:
        return self.config.model != "bnn"


def fit(
    X: np.ndarray,
    y: np.ndarray,
    config: BayesConfig,
    *,
    classes: Sequence[str],
    features: Sequence[str],
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> BayesFit:
    """Infer the posterior of ``config.model`` given scaled features ``X`` and genre codes ``y``.

    Parameters
    ----------
    X, y
        Scaled training features (rows × features) and genre codes in ``range(len(classes))``.
    config
        Model, priors and inference settings.
    classes, features
        Names of the genres and features, kept with the result.
    progress
        SVI: ``{"stage": "svi", "step", "steps", "loss"}`` every 10 steps (``loss`` is −ELBO per
        row). MCMC: ``{"stage": "mcmc", "chain", "chains", "phase", "iteration", "total"}``
        every 10 iterations.
    cancel
        Checked at every SVI step and every NUTS iteration.

    Raises
    ------
    Cancelled
        When ``cancel`` is set.
    DataError
        When the inputs do not fit together.
    """
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    if X.ndim != 2 or len(X) != len(y) or len(X) == 0:
        raise DataError(f"features of shape {X.shape} do not match {len(y)} labels.")
    if not np.isfinite(X).all():
        raise DataError("the features hold missing or infinite values; impute them first.")
    if y.min() < 0 or y.max() >= len(classes):
        raise DataError("a genre code is outside the list of genres.")
    pyro.set_rng_seed(config.seed)
    Xt, yt = torch.from_numpy(X), torch.as_tensor(y, dtype=torch.long)
    model = make_model(config, X.shape[1], len(classes))
    started = time.perf_counter()
    with torch_threads():
        if config.inference == "svi":
            draws, elbo, converged = _svi(model, Xt, yt, config, progress, cancel)
            diagnostics = None
        else:
            draws, diagnostics = _mcmc(model, Xt, yt, config, progress, cancel)
            elbo, converged = np.array([]), None
    if config.model != "bnn":
        tensors = {k: torch.from_numpy(v) for k, v in draws.items()}
        draws["beta"] = coefficients(config.model, tensors).numpy()
    return BayesFit(
        config=config,
        classes=tuple(map(str, classes)),
        features=tuple(map(str, features)),
        draws=draws,
        seconds=time.perf_counter() - started,
        n_train=len(y),
        elbo=elbo,
        converged=converged,
        diagnostics=diagnostics,
    )


def fit_rows(
    data: Prepared,
    config: BayesConfig,
    *,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> BayesFit:
    """:func:`fit` on the training rows of ``data`` (its genres and features named)."""
    return fit(
        data.X_train,
        data.y_train,
        config,
        classes=data.classes,
        features=data.features,
        progress=progress,
        cancel=cancel,
    )


def _svi(model, X, y, config, progress, cancel):
    init = init_to_sample if config.model == "bnn" else init_to_feasible
    guide = AutoNormal(model, init_loc_fn=init, init_scale=0.05)
    loss_fn = Trace_ELBO()(model, guide)
    loss_fn(X, y)  # creates the guide's parameters
    optimizer = torch.optim.Adam(loss_fn.parameters(), lr=config.learning_rate)
    losses, converged, window = [], False, 100
    n = len(y)
    for step in range(1, config.steps + 1):
        check_cancel(cancel)
        optimizer.zero_grad()
        loss = loss_fn(X, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item() / n)
        if step % 10 == 0 or step == config.steps:
            emit(progress, stage="svi", step=step, steps=config.steps, loss=losses[-1])
        if step >= 2 * window and step % 10 == 0:
            recent = np.mean(losses[-window:])
            before = np.mean(losses[-2 * window : -window])
            if abs(before - recent) <= config.tol * abs(before):
                converged = True
                break
    with torch.no_grad():
        sampled = Predictive(guide, num_samples=config.draws, return_sites=latent_sites(config))(
            X, y
        )
    draws = {k: v.detach().numpy() for k, v in sampled.items()}
    return draws, np.array(losses), converged


def _mcmc(model, X, y, config, progress, cancel):
    per_chain: list[dict[str, torch.Tensor]] = []
    total = config.warmup + config.samples
    for chain in range(config.chains):
        pyro.set_rng_seed(config.seed + chain)
        counter = {"i": 0}

        def hook(kernel, params, stage, i, chain=chain, counter=counter):
            check_cancel(cancel)
            counter["i"] += 1
            if counter["i"] % 10 == 0 or counter["i"] == total:
                emit(
                    progress,
                    stage="mcmc",
                    chain=chain + 1,
                    chains=config.chains,
                    phase="warm-up" if stage == "Warmup" else "sampling",
                    iteration=counter["i"],
                    total=total,
                )

        kernel = NUTS(
            model, jit_compile=JIT, ignore_jit_warnings=True, full_mass=FULL, max_tree_depth=8
        )
        runner = MCMC(
            kernel,
            num_samples=config.samples,
            warmup_steps=config.warmup,
            num_chains=1,
            hook_fn=hook,
            disable_progbar=True,
        )
        runner.run(X, y)
        per_chain.append(runner.get_samples())
    stacked = {k: torch.stack([c[k] for c in per_chain]) for k in per_chain[0]}
    rows = []
    for site, values in stacked.items():
        flat = values.reshape(values.shape[0], values.shape[1], -1).double()
        r_hat = split_gelman_rubin(flat, chain_dim=0, sample_dim=1)
        ess = effective_sample_size(flat, chain_dim=0, sample_dim=1)
        rows.append(
            {
                "site": site,
                "values": flat.shape[-1],
                "r_hat_max": float(torch.nan_to_num(r_hat, nan=1.0).max()),
                "ess_min": float(ess.min()),
                "ess_mean": float(ess.mean()),
            }
        )
    # thin to at most ``draws`` evenly spaced draws over all chains
    merged = {k: v.reshape(-1, *v.shape[2:]) for k, v in stacked.items()}
    count = next(iter(merged.values())).shape[0]
    keep = np.linspace(0, count - 1, min(config.draws, count)).round().astype(int)
    draws = {k: v[keep].numpy() for k, v in merged.items()}
    return draws, pd.DataFrame(rows)


# ---- predictions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Predictions:
    """The posterior predictive on some rows.

    ``proba`` averages the genre probabilities over draws; ``entropy`` is that average's
    entropy (total uncertainty, nats); ``expected_entropy`` the mean entropy of each draw's
    probabilities (noise in the data); their difference ``mutual_information`` is what the
    model does not know (it shrinks with more training data).
    """

    proba: np.ndarray
    entropy: np.ndarray
    expected_entropy: np.ndarray

    @property
    def mutual_information(self) -> np.ndarray:
        return np.clip(self.entropy - self.expected_entropy, 0, None)


def entropy(p: np.ndarray) -> np.ndarray:
    """The entropy (nats) of each row of probabilities ``p``."""
    return -(p * np.log(np.clip(p, 1e-12, None))).sum(axis=-1)


def predict(fitted: BayesFit, X: np.ndarray, chunk: int = 50) -> Predictions:
    """Posterior-predictive genre probabilities and uncertainty for scaled rows ``X``."""
    Xt = torch.as_tensor(np.asarray(X, dtype=np.float32))
    names = latent_sites(fitted.config)
    count = len(fitted.draws[names[0]])
    proba = np.zeros((len(Xt), len(fitted.classes)))
    expected = np.zeros(len(Xt))
    with torch.no_grad(), torch_threads():
        for start in range(0, count, chunk):
            sites = {k: torch.from_numpy(fitted.draws[k][start : start + chunk]) for k in names}
            p = torch.softmax(logits(fitted.config.model, sites, Xt), dim=-1).double().numpy()
            proba += p.sum(axis=0)
            expected += entropy(p).sum(axis=0)
    proba /= count
    return Predictions(proba, entropy(proba), expected / count)


def sample_prior(
    config: BayesConfig, X: np.ndarray, n_classes: int, num_samples: int = 100
) -> dict[str, np.ndarray]:
    """Ancestral sampling (the report's §6.1): draw parameters from the priors, then genres.

    Returns
    -------
    dict
        Every latent site with a leading dimension ``num_samples``; ``y`` (draws × rows), the
        genres sampled from each draw's softmax; ``predicted`` (draws × rows), each draw's most
        probable genre (the report's prediction).
    """
    pyro.set_rng_seed(config.seed)
    model = make_model(config, X.shape[1], n_classes)
    Xt = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    out: dict[str, list] = {}
    with torch.no_grad():
        for _ in range(num_samples):
            trace = poutine.trace(model).get_trace(Xt)
            for name in (*latent_sites(config), "y"):
                out.setdefault(name, []).append(trace.nodes[name]["value"].numpy())
            sites = {k: trace.nodes[k]["value"] for k in latent_sites(config)}
            out.setdefault("predicted", []).append(
                logits(config.model, sites, Xt).argmax(-1).numpy()
            )
    return {k: np.stack(v) for k, v in out.items()}


# ---- what a posterior shows ------------------------------------------------------------------


def metrics(y: np.ndarray, predictions: Predictions, classes: Sequence[str]) -> dict[str, float]:
    """Posterior-predictive accuracy and log loss (and the mean entropy) on coded genres ``y``."""
    names = np.asarray(classes)
    found = scores(names[y], names[predictions.proba.argmax(1)], predictions.proba, names)
    return {
        "accuracy": found["accuracy"],
        "log_loss": found["log_loss"],
        "mean_entropy": float(predictions.entropy.mean()),
    }


__all__ = [
    "BAYES_PARAMS",
    "INFERENCES",
    "INFERENCE_TITLES",
    "MODEL_TITLES",
    "REPORT_PREP",
    "ROW_PARAMS",
    "USED_BY",
    "BayesConfig",
    "BayesFit",
    "Predictions",
    "Prepared",
    "coefficients",
    "entropy",
    "fit",
    "fit_rows",
    "latent_sites",
    "logits",
    "make_model",
    "metrics",
    "predict",
    "prepare",
    "prepare_rows",
    "sample_prior",
    "torch_threads",
]
