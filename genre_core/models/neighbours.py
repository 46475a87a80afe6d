"""Genre shares of a title's nearest training titles, a feature the "best" model stacks.

Songs of one album share the album's name, songs of one series their title's pattern ("Remix",
"Op. 27", "feat."): the genres of the training titles nearest a title (cosine between their
embeddings) say something a linear model on the embedding may miss. The shares are weighted by
similarity and pulled towards the training rows' genre mix, so a title far from every training
title gets little more than that mix.
"""

from __future__ import annotations

import numpy as np

_CHUNK = 2048  # query rows per similarity block (2048 x 26,000 floats: 200 MB at most)


def _unit(block: np.ndarray) -> np.ndarray:
    block = np.asarray(block, dtype=np.float32)
    norms = np.linalg.norm(block, axis=1, keepdims=True)
    return block / np.where(norms > 0, norms, 1.0)


class TitleNeighbours:
    """The k training rows nearest each row by cosine similarity, and their genre shares.

    Parameters
    ----------
    k
        Neighbours per row.
    classes
        The genres, in the order of the output's columns (a genre missing from the training
        rows gets a share of 0).

    ``transform`` gives, per row, the similarity-weighted genre shares of its k neighbours
    (smoothed by one pseudo-neighbour with the training rows' genre mix) and the similarity of
    the nearest one.
    """

    def __init__(self, k: int, classes: np.ndarray) -> None:
        self.k = int(k)
        self.classes = np.asarray(classes)

    def fit(self, text: np.ndarray, y: np.ndarray) -> TitleNeighbours:
        self.vectors_ = _unit(text)
        codes = np.searchsorted(self.classes, np.asarray(y))
        self.onehot_ = np.eye(len(self.classes), dtype=np.float32)[codes]
        self.prior_ = self.onehot_.mean(axis=0)
        return self

    def transform(self, text: np.ndarray) -> np.ndarray:
        query = _unit(text)
        k = min(self.k, len(self.vectors_))
        out = np.zeros((len(query), len(self.classes) + 1))
        for start in range(0, len(query), _CHUNK):
            sims = query[start : start + _CHUNK] @ self.vectors_.T
            near = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            weight = np.clip(np.take_along_axis(sims, near, axis=1), 0.0, None)
            shares = np.einsum("rk,rkc->rc", weight, self.onehot_[near]) + self.prior_
            out[start : start + _CHUNK, :-1] = shares / (weight.sum(axis=1, keepdims=True) + 1)
            out[start : start + _CHUNK, -1] = weight.max(axis=1)
        return out
