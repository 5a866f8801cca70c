"""Build the Cython extensions of fastreg.

Every ``fastreg/*.pyx`` is compiled with the same package-wide Cython
directives. Flags are portable (no ``-march=native``) so that wheels run on
any machine of their platform tag. OpenMP is used when the compiler supports
it and left out otherwise; nothing in fastreg requires it.

``FASTREG_SANITIZE=1`` (opt-in, used by ``make test-asan``) builds a checking
variant instead: AddressSanitizer and UndefinedBehaviorSanitizer at -O1 with
debug information, Cython bounds and initialisation checks on. Everything it
writes stays under ``build/asan/`` (C sources, objects and the extensions);
it refuses to build in place or into a wheel, so the in-place extensions and
wheels never carry sanitizer code. Unset, nothing here changes.
"""

import os
import sys
import tempfile
from glob import glob

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

DIRECTIVES = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
    "nonecheck": False,
    "embedsignature": True,
}

# Reassociation lets the compiler vectorise the dot-product reductions of the
# kernels; NaN/inf semantics are untouched (no -ffast-math).
UNIX_FLAGS = ["-O3", "-fno-math-errno", "-fno-trapping-math", "-fno-signed-zeros",
              "-fassociative-math"]
MSVC_FLAGS = ["/O2"]

SANITIZE = os.environ.get("FASTREG_SANITIZE", "") not in ("", "0")
SANITIZE_DIR = os.path.join("build", "asan")
if SANITIZE:
    # Out-of-range memoryview indices raise IndexError. wraparound stays off,
    # as in the release build: there a negative index reads outside the
    # buffer, and with boundscheck on and wraparound off it raises IndexError
    # too, where wraparound on would silently read from the other end.
    DIRECTIVES.update(boundscheck=True, initializedcheck=True)
    # -fsanitize=undefined leaves out float-cast-overflow (a NaN or an
    # out-of-range double converted to an integer), undefined behaviour too.
    SANITIZE_FLAGS = ["-fsanitize=address,undefined,float-cast-overflow"]
    # -fno-wrapv undoes Python's -fwrapv, under which signed overflow wraps
    # and goes unreported; in a kernel it means a wrong index or count. The
    # floating-point flags of the release build stay, so that the kernels
    # compute as they do there.
    UNIX_FLAGS = (SANITIZE_FLAGS + ["-fno-wrapv", "-fno-omit-frame-pointer", "-O1", "-g"]
                  + [flag for flag in UNIX_FLAGS if flag != "-O3"])


def _compiler_supports_openmp(compiler, flag, libs):
    """Compile and link a tiny OpenMP program to find out."""
    source = "#include <omp.h>\nint main(void){return omp_get_max_threads() < 1;}\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "omp_check.c")
        with open(path, "w") as f:
            f.write(source)
        try:
            objects = compiler.compile([path], output_dir=tmp, extra_postargs=[flag])
            compiler.link_executable(objects, os.path.join(tmp, "omp_check"),
                                     extra_postargs=[flag], libraries=libs)
        except Exception:
            return False
    return True


class BuildExt(build_ext):
    def finalize_options(self):
        if SANITIZE:
            if self.inplace or self.distribution.commands != ["build_ext"]:
                raise SystemExit(
                    "FASTREG_SANITIZE builds only with `setup.py build_ext` into "
                    f"{SANITIZE_DIR}/ (make test-asan), never in place or into a wheel")
            if self.build_lib is None:
                self.build_lib = os.path.join(SANITIZE_DIR, "lib")
            if self.build_temp is None:
                self.build_temp = os.path.join(SANITIZE_DIR, "temp")
        super().finalize_options()

    def build_extensions(self):
        msvc = self.compiler.compiler_type == "msvc"
        flags = MSVC_FLAGS if msvc else UNIX_FLAGS
        omp_flag, omp_libs = ("/openmp", []) if msvc else ("-fopenmp", [])
        if sys.platform == "darwin":
            omp_flag, omp_libs = "-Xpreprocessor -fopenmp", ["omp"]
        use_openmp = (os.environ.get("FASTREG_NO_OPENMP") is None
                      and _compiler_supports_openmp(self.compiler, omp_flag, omp_libs))
        for ext in self.extensions:
            ext.extra_compile_args = list(flags)
            ext.extra_link_args = list(SANITIZE_FLAGS) if SANITIZE and not msvc else []
            if use_openmp:
                ext.extra_compile_args += omp_flag.split()
                ext.extra_link_args += omp_flag.split()
                ext.libraries = list(ext.libraries or []) + omp_libs
                ext.define_macros = list(ext.define_macros or []) + [("FASTREG_OPENMP", "1")]
        super().build_extensions()


def extensions():
    exts = []
    for pyx in sorted(glob(os.path.join("fastreg", "*.pyx"))):
        name = pyx[:-4].replace(os.sep, ".")
        exts.append(Extension(
            name, [pyx], include_dirs=[np.get_include(), "fastreg"],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
        ))
    # The sanitizer build's C sources go to their own directory: generated
    # next to the .pyx, they would stand in for the release build's.
    build_dir = os.path.join(SANITIZE_DIR, "cython") if SANITIZE else None
    return cythonize(exts, compiler_directives=DIRECTIVES, build_dir=build_dir)


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
