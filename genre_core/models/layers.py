"""The layers of every network: the MLP builder, seeded initialisation and dropout, loading
pretrained tensors, and freezing a body for transfer learning.

Every random draw (weights, dropout masks) comes from a given ``torch.Generator``, so two
networks training in two threads at once each stay reproducible.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence

import torch
from torch import nn

from genre_core.errors import DataError
from genre_core.models.presets import ACTIVATIONS


class Dropout(nn.Dropout):
    """``nn.Dropout`` drawing its masks from a given generator (reproducible in threads).

    Without a generator it is plain ``nn.Dropout``, which draws from torch's global one.
    """

    generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0 or self.generator is None:
            return super().forward(x)
        if x.device == self.generator.device:
            keep = torch.empty_like(x).bernoulli_(1 - self.p, generator=self.generator)
        else:  # a CPU generator's masks for a network training on a GPU
            keep = torch.empty(x.shape).bernoulli_(1 - self.p, generator=self.generator)
            keep = keep.to(x.device)
        return x * keep / (1 - self.p)


def per_layer(value, n: int, name: str, cast) -> list:
    """``value`` for each of ``n`` layers: one value repeated, or one per layer."""
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n
    if len(values) != n:
        raise DataError(f"{name} has {len(values)} values but the network has {n} hidden layers.")
    return [cast(v) for v in values]


def activation_layer(name: str, leaky_slope: float = 0.01) -> nn.Module:
    """The activation module called ``name`` (one of :data:`ACTIVATIONS`)."""
    if name == "relu":
        return nn.ReLU()
    if name == "gelu":
        return nn.GELU()
    if name == "leaky_relu":
        return nn.LeakyReLU(leaky_slope)
    if name == "tanh":
        return nn.Tanh()
    raise DataError(f"unknown activation '{name}'; choose one of {', '.join(ACTIVATIONS)}.")


def build_mlp(
    n_features: int,
    n_classes: int,
    hidden: Sequence[int] = (64, 32, 16),
    activation: str = "relu",
    batch_norm: bool | Sequence[bool] = False,
    dropout: float | Sequence[float] = 0.0,
    dropout_first: bool = False,
    leaky_slope: float = 0.01,
) -> nn.Sequential:
    """A multilayer perceptron whose children are named like the seeds' printouts.

    Each hidden layer ``i`` is ``fc{i}`` then, by default, ``norm{i}`` (batch norm),
    ``act{i}`` and ``dropout{i}``; with ``dropout_first`` the dropout comes right after
    ``fc{i}`` (the order of "Deep Learning - Cas d'étude", Fig. 4). The output layer is a
    plain ``Linear`` producing logits: the softmax is applied by the loss and at prediction.

    Parameters
    ----------
    hidden
        Sizes of the hidden layers; empty for softmax regression.
    batch_norm, dropout
        One value for every hidden layer, or one per layer.
    """
    hidden = [int(h) for h in hidden]
    if n_features < 1 or n_classes < 2:
        raise DataError("a network needs at least one feature and two genres.")
    if any(h < 1 for h in hidden):
        raise DataError("every hidden layer needs at least one unit.")
    norms = per_layer(batch_norm, len(hidden), "batch norm", bool)
    drops = per_layer(dropout, len(hidden), "dropout", float)
    if any(not 0 <= p < 1 for p in drops):
        raise DataError("dropout rates must be at least 0 and below 1.")
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    width = n_features
    for i, (size, norm, p) in enumerate(zip(hidden, norms, drops, strict=True), start=1):
        layers[f"fc{i}"] = nn.Linear(width, size)
        if p and dropout_first:
            layers[f"dropout{i}"] = Dropout(p)
        if norm:
            layers[f"norm{i}"] = nn.BatchNorm1d(size)
        layers[f"act{i}"] = activation_layer(activation, leaky_slope)
        if p and not dropout_first:
            layers[f"dropout{i}"] = Dropout(p)
        width = size
    layers[f"fc{len(hidden) + 1}"] = nn.Linear(width, n_classes)
    return nn.Sequential(layers)


def init_weights(module: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default initialisation of every layer, drawn from ``generator``.

    Linear, recurrent and embedding layers draw from the global generator in their
    constructors, which threads share; here they are drawn again from ``generator``, and the
    dropout layers take it for their masks.
    """
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            bound = 1 / math.sqrt(layer.in_features)
            nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
        elif isinstance(layer, Dropout):
            layer.generator = generator
    for layer in module.modules():
        if isinstance(layer, nn.RNNBase):
            bound = 1 / math.sqrt(layer.hidden_size)
            for weight in layer.parameters():
                nn.init.uniform_(weight, -bound, bound, generator=generator)
        elif isinstance(layer, nn.Embedding):
            nn.init.normal_(layer.weight, generator=generator)
            if layer.padding_idx is not None:
                with torch.no_grad():
                    layer.weight[layer.padding_idx].fill_(0)


def load_matching(module: nn.Module, state: Mapping[str, torch.Tensor]) -> tuple[list, list]:
    """Copy the tensors of ``state`` whose name and shape match ``module``'s; skip the rest.

    This is how "Development of a Neural Network-Based..." starts a six-genre network from a
    five-genre one: every layer but the output one is reused.

    Returns
    -------
    tuple
        The names loaded and a sentence for each skipped one.
    """
    own = module.state_dict()
    loaded, skipped = [], []
    for name, tensor in state.items():
        if name not in own:
            skipped.append(f"{name} (not in this network)")
        elif tuple(own[name].shape) != tuple(tensor.shape):
            have = "×".join(map(str, own[name].shape)) or "scalar"
            got = "×".join(map(str, tensor.shape)) or "scalar"
            skipped.append(f"{name} (file {got}, network {have})")
        else:
            own[name] = tensor.detach().clone().to(own[name].dtype)
            loaded.append(name)
    module.load_state_dict(own)
    return loaded, skipped


def output_layer(module: nn.Module) -> str:
    """The name of the module's last child holding weights: the layer a new genre replaces."""
    names = [
        name
        for name, child in module.named_children()
        if next(child.parameters(), None) is not None
    ]
    if not names:
        raise DataError("this network has no layer with weights.")
    return names[-1]


def freeze_body(module: nn.Module) -> tuple[list[str], list[nn.Module]]:
    """Stop every weight outside the output layer from learning.

    The body's batch-norm layers must also keep their running statistics (they would drift
    in training mode even with frozen weights), so they are returned to be held in eval mode.

    Returns
    -------
    tuple
        The names of the frozen tensors and the body's batch-norm modules.
    """
    head = output_layer(module)
    frozen = []
    for name, parameter in module.named_parameters():
        if name.split(".", 1)[0] != head:
            parameter.requires_grad_(False)
            frozen.append(name)
    norms = [
        child
        for name, child in module.named_modules()
        if isinstance(child, nn.modules.batchnorm._BatchNorm) and name.split(".", 1)[0] != head
    ]
    return frozen, norms


def snapshot(module: nn.Module) -> dict:
    """A detached copy of the module's tensors (to restore them later)."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}
