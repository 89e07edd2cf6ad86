"""What earlier rows and files held, kept small: 64-bit hashes of keys in sorted arrays, not the rows.

A run remembers one entry per distinct questionnaire (response id) and per distinct audit finding, so this
state grows with the distinct questionnaires and findings seen, not with the rows read: about 30 bytes each.
Two different keys with the same 64-bit hash (odds about n^2 / 2^65) would be taken for one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def key_hashes(values: pd.Series | pd.DataFrame) -> np.ndarray:
    """A 64-bit hash per value (or per row of a frame), the same in every chunk and file of a run."""
    return pd.util.hash_pandas_object(values, index=False).to_numpy(dtype=np.uint64)


class SeenIndex:
    """Keys seen, each with a payload row (digest, file number, line): sorted runs merged as they grow."""

    FIELDS = ("digest", "file", "line")

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def __len__(self) -> int:
        return sum(len(keys) for keys, _ in self._runs)

    def find(self, keys: np.ndarray) -> np.ndarray:
        """Payload rows of ``keys`` (shape n x 3, int64); a row of -1 where the key was not seen."""
        out = np.full((len(keys), 3), -1, dtype=np.int64)
        found = np.zeros(len(keys), dtype=bool)
        for run_keys, payload in self._runs:
            at = np.searchsorted(run_keys, keys)
            at = np.minimum(at, len(run_keys) - 1)
            hit = ~found & (run_keys[at] == keys)
            out[hit] = payload[at[hit]]
            found |= hit
        return out

    def add(self, keys: np.ndarray, payload: np.ndarray) -> None:
        """Add keys not seen before (the caller makes sure) with their payload rows."""
        if not len(keys):
            return
        order = np.argsort(keys, kind="stable")
        self._runs.append((keys[order], payload[order]))
        while len(self._runs) > 1 and len(self._runs[-2][0]) <= 2 * len(self._runs[-1][0]):
            (k2, p2), (k1, p1) = self._runs.pop(), self._runs.pop()
            keys_all = np.concatenate([k1, k2])
            order = np.argsort(keys_all, kind="stable")
            self._runs.append((keys_all[order], np.concatenate([p1, p2])[order]))
