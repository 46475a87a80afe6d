"""Plotly figures of a network's training: pure builders, per-epoch records in, figure out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from genre_core.plots.text import as_text

TRAIN, VALID, LR = "#1DB954", "#E4572E", "#4C6EF5"


def epoch_curve(
    x: list,
    y: list,
    name: str,
    group: str,
    line: dict,
    hover: str,
    *,
    legend: bool = True,
    epochs: int | None = None,
) -> go.Scatter:
    """One per-epoch curve: markers on the line while there are fewer than 40 ``epochs``
    (by default the curve's own)."""
    return go.Scatter(
        x=x,
        y=y,
        mode="lines+markers" if (len(x) if epochs is None else epochs) < 40 else "lines",
        line=line,
        marker=dict(size=5),
        name=name,
        legendgroup=group,
        showlegend=legend,
        hovertemplate=hover,
    )


def training_progress(events: Sequence[dict], elapsed: float) -> tuple[list[dict], float, str]:
    """A running training's epochs so far, the share done and a progress sentence.

    Parameters
    ----------
    events
        The job's progress events: ``start`` (planned ``epochs``), ``embed`` (titles embedded),
        one ``epoch`` record per epoch.
    elapsed
        Seconds since the job started.
    """
    history = [e for e in events if e.get("stage") == "epoch"]
    planned = next((e["epochs"] for e in events if e.get("stage") == "start"), 0)
    done = len(history)
    text = f"Epoch {done} of {planned or '…'}"
    if done:
        left = elapsed / done * max(planned - done, 0)
        text += f" · {elapsed:.0f} s elapsed · about {left:.0f} s left"
    else:
        embedded = [e for e in events if e.get("stage") == "embed"]
        text += (
            f" · embedding titles {embedded[-1]['done']:,} of {embedded[-1]['total']:,}"
            if embedded and embedded[-1]["done"] < embedded[-1]["total"]
            else " · preparing the data and the first epoch"
        )
    return history, (done / planned if planned else 0.0), text


def _epoch_panels(fig: go.Figure, epochs: int, height: int) -> go.Figure:
    """``fig``'s epoch axes (about eight ticks over ``epochs``), legend on top and margins."""
    fig.update_xaxes(title_text="epoch", tick0=1, dtick=max(1, -(-epochs // 8)))
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.12, x=0),
        title=None,
    )
    return fig


# What each curve measures, in the legend: the training numbers are averaged over the epoch's
# batches while it trains (dropout active, weights still changing), the validation ones are
# measured after it (dropout off); the kept weights are re-evaluated once training ends.
CURVE_NAMES = {"train": "training (during each epoch)", "valid": "validation (after each epoch)"}
REEVALUATED = "kept weights re-evaluated at the end"


def training_figure(
    history: Sequence[dict],
    kept: Mapping[str, float] | None = None,
) -> go.Figure:
    """Loss, accuracy and learning rate per epoch, training and validation side by side.

    Parameters
    ----------
    history
        One dict per epoch with ``epoch``, ``train_loss``, ``valid_loss``, ``train_acc``,
        ``valid_acc`` and ``lr`` (what :class:`~genre_core.models.callbacks.EpochRecorder` emits).
        The training values are averaged over the epoch's batches, with dropout active and the
        weights changing; the validation values are measured after the epoch, dropout off.
    kept
        The kept weights re-evaluated once training ended, drawn as diamonds on the accuracy
        panel: ``epoch`` (the weights' epoch) and ``train_acc`` and/or ``valid_acc``.
    """
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=("Loss (cross-entropy)", "Accuracy", "Learning rate"),
        horizontal_spacing=0.07,
    )
    x = [h["epoch"] for h in history]
    panels = (("loss", 1), ("acc", 2))
    for metric, col in panels:
        for part, color in (("train", TRAIN), ("valid", VALID)):
            name = CURVE_NAMES[part]
            fig.add_trace(
                epoch_curve(
                    x,
                    [h.get(f"{part}_{metric}") for h in history],
                    name,
                    part,
                    dict(color=color, width=2),
                    f"epoch %{{x}}<br>{name}<br>{metric} %{{y:.4f}}<extra></extra>",
                    legend=col == 1,
                ),
                row=1,
                col=col,
            )
    if kept and kept.get("epoch"):
        _kept_marks(fig, kept)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[h.get("lr") for h in history],
            mode="lines+markers" if len(x) < 40 else "lines",
            line=dict(color=LR, width=2, shape="hv"),
            marker=dict(size=5),
            name="learning rate",
            hovertemplate="epoch %{x}<br>lr %{y:.2e}<extra></extra>",
        ),
        row=1,
        col=3,
    )
    fig.update_yaxes(type="log", row=1, col=3, exponentformat="power")
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    return _epoch_panels(fig, len(x), 360)


