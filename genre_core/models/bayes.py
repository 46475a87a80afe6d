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

Work runs in the caller's thread; progress goes to an optional callback as event dicts and an
optional ``threading.Event`` is checked at every SVI step and MCMC iteration.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from threading import Event

import numpy as np
import pandas as pd
import pyro
import pyro.distributions as dist
import pyro.poutine as poutine
import torch
from pyro.infer import MCMC, NUTS, Predictive, Trace_ELBO
from pyro.infer.autoguide import AutoNormal, init_to_feasible, init_to_sample
from pyro.ops.stats import effective_sample_size, split_gelman_rubin
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from genre_core.data.preprocess import PrepConfig, feature_matrix, make_preprocessor
from genre_core.errors import DataError
from genre_core.metrics.evaluation import scores
from genre_core.runs.progress import Cancelled

# Guide parameters live in the guide, not in Pyro's global parameter store, so two fits in two
# threads (two browser sessions) never share or overwrite each other's parameters.
pyro.settings.set(module_local_params=True)

Callback = Callable[[dict], None]
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


MODEL_TITLES = {
    "logreg": "Model 1: logistic regression, α, β ~ N(0, 5)",
    "hier-t": "Model 2: μβ ~ StudentT(ν), σβ ~ HalfCauchy(τ)",
    "hier-normal": "Model 3: μβ ~ N(0, λ), σβ ~ HalfCauchy(τ)",
    "ard": "Model 4: ARD, one σβ ~ HalfCauchy(τ) per feature",
    "bnn": "Model 5: Bayesian feed-forward network",
}
INFERENCES = ("svi", "mcmc")
REPORT_PREP = PrepConfig(
    imputer="mean", scaler="standard"
)  # the report's §5: means, StandardScaler


