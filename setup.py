"""Build the compiled core; the package's metadata lives in setup.cfg."""

import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

# Portable flags: no -march=native. No contraction of a * b + c into one FMA,
# so that the loops round as NumPy's elementwise passes do on every CPU. No
# errno from math functions (nothing reads it): sqrt becomes one instruction,
# and the optimizer's pass vectorizes. Unrolled loops: the same operations in
# the same order (the same bits), a W4 fit 2-4% faster.
flags = [] if sys.platform == "win32" else [
    "-O3", "-ffp-contract=off", "-fno-math-errno", "-funroll-loops"]
# Not linked to libm by name: its exp and log would then bind to glibc 2.29's
# symbol versions and the wheel could no longer be manylinux2014 (glibc
# 2.17). Unversioned, they reach the same functions through glibc's errno
# wrappers, at no measurable cost (an A/B on W4's network, 2026-12-05).

extensions = [
    Extension(f"sklshallow._backends.{name}", [f"sklshallow/_backends/{name}.pyx"],
              extra_compile_args=flags)
    for name in ("_epoch", "_online", "_random")
]

setup(ext_modules=cythonize(extensions, compiler_directives={"language_level": 3}))
