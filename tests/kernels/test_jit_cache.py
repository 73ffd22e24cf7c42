"""The kernels' numba cache is dropped when their sources change together."""

from tsgrad._kernels import _jit_cache


def _tree(tmp_path):
    for name in _jit_cache.MODULES:
        (tmp_path / f"{name}.py").write_text(f"# {name}\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    return cache


def _entries(cache):
    return sorted(p.name for p in cache.iterdir() if p.suffix in (".nbi", ".nbc"))


def test_stale_kernels_are_dropped_and_others_kept(tmp_path):
    cache = _tree(tmp_path)
    for f in ("_numba_softdtw.kernel-10.py311.nbi", "_numba_softdtw.kernel-10.py311.1.nbc"):
        (cache / f).write_bytes(b"old")
    (cache / "_other.kernel-3.py311.nbi").write_bytes(b"keep")
    assert _jit_cache.refresh(str(tmp_path))  # no stamp yet: stale
    assert _entries(cache) == ["_other.kernel-3.py311.nbi"]
    # Unchanged sources: numba's fresh entries are kept.
    (cache / "_numba_softdtw.kernel-10.py311.nbi").write_bytes(b"new")
    assert not _jit_cache.refresh(str(tmp_path))
    assert "_numba_softdtw.kernel-10.py311.nbi" in _entries(cache)
    # A change in an inlined dependency (not the kernel's own file) drops them again.
    (tmp_path / "_fastmath.py").write_text("# changed\n")
    assert _jit_cache.refresh(str(tmp_path))
    assert _entries(cache) == ["_other.kernel-3.py311.nbi"]


def test_missing_sources_or_read_only_cache_do_not_raise(tmp_path):
    assert _jit_cache.refresh(str(tmp_path / "nowhere")) is False
    cache = _tree(tmp_path)
    cache.chmod(0o500)
    try:
        _jit_cache.refresh(str(tmp_path))  # cannot write the stamp: silently skipped
    finally:
        cache.chmod(0o700)
