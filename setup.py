"""What the wheel carries besides the ``workbench`` packages (the rest is in pyproject.toml).

The top-level ``resources/`` folder (graph templates, the demo's data generator) goes into the
wheel as ``workbench/_resources`` and the window icons from ``icons/`` as ``workbench/_icons``,
where ``workbench.resources`` looks for them in an installed copy. In a checkout (editable
install, ``briefcase dev``) it finds the top-level folders themselves. pyproject.toml cannot
map a folder outside the package into it while also discovering packages, hence this file;
the files each package carries besides modules are listed in pyproject.toml's package-data.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["workbench", "workbench.*"]),
              "workbench._resources", "workbench._icons"],
    package_dir={"workbench._resources": "resources", "workbench._icons": "icons"},
)
