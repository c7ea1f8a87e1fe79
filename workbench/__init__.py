"""MLOps Workbench: one shared picture of a production ML application.

The package is layered (see the project's design notes): ``graph`` at the bottom, then
``store``, ``monitoring``, ``governance``, ``engines``, ``orchestrator``, ``services``, ``cli``
and ``ui`` on top. Only ``workbench.ui`` imports Qt; heavy libraries (torch, pyspark, paramiko,
sklearn) are imported inside the functions that need them.
"""

__version__ = "0.1.0"
