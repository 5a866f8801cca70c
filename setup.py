"""Build the Cython extensions of fastreg.

Every ``fastreg/*.pyx`` is compiled with the same package-wide Cython
directives. Flags are portable (no ``-march=native``) so that wheels run on
any machine of their platform tag. OpenMP is used when the compiler supports
it and left out otherwise; nothing in fastreg requires it.
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
            ext.extra_link_args = []
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
    return cythonize(exts, compiler_directives=DIRECTIVES)


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
