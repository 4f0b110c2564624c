"""Allowlist unpickling of PyTorch, NVlabs and TensorFlow checkpoints, without torch.

A pickle can name any importable callable and make the unpickler call it; that is how a
crafted checkpoint runs a shell command. Here every global a pickle names must be in
`ALLOWED_GLOBALS`, which maps it to an inert stand-in written in this module: tensors
become numpy arrays, NVlabs persistent networks become `PersistentObject` records (their
embedded source code is kept as a string and never executed), TensorFlow networks become
`TFNetworkRecord`s. Anything else raises `UnsafePickleError`.

Supported containers: `torch.save` zip archives (`.pt`, torch >= 1.6), the legacy
`torch.save` stream (older `.pt`, and the tensor storages inside NVlabs pickles), and
plain pickles (NVlabs stylegan2-ada-pytorch and TensorFlow StyleGAN2 `.pkl`).
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import types
import zipfile
from typing import Any

import ml_dtypes
import numpy as np


class UnsafePickleError(pickle.UnpicklingError):
  """The pickle names a global outside the allowlist."""


class CheckpointFormatError(ValueError):
  """The file is not a readable checkpoint of the expected kind."""


# --- inert stand-ins -------------------------------------------------------------------


class AttrDict(dict):
  """Stand-in for dnnlib.EasyDict."""

  def __getattr__(self, name):
    try:
      return self[name]
    except KeyError as e:
      raise AttributeError(name) from e


class PersistentObject:
  """An NVlabs `persistent_class` object: its `meta` dict, with the source left unrun."""

  def __init__(self, meta):
    self.meta = meta

  @property
  def class_name(self) -> str:
    return self.meta.get("class_name", "?")

  @property
  def state(self) -> dict:
    return self.meta.get("state") or {}


class TFNetworkRecord:
  """Stand-in for dnnlib.tflib.network.Network: keeps the pickled state dict."""

  def __setstate__(self, state):
    self.state = state


class ModuleRecord:
  """Stand-in for a plain torch.nn module pickled inside an NVlabs network."""

  def __setstate__(self, state):
    self.state = state


class _Storage:
  """A torch storage: a flat numpy buffer, filled when its bytes are read."""

  def __init__(self, dtype: np.dtype, numel: int):
    self.dtype = dtype
    self.numel = numel
    self.data: np.ndarray | None = None


class _StorageType:
  def __init__(self, name: str, dtype):
    self.name = name
    self.dtype = np.dtype(dtype)


class _TensorRef:
  """A tensor view on a storage whose bytes may arrive later (legacy format)."""

  def __init__(self, storage: _Storage, offset: int, size, stride):
    self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

  def to_numpy(self) -> np.ndarray:
    data = self.storage.data
    if data is None:
      raise CheckpointFormatError("tensor storage was never read: truncated checkpoint")
    if not self.size:
      return data[self.offset].copy()
    needed = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride, strict=True)) + 1
    if needed > data.size:
      raise CheckpointFormatError("tensor extends past its storage: corrupt checkpoint")
    itemsize = data.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(
      data[self.offset :], shape=self.size, strides=[s * itemsize for s in self.stride]
    )
    return np.array(view)


_TORCH_STORAGE_DTYPES = {
  "FloatStorage": np.float32,
  "DoubleStorage": np.float64,
  "HalfStorage": np.float16,
  "BFloat16Storage": ml_dtypes.bfloat16,
  "LongStorage": np.int64,
  "IntStorage": np.int32,
  "ShortStorage": np.int16,
  "CharStorage": np.int8,
  "ByteStorage": np.uint8,
  "BoolStorage": np.bool_,
}


def _rebuild_tensor(storage, storage_offset, size, stride, *unused):
  return _TensorRef(storage, storage_offset, size, stride)


def _rebuild_parameter(data, *unused):
  return data


def _persistent_object(meta):
  return PersistentObject(meta)


def _legacy_storage_from_bytes(data: bytes):
  return read_legacy_torch(io.BytesIO(data))


ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
  ("collections", "OrderedDict"): collections.OrderedDict,
  ("builtins", "set"): set,
  ("builtins", "frozenset"): frozenset,
  ("builtins", "slice"): slice,
  ("_codecs", "encode"): lambda text, encoding="latin1": text.encode(encoding),
  ("argparse", "Namespace"): types.SimpleNamespace,
  ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
  ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
  ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
  ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
  ("torch.storage", "_load_from_bytes"): _legacy_storage_from_bytes,
  ("torch", "Size"): tuple,
  ("torch_utils.persistence", "_reconstruct_persistent_obj"): _persistent_object,
  ("dnnlib.util", "EasyDict"): AttrDict,
  ("dnnlib", "EasyDict"): AttrDict,
  ("dnnlib.tflib.network", "Network"): TFNetworkRecord,
  ("numpy", "ndarray"): np.ndarray,
  ("numpy", "dtype"): np.dtype,
}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
  ALLOWED_GLOBALS[(_module, "_reconstruct")] = np._core.multiarray._reconstruct
  ALLOWED_GLOBALS[(_module, "scalar")] = np._core.multiarray.scalar
for _name, _dtype in _TORCH_STORAGE_DTYPES.items():
  ALLOWED_GLOBALS[("torch", _name)] = _StorageType(_name, _dtype)


class RestrictedUnpickler(pickle.Unpickler):
  """Resolves globals only through `ALLOWED_GLOBALS`; persistent ids via a callback."""

  def __init__(self, file, persistent_load=None):
    super().__init__(file)
    self._persistent_load = persistent_load

  def find_class(self, module, name):
    try:
      return ALLOWED_GLOBALS[(module, name)]
    except KeyError:
      if module.startswith("torch.nn.modules."):
        return ModuleRecord
      raise UnsafePickleError(
        f"refusing to load '{module}.{name}': not an allowed checkpoint type "
        "(the file may try to run code)"
      ) from None

  def persistent_load(self, pid):
    if self._persistent_load is None:
      raise UnsafePickleError(f"unexpected persistent id {pid!r} in a plain pickle")
    return self._persistent_load(pid)


def _storage_dtype(storage_type) -> np.dtype:
  if not isinstance(storage_type, _StorageType):
    raise CheckpointFormatError(f"unknown torch storage type {storage_type!r}")
  return storage_type.dtype


# --- torch.save zip archives -----------------------------------------------------------


def read_torch_zip(path) -> Any:
  """Load a torch.save zip archive (`archive/data.pkl` + `archive/data/<key>`)."""
  with zipfile.ZipFile(path) as archive:
    names = archive.namelist()
    pkl_names = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(pkl_names) != 1:
      raise CheckpointFormatError("zip file is not a torch.save archive (no data.pkl)")
    prefix = pkl_names[0][: -len("data.pkl")]
    byteorder = prefix + "byteorder"
    if byteorder in names and archive.read(byteorder).strip() != b"little":
      raise CheckpointFormatError("big-endian torch archives are not supported")
    storages: dict[str, _Storage] = {}

    def load(pid):
      kind, storage_type, key, _location, numel = pid
      if kind != "storage":
        raise UnsafePickleError(f"unexpected persistent id kind {kind!r}")
      if key not in storages:
        dtype = _storage_dtype(storage_type)
        storage = _Storage(dtype, numel)
        raw = archive.read(f"{prefix}data/{key}")
        storage.data = np.frombuffer(raw, dtype=dtype, count=numel)
        storages[key] = storage
      return storages[key]

    obj = RestrictedUnpickler(io.BytesIO(archive.read(pkl_names[0])), load).load()
  return materialize(obj)


# --- legacy torch.save stream ----------------------------------------------------------

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001


def read_legacy_torch(f) -> Any:
  """Load the pre-1.6 torch.save stream: magic, protocol, sys info, object, storages."""
  plain = lambda: RestrictedUnpickler(f).load()  # noqa: E731
  if plain() != _LEGACY_MAGIC:
    raise CheckpointFormatError("not a torch.save file (bad magic number)")
  if plain() != _LEGACY_PROTOCOL:
    raise CheckpointFormatError("unsupported legacy torch.save protocol")
  plain()  # sys info: endianness and type sizes, little-endian assumed below
  storages: dict[str, _Storage] = {}

  def load(pid):
    kind = pid[0].decode("ascii") if isinstance(pid[0], bytes) else pid[0]
    if kind != "storage":
      raise UnsafePickleError(f"unexpected persistent id kind {kind!r}")
    storage_type, key, _location, numel, view = pid[1:]
    if view is not None:
      raise CheckpointFormatError("legacy storage views are not supported")
    if key not in storages:
      storages[key] = _Storage(_storage_dtype(storage_type), numel)
    return storages[key]

  obj = RestrictedUnpickler(f, load).load()
  for key in plain():
    storage = storages[key]
    (count,) = struct.unpack("<q", _read_exact(f, 8))
    nbytes = count * storage.dtype.itemsize
    storage.data = np.frombuffer(_read_exact(f, nbytes), dtype=storage.dtype)
  return materialize(obj)


def _read_exact(f, n: int) -> bytes:
  data = f.read(n)
  if len(data) != n:
    raise CheckpointFormatError("file ends early: truncated checkpoint")
  return data


# --- plain pickles ---------------------------------------------------------------------


def materialize(obj):
  """Replace every tensor reference in a loaded object tree by a numpy array."""
  if isinstance(obj, _TensorRef):
    return obj.to_numpy()
  if isinstance(obj, _Storage):
    return obj
  if isinstance(obj, dict):
    for k, v in obj.items():
      obj[k] = materialize(v)
    for k, v in vars(obj).items() if hasattr(obj, "__dict__") else ():
      setattr(obj, k, materialize(v))
    return obj
  if isinstance(obj, list):
    obj[:] = [materialize(v) for v in obj]
    return obj
  if isinstance(obj, tuple):
    return tuple(materialize(v) for v in obj)
  if isinstance(obj, (PersistentObject, TFNetworkRecord, ModuleRecord, types.SimpleNamespace)):
    for k, v in vars(obj).items():
      setattr(obj, k, materialize(v))
    return obj
  return obj


def load_checkpoint_file(path) -> Any:
  """Read any supported container, choosing by its first bytes rather than its name."""
  try:
    with open(path, "rb") as f:
      head = f.read(2)
      if head == b"PK":
        return read_torch_zip(path)
      if head[:1] != b"\x80":
        raise CheckpointFormatError(f"{path} is neither a pickle nor a torch.save archive")
      f.seek(0)
      first = RestrictedUnpickler(f).load()
      if not (isinstance(first, int) and first == _LEGACY_MAGIC):
        return materialize(first)
      f.seek(0)
      return read_legacy_torch(f)
  except (UnsafePickleError, CheckpointFormatError):
    raise
  except (
    pickle.UnpicklingError,
    EOFError,
    zipfile.BadZipFile,
    ValueError,
    KeyError,
    struct.error,
  ) as e:
    raise CheckpointFormatError(f"cannot read {path}: corrupt or truncated file ({e})") from e


def tf_variables(record: TFNetworkRecord, prefix: str = "") -> dict[str, np.ndarray]:
  """{scope/name: array} of a TF network and, recursively, its components (NVlabs layout)."""
  out = {prefix + name: np.asarray(value) for name, value in record.state.get("variables", [])}
  for name, component in (record.state.get("components") or {}).items():
    out.update(tf_variables(component, f"{prefix}{name}/"))
  return out


def tf_static_kwargs(record: TFNetworkRecord) -> dict:
  """The network's build arguments, completed by its components' (the network's win)."""
  kwargs = dict(record.state.get("static_kwargs") or {})
  for component in (record.state.get("components") or {}).values():
    for k, v in (component.state.get("static_kwargs") or {}).items():
      kwargs.setdefault(k, v)
  return kwargs
