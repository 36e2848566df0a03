"""Maps the top-level folders onto the ``nsl`` package (see STYLE.md, packaging note).

``grammar/ lang/ compiler/ runtime/ stdlib/`` install as ``nsl.grammar``,
``nsl.lang`` ...; ``nsl/`` is the facade. Subpackages are discovered per root so
a new folder can never be silently dropped from the wheel.
"""
from setuptools import find_packages, setup

ROOTS = {"grammar": "grammar", "lang": "lang", "compiler": "compiler",
         "runtime": "runtime", "stdlib": "stdlib"}

package_dir = {"nsl": "nsl"}
packages = ["nsl"] + [f"nsl.{sub}" for sub in find_packages("nsl")]
for name, folder in ROOTS.items():
    package_dir[f"nsl.{name}"] = folder
    packages.append(f"nsl.{name}")
    for sub in find_packages(folder):
        package_dir[f"nsl.{name}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"
        packages.append(f"nsl.{name}.{sub}")

setup(
    package_dir=package_dir,
    packages=packages,
    package_data={"nsl.grammar": ["*.lark"], "nsl.stdlib": ["*.nsl"]},
    include_package_data=False,
)