def _kept_marks(fig: go.Figure, kept: Mapping[str, float]) -> None:
    """Diamonds, labelled with their values, where the kept weights re-evaluated land on the
    accuracy panel; the legend names them once, in grey."""
    marks = [(p, c, kept[f"{p}_acc"]) for p, c in (("train", TRAIN), ("valid", VALID))
             if kept.get(f"{p}_acc") is not None]  # fmt: skip
    symbol = dict(symbol="diamond", size=11, line=dict(color="#212529", width=1))
    higher = max((v for *_, v in marks), default=0)
    for part, color, value in marks:
        name = "training" if part == "train" else "validation"
        fig.add_trace(
            go.Scatter(
                x=[kept["epoch"]],
                y=[value],
                mode="markers+text",
                marker=dict(color=color, **symbol),
                text=[f"{value:.1%}"],
                textposition="top left" if value == higher else "bottom left",
                textfont=dict(color=color),
                cliponaxis=False,
                name=f"{name}, {REEVALUATED}",
                legendgroup="kept",
                showlegend=False,
                hovertemplate=f"{REEVALUATED}<br>epoch %{{x}}: {name} %{{y:.1%}}<extra></extra>",
            ),
            row=1,
            col=2,
        )
    if marks:  # the marks are two colours: a grey one names them in the legend
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                marker=dict(color="#ADB5BD", **symbol),
                name=REEVALUATED,
                legendgroup="kept",
            ),
            row=1,
            col=2,
        )


RUN_STYLES = {
    "source": ("source network (its own genres)", "#868E96", "dot"),
    "freeze": ("frozen body, new output layer", "#4C6EF5", "solid"),
    "fine-tune": ("fine-tune all layers", "#1DB954", "solid"),
    "scratch": ("from scratch", "#E4572E", "solid"),
}


def transfer_figure(curves: Mapping[str, Sequence[dict]], target: float | None = None) -> go.Figure:
    """Validation accuracy and loss per epoch of several runs overlaid, with a target line.

    Parameters
    ----------
    curves
        Per-epoch records (as :class:`~genre_core.models.callbacks.EpochRecorder` emits) by
        run name: "source", "freeze", "fine-tune", "scratch" (others get plotly's colours).
    target
        A validation accuracy drawn as a dashed horizontal line on the accuracy panel.
    """
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("Validation accuracy", "Validation loss (cross-entropy)"),
        horizontal_spacing=0.08,
    )
    longest = max((len(h) for h in curves.values()), default=0)
    for name, history in curves.items():
        title, color, dash = RUN_STYLES.get(name, (as_text(name), None, "solid"))
        x = [h["epoch"] for h in history]
        for col, metric, fmt in ((1, "valid_acc", ".1%"), (2, "valid_loss", ".4f")):
            fig.add_trace(
                epoch_curve(
                    x,
                    [h.get(metric) for h in history],
                    title,
                    as_text(name),
                    dict(color=color, width=2, dash=dash),
                    f"{title}<br>epoch %{{x}}: %{{y:{fmt}}}<extra></extra>",
                    legend=col == 1,
                    epochs=longest,
                ),
                row=1,
                col=col,
            )
    if target is not None:
        fig.add_hline(
            y=target,
            line=dict(color="#212529", dash="dash", width=1),
            annotation_text=f"target {target:.0%}",
            annotation_position="top left",
            row=1,
            col=1,
        )
    fig.update_yaxes(tickformat=".0%", row=1, col=1)
    return _epoch_panels(fig, longest, 360)
