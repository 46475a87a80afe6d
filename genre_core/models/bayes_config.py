"""The Bayesian settings, declared once: the five models, the two inferences, every prior and
inference parameter as a :class:`~genre_core.params.Param` (:data:`BAYES_PARAMS`), the row
counts of the report's protocol (:data:`ROW_PARAMS`), and :class:`BayesConfig`, which parses its
fields with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from genre_core.params import Param, ParamSet

MODEL_TITLES = {
    "logreg": "Model 1: logistic regression, α, β ~ N(0, 5)",
    "hier-t": "Model 2: μβ ~ StudentT(ν), σβ ~ HalfCauchy(τ)",
    "hier-normal": "Model 3: μβ ~ N(0, λ), σβ ~ HalfCauchy(τ)",
    "ard": "Model 4: ARD, one σβ ~ HalfCauchy(τ) per feature",
    "bnn": "Model 5: Bayesian feed-forward network",
}
INFERENCES = ("svi", "mcmc")
INFERENCE_TITLES = {"svi": "SVI (variational)", "mcmc": "NUTS (MCMC)"}
# the models or inference each prior and inference setting matters for (others ignore it)
USED_BY = {
    "nu": ("hier-t", "ard"),
    "tau": ("hier-t", "hier-normal", "ard"),
    "lam": ("hier-normal",),
    "weight_scale": ("logreg", "hier-t", "hier-normal", "ard"),
    "hidden": ("bnn",),
    "steps": ("svi",),
    "learning_rate": ("svi",),
    "tol": ("svi",),
    "warmup": ("mcmc",),
    "samples": ("mcmc",),
    "chains": ("mcmc",),
    "draws": (*MODEL_TITLES, *INFERENCES),
}

# Every Bayesian setting, declared once: BayesConfig's validation, the page's widgets and
# defaults, the recipe's check and the CLI's options all read these.
BAYES_PARAMS = ParamSet(
    (
        Param(
            "model",
            "choice",
            "hier-t",
            choices=tuple(MODEL_TITLES),
            help="One of the report's five models: " + "; ".join(MODEL_TITLES.values()) + ".",
        ),
        Param(
            "inference",
            "choice",
            "svi",
            choices=INFERENCES,
            help="svi: a normal "
            "approximation fitted fast (Adam); mcmc: NUTS draws from the exact posterior.",
        ),
        Param(
            "nu",
            "float",
            4.0,
            0.1,
            100.0,
            label="ν (StudentT degrees of freedom)",
            help="Models 2 and 4: degrees of freedom of μβ's StudentT; report: 4.",
        ),
        Param(
            "tau",
            "float",
            1.0,
            0.01,
            100.0,
            label="τ (HalfCauchy scale of σβ)",
            help="Models 2-4: scale of σβ's HalfCauchy; report: 1.",
        ),
        Param(
            "lam",
            "float",
            1.0,
            0.01,
            100.0,
            label="λ (normal scale of μβ)",
            help="Model 3: scale of μβ's normal; report: 1.",
        ),
        Param(
            "weight_scale",
            "float",
            5.0,
            0.01,
            100.0,
            label="Prior scale of α and β",
            help="Scale of the N(0, s) priors on α and on Model 1's β; report: 5.",
        ),
        Param(
            "hidden",
            "int",
            16,
            1,
            256,
            label="Hidden units",
            help="Model 5: units of its one tanh layer.",
        ),
        Param(
            "steps",
            "int",
            3000,
            1,
            50_000,
            label="SVI steps (at most)",
            help="SVI: Adam steps; it stops earlier once the loss is flat.",
        ),
        Param(
            "learning_rate",
            "float",
            0.01,
            1e-5,
            1.0,
            log=True,
            label="SVI learning rate (Adam)",
            help="SVI: Adam's step size.",
        ),
        Param(
            "tol",
            "float",
            1e-3,
            0.0,
            1.0,
            label="SVI tolerance",
            help="SVI stops once the mean loss of the last 100 steps is within this share "
            "of the 100 before (0: never early).",
        ),
        Param(
            "warmup",
            "int",
            200,
            1,
            5000,
            label="NUTS warm-up per chain",
            help="NUTS: warm-up iterations per chain.",
        ),
        Param(
            "samples",
            "int",
            200,
            10,
            5000,
            label="NUTS draws kept per chain",
            help="NUTS: iterations kept per chain.",
        ),
        Param(
            "chains",
            "int",
            2,
            1,
            4,
            label="NUTS chains",
            help="NUTS: chains, run one after the other; R-hat compares them.",
        ),
        Param(
            "draws",
            "int",
            200,
            10,
            5000,
            label="Posterior draws",
            help="Posterior draws used for predictions.",
        ),
        Param("seed", "int", 0, 0, 2**31 - 1, help="Seeds Pyro, torch and numpy."),
    )
)
# How many rows the report's protocol trains and tests on (see bayes_data.prepare).
ROW_PARAMS = ParamSet(
    (
        Param(
            "n_train",
            "int",
            1000,
            10,
            10_000_000,
            label="Training rows",
            help="Rows drawn for training; the report used 100, 1,000 and 10,000.",
        ),
        Param(
            "n_test",
            "int",
            2000,
            10,
            10_000_000,
            label="Test rows",
            help="Rows drawn for testing; the report tested on 100 or 200 (±7 points of noise).",
        ),
    )
)
_DEFAULT = BAYES_PARAMS.defaults


@dataclass(frozen=True)
class BayesConfig:
    """One Bayesian model and how to infer its posterior.

    Every field is a parameter of :data:`BAYES_PARAMS` (bounds and help text there), parsed by
    it on creation: a bad value raises a :class:`DataError` naming the field.

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

    model: str = _DEFAULT["model"]
    inference: str = _DEFAULT["inference"]
    nu: float = _DEFAULT["nu"]
    tau: float = _DEFAULT["tau"]
    lam: float = _DEFAULT["lam"]
    weight_scale: float = _DEFAULT["weight_scale"]
    hidden: int = _DEFAULT["hidden"]
    steps: int = _DEFAULT["steps"]
    learning_rate: float = _DEFAULT["learning_rate"]
    tol: float = _DEFAULT["tol"]
    warmup: int = _DEFAULT["warmup"]
    samples: int = _DEFAULT["samples"]
    chains: int = _DEFAULT["chains"]
    draws: int = _DEFAULT["draws"]
    seed: int = _DEFAULT["seed"]

    def __post_init__(self) -> None:
        for param in BAYES_PARAMS:
            value = param.parse(getattr(self, param.name), "Bayesian")
            object.__setattr__(self, param.name, value)

    @classmethod
    def of(cls, values: dict | None = None, owner: str = "Bayesian") -> BayesConfig:
        """A config from texts or values keyed by parameter name (unknown names refused)."""
        return cls(**BAYES_PARAMS.resolve(values, owner))