@dataclass(frozen=True)
class BayesConfig:
    """One Bayesian model and how to infer its posterior.

    Parameters
    ----------
    model
        One of :data:`MODEL_TITLES`.
    inference
        "svi" (mean-field normal guide, Adam) or "mcmc" (NUTS).
    nu, tau, lam
        Degrees of freedom of μβ's StudentT, scale of σβ's HalfCauchy, scale of μβ's normal.
    weight_scale
        Scale of the N(0, s) priors on α and on Model 1's β (the report: 5).
    hidden
        Hidden units of the network (Model 5).
    steps, learning_rate, tol
        SVI: at most ``steps`` Adam steps; it stops earlier once the mean loss of the last
        100 steps differs from that of the 100 before by less than ``tol`` (relative).
    warmup, samples, chains
        NUTS: warm-up and kept iterations per chain; chains run one after the other.
    draws
        Posterior draws used for predictions.
    seed
        Seeds Pyro, torch and numpy: the same config on the same data gives the same result.
    """

    model: str = "hier-t"
    inference: str = "svi"
    nu: float = 4.0
    tau: float = 1.0
    lam: float = 1.0
    weight_scale: float = 5.0
    hidden: int = 16
    steps: int = 3000
    learning_rate: float = 0.01
    tol: float = 1e-3
    warmup: int = 200
    samples: int = 200
    chains: int = 2
    draws: int = 200
    seed: int = 0

    def __post_init__(self) -> None:
        if self.model not in MODEL_TITLES:
            raise DataError(
                f"unknown model '{self.model}'; choose one of {', '.join(MODEL_TITLES)}."
            )
        if self.inference not in INFERENCES:
            raise DataError(f"unknown inference '{self.inference}'; choose svi or mcmc.")
        for name in ("nu", "tau", "lam", "weight_scale", "learning_rate"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise DataError(f"{name} must be a positive number, not {value!r}.")
        for name, low in (
            ("hidden", 1),
            ("steps", 1),
            ("warmup", 1),
            ("samples", 10),
            ("chains", 1),
            ("draws", 10),
        ):
            if int(getattr(self, name)) < low:
                raise DataError(f"{name} must be at least {low}.")


# ---- data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """Training and test rows, imputed and scaled on the training rows only.

    ``y_train``/``y_test`` are genre codes into ``classes``; ``train_rows``/``test_rows`` are
    positions in the frame given to :func:`prepare`; ``raw_*`` keep the unscaled features
    (with NaN) for the point-estimate comparison.
    """

    classes: tuple[str, ...]
    features: tuple[str, ...]
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    raw_train: np.ndarray
    raw_test: np.ndarray
    train_rows: np.ndarray
    test_rows: np.ndarray
    preprocessor: Pipeline


def prepare(
    frame: pd.DataFrame,
    label: str,
    features: Sequence[str],
    *,
    n_train: int,
    n_test: int,
    seed: int = 0,
    prep: PrepConfig = REPORT_PREP,
) -> Prepared:
    """Draw ``n_train`` training and ``n_test`` test rows (stratified, disjoint) and scale them.

    The report's protocol: a subset of the rows for training (100, 1,000 or 10,000) and a small
    test set (100 or 200); missing values take the training mean, then StandardScaler.

    Raises
    ------
    DataError
        For no feature, a missing column, or more rows asked for than the table holds.
    """
    features = tuple(features)
    if not features:
        raise DataError("choose at least one feature column.")
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise DataError(f"feature column(s) {', '.join(missing)} not in the table.")
    labels = frame[label].astype(str).to_numpy()
    classes = tuple(sorted(set(labels)))
    if len(classes) < 2:
        raise DataError("the table holds a single genre; classification needs at least two.")
    n_train, n_test = int(n_train), int(n_test)
    if n_train < len(classes) or n_test < len(classes):
        raise DataError(
            f"with {len(classes)} genres, training and test need at least {len(classes)} rows each."
        )
    if n_train + n_test > len(frame):
        raise DataError(
            f"{n_train:,} training + {n_test:,} test rows asked for, but the table has "
            f"{len(frame):,}; choose fewer."
        )
    rows = np.arange(len(frame))
    try:
        train_rows, test_rows = train_test_split(
            rows, train_size=n_train, test_size=n_test, stratify=labels, random_state=seed
        )
    except ValueError as error:
        raise DataError(f"these sizes cannot be drawn per genre: {error}") from None
    return prepare_rows(frame, label, features, train_rows, test_rows, prep=prep)


def prepare_rows(
    frame: pd.DataFrame,
    label: str,
    features: Sequence[str],
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    *,
    prep: PrepConfig = REPORT_PREP,
) -> Prepared:
    """:func:`prepare` for given row positions (the genres are those of the whole frame)."""
    labels = frame[label].astype(str).to_numpy()
    classes = tuple(sorted(set(labels)))
    train_rows, test_rows = np.sort(train_rows), np.sort(test_rows)
    X = feature_matrix(frame, tuple(features))
    codes = np.searchsorted(np.array(classes), labels)
    empty = [
        f for f, column in zip(features, X[train_rows].T, strict=True) if np.isnan(column).all()
    ]
    if empty:
        raise DataError(
            f"feature column(s) {', '.join(empty)} hold no value in the training "
            "rows; leave them out."
        )
    preprocessor = make_preprocessor(prep).fit(X[train_rows])
    return Prepared(
        classes=classes,
        features=tuple(features),
        X_train=preprocessor.transform(X[train_rows]).astype(np.float32),
        y_train=codes[train_rows],
        X_test=preprocessor.transform(X[test_rows]).astype(np.float32),
        y_test=codes[test_rows],
        raw_train=X[train_rows],
        raw_test=X[test_rows],
        train_rows=train_rows,
        test_rows=test_rows,
        preprocessor=preprocessor,
    )


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


def _emit(callback: Callback | None, **event) -> None:
    if callback is not None:
        callback(event)


def _check(cancel: Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()


def fit(
    X: np.ndarray,
    y: np.ndarray,
    config: BayesConfig,
    *,
    classes: Sequence[str],
    features: Sequence[str],
    callback: Callback | None = None,
    cancel: Event | None = None,
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
    callback
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
            draws, elbo, converged = _svi(model, Xt, yt, config, callback, cancel)
            diagnostics = None
        else:
            draws, diagnostics = _mcmc(model, Xt, yt, config, callback, cancel)
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


def _svi(model, X, y, config, callback, cancel):
    init = init_to_sample if config.model == "bnn" else init_to_feasible
    guide = AutoNormal(model, init_loc_fn=init, init_scale=0.05)
    loss_fn = Trace_ELBO()(model, guide)
    loss_fn(X, y)  # creates the guide's parameters
    optimizer = torch.optim.Adam(loss_fn.parameters(), lr=config.learning_rate)
    losses, converged, window = [], False, 100
    n = len(y)
    for step in range(1, config.steps + 1):
        _check(cancel)
        optimizer.zero_grad()
        loss = loss_fn(X, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item() / n)
        if step % 10 == 0 or step == config.steps:
            _emit(callback, stage="svi", step=step, steps=config.steps, loss=losses[-1])
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


def _mcmc(model, X, y, config, callback, cancel):
    per_chain: list[dict[str, torch.Tensor]] = []
    total = config.warmup + config.samples
    for chain in range(config.chains):
        pyro.set_rng_seed(config.seed + chain)
        counter = {"i": 0}

        def hook(kernel, params, stage, i, chain=chain, counter=counter):
            _check(cancel)
            counter["i"] += 1
            if counter["i"] % 10 == 0 or counter["i"] == total:
                _emit(
                    callback,
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


def _entropy(p: np.ndarray) -> np.ndarray:
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
            expected += _entropy(p).sum(axis=0)
    proba /= count
    return Predictions(proba, _entropy(proba), expected / count)


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


def forest_table(fitted: BayesFit, genre: str, level: float = 0.9) -> pd.DataFrame:
    """One genre's coefficient posterior per feature: mean and central ``level`` interval.

    Coefficients are shown relative to the average genre (β of this genre minus the mean β
    over genres): adding a constant to a feature's β in every genre changes no prediction, so
    only these differences are learned from the data.
    """
    if not fitted.linear:
        raise DataError("a network has no per-feature coefficients; choose a linear model.")
    if genre not in fitted.classes:
        raise DataError(f"genre '{genre}' is not one the model was fitted on.")
    beta = fitted.draws["beta"]
    centred = beta[..., fitted.classes.index(genre)] - beta.mean(axis=-1)
    tail = (1 - level) / 2
    return pd.DataFrame(
        {
            "feature": fitted.features,
            "mean": centred.mean(axis=0),
            "low": np.quantile(centred, tail, axis=0),
            "high": np.quantile(centred, 1 - tail, axis=0),
        }
    )


def relevance_table(fitted: BayesFit, level: float = 0.9) -> pd.DataFrame:
    """ARD relevances: the posterior of each feature's σβ (median and interval), largest first."""
    if fitted.config.model != "ard":
        raise DataError("feature relevances come from the ARD model (Model 4).")
    sigma = fitted.draws["sigma_beta"]
    tail = (1 - level) / 2
    table = pd.DataFrame(
        {
            "feature": fitted.features,
            "relevance": np.median(sigma, axis=0),
            "low": np.quantile(sigma, tail, axis=0),
            "high": np.quantile(sigma, 1 - tail, axis=0),
        }
    )
    return table.sort_values("relevance", ascending=False, ignore_index=True)


def uncertain_tracks(
    frame: pd.DataFrame,
    data: Prepared,
    predictions: Predictions,
    *,
    columns: Sequence[str] = (),
    top: int = 15,
) -> pd.DataFrame:
    """The ``top`` test tracks with the most uncertain prediction (highest entropy).

    ``columns`` (titles, artists) are copied from ``frame``'s test rows to name the tracks.
    """
    names = np.asarray(data.classes)
    best = predictions.proba.argmax(1)
    table = frame.iloc[data.test_rows][[c for c in columns if c in frame.columns]].copy()
    table = table.assign(
        genre=names[data.y_test],
        predicted=names[best],
        probability=predictions.proba[np.arange(len(best)), best],
        entropy=predictions.entropy,
        model_uncertainty=predictions.mutual_information,
    )
    return table.sort_values("entropy", ascending=False).head(top).reset_index(drop=True)


def point_estimate(data: Prepared, C: float = 25.0, seed: int = 0):
    """The project's logistic regression (:mod:`genre_core.models.classical`) fitted on the same
    rows.

    ``C = 25`` makes its L2 penalty that of the N(0, 5) prior of Model 1, so it is Model 1's
    maximum a posteriori estimate: one point where the posterior has a whole distribution.

    Returns
    -------
    tuple
        The fitted pipeline and its test probabilities (columns in ``data.classes`` order).
    """
    from genre_core.models.classical import make_model as make_classical

    names = np.asarray(data.classes)
    pipeline = make_classical("logreg", {"C": C}, REPORT_PREP, seed)
    pipeline.fit(data.raw_train, names[data.y_train])
    proba = np.zeros((len(data.y_test), len(names)))
    known = [data.classes.index(str(c)) for c in pipeline.classes_]
    proba[:, known] = pipeline.predict_proba(data.raw_test)
    return pipeline, proba


def comparison_table(
    data: Prepared, fitted: BayesFit, predictions: Predictions, C: float = 25.0
) -> pd.DataFrame:
    """Posterior predictive against the point-estimate logistic regression on the same rows.

    Returns
    -------
    DataFrame
        One row per model: ``accuracy``, ``log_loss``, ``mean_entropy``, ``train_accuracy``.
    """
    pipeline, proba = point_estimate(data, C, fitted.config.seed)
    point = Predictions(proba, _entropy(proba), _entropy(proba))
    names = np.asarray(data.classes)
    train_point = float((pipeline.predict(data.raw_train) == names[data.y_train]).mean())
    train_bayes = float((predict(fitted, data.X_train).proba.argmax(1) == data.y_train).mean())
    rows = [
        {
            "model": f"Bayesian: {MODEL_TITLES[fitted.config.model]} "
            f"({fitted.config.inference.upper()})",
            **metrics(data.y_test, predictions, data.classes),
            "train_accuracy": train_bayes,
        },
        {
            "model": f"point estimate: logistic regression (C={C:g})",
            **metrics(data.y_test, point, data.classes),
            "train_accuracy": train_point,
        },
    ]
    return pd.DataFrame(rows)


def point_coefficients(data: Prepared, C: float = 25.0, seed: int = 0) -> np.ndarray:
    """The point-estimate logistic regression's coefficients (features × genres), centred."""
    pipeline, _ = point_estimate(data, C, seed)
    estimator = pipeline[-1]
    coef = np.zeros((len(data.features), len(data.classes)))
    for row, genre in zip(estimator.coef_, estimator.classes_, strict=True):
        coef[:, data.classes.index(str(genre))] = row
    return coef - coef.mean(axis=1, keepdims=True)
