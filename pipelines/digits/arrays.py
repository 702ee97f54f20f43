"""Save NumPy arrays to a .npz file whose bytes depend only on the arrays.

`np.savez` stamps each member with the current time, so the same arrays saved twice give different files, and
DVC (which compares files by their MD5 hash) would see a change where there is none. A fixed timestamp fixes it.
"""

import io
import zipfile

import numpy as np


def save_npz(path: str, **arrays: np.ndarray) -> None:
    """Like `np.savez(path, **arrays)`, but byte-for-byte reproducible."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, array)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue())
